"""`/claim`: a volunteer types the claim code from their certificate and the credential joins their place.

Signed in (an account), it goes into the account's holder and the browser goes on to `/my`. Otherwise the volunteer
chooses: a new pseudonymous pocket (its secret link shown once, here, to save), or the pocket whose link they paste
(then on to `/pocket/{token}`). Nothing personal is asked, and a pocket stores none.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse

from base.csrf import CSRF_PROTECTED
from base.errors import UserError
from base.http import LanguageDep, SessionDep
from base.web import error_message, field_errors, page, render_page, see_other, template_environment
from credentials.holders import claims
from credentials.holders.service import POCKET_PREFIX, create_pocket, holder_for_user, pocket_by_token
from issuers.http import IssuerContextDep, OptionalSignedInDep
from issuers.throttle import Throttled

router = APIRouter(include_in_schema=False, dependencies=[CSRF_PROTECTED])
templates = template_environment([Path(__file__).parent / "templates"])
# The page that shows a new pocket's link: kept out of shared caches and search engines. (It carries no form, so it
# may also keep its address out of referrers; the claim form itself must not: the CSRF check reads the Origin.)
SECRET_PAGE = {"Cache-Control": "private, no-store", "X-Robots-Tag": "noindex", "Referrer-Policy": "no-referrer"}
INTO = ("account", "new", "pocket")


def pocket_token(text: str) -> str:
    """The pocket's token from its pasted link (`https://…/pocket/vcp_…`, with or without the address) or the bare
    token; anything else is refused next to the field."""
    value = text.strip()
    path = urlsplit(value).path if "://" in value else value
    token = path.rstrip("/").rsplit("/", 1)[-1]
    if not token.startswith(POCKET_PREFIX):
        raise UserError("claim.pocket_link_invalid", errors=[{"field": "pocket"}])
    return token


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _claim_page(request: Request, lang: str, signed_in, *, status_code: int = 200, **context):
    context.setdefault("code", "")
    context.setdefault("pocket", "")
    context.setdefault("errors", {})
    context.setdefault("message", None)
    return page(
        request,
        templates,
        "holders/claim.html",
        lang=lang,
        status_code=status_code,
        signed_in=signed_in is not None,
        account=signed_in.user.email if signed_in is not None else "",  # whose account: an organiser is signed in too
        **context,
    )


@router.get("/claim")
def claim_form(request: Request, lang: LanguageDep, signed_in: OptionalSignedInDep, code: str = ""):
    return _claim_page(request, lang, signed_in, code=code[:40])


@router.post("/claim")
def claim(
    request: Request,
    lang: LanguageDep,
    session: SessionDep,
    ctx: IssuerContextDep,
    signed_in: OptionalSignedInDep,
    code: Annotated[str, Form(max_length=100)] = "",
    pocket: Annotated[str, Form(max_length=500)] = "",
    into: Annotated[str, Form(max_length=10)] = "new",
):
    if signed_in is not None:
        into = "account"
    elif into not in INTO or into == "account" or (into == "new" and pocket.strip()):
        # A pasted pocket link is where it goes (Enter in that field presses the form's first button). A form
        # sent for an account after signing out shows again, to choose.
        into = "pocket" if pocket.strip() else "choose"
    try:
        with session.begin_nested():  # a refused claim leaves nothing behind (no empty pocket)
            credential = claims.find_claimable(session, ctx.kek, request.app.state.throttle, _client(request), code)
            if signed_in is not None:
                holder = holder_for_user(session, signed_in.user.id, lang)
                claims.claim(session, holder, credential, "account", signed_in.principal)
                return see_other(f"/my?lang={lang}", notice="notice.credential_claimed")
            if into == "choose":
                return _claim_page(request, lang, signed_in, code=code)
            if into == "pocket":
                token = pocket_token(pocket)
                holder = pocket_by_token(session, token)
                claims.claim(session, holder, credential, "pocket")
                return see_other(f"/pocket/{token}?lang={lang}", notice="notice.credential_claimed")
            claims.refuse_if_held_elsewhere(session, credential)
            holder, token = create_pocket(session, lang)
            claims.claim(session, holder, credential, "new_pocket")
    except UserError as error:
        if error.kind not in ("invalid", "conflict", "not_found", "too_many_requests"):
            raise
        errors = field_errors(error, lang)
        if error.key == "holder.not_found":
            errors = {"pocket": error_message(error, lang)}
        status = {"invalid": 422, "conflict": 409, "not_found": 422, "too_many_requests": 429}[error.kind]
        response = _claim_page(
            request,
            lang,
            signed_in,
            status_code=status,
            code=code,
            pocket=pocket,
            errors=errors,
            message=None if errors else error_message(error, lang),
        )
        if isinstance(error, Throttled):
            response.headers["Retry-After"] = str(error.retry_after)
        return response
    # Shown once, as the answer to the form. The language switch leads to the pocket itself (in that language), so
    # that switching does not lose the link.
    html = render_page(
        templates,
        "holders/claim_pocket.html",
        lang=lang,
        url=f"/pocket/{token}",
        notice=None,
        pocket_url=f"{ctx.base_url}/pocket/{token}",
        pocket_path=f"/pocket/{token}?lang={lang}",
    )
    return HTMLResponse(html, headers=SECRET_PAGE)
