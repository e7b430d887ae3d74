"""Signing in by a one-time link sent by e-mail (a volunteer needs no password): ask for a link at /login/link, then
follow it. Opening the link shows a button that signs in (a POST): a mail scanner that fetches the link does not use
it up."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request

from base.errors import UserError
from base.http import LanguageDep, SessionDep
from base.web import PRIVATE_PAGE, error_message, page
from issuers import service
from issuers.pages.access import safe_next, signed_in_response
from issuers.pages.common import page_router, templates

router = page_router()


@router.get("/login/link")
def link_page(request: Request, lang: LanguageDep):
    return page(request, templates, "issuers/sign_in_link.html", lang=lang, email="", sent=False, error=None)


@router.post("/login/link")
def send_link(
    request: Request, session: SessionDep, lang: LanguageDep, email: Annotated[str, Form(max_length=254)] = ""
):
    """The same answer whether or not the address has an account (a first link makes it)."""
    try:
        service.request_sign_in_link(
            session, request.app.state.throttle, email, lang, request.app.state.settings.public_base_url
        )
    except UserError as error:
        if error.kind not in ("too_many_requests", "invalid"):
            raise
        return page(
            request,
            templates,
            "issuers/sign_in_link.html",
            lang=lang,
            status_code=429 if error.kind == "too_many_requests" else 422,
            email=email,
            sent=False,
            error=error_message(error, lang),
        )
    return page(request, templates, "issuers/sign_in_link.html", lang=lang, email=email, sent=True, error=None)


@router.get("/login/link/{token}")
def link_confirm_page(request: Request, token: str, session: SessionDep, lang: LanguageDep):
    service.account_token(session, service.SIGN_IN, token)  # an unusable link says so at once
    response = page(request, templates, "issuers/sign_in_link_confirm.html", lang=lang, token=token)
    response.headers.update(PRIVATE_PAGE)
    return response


@router.post("/login/link/{token}")
def follow_link(request: Request, token: str, session: SessionDep, lang: LanguageDep):
    user = service.sign_in_by_link(session, token)
    return signed_in_response(request, safe_next(f"/my?lang={lang}"), service.start_session(session, user))
