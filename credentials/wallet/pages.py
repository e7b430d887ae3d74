"""The volunteer's page for putting one credential into a digital wallet: an explanation, and on request a fresh
credential offer as a QR code and a deep link (`GET`/`POST …/credentials/{id}/wallet` under each of the volunteer's
private places: the organisation's personal link `/me/{token}`, the account `/my` and the pocket `/pocket/{token}`)."""

from __future__ import annotations

import base64
from datetime import datetime
from pathlib import Path

import qrcode
import qrcode.image.svg
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from base.csrf import CSRF_PROTECTED
from base.errors import UserError
from base.http import LanguageDep, SessionDep
from base.i18n import format_date
from base.web import PRIVATE_PAGE, page, template_environment
from credentials.common import RIGA
from credentials.holders.account import held_credential
from credentials.holders.service import holder_of_user, pocket_by_token
from credentials.pages import own_credential
from credentials.store import CredentialRow
from credentials.wallet import service
from issuers.http import IssuerContextDep, SignedInDep

router = APIRouter(include_in_schema=False, dependencies=[CSRF_PROTECTED])
_templates = template_environment([Path(__file__).parent / "templates"])


def qr_svg_data_uri(content: str) -> str:
    """The QR code of `content` as an SVG data URI (for an `<img>` with alternative text)."""
    picture = qrcode.make(content, image_factory=qrcode.image.svg.SvgPathImage, border=4)
    return "data:image/svg+xml;base64," + base64.b64encode(picture.to_string()).decode("ascii")


def _when(moment: datetime, lang: str) -> str:
    local = moment.astimezone(RIGA)
    return f"{format_date(local.date(), lang)} {local:%H:%M}"


def _page(request: Request, lang: str, place: str, row, offer: service.Offer | None = None) -> HTMLResponse:
    """`place`: the private place the page belongs to (`/me/{token}`, `/my` or `/pocket/{token}`)."""
    response = page(
        request,
        _templates,
        "wallet/offer.html",
        lang=lang,
        place=place,
        credential_id=row.id,
        offerable=service.offerable(row),
        link=offer.link if offer else None,
        qr=qr_svg_data_uri(offer.link) if offer else None,
        expires=_when(offer.expires_at, lang) if offer else None,
    )
    response.headers.update(PRIVATE_PAGE)
    return response


def _offer(
    request: Request, session: Session, lang: str, place: str, row: CredentialRow, base_url: str
) -> HTMLResponse:
    if not service.offerable(row):
        return _page(request, lang, place, row)
    offer = service.create_offer(session, row.id, base_url)  # committed before the page goes out (SessionDep)
    return _page(request, lang, place, row, offer)


def _held_by_account(session: Session, signed_in, credential_id: str) -> CredentialRow:
    holder = holder_of_user(session, signed_in.user.id)
    if holder is None:
        raise UserError("credential.not_found", kind="not_found")
    return held_credential(session, holder, credential_id)


@router.get("/me/{token}/credentials/{credential_id}/wallet", response_class=HTMLResponse)
def wallet_page(token: str, credential_id: str, request: Request, lang: LanguageDep, session: SessionDep):
    return _page(request, lang, f"/me/{token}", own_credential(session, token, credential_id))


@router.post("/me/{token}/credentials/{credential_id}/wallet", response_class=HTMLResponse)
def wallet_offer(
    token: str, credential_id: str, request: Request, lang: LanguageDep, session: SessionDep, ctx: IssuerContextDep
):
    row = own_credential(session, token, credential_id)
    return _offer(request, session, lang, f"/me/{token}", row, ctx.base_url)


@router.get("/my/credentials/{credential_id}/wallet", response_class=HTMLResponse)
def account_wallet_page(
    credential_id: str, request: Request, lang: LanguageDep, session: SessionDep, signed_in: SignedInDep
):
    return _page(request, lang, "/my", _held_by_account(session, signed_in, credential_id))


@router.post("/my/credentials/{credential_id}/wallet", response_class=HTMLResponse)
def account_wallet_offer(
    credential_id: str,
    request: Request,
    lang: LanguageDep,
    session: SessionDep,
    ctx: IssuerContextDep,
    signed_in: SignedInDep,
):
    row = _held_by_account(session, signed_in, credential_id)
    return _offer(request, session, lang, "/my", row, ctx.base_url)


@router.get("/pocket/{token}/credentials/{credential_id}/wallet", response_class=HTMLResponse)
def pocket_wallet_page(token: str, credential_id: str, request: Request, lang: LanguageDep, session: SessionDep):
    row = held_credential(session, pocket_by_token(session, token), credential_id)
    return _page(request, lang, f"/pocket/{token}", row)


@router.post("/pocket/{token}/credentials/{credential_id}/wallet", response_class=HTMLResponse)
def pocket_wallet_offer(
    token: str, credential_id: str, request: Request, lang: LanguageDep, session: SessionDep, ctx: IssuerContextDep
):
    row = held_credential(session, pocket_by_token(session, token), credential_id)
    return _offer(request, session, lang, f"/pocket/{token}", row, ctx.base_url)
