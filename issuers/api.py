"""HTTP adapter of the issuers package: organisations, keys, members, tokens, DID documents and the registry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, File, Request, Response, UploadFile
from pydantic import AwareDatetime, BaseModel, Field
from sqlalchemy.orm import Session

from base.errors import UserError
from base.http import SessionDep
from base.i18n import messages
from issuers import service
from issuers.auth import Principal
from issuers.http import IssuerContextDep, OptionalPrincipalDep, PrincipalDep
from issuers.images import MAX_IMAGE_BYTES
from issuers.organisations import OrganisationInput
from issuers.service import IssuerContext
from issuers.store import OrganisationRow

router = APIRouter()


class AdminAccount(BaseModel):
    email: str
    name: str
    password: str = Field(min_length=10)


class OrganisationRegistration(BaseModel):
    legal_name: str
    registration_number: str
    legal_form: str = "association-or-foundation"
    municipality: str
    slug: str | None = None
    contact_email: str | None = None
    contact_phone: str | None = None
    website: str | None = None
    address: str | None = None
    signatory_name: str | None = None
    signatory_position: str | None = None
    admin: AdminAccount | None = Field(None, description="The organisation's first administrator account.")


class OrganisationChanges(BaseModel):
    legal_name: str | None = None
    legal_form: str | None = None
    municipality: str | None = None
    contact_email: str | None = None
    contact_phone: str | None = None
    website: str | None = None
    address: str | None = None
    signatory_name: str | None = None
    signatory_position: str | None = None
    issuer_did_method: str | None = Field(None, description="`web` (default) or `key`.")


class CompromiseReport(BaseModel):
    since: datetime | None = Field(None, description="From when the key is not to be trusted (default: now).")


class TokenRequest(BaseModel):
    name: str
    scopes: list[str] | None = None
    expires_at: AwareDatetime | None = Field(
        None, description="With its time zone, e.g. 2027-01-01T00:00:00+02:00; at most 10 years ahead."
    )


MAX_TOKEN_YEARS = 10


def in_utc(value: datetime | None, field: str) -> datetime | None:
    """An aware time in UTC, as the database stores it; one that falls off the calendar there (0001-01-01 east of
    Greenwich, 9999-12-31 west of it) is refused, naming the field. Naive times pass on for the service to judge."""
    if value is None or value.tzinfo is None:
        return value
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise UserError(
            "time.out_of_range", errors=[{"field": field, "message": messages().text("time.out_of_range")}]
        ) from None


def token_expiry(value: datetime | None) -> datetime | None:
    """The expiry in UTC; one beyond reach (or beyond the calendar once in UTC) is refused, naming the field."""
    if value is None:
        return None
    try:
        expiry = value.astimezone(UTC)
    except OverflowError:
        expiry = None
    if expiry is None or expiry > datetime.now(UTC) + timedelta(days=366 * MAX_TOKEN_YEARS):
        raise UserError(
            "token.expiry_range",
            years=MAX_TOKEN_YEARS,
            errors=[{"field": "expires_at", "message": messages().text("token.expiry_range", years=MAX_TOKEN_YEARS)}],
        )
    return expiry


class MemberRequest(BaseModel):
    email: str
    role: str


class LoginRequest(BaseModel):
    email: str
    password: str


def organisation_view(session: Session, org: OrganisationRow, ctx: IssuerContext, private: bool) -> dict:
    view = {
        "slug": org.slug,
        "did": service.organisation_did(org, ctx.base_url),
        "legal_name": org.legal_name,
        "legal_form": org.legal_form,
        "registration_number": org.registration_number,
        "municipality": org.municipality,
        "website": org.website,
        "status": org.status,
        "issuer_did_method": org.issuer_did_method,
        "has_logo": org.logo_media_type is not None,  # set and cleared with the image, which stays unread
        "signatory_name": org.signatory_name,
        "signatory_position": org.signatory_position,
        "has_signature_image": org.signature_media_type is not None,
        "verified_since": org.verified_at.isoformat() if org.verified_at else None,
    }
    if private:
        view.update(
            contact_email=org.contact_email,
            contact_phone=org.contact_phone,
            address=org.address,
            keys=[key_view(k, view["did"]) for k in service.organisation_keys(session, org)],
        )
    return view


def key_view(key, did: str) -> dict:
    return {
        "id": f"{did}#{key.fragment}",
        "fragment": key.fragment,
        "publicKeyMultibase": key.public_multikey,
        "status": key.status,
        "created": key.created_at.isoformat(),
        "retired": key.retired_at.isoformat() if key.retired_at else None,
        "not_trusted_from": key.compromised_at.isoformat() if key.compromised_at else None,
    }


def visible_organisation(session: Session, slug: str, principal: Principal | None) -> OrganisationRow:
    """Pending organisations are visible only to their members and platform administrators."""
    org = service.get_organisation(session, slug)
    if org.status == "pending" and not (principal and (principal.acts_for(org.id) or principal.is_platform_admin)):
        raise UserError("org.not_found", kind="not_found", slug=slug)
    return org


@router.post("/organisations", status_code=201, tags=["organisations"], summary="Register an organisation")
def register(body: OrganisationRegistration, session: SessionDep, ctx: IssuerContextDep):
    admin = None
    if body.admin is not None:
        admin = service.create_user(session, body.admin.email, body.admin.name, body.admin.password)
    data = OrganisationInput(**body.model_dump(exclude={"admin"}))
    org = service.register_organisation(session, ctx, data, admin=admin)
    return organisation_view(session, org, ctx, private=True)


@router.get("/organisations/{slug}", tags=["organisations"])
def read(slug: str, session: SessionDep, ctx: IssuerContextDep, principal: OptionalPrincipalDep):
    org = visible_organisation(session, slug, principal)
    private = bool(principal and principal.can("organisation.read", org.id))
    return organisation_view(session, org, ctx, private=private)


@router.patch("/organisations/{slug}", tags=["organisations"])
def update(slug: str, body: OrganisationChanges, session: SessionDep, ctx: IssuerContextDep, principal: PrincipalDep):
    org = service.update_organisation(session, principal, slug, body.model_dump(exclude_unset=True))
    return organisation_view(session, org, ctx, private=True)


async def _read_upload(file: UploadFile) -> bytes:
    data = await file.read(MAX_IMAGE_BYTES + 1)
    return data


@router.put("/organisations/{slug}/logo", tags=["organisations"], summary="Upload the logo (PNG, JPEG or SVG)")
async def put_logo(slug: str, session: SessionDep, principal: PrincipalDep, file: UploadFile = File(...)):
    service.set_organisation_image(session, principal, slug, "logo", await _read_upload(file))
    return {"status": "ok"}


@router.put(
    "/organisations/{slug}/signature",
    tags=["organisations"],
    summary="Upload the signatory's signature image (PNG, JPEG or SVG)",
)
async def put_signature(slug: str, session: SessionDep, principal: PrincipalDep, file: UploadFile = File(...)):
    service.set_organisation_image(session, principal, slug, "signature", await _read_upload(file))
    return {"status": "ok"}


def _image_response(data: bytes | None, media_type: str | None, slug: str) -> Response:
    if data is None:
        raise UserError("org.not_found", kind="not_found", slug=slug)
    # An SVG opened directly must not run anything even if sanitising missed something.
    return Response(
        data,
        media_type=media_type,
        headers={
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox",
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "public, max-age=300",
        },
    )


@router.get("/organisations/{slug}/logo", tags=["organisations"])
def get_logo(slug: str, session: SessionDep):
    org = service.get_organisation(session, slug)
    return _image_response(org.logo, org.logo_media_type, slug)


def _status_endpoint(status: str):
    def change_status(slug: str, session: SessionDep, ctx: IssuerContextDep, principal: PrincipalDep):
        org = service.change_status(session, principal, slug, status)
        return organisation_view(session, org, ctx, private=True)

    return change_status


for _action, _status in (("verify", "verified"), ("suspend", "suspended"), ("reinstate", "verified")):
    router.add_api_route(
        f"/organisations/{{slug}}/{_action}",
        _status_endpoint(_status),
        methods=["POST"],
        tags=["platform"],
        name=f"organisation_{_action}",
        summary=f"{_action.capitalize()} an organisation (platform administrators)",
    )


@router.get("/organisations/{slug}/keys", tags=["keys"])
def list_keys(slug: str, session: SessionDep, ctx: IssuerContextDep, principal: PrincipalDep):
    org = service.get_organisation(session, slug)
    principal.require("organisation.read", org.id)
    did = service.organisation_did(org, ctx.base_url)
    return [key_view(k, did) for k in service.organisation_keys(session, org)]


@router.post(
    "/organisations/{slug}/keys/rotate",
    status_code=201,
    tags=["keys"],
    summary="Make a new key active; the old one retires and keeps verifying old credentials",
)
def rotate(slug: str, session: SessionDep, ctx: IssuerContextDep, principal: PrincipalDep):
    key = service.rotate_key(session, principal, ctx, slug)
    return key_view(key, service.organisation_did(service.get_organisation(session, slug), ctx.base_url))


@router.post(
    "/organisations/{slug}/keys/{fragment}/compromise",
    tags=["keys"],
    summary="Mark a key compromised: it stops asserting; signatures from `since` on are untrusted",
)
def compromise(
    slug: str,
    fragment: str,
    session: SessionDep,
    ctx: IssuerContextDep,
    principal: PrincipalDep,
    body: CompromiseReport | None = None,
):
    key = service.mark_key_compromised(
        session, principal, ctx, slug, fragment, in_utc(body.since, "since") if body else None
    )
    return key_view(key, service.organisation_did(service.get_organisation(session, slug), ctx.base_url))


def token_view(row) -> dict:
    return {
        "id": row.id,
        "name": row.name,
        "prefix": row.prefix,
        "scopes": row.scopes,
        "created": row.created_at.isoformat(),
        "expires_at": row.expires_at.isoformat() if row.expires_at else None,
        "revoked_at": row.revoked_at.isoformat() if row.revoked_at else None,
    }


@router.get("/organisations/{slug}/tokens", tags=["tokens"])
def list_tokens(slug: str, session: SessionDep, principal: PrincipalDep):
    return [token_view(row) for row in service.list_tokens(session, principal, slug)]


@router.post(
    "/organisations/{slug}/tokens",
    status_code=201,
    tags=["tokens"],
    summary="Create an API token (the secret is shown only in this response)",
)
def create_token(slug: str, body: TokenRequest, session: SessionDep, principal: PrincipalDep):
    row, secret = service.create_token(session, principal, slug, body.name, body.scopes, token_expiry(body.expires_at))
    return {**token_view(row), "token": secret}


@router.post("/organisations/{slug}/tokens/{token_id}/revoke", tags=["tokens"])
def revoke_token(slug: str, token_id: str, session: SessionDep, principal: PrincipalDep):
    return token_view(service.revoke_token(session, principal, slug, token_id))


@router.post("/organisations/{slug}/members", status_code=201, tags=["members"])
def add_member(slug: str, body: MemberRequest, session: SessionDep, principal: PrincipalDep):
    membership = service.add_member(session, principal, slug, body.email, body.role)
    return {"user_id": membership.user_id, "role": membership.role}


@router.delete("/organisations/{slug}/members/{user_id}", status_code=204, tags=["members"])
def remove_member(slug: str, user_id: str, session: SessionDep, principal: PrincipalDep):
    service.remove_member(session, principal, slug, user_id)
    return Response(status_code=204)


@router.post(
    "/auth/login",
    tags=["auth"],
    summary="Log in; returns a bearer token for 12 hours (after 5 failed "
    "attempts on an account, 429 until the window passes; also throttled per client)",
)
def login(body: LoginRequest, request: Request, session: SessionDep):
    token = service.login_throttled(session, request.app.state.throttle, body.email, body.password)
    return {"token": token, "token_type": "Bearer"}


@router.get("/issuers/{slug}/did.json", tags=["registry"], summary="The organisation's did:web DID document")
def did_json(slug: str, session: SessionDep, ctx: IssuerContextDep):
    org = service.get_organisation(session, slug)
    if org.status == "pending":
        raise UserError("org.not_found", kind="not_found", slug=slug)
    document = service.organisation_did_document(session, org, ctx.base_url)
    return Response(
        content=_json(document),
        media_type="application/did+json",
        headers={"Cache-Control": "public, max-age=300", "Access-Control-Allow-Origin": "*"},
    )


@router.get("/registry", tags=["registry"], summary="The trust registry: verified (and suspended) issuers")
def registry(session: SessionDep, ctx: IssuerContextDep):
    return {"issuers": service.registry(session, ctx.base_url)}


@router.get("/registry/{did:path}", tags=["registry"], summary="One issuer by any of its DIDs")
def registry_entry(did: str, request: Request, session: SessionDep, ctx: IssuerContextDep):
    entry = service.registry_lookup(session, ctx.base_url, did_from_raw_path(request, did))
    if entry is None:
        raise UserError("registry.unknown_did", kind="not_found")
    return entry


def did_from_raw_path(request: Request, decoded: str) -> str:
    """A did:web keeps its port as a literal `%3A`, which path decoding would turn into `:`.

    Take the DID from the undecoded path: decoded once when the client percent-encoded it (`%253A`), as is otherwise.
    """
    from urllib.parse import unquote

    raw = request.scope.get("raw_path", b"").decode("latin-1")
    marker = "/registry/"
    if marker not in raw:
        return decoded
    candidate = raw.split(marker, 1)[1].split("?", 1)[0]
    return unquote(candidate) if "%25" in candidate else candidate


def _json(document: dict) -> bytes:
    import json

    return json.dumps(document, ensure_ascii=False, indent=2).encode()
