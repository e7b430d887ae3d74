"""The signed-in person's own account (/account): who they are, their organisations, a new password."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request

from base.errors import UserError
from base.http import LanguageDep, SessionDep
from base.web import page, see_other
from issuers import service
from issuers.http import SignedIn, SignedInDep, session_token
from issuers.pages.common import form_problem, page_router, require_same_passwords, templates

router = page_router()
Password = Annotated[str, Form(max_length=1024)]


def account_page(request: Request, signed_in: SignedIn, lang: str, status_code: int = 200, error=None, errors=None):
    return page(
        request,
        templates,
        "issuers/account.html",
        lang=lang,
        status_code=status_code,
        user=signed_in.user,
        memberships=signed_in.memberships,
        is_platform_admin=signed_in.principal.is_platform_admin,
        error=error,
        errors=errors or {},
    )


@router.get("/account")
def account(request: Request, signed_in: SignedInDep, lang: LanguageDep):
    return account_page(request, signed_in, lang)


@router.post("/account/password")
def change_password(
    request: Request,
    signed_in: SignedInDep,
    session: SessionDep,
    lang: LanguageDep,
    current_password: Password = "",
    password: Password = "",
    password_again: Password = "",
):
    """A new password; every other session of the account ends, this one stays."""
    try:
        require_same_passwords(password, password_again)
        service.change_password(session, signed_in.user, current_password, password, session_token(request))
    except UserError as error:
        if error.kind != "invalid":
            raise
        session.rollback()
        message, errors = form_problem(error, lang)
        return account_page(request, signed_in, lang, 422, message, errors)
    return see_other(f"/account?lang={lang}", notice="notice.password_changed")
