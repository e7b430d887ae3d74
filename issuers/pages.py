"""The workspace's way in: signing in and out, and the way to one's organisation.

Organisers work in /org/{slug}/... (the sections' pages, the dashboard at /org/{slug} too, live with the packages
whose data they show: credentials.missions.pages); these pages only let people in.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from base.csrf import CSRF_PROTECTED
from base.errors import UserError
from base.http import LanguageDep, SessionDep
from base.web import error_message, page, see_other, template_environment
from issuers import service
from issuers.http import (
    OptionalSignedInDep,
    SignedInDep,
    clear_session_cookie,
    session_token,
    set_session_cookie,
)

router = APIRouter(include_in_schema=False, dependencies=[CSRF_PROTECTED])
templates = template_environment([Path(__file__).parent / "templates"])


def safe_next(value: str | None) -> str:
    """Where to go after signing in: a path on this site only (never `//elsewhere` or a full URL)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/dashboard"
    parts = urlsplit(value)
    return value if not parts.scheme and not parts.netloc else "/dashboard"


@router.get("/login")
def login_page(request: Request, lang: LanguageDep, signed_in: OptionalSignedInDep, next: str | None = None):
    if signed_in is not None:
        return see_other(safe_next(next))
    return page(request, templates, "issuers/login.html", lang=lang, next=safe_next(next), email="", error=None)


@router.post("/login")
def login(
    request: Request,
    session: SessionDep,
    lang: LanguageDep,
    email: Annotated[str, Form(max_length=254)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",
):
    try:
        token = service.login_throttled(session, request.app.state.throttle, email, password)
    except UserError as error:
        if error.kind not in ("unauthorised", "too_many_requests"):
            raise
        status = 429 if error.kind == "too_many_requests" else 401
        return page(
            request,
            templates,
            "issuers/login.html",
            lang=lang,
            status_code=status,
            next=safe_next(next),
            email=email,
            error=error_message(error, lang),
        )
    response = see_other(safe_next(next))
    set_session_cookie(request, response, token)
    return response


@router.post("/logout")
def logout(request: Request, session: SessionDep) -> RedirectResponse:
    service.logout(session, session_token(request))
    response = see_other("/login", notice="notice.signed_out")
    clear_session_cookie(response)
    return response


@router.get("/dashboard")
def dashboard(request: Request, signed_in: SignedInDep, lang: LanguageDep):
    """Straight to one's organisation; a choice when there are several; the way to register one when none."""
    if len(signed_in.memberships) == 1:
        return see_other(f"/org/{signed_in.memberships[0].slug}?lang={lang}")
    if not signed_in.memberships and signed_in.principal.is_platform_admin:
        return see_other(f"/admin/organisations?lang={lang}")
    return page(
        request, templates, "issuers/choose.html", lang=lang, user=signed_in.user, memberships=signed_in.memberships
    )
