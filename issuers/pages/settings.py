"""The organisation's settings (/org/{slug}/settings/...): profile, logo and signature with a sample certificate,
members and roles, API tokens, signing keys. Owners change them; other members read what concerns them. Every
write goes through issuers.service, which authorises and audits it exactly as for the API."""

from __future__ import annotations

from datetime import datetime, time
from typing import Annotated

from fastapi import File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse

from base.errors import UserError
from base.http import LanguageDep, SessionDep
from base.i18n import messages
from base.web import page, see_other
from issuers import service
from issuers.auth import ROLES, SCOPES
from issuers.http import IssuerContextDep, Workspace, WorkspaceDep
from issuers.images import MAX_IMAGE_BYTES
from issuers.municipalities import all_municipalities
from issuers.pages.common import RIGA, form_problem, page_router, templates

router = page_router()
Text = Annotated[str, Form(max_length=300)]
IMAGES = ("logo", "signature")
PROFILE_FIELDS = (
    "legal_name",
    "contact_email",
    "contact_phone",
    "address",
    "website",
    "municipality",
    "signatory_name",
    "signatory_position",
)
SECTIONS = (("profile", ""), ("members", "/members"), ("tokens", "/tokens"), ("keys", "/keys"))


def settings_page(request: Request, ws: Workspace, lang: str, section: str, status_code: int = 200, **context):
    """One settings page: the workspace's layout with the settings' own sections beside each other."""
    sections = [
        {"key": key, "href": f"{ws.href('/settings' + path)}?lang={lang}", "current": key == section}
        for key, path in SECTIONS
        if key != "tokens" or ws.can("organisation.tokens")
    ]
    context.setdefault("error", None)
    context.setdefault("errors", {})
    return page(
        request,
        templates,
        f"issuers/settings_{section}.html",
        lang=lang,
        status_code=status_code,
        ws=ws.view("settings"),
        sections=sections,
        can_edit=ws.can("organisation.update"),
        base=ws.href("/settings"),
        **context,
    )


# --- profile, images, signatory --------------------------------------------------------------------------------


def profile_context(ws: Workspace, lang: str, values: dict | None = None) -> dict:
    org = ws.org
    return {
        "values": values or {name: getattr(org, name) or "" for name in PROFILE_FIELDS},
        "org": org,
        "municipalities": [(m.code, m.name(lang)) for m in all_municipalities()],
        "images": {
            which: getattr(org, "logo" if which == "logo" else "signature_image") is not None for which in IMAGES
        },
        "max_kib": MAX_IMAGE_BYTES // 1024,
    }


@router.get("/org/{slug}/settings")
def profile(request: Request, ws: WorkspaceDep, lang: LanguageDep):
    return settings_page(request, ws, lang, "profile", **profile_context(ws, lang))


@router.post("/org/{slug}/settings")
def save_profile(
    request: Request,
    ws: WorkspaceDep,
    session: SessionDep,
    lang: LanguageDep,
    legal_name: Text = "",
    contact_email: Annotated[str, Form(max_length=254)] = "",
    contact_phone: Annotated[str, Form(max_length=40)] = "",
    address: Text = "",
    website: Text = "",
    municipality: Annotated[str, Form(max_length=80)] = "",
    signatory_name: Annotated[str, Form(max_length=200)] = "",
    signatory_position: Annotated[str, Form(max_length=200)] = "",
):
    values = {
        "legal_name": legal_name,
        "contact_email": contact_email,
        "contact_phone": contact_phone,
        "address": address,
        "website": website,
        "municipality": municipality,
        "signatory_name": signatory_name,
        "signatory_position": signatory_position,
    }
    try:
        service.update_organisation(session, ws.principal, ws.slug, {k: v.strip() for k, v in values.items()})
    except UserError as error:
        if error.kind != "invalid":
            raise
        session.rollback()
        message, errors = form_problem(error, lang)
        context = profile_context(ws, lang, values)
        return settings_page(request, ws, lang, "profile", 422, error=message, errors=errors, **context)
    return see_other(f"{ws.href('/settings')}?lang={lang}", notice="notice.settings_saved")


@router.post("/org/{slug}/settings/images/{which}")
async def upload_image(
    request: Request,
    which: str,
    ws: WorkspaceDep,
    session: SessionDep,
    lang: LanguageDep,
    file: Annotated[UploadFile | None, File()] = None,
    remove: Annotated[str, Form(max_length=10)] = "",
):
    """Uploads (or with `remove`) the logo or the signature image; the preview below shows the result."""
    if which not in IMAGES:
        raise UserError("org.not_found", kind="not_found", slug=ws.slug)
    data = None if remove else (await file.read(MAX_IMAGE_BYTES + 1) if file is not None else b"")
    try:
        service.set_organisation_image(session, ws.principal, ws.slug, which, data)
    except UserError as error:
        if error.kind not in ("invalid", "too_large"):
            raise
        session.rollback()
        message, _ = form_problem(error, lang)
        context = profile_context(ws, lang)
        return settings_page(
            request, ws, lang, "profile", 422, error=message, errors={f"{which}_file": message}, **context
        )
    return see_other(f"{ws.href('/settings')}?lang={lang}#images", notice="notice.image_saved")


# --- members ---------------------------------------------------------------------------------------------------


def members_page(
    request: Request, ws: Workspace, session, lang: str, status_code: int = 200, **context
) -> HTMLResponse:
    members = service.list_members(session, ws.principal, ws.slug)
    owners = sum(1 for m in members if m.role == "owner")
    context.setdefault("invite", {"email": "", "role": "coordinator"})
    return settings_page(
        request,
        ws,
        lang,
        "members",
        status_code,
        members=members,
        owners=owners,
        me=ws.user.id,
        roles=[(role, f"workspace.role.{role}") for role in ROLES],
        role_options=[(role, messages().get(f"workspace.role.{role}", lang)) for role in ROLES],
        can_manage=ws.can("organisation.members"),
        **context,
    )


@router.get("/org/{slug}/settings/members")
def members(request: Request, ws: WorkspaceDep, session: SessionDep, lang: LanguageDep):
    return members_page(request, ws, session, lang)


@router.post("/org/{slug}/settings/members/invite")
def invite(
    request: Request,
    ws: WorkspaceDep,
    session: SessionDep,
    lang: LanguageDep,
    email: Annotated[str, Form(max_length=254)] = "",
    role: Annotated[str, Form(max_length=20)] = "",
):
    base_url = request.app.state.settings.public_base_url
    try:
        service.invite_member(session, ws.principal, ws.slug, email, role, lang, base_url)
    except UserError as error:
        if error.kind != "invalid":
            raise
        session.rollback()
        message, errors = form_problem(error, lang)
        return members_page(
            request, ws, session, lang, 422, error=message, errors=errors, invite={"email": email, "role": role}
        )
    return see_other(f"{ws.href('/settings/members')}?lang={lang}", notice="notice.invitation_sent")


@router.post("/org/{slug}/settings/members/{user_id}/role")
def change_role(
    user_id: str,
    ws: WorkspaceDep,
    session: SessionDep,
    lang: LanguageDep,
    role: Annotated[str, Form(max_length=20)] = "",
):
    service.change_member_role(session, ws.principal, ws.slug, user_id, role)
    return see_other(f"{ws.href('/settings/members')}?lang={lang}", notice="notice.role_changed")


@router.post("/org/{slug}/settings/members/{user_id}/remove")
def remove_member(user_id: str, ws: WorkspaceDep, session: SessionDep, lang: LanguageDep):
    service.remove_member(session, ws.principal, ws.slug, user_id)
    return see_other(f"{ws.href('/settings/members')}?lang={lang}", notice="notice.member_removed")


# --- API tokens ------------------------------------------------------------------------------------------------


def tokens_page(request: Request, ws: Workspace, session, lang: str, status_code: int = 200, **context):
    tokens = service.list_tokens(session, ws.principal, ws.slug)
    context.setdefault("new_secret", None)
    # Least rights by default: managing the organisation is for the token that really needs it.
    context.setdefault("form", {"name": "", "scopes": [s for s in SCOPES if s != "organisation:admin"]})
    response = settings_page(request, ws, lang, "tokens", status_code, tokens=tokens, scopes=SCOPES, **context)
    response.headers["Cache-Control"] = "private, no-store"  # a new token's secret is on it once
    return response


@router.get("/org/{slug}/settings/tokens")
def tokens(request: Request, ws: WorkspaceDep, session: SessionDep, lang: LanguageDep):
    return tokens_page(request, ws, session, lang)


@router.post("/org/{slug}/settings/tokens")
async def create_token(request: Request, ws: WorkspaceDep, session: SessionDep, lang: LanguageDep):
    form = await request.form()
    name = str(form.get("name") or "")[:120]
    scopes = [str(s) for s in form.getlist("scopes")]
    try:
        row, secret = service.create_token(session, ws.principal, ws.slug, name, scopes, None)
    except UserError as error:
        if error.kind != "invalid":
            raise
        session.rollback()
        message, _ = form_problem(error, lang)
        return tokens_page(
            request,
            ws,
            session,
            lang,
            422,
            error=message,
            errors={"scopes": message},
            form={"name": name, "scopes": scopes},
        )
    # Shown on this response only (no redirect: the secret must not travel in a URL); the write is committed first.
    return tokens_page(request, ws, session, lang, new_secret=secret, new_token=row)


@router.post("/org/{slug}/settings/tokens/{token_id}/revoke")
def revoke_token(token_id: str, ws: WorkspaceDep, session: SessionDep, lang: LanguageDep):
    service.revoke_token(session, ws.principal, ws.slug, token_id)
    return see_other(f"{ws.href('/settings/tokens')}?lang={lang}", notice="notice.token_revoked")


# --- signing keys ----------------------------------------------------------------------------------------------


def keys_page(request: Request, ws: Workspace, session, lang: str, status_code: int = 200, **context):
    ws.require("organisation.read")
    keys = list(reversed(service.organisation_keys(session, ws.org)))
    return settings_page(
        request, ws, lang, "keys", status_code, keys=keys, can_manage=ws.can("organisation.keys"), **context
    )


def require_confirmation(confirmed: str, field: str) -> None:
    """Changing keys cannot be undone: the form's box saying so must be ticked."""
    if confirmed != "yes":
        raise UserError("keys.confirm_needed", errors=[{"field": field}])


@router.get("/org/{slug}/settings/keys")
def keys(request: Request, ws: WorkspaceDep, session: SessionDep, lang: LanguageDep):
    return keys_page(request, ws, session, lang)


@router.post("/org/{slug}/settings/keys/rotate")
def rotate_key(
    request: Request,
    ws: WorkspaceDep,
    session: SessionDep,
    ctx: IssuerContextDep,
    lang: LanguageDep,
    confirmed: Annotated[str, Form(max_length=10)] = "",
):
    try:
        require_confirmation(confirmed, "rotate_confirmed")
        service.rotate_key(session, ws.principal, ctx, ws.slug)
    except UserError as error:
        if error.kind != "invalid":
            raise
        message, errors = form_problem(error, lang)
        return keys_page(request, ws, session, lang, 422, error=message, errors=errors)
    return see_other(f"{ws.href('/settings/keys')}?lang={lang}", notice="notice.key_rotated")


@router.post("/org/{slug}/settings/keys/{fragment}/compromise")
def report_compromise(
    request: Request,
    fragment: str,
    ws: WorkspaceDep,
    session: SessionDep,
    ctx: IssuerContextDep,
    lang: LanguageDep,
    since: Annotated[str, Form(max_length=20)] = "",
    confirmed: Annotated[str, Form(max_length=10)] = "",
):
    """`since`: the day from which the key is not to be trusted (from its start, Riga time); empty: now."""
    field = f"since-{fragment}"
    try:
        require_confirmation(confirmed, field)
        moment = None
        if since:
            try:
                moment = datetime.combine(datetime.strptime(since, "%Y-%m-%d").date(), time(0), tzinfo=RIGA)
            except ValueError:
                raise UserError("keys.since_format", errors=[{"field": field}]) from None
        service.mark_key_compromised(session, ws.principal, ctx, ws.slug, fragment, moment)
    except UserError as error:
        if error.kind != "invalid":
            raise
        session.rollback()
        message, errors = form_problem(error, lang)
        return keys_page(request, ws, session, lang, 422, error=message, errors=errors or {field: message})
    return see_other(f"{ws.href('/settings/keys')}?lang={lang}", notice="notice.key_compromised")
