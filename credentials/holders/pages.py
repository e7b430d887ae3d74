"""The volunteer's place: `/my` for an account signed in by e-mail (credentials waiting at the proven address, to
confirm; what they hold, with totals and downloads; removing the account) and `/pocket/{token}` for a pseudonymous
pocket (the same, without anything about e-mail). Private pages: never cached, never indexed."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from base.csrf import CSRF_PROTECTED
from base.errors import UserError
from base.http import LanguageDep, SessionDep
from base.i18n import format_date, format_number
from base.web import PRIVATE_PAGE, page, see_other, template_environment
from credentials.certificates.render import LANGUAGE_MODES
from credentials.holders import account
from credentials.holders.service import held_credentials, holder_for_user, holder_of_user, pocket_by_token
from credentials.holders.store import HolderRow
from credentials.http import pdf_response
from credentials.store import CredentialRow
from issuers.http import IssuerContextDep, SignedIn, SignedInDep, clear_session_cookie

router = APIRouter(include_in_schema=False, dependencies=[CSRF_PROTECTED])
templates = template_environment([Path(__file__).parent / "templates"])
templates.globals.update(format_date=format_date, format_number=format_number)
Language = Annotated[str, Query(max_length=20)]


def _private(response: Response, headers: dict[str, str] = PRIVATE_PAGE) -> Response:
    response.headers.update(headers)
    return response


def _render(request: Request, session: Session, lang: str, holder: HolderRow | None, base: str, **context):
    rows = held_credentials(session, holder) if holder is not None else []
    return page(
        request,
        templates,
        "holders/place.html",
        lang=lang,
        base=base,
        place=account.place(session, rows, request.app.state.settings.public_base_url),
        pdf_languages=LANGUAGE_MODES,
        **context,
    )


def _waiting(session: Session, signed_in: SignedIn, base_url: str) -> list:
    rows = account.waiting_credentials(session, signed_in.user.email)
    return account.place(session, rows, base_url).items


def _certificate(session: Session, ctx, row: CredentialRow, language: str, headers: dict[str, str]) -> Response:
    if language not in LANGUAGE_MODES:
        raise UserError("certificate.language_unknown", allowed=", ".join(LANGUAGE_MODES))
    return _private(pdf_response(session, ctx, row, language, claim_code=True), headers)


def _json(row: CredentialRow, headers: dict[str, str]) -> Response:
    return Response(
        row.document.encode(),
        media_type="application/json",
        headers={**headers, "Content-Disposition": f'attachment; filename="credential-{row.id}.json"'},
    )


# --- the account: /my ------------------------------------------------------------------------------------------------


@router.get("/my")
def my_place(request: Request, session: SessionDep, lang: LanguageDep, signed_in: SignedInDep):
    base_url = request.app.state.settings.public_base_url
    return _private(
        _render(
            request,
            session,
            lang,
            holder_of_user(session, signed_in.user.id),
            "/my",
            waiting=_waiting(session, signed_in, base_url),
            email=signed_in.user.email,
            pocket=False,
            has_memberships=bool(signed_in.memberships),
        )
    )


@router.post("/my/confirm")
def confirm(
    request: Request,
    session: SessionDep,
    lang: LanguageDep,
    signed_in: SignedInDep,
    credential_id: Annotated[list[str] | None, Form(max_length=32)] = None,
):
    """Confirms the chosen waiting credential (or, without one, all of them) as the volunteer's."""
    holder = holder_for_user(session, signed_in.user.id, lang)
    account.confirm_credentials(session, holder, signed_in.user.email, credential_id or [])
    return see_other(f"/my?lang={lang}", notice="notice.credentials_confirmed")


@router.get("/my/credentials/{credential_id}.pdf")
def my_certificate(
    credential_id: str, session: SessionDep, ctx: IssuerContextDep, signed_in: SignedInDep, language: Language = "lv"
):
    row = account.held_credential(session, _holder_of(session, signed_in), credential_id)
    return _certificate(session, ctx, row, language, PRIVATE_PAGE)


@router.get("/my/credentials/{credential_id}.json")
def my_credential_json(credential_id: str, session: SessionDep, signed_in: SignedInDep):
    return _json(account.held_credential(session, _holder_of(session, signed_in), credential_id), PRIVATE_PAGE)


def _holder_of(session: Session, signed_in: SignedIn) -> HolderRow:
    holder = holder_of_user(session, signed_in.user.id)
    if holder is None:
        raise UserError("credential.not_found", kind="not_found")
    return holder


@router.get("/my/remove")
def remove_page(request: Request, lang: LanguageDep, signed_in: SignedInDep):
    return _private(
        page(
            request,
            templates,
            "holders/remove.html",
            lang=lang,
            pocket=False,
            email=signed_in.user.email,
            has_memberships=bool(signed_in.memberships),
        )
    )


@router.post("/my/remove")
def remove(request: Request, session: SessionDep, lang: LanguageDep, signed_in: SignedInDep):
    """Erases the account and signs out: the credentials stay valid, and stay with the organisations."""
    account.remove_account(session, signed_in.user)  # its sessions too: the cookie no longer signs anyone in
    response = see_other(f"/?lang={lang}", notice="notice.account_removed")
    clear_session_cookie(response)
    return response


# --- a pseudonymous pocket: /pocket/{token} --------------------------------------------------------------------------


@router.get("/pocket/{token}")
def pocket_place(request: Request, token: str, session: SessionDep, lang: LanguageDep):
    holder = pocket_by_token(session, token)
    return _private(
        _render(
            request,
            session,
            lang,
            holder,
            f"/pocket/{token}",
            waiting=[],
            email=None,
            pocket=True,
            has_memberships=False,
        ),
        PRIVATE_PAGE,
    )


@router.get("/pocket/{token}/credentials/{credential_id}.pdf")
def pocket_certificate(
    token: str, credential_id: str, session: SessionDep, ctx: IssuerContextDep, language: Language = "lv"
):
    row = account.held_credential(session, pocket_by_token(session, token), credential_id)
    return _certificate(session, ctx, row, language, PRIVATE_PAGE)


@router.get("/pocket/{token}/credentials/{credential_id}.json")
def pocket_credential_json(token: str, credential_id: str, session: SessionDep):
    return _json(account.held_credential(session, pocket_by_token(session, token), credential_id), PRIVATE_PAGE)
