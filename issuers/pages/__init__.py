"""The issuers' HTML pages: the public landing page, signing in and out, registering an organisation, forgotten
passwords and invitations (access.py), the organisation's settings (settings.py) and the platform administrator's
pages (admin.py). Each module has its own router; `router` gathers them for the application."""

from __future__ import annotations

from fastapi import APIRouter

from issuers.pages.access import router as access_router
from issuers.pages.account import router as account_router
from issuers.pages.admin import router as admin_router
from issuers.pages.settings import router as settings_router
from issuers.pages.sign_in_link import router as sign_in_link_router

router = APIRouter(include_in_schema=False)
for _part in (access_router, account_router, admin_router, settings_router, sign_in_link_router):
    router.include_router(_part)
