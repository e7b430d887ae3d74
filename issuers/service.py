"""The issuers service layer: use cases over the store, each inside the caller's transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import bindparam, case, delete, event, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from base.db import utcnow
from base.errors import UserError
from base.i18n import normalise_language
from base.mail import forget_address, queue_email
from issuers import verification_version  # noqa: F401  (registers the listener that keeps verifiers' caches honest)
from issuers.auth import (
    ORGANISATION_TOKEN_PREFIX,
    SESSION_TOKEN_PREFIX,
    Principal,
    hash_password,
    hash_token,
    new_token,
    normalise_role,
    password_matches,
    validate_scopes,
)
from issuers.did import PublicKeyEntry, did_document, did_web_for, slug_from_did_web
from issuers.images import validate_image
from issuers.keys import decrypt_private_key, encrypt_private_key, generate_key
from issuers.multikey import did_key_document, did_key_for, did_key_verification_method_id
from issuers.municipalities import find_municipality
from issuers.organisations import (
    DID_METHODS,
    EMAIL_RE,
    OrganisationInput,
    field_error,
    normalise_registration_number,
    validate_organisation,
)
from issuers.store import (
    AccountTokenRow,
    ApiTokenRow,
    MembershipRow,
    OrganisationRow,
    SigningKeyRow,
    StewardRow,
    UserRow,
    append_audit,
    new_id,
)
from issuers.throttle import Throttle


@dataclass(frozen=True)
class IssuerContext:
    """What the issuers use cases need from the settings."""

    base_url: str
    kek: bytes


# --- organisations -----------------------------------------------------------------------------------------------


def get_organisation(session: Session, slug: str) -> OrganisationRow:
    row = organisation_by_slug(session, slug)
    if row is None:
        raise UserError("org.not_found", kind="not_found", slug=slug)
    return row


def register_organisation(
    session: Session, ctx: IssuerContext, data: OrganisationInput, admin: UserRow | None = None
) -> OrganisationRow:
    """A new organisation (pending until a platform administrator verifies it) with its first signing key."""
    data = validate_organisation(data)
    if session.scalar(select(OrganisationRow.id).where(OrganisationRow.slug == data.slug)):
        raise UserError("org.slug_taken", kind="conflict", slug=data.slug)
    if session.scalar(
        select(OrganisationRow.id).where(OrganisationRow.registration_number == data.registration_number)
    ):
        raise UserError("org.reg_no_taken", kind="conflict")
    org = OrganisationRow(id=new_id(), status="pending", **vars(data))
    session.add(org)
    session.flush()
    _add_key(session, ctx, org, "key-1")
    if admin is not None:
        session.add(MembershipRow(user_id=admin.id, organisation_id=org.id, role="owner"))
    try:
        session.flush()
    except IntegrityError:
        raise UserError("org.slug_taken", kind="conflict", slug=data.slug) from None
    append_audit(session, "organisation.register", organisation_id=org.id, subject_id=org.id)
    return org


@dataclass(frozen=True)
class AccountInput:
    email: str
    name: str
    password: str


def register_organisation_with_owner(
    session: Session, ctx: IssuerContext, account: AccountInput, data: OrganisationInput
) -> tuple[UserRow, OrganisationRow]:
    """A person's account and their organisation at once (the /register form): every problem of both reported
    together, by field, and nothing written unless all is well."""
    errors: list[dict] = []
    if not account.name.strip():
        errors.append(field_error("name", "account.name_required"))
    if not EMAIL_RE.match(account.email.strip()):
        errors.append(field_error("email", "org.email_format"))
    elif session.scalar(select(UserRow.id).where(UserRow.email == account.email.strip().lower())):
        errors.append(field_error("email", "account.email_registered"))
    if len(account.password) < 10:
        errors.append(field_error("password", "auth.password_too_short"))
    try:
        validate_organisation(data)
    except UserError as error:
        errors.extend(error.errors)
    if errors:
        raise UserError("org.invalid", errors=errors)
    try:
        with session.begin_nested():
            user = create_user(session, account.email, account.name, account.password)
            org = register_organisation(session, ctx, data, admin=user)
    except UserError as error:  # taken meanwhile, or the registration number is registered already
        field = "registration_number" if error.key == "org.reg_no_taken" else "legal_name"
        raise UserError(error.key, kind=error.kind, errors=[field_error(field, error.key, **error.params)]) from None
    return user, org


def update_organisation(session: Session, principal: Principal, slug: str, changes: dict) -> OrganisationRow:
    org = get_organisation(session, slug)
    principal.require("organisation.update", org.id)
    did_method = changes.pop("issuer_did_method", None)
    current = OrganisationInput(**{f: getattr(org, f) for f in OrganisationInput.__dataclass_fields__})
    merged = validate_organisation(
        OrganisationInput(
            **{**vars(current), **changes, "slug": org.slug, "registration_number": org.registration_number}
        )
    )
    for name, value in vars(merged).items():
        setattr(org, name, value)
    if did_method is not None:
        if did_method not in DID_METHODS:
            raise UserError("org.did_method_unknown")
        org.issuer_did_method = did_method
    append_audit(
        session,
        "organisation.update",
        organisation_id=org.id,
        subject_id=org.id,
        principal=principal,
        details={"fields": sorted(changes) + (["issuer_did_method"] if did_method is not None else [])},
    )
    return org


def set_organisation_image(session: Session, principal: Principal, slug: str, which: str, data: bytes | None):
    """Stores (or with None removes) the logo or the signature image after validation."""
    org = get_organisation(session, slug)
    principal.require("organisation.update", org.id)
    image = validate_image(data, which) if data is not None else None
    if which == "logo":
        org.logo, org.logo_media_type = (image.data, image.media_type) if image else (None, None)
    else:
        org.signature_image, org.signature_media_type = (image.data, image.media_type) if image else (None, None)
    append_audit(
        session,
        "organisation.image",
        organisation_id=org.id,
        subject_id=org.id,
        principal=principal,
        details={"image": which, "removed": image is None},
    )
    return org


def change_status(session: Session, principal: Principal, slug: str, status: str) -> OrganisationRow:
    """Platform administrators verify, suspend and reinstate organisations."""
    principal.require("platform.organisations")
    if status not in ("verified", "suspended"):
        raise UserError("org.status_unknown")
    org = get_organisation(session, slug)
    now = utcnow()
    if status == "verified" and org.verified_at is None:
        org.verified_at = now
    previous = org.status
    org.status, org.status_changed_at = status, now
    append_audit(
        session,
        "organisation.status",
        organisation_id=org.id,
        subject_id=org.id,
        principal=principal,
        details={"from": previous, "to": status},
    )
    return org


def verify_now(session: Session, org: OrganisationRow) -> None:
    """Verification without an administrator: for the CLI's one-step `org create`, run by the platform operator."""
    now = utcnow()
    org.status, org.verified_at, org.status_changed_at = "verified", org.verified_at or now, now


# --- keys and DIDs --------------------------------------------------------------------------------------------


def _add_key(session: Session, ctx: IssuerContext, org: OrganisationRow, fragment: str) -> SigningKeyRow:
    new = generate_key()
    key_id = new_id()
    row = SigningKeyRow(
        id=key_id,
        organisation_id=org.id,
        fragment=fragment,
        public_multikey=new.public_multikey,
        encrypted_private_key=encrypt_private_key(new.private_key, ctx.kek, key_id),
        status="active",
    )
    session.add(row)
    session.flush()
    return row


# Reads of the registry (an organisation by slug, its keys) are remembered for the rest of a session's transaction
# while it has nothing unflushed: a verification asks for the same organisation and keys up to four times
# (DID document, key history, registry entry, status lists). Any flush, commit or rollback forgets them.
_MEMO = "issuers.registry_reads"


def _memo(session: Session) -> dict | None:
    if session.new or session.dirty or session.deleted:
        return None  # a query would autoflush these first: let it
    return session.info.setdefault(_MEMO, {})


@event.listens_for(Session, "after_flush")
@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _forget_registry_reads(session: Session, *_args) -> None:
    session.info.pop(_MEMO, None)


def organisation_keys(session: Session, org: OrganisationRow) -> list[SigningKeyRow]:
    memo = _memo(session)
    if memo is not None and ("keys", org.id) in memo:
        return list(memo["keys", org.id])
    keys = list(
        session.scalars(
            select(SigningKeyRow)
            .where(SigningKeyRow.organisation_id == org.id)
            .order_by(SigningKeyRow.created_at, SigningKeyRow.fragment)
        )
    )
    if memo is not None:
        memo["keys", org.id] = tuple(keys)
    return keys


def organisation_by_slug(session: Session, slug: str) -> OrganisationRow | None:
    memo = _memo(session)
    if memo is not None and ("org", slug) in memo:
        return memo["org", slug]
    org = session.scalar(select(OrganisationRow).where(OrganisationRow.slug == slug))
    if memo is not None:
        memo["org", slug] = org
    return org


def rotate_key(session: Session, principal: Principal, ctx: IssuerContext, slug: str) -> SigningKeyRow:
    """A new key becomes active; the old one retires but stays in the DID document, so old credentials verify."""
    org = get_organisation(session, slug)
    principal.require("organisation.keys", org.id)
    keys = organisation_keys(session, org)
    now = utcnow()
    for key in keys:
        if key.status == "active":
            key.status, key.retired_at = "retired", now
    session.flush()
    number = 1 + max((int(k.fragment.split("-")[-1]) for k in keys), default=0)
    key = _add_key(session, ctx, org, f"key-{number}")
    append_audit(session, "key.rotate", organisation_id=org.id, subject_id=key.id, principal=principal)
    return key


def mark_key_compromised(
    session: Session, principal: Principal, ctx: IssuerContext, slug: str, fragment: str, since: datetime | None = None
) -> SigningKeyRow:
    """The key leaves `assertionMethod`; signatures from `since` on are not trusted. An active key is replaced."""
    org = get_organisation(session, slug)
    principal.require("organisation.keys", org.id)
    key = session.scalar(
        select(SigningKeyRow).where(SigningKeyRow.organisation_id == org.id, SigningKeyRow.fragment == fragment)
    )
    if key is None:
        raise UserError("key.not_found", kind="not_found", fragment=fragment)
    now = utcnow()
    since = since or now
    if since.tzinfo is None:
        raise UserError("key.compromised_since_needs_zone")
    if since > now:
        raise UserError("key.compromised_since_future")
    was_active = key.status == "active"
    key.status, key.compromised_at, key.compromise_reported_at = "compromised", since, now
    session.flush()
    if was_active:
        keys = organisation_keys(session, org)
        number = 1 + max(int(k.fragment.split("-")[-1]) for k in keys)
        _add_key(session, ctx, org, f"key-{number}")
    append_audit(
        session,
        "key.compromise",
        organisation_id=org.id,
        subject_id=key.id,
        principal=principal,
        details={"since": since.astimezone(UTC).isoformat()},
    )
    return key


def organisation_did(org: OrganisationRow, base_url: str) -> str:
    return did_web_for(base_url, org.slug)


def organisation_did_document(session: Session, org: OrganisationRow, base_url: str) -> dict:
    keys = [PublicKeyEntry(k.fragment, k.public_multikey, k.status) for k in organisation_keys(session, org)]
    return did_document(organisation_did(org, base_url), keys)


@dataclass(frozen=True)
class SigningIdentity:
    """What a credential is signed with: the issuer DID, the verification method and the private key."""

    issuer_did: str
    verification_method: str
    private_key: Ed25519PrivateKey
    key_row_id: str


# Built once: every issuance runs it.
_ACTIVE_KEY = select(SigningKeyRow).where(
    SigningKeyRow.organisation_id == bindparam("organisation_id"), SigningKeyRow.status == "active"
)


def signing_identity(
    session: Session, ctx: IssuerContext, org: OrganisationRow, maintenance: bool = False
) -> SigningIdentity:
    """The active key and the DID to sign under. Only verified organisations issue; `maintenance` signing (status
    lists of credentials already issued) continues while an organisation is suspended, so revocations still show."""
    if org.status != "verified" and not (maintenance and org.status == "suspended"):
        raise UserError("org.not_verified", kind="forbidden", status=org.status)
    key = session.scalar(_ACTIVE_KEY, {"organisation_id": org.id})
    if key is None:
        raise UserError("key.no_active", kind="conflict")
    private = decrypt_private_key(key.encrypted_private_key, ctx.kek, key.id)
    if org.issuer_did_method == "key":
        did = did_key_for(key.public_multikey)
        method = did_key_verification_method_id(did)
    else:
        did = organisation_did(org, ctx.base_url)
        method = f"{did}#{key.fragment}"
    return SigningIdentity(did, method, private, key.id)


@dataclass(frozen=True)
class KeyRecord:
    """A verification method known to the registry: whose it is and its status."""

    organisation: OrganisationRow
    key: SigningKeyRow


def find_key_by_verification_method(session: Session, base_url: str, method_id: str) -> KeyRecord | None:
    """Looks a verification method (did:web#fragment or did:key#...) up in the registry."""
    did, _, fragment = method_id.partition("#")
    if did.startswith("did:key:"):
        multikey = did[len("did:key:") :]
        key = session.scalar(select(SigningKeyRow).where(SigningKeyRow.public_multikey == multikey))
    else:
        slug = slug_from_did_web(did, base_url)
        org = organisation_by_slug(session, slug) if slug else None
        if org is None:
            return None
        key = next((k for k in organisation_keys(session, org) if k.fragment == fragment), None)
    if key is None:
        return None
    return KeyRecord(session.get(OrganisationRow, key.organisation_id), key)


def resolve_did(session: Session, base_url: str, did: str) -> dict | None:
    """A DID document from the registry (did:web of ours) or computed (did:key); never from the network."""
    did = did.split("#", 1)[0]
    if did.startswith("did:key:"):
        try:
            return did_key_document(did)
        except ValueError:
            return None
    slug = slug_from_did_web(did, base_url)
    org = organisation_by_slug(session, slug) if slug else None
    if org is None:
        return None
    return organisation_did_document(session, org, base_url)


@dataclass(frozen=True)
class KeyFacts:
    """One of an organisation's keys as a verifier sees it."""

    fragment: str
    multikey: str
    status: str  # active, retired or compromised
    compromised_at: datetime | None


@dataclass(frozen=True)
class IssuerMaterial:
    """What verification reads about one organisation: its DID, DID document, registry entry (None while it is
    pending: not in the registry) and keys."""

    organisation_id: str
    slug: str
    did: str
    did_document: dict
    registry_entry: dict | None
    keys: tuple[KeyFacts, ...]


def issuer_material(session: Session, base_url: str, organisation_id: str) -> IssuerMaterial | None:
    org = session.get(OrganisationRow, organisation_id)
    if org is None:
        return None
    keys = organisation_keys(session, org)
    return IssuerMaterial(
        organisation_id=org.id,
        slug=org.slug,
        did=organisation_did(org, base_url),
        did_document=organisation_did_document(session, org, base_url),
        registry_entry=None if org.status == "pending" else registry_entry(session, org, base_url),
        keys=tuple(KeyFacts(k.fragment, k.public_multikey, k.status, k.compromised_at) for k in keys),
    )


def slug_of_signing_key(session: Session, multikey: str) -> str | None:
    """The slug of the organisation a key (its multibase public key) belongs to, if it is one of ours."""
    return session.execute(
        select(OrganisationRow.slug)
        .join(SigningKeyRow, SigningKeyRow.organisation_id == OrganisationRow.id)
        .where(SigningKeyRow.public_multikey == multikey)
    ).scalar()


@dataclass(frozen=True)
class OrganisationProfile:
    """An organisation as the registry names it now (exports' awarding body)."""

    id: str
    did: str
    legal_name: str
    registration_number: str
    address: str | None
    website: str | None


def organisation_profile(session: Session, base_url: str, organisation_id: str) -> OrganisationProfile:
    org = session.get(OrganisationRow, organisation_id)
    if org is None:
        raise UserError("org.not_found", kind="not_found", slug=organisation_id)
    return OrganisationProfile(
        org.id, organisation_did(org, base_url), org.legal_name, org.registration_number, org.address, org.website
    )


# --- trust registry -------------------------------------------------------------------------------------------


def registry_entry(session: Session, org: OrganisationRow, base_url: str) -> dict:
    keys = organisation_keys(session, org)
    did_web = organisation_did(org, base_url)
    active = next((k for k in keys if k.status == "active"), None)
    return {
        "did": did_web,
        "issuer_did": did_key_for(active.public_multikey) if org.issuer_did_method == "key" and active else did_web,
        "dids": [did_web] + [did_key_for(k.public_multikey) for k in keys],
        "slug": org.slug,
        "legal_name": org.legal_name,
        "legal_form": org.legal_form,
        "registration_number": org.registration_number,
        "municipality": org.municipality,
        "website": org.website,
        "status": org.status,
        "verified_since": org.verified_at.isoformat() if org.verified_at else None,
        "status_changed_at": org.status_changed_at.isoformat(),
        "keys": [
            {
                "id": f"{did_web}#{k.fragment}",
                "did_key": did_key_for(k.public_multikey),
                "publicKeyMultibase": k.public_multikey,
                "status": k.status,
                "created": k.created_at.isoformat(),
                "retired": k.retired_at.isoformat() if k.retired_at else None,
                "not_trusted_from": k.compromised_at.isoformat() if k.compromised_at else None,
            }
            for k in keys
        ],
    }


def registry(session: Session, base_url: str, include_suspended: bool = True) -> list[dict]:
    """Organisations that are (or were) verified issuers; pending ones are not listed."""
    statuses = ("verified", "suspended") if include_suspended else ("verified",)
    orgs = session.scalars(
        select(OrganisationRow).where(OrganisationRow.status.in_(statuses)).order_by(OrganisationRow.legal_name)
    )
    return [registry_entry(session, org, base_url) for org in orgs]


def registry_lookup(session: Session, base_url: str, did: str) -> dict | None:
    """The registry entry for a did:web of ours or for the did:key of any of an organisation's keys."""
    did = did.split("#", 1)[0]
    org = None
    if did.startswith("did:key:"):
        key = session.scalar(select(SigningKeyRow).where(SigningKeyRow.public_multikey == did[len("did:key:") :]))
        org = session.get(OrganisationRow, key.organisation_id) if key else None
    else:
        slug = slug_from_did_web(did, base_url)
        if slug:
            org = organisation_by_slug(session, slug)
    if org is None or org.status == "pending":
        return None
    return registry_entry(session, org, base_url)


# --- people, memberships and tokens -----------------------------------------------------------------------------


def create_user(session: Session, email: str, name: str, password: str, platform_admin: bool = False) -> UserRow:
    email = (email or "").strip().lower()
    if "@" not in email:
        raise UserError("org.email_format", errors=[{"field": "email"}])
    if session.scalar(select(UserRow.id).where(UserRow.email == email)):
        raise UserError("user.email_taken", kind="conflict")
    user = UserRow(
        id=new_id(),
        email=email,
        name=name.strip() or email,
        password_hash=hash_password(password),
        is_platform_admin=platform_admin,
    )
    session.add(user)
    session.flush()
    return user


def add_member(session: Session, principal: Principal, slug: str, email: str, role: str) -> MembershipRow:
    org = get_organisation(session, slug)
    principal.require("organisation.members", org.id)
    role = normalise_role(role)
    user = session.scalar(select(UserRow).where(UserRow.email == email.strip().lower()))
    if user is None:
        raise UserError("user.not_found", kind="not_found")
    membership = session.scalar(
        select(MembershipRow).where(MembershipRow.user_id == user.id, MembershipRow.organisation_id == org.id)
    )
    if membership is None:
        membership = MembershipRow(user_id=user.id, organisation_id=org.id, role=role)
        session.add(membership)
    else:
        _keep_an_owner(session, org.id, membership, role)
        membership.role = role
    session.flush()
    append_audit(
        session, "member.role", organisation_id=org.id, subject_id=user.id, principal=principal, details={"role": role}
    )
    return membership


def remove_member(session: Session, principal: Principal, slug: str, user_id: str) -> None:
    org = get_organisation(session, slug)
    principal.require("organisation.members", org.id)
    membership = session.scalar(
        select(MembershipRow).where(MembershipRow.user_id == user_id, MembershipRow.organisation_id == org.id)
    )
    if membership is None:
        raise UserError("user.not_found", kind="not_found")
    _keep_an_owner(session, org.id, membership, None)
    session.delete(membership)
    session.flush()
    append_audit(session, "member.remove", organisation_id=org.id, subject_id=user_id, principal=principal)


def _keep_an_owner(session: Session, organisation_id: str, membership: MembershipRow, new_role: str | None) -> None:
    """Refuses to remove or demote the organisation's last owner (someone must be able to manage it)."""
    if membership.role != "owner" or new_role == "owner":
        return
    owners = session.scalar(
        select(func.count())
        .select_from(MembershipRow)
        .where(MembershipRow.organisation_id == organisation_id, MembershipRow.role == "owner")
    )
    if owners <= 1:
        raise UserError("user.last_admin", kind="conflict")


def change_member_role(session: Session, principal: Principal, slug: str, user_id: str, role: str) -> MembershipRow:
    """Gives a member another role (never leaving the organisation without an owner)."""
    org = get_organisation(session, slug)
    principal.require("organisation.members", org.id)
    role = normalise_role(role)
    membership = session.scalar(
        select(MembershipRow).where(MembershipRow.user_id == user_id, MembershipRow.organisation_id == org.id)
    )
    if membership is None:
        raise UserError("user.not_found", kind="not_found")
    _keep_an_owner(session, org.id, membership, role)
    membership.role = role
    session.flush()
    append_audit(
        session, "member.role", organisation_id=org.id, subject_id=user_id, principal=principal, details={"role": role}
    )
    return membership


@dataclass(frozen=True)
class Member:
    user_id: str
    name: str
    email: str
    role: str
    since: datetime


def list_members(session: Session, principal: Principal, slug: str) -> list[Member]:
    org = get_organisation(session, slug)
    principal.require("organisation.read", org.id)
    rows = session.execute(
        select(UserRow.id, UserRow.name, UserRow.email, MembershipRow.role, MembershipRow.created_at)
        .join(MembershipRow, MembershipRow.user_id == UserRow.id)
        .where(MembershipRow.organisation_id == org.id)
        .order_by(UserRow.name, UserRow.email)
    ).all()
    return [Member(*row) for row in rows]


def issue_organisation_token(
    session: Session,
    org: OrganisationRow,
    name: str,
    scopes: list[str] | None = None,
    expires_at: datetime | None = None,
    created_by: str | None = None,
) -> tuple[ApiTokenRow, str]:
    """A new API token; the secret is returned once and only its hash is stored."""
    if expires_at is not None and expires_at <= utcnow():
        raise UserError("token.expiry_past")
    secret = new_token(ORGANISATION_TOKEN_PREFIX)
    row = ApiTokenRow(
        id=new_id(),
        token_hash=hash_token(secret),
        prefix=secret[:10],
        name=(name or "API")[:120],
        kind="organisation",
        organisation_id=org.id,
        scopes=list(validate_scopes(scopes)),
        expires_at=expires_at,
        created_by=created_by,
    )
    session.add(row)
    session.flush()
    return row, secret


def create_token(
    session: Session, principal: Principal, slug: str, name: str, scopes: list[str] | None, expires_at: datetime | None
) -> tuple[ApiTokenRow, str]:
    org = get_organisation(session, slug)
    principal.require("organisation.tokens", org.id)
    row, secret = issue_organisation_token(session, org, name, scopes, expires_at, created_by=principal.user_id)
    append_audit(
        session,
        "token.create",
        organisation_id=org.id,
        subject_id=row.id,
        principal=principal,
        details={"scopes": list(row.scopes)},
    )
    return row, secret


def list_tokens(session: Session, principal: Principal, slug: str) -> list[ApiTokenRow]:
    org = get_organisation(session, slug)
    principal.require("organisation.tokens", org.id)
    return list(
        session.scalars(
            select(ApiTokenRow)
            .where(ApiTokenRow.organisation_id == org.id, ApiTokenRow.kind == "organisation")
            .order_by(ApiTokenRow.created_at)
        )
    )


def revoke_token(session: Session, principal: Principal, slug: str, token_id: str) -> ApiTokenRow:
    org = get_organisation(session, slug)
    principal.require("organisation.tokens", org.id)
    row = session.get(ApiTokenRow, token_id)
    if row is None or row.organisation_id != org.id:
        raise UserError("token.not_found", kind="not_found")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        append_audit(session, "token.revoke", organisation_id=org.id, subject_id=row.id, principal=principal)
    return row


def login(session: Session, email: str, password: str, hours: int = 12) -> str:
    user = session.scalar(select(UserRow).where(UserRow.email == (email or "").strip().lower()))
    if user is None or user.disabled_at is not None or not password_matches(user.password_hash, password):
        raise UserError("auth.login_failed", kind="unauthorised")
    return start_session(session, user, hours)


def start_session(session: Session, user: UserRow, hours: int = 12) -> str:
    """A new login session for `user`: its secret (a bearer token, or the workspace's cookie)."""
    secret = new_token(SESSION_TOKEN_PREFIX)
    session.add(
        ApiTokenRow(
            id=new_id(),
            token_hash=hash_token(secret),
            prefix=secret[:10],
            name="session",
            kind="session",
            user_id=user.id,
            scopes=[],
            expires_at=utcnow() + timedelta(hours=hours),
        )
    )
    session.flush()
    return secret


def login_throttled(session: Session, throttle: Throttle, email: str, password: str) -> str:
    """`login`, with failed attempts counted per account, whoever guesses: once they are used up even the right
    password waits (else guessing would go on until it succeeds). Per client: volcred/public_limits.py."""
    account = (email or "").strip().lower()
    throttle.check("login_account", account, "auth.too_many_attempts")
    try:
        return login(session, email, password)
    except UserError as error:
        if error.key == "auth.login_failed":
            throttle.hit("login_account", account, "auth.too_many_attempts")
        raise


LAST_USE_PRECISION = timedelta(minutes=5)


def authenticate(session: Session, bearer: str | None) -> Principal | None:
    """The principal behind a bearer token, or None when it is unknown, expired or revoked."""
    return authenticate_with_organisation(session, bearer)[0]


# Built once: every authenticated request runs it.
_TOKEN_WITH_ORGANISATION = (
    select(ApiTokenRow, OrganisationRow)
    .outerjoin(OrganisationRow, OrganisationRow.id == ApiTokenRow.organisation_id)
    .where(ApiTokenRow.token_hash == bindparam("token_hash"))
)


def authenticate_with_organisation(
    session: Session, bearer: str | None
) -> tuple[Principal | None, OrganisationRow | None]:
    """`authenticate`, and for an organisation's token that organisation too, read in the same statement (the
    caller usually needs it next)."""
    if not bearer:
        return None, None
    found = session.execute(_TOKEN_WITH_ORGANISATION, {"token_hash": hash_token(bearer)}).one_or_none()
    if found is None:
        return None, None
    row, org = found
    now = utcnow()
    if row.revoked_at is not None or (row.expires_at is not None and row.expires_at <= now):
        return None, None
    if row.kind == "organisation":
        if org is None:
            return None, None
        if row.last_used_at is None or row.last_used_at < now - LAST_USE_PRECISION:
            row.last_used_at = now  # what the settings page shows; written at most every few minutes per token
        return Principal(kind="token", token_id=row.id, organisation_id=org.id, scopes=tuple(row.scopes or ())), org
    user = session.get(UserRow, row.user_id)
    if user is None or user.disabled_at is not None:
        return None, None
    roles = dict(
        session.execute(
            select(MembershipRow.organisation_id, MembershipRow.role).where(MembershipRow.user_id == user.id)
        ).all()
    )
    principal = Principal(
        kind="user", token_id=row.id, user_id=user.id, is_platform_admin=user.is_platform_admin, roles=roles
    )
    return principal, None


def logout(session: Session, token: str | None) -> None:
    """Ends a login session (its token stops working at once)."""
    if not token:
        return
    row = session.scalar(select(ApiTokenRow).where(ApiTokenRow.token_hash == hash_token(token)))
    if row is not None and row.kind == "session" and row.revoked_at is None:
        row.revoked_at = utcnow()


@dataclass(frozen=True)
class Membership:
    """An organisation a person belongs to, with their role there."""

    organisation_id: str
    slug: str
    name: str
    status: str
    role: str


def user_memberships(session: Session, user_id: str) -> list[Membership]:
    rows = session.execute(
        select(
            OrganisationRow.id,
            OrganisationRow.slug,
            OrganisationRow.legal_name,
            OrganisationRow.status,
            MembershipRow.role,
        )
        .join(MembershipRow, MembershipRow.organisation_id == OrganisationRow.id)
        .where(MembershipRow.user_id == user_id)
        .order_by(OrganisationRow.legal_name)
    ).all()
    return [Membership(*row) for row in rows]


# --- one-time links by e-mail: password reset and invitations to join an organisation ----------------------------

PASSWORD_RESET_VALIDITY = timedelta(hours=1)
INVITATION_VALIDITY = timedelta(days=7)
PASSWORD_RESET = "password_reset"
MEMBER_INVITATION = "member_invitation"


def _new_account_token(session: Session, purpose: str, email: str, validity: timedelta, **fields) -> tuple[str, str]:
    """A one-time link's secret (returned once; only its hash is kept) and the row's id."""
    secret = new_token("vca_")
    row = AccountTokenRow(
        id=new_id(),
        purpose=purpose,
        token_hash=hash_token(secret),
        email=email,
        expires_at=utcnow() + validity,
        **fields,
    )
    session.add(row)
    session.flush()
    return secret, row.id


def account_token(session: Session, purpose: str, secret: str) -> AccountTokenRow:
    """The unused, unexpired link of `purpose` behind `secret`; otherwise one and the same error, whatever the
    reason (unknown, used, expired), so a link cannot be probed."""
    row = session.scalar(
        select(AccountTokenRow).where(
            AccountTokenRow.token_hash == hash_token(secret or ""), AccountTokenRow.purpose == purpose
        )
    )
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        raise UserError(f"account.{purpose}_link_invalid", kind="not_found")
    return row


def request_password_reset(session: Session, throttle: Throttle, email: str, language: str, base_url: str) -> None:
    """Sends a reset link to `email` if it belongs to an account; says nothing either way (the page answers the
    same), so nobody learns which addresses have accounts. Counted per address like failed sign-ins."""
    account = (email or "").strip().lower()
    throttle.hit("login_account", f"reset:{account}", "auth.too_many_attempts")
    user = session.scalar(select(UserRow).where(UserRow.email == account))
    if user is None or user.disabled_at is not None:
        return
    secret, token_id = _new_account_token(session, PASSWORD_RESET, user.email, PASSWORD_RESET_VALIDITY, user_id=user.id)
    queue_email(
        session,
        to=user.email,
        template="issuers/password_reset",
        language=language,
        context={"name": user.name, "link": f"{base_url}/password/reset/{secret}", "hours": 1},
        kind=PASSWORD_RESET,
        dedupe_key=f"{PASSWORD_RESET}:{token_id}",
    )


def reset_password(session: Session, secret: str, password: str) -> UserRow:
    """Sets a new password through a reset link (used once) and ends every session of the account."""
    row = account_token(session, PASSWORD_RESET, secret)
    user = session.get(UserRow, row.user_id)
    if user is None or user.disabled_at is not None:
        raise UserError("account.password_reset_link_invalid", kind="not_found")
    user.password_hash = hash_password(password)
    row.used_at = utcnow()
    end_sessions(session, user.id)
    append_audit(session, "account.password_reset", subject_id=user.id)
    return user


SIGN_IN = "sign_in"
SIGN_IN_VALIDITY = timedelta(minutes=30)


def request_sign_in_link(session: Session, throttle: Throttle, email: str, language: str, base_url: str) -> None:
    """E-mails a one-time sign-in link (30 minutes, used once) to `email`, whether or not it has an account yet:
    following the link proves the address, and makes the account on first use. The page answers the same either
    way. Counted per address like failed sign-ins; an earlier link keeps working until it expires or is used."""
    account = (email or "").strip().lower()
    if "@" not in account or len(account) > 254:
        raise UserError("org.email_format", errors=[{"field": "email"}])
    throttle.hit("login_account", f"link:{account}", "auth.too_many_attempts")
    user = session.scalar(select(UserRow).where(UserRow.email == account))
    if user is not None and user.disabled_at is not None:
        return
    secret, token_id = _new_account_token(
        session, SIGN_IN, account, SIGN_IN_VALIDITY, user_id=user.id if user is not None else None
    )
    queue_email(
        session,
        to=account,
        template="issuers/sign_in_link",
        language=language,
        context={"link": f"{base_url}/login/link/{secret}?lang={normalise_language(language)}", "minutes": 30},
        kind=SIGN_IN,
        dedupe_key=f"{SIGN_IN}:{token_id}",
    )


def sign_in_by_link(session: Session, secret: str) -> UserRow:
    """Uses a sign-in link once: the account of its address (made now, without a name or password, when the
    address has none yet). The link itself is the proof of the address."""
    row = account_token(session, SIGN_IN, secret)
    row.used_at = utcnow()
    user = session.scalar(select(UserRow).where(UserRow.email == row.email))
    if user is None:
        user = UserRow(id=new_id(), email=row.email, name="", password_hash=None)
        session.add(user)
        session.flush()
        append_audit(session, "account.create", subject_id=user.id)
    elif user.disabled_at is not None:
        raise UserError("account.sign_in_link_invalid", kind="not_found")
    append_audit(session, "account.sign_in_link", subject_id=user.id)
    return user


def remove_user(session: Session, user: UserRow) -> None:
    """Erases a person's account: their sessions, one-time links, outgoing e-mail and the user row itself (e-mail,
    name, password). Someone still in an organisation leaves it first (an organisation keeps an owner). What else
    refers to the account (a volunteer's holder) is the caller's to remove first, in the same transaction."""
    if user_memberships(session, user.id):
        raise UserError("account.remove_memberships", kind="conflict")
    email = user.email
    session.execute(delete(ApiTokenRow).where(ApiTokenRow.user_id == user.id))
    session.execute(
        delete(AccountTokenRow).where(or_(AccountTokenRow.user_id == user.id, AccountTokenRow.email == email))
    )
    forget_address(session, email)
    append_audit(session, "account.remove", subject_id=user.id)
    session.delete(user)
    session.flush()


def end_sessions(session: Session, user_id: str, keep: str | None = None) -> None:
    """Ends every login session of the account except `keep` (the secret of the one in use, if any)."""
    kept = hash_token(keep) if keep else None
    now = utcnow()
    for token in session.scalars(
        select(ApiTokenRow).where(
            ApiTokenRow.user_id == user_id, ApiTokenRow.kind == "session", ApiTokenRow.revoked_at.is_(None)
        )
    ):
        if token.token_hash != kept:
            token.revoked_at = now


def invite_member(
    session: Session, principal: Principal, slug: str, email: str, role: str, language: str, base_url: str
) -> None:
    """Sends `email` a link to join the organisation with `role` (valid for a week, used once)."""
    org = get_organisation(session, slug)
    principal.require("organisation.members", org.id)
    role = normalise_role(role)
    address = (email or "").strip().lower()
    if not EMAIL_RE.match(address):
        raise UserError("org.email_format", errors=[{"field": "email"}])
    inviter = session.get(UserRow, principal.user_id) if principal.user_id else None
    secret, token_id = _new_account_token(
        session,
        MEMBER_INVITATION,
        address,
        INVITATION_VALIDITY,
        organisation_id=org.id,
        role=role,
        created_by=principal.user_id or principal.token_id,
    )
    queue_email(
        session,
        to=address,
        template="issuers/member_invitation",
        language=language,
        context={
            "organisation": org.legal_name,
            "inviter": inviter.name if inviter else org.legal_name,
            "role": role,
            "link": f"{base_url}/invitations/member/{secret}",
            "days": INVITATION_VALIDITY.days,
        },
        kind=MEMBER_INVITATION,
        dedupe_key=f"{MEMBER_INVITATION}:{token_id}",
    )
    append_audit(
        session,
        "member.invite",
        organisation_id=org.id,
        subject_id=token_id,
        principal=principal,
        details={"role": role},
    )


@dataclass(frozen=True)
class Invitation:
    email: str
    role: str
    organisation: OrganisationRow
    has_account: bool


def open_invitation(session: Session, secret: str) -> Invitation:
    row = account_token(session, MEMBER_INVITATION, secret)
    org = session.get(OrganisationRow, row.organisation_id)
    if org is None or row.role is None:
        raise UserError("account.member_invitation_link_invalid", kind="not_found")
    known = session.scalar(select(UserRow.id).where(UserRow.email == row.email)) is not None
    return Invitation(row.email, row.role, org, known)


def accept_invitation(session: Session, secret: str, user: UserRow) -> MembershipRow:
    """The signed-in person joins with the invitation's role (the link is the proof: it went to the address the
    owner chose). Someone already a member gets the invitation's role, unless that would leave no owner."""
    row = account_token(session, MEMBER_INVITATION, secret)
    row.used_at = utcnow()
    membership = session.scalar(
        select(MembershipRow).where(
            MembershipRow.user_id == user.id, MembershipRow.organisation_id == row.organisation_id
        )
    )
    if membership is None:
        membership = MembershipRow(user_id=user.id, organisation_id=row.organisation_id, role=row.role)
        session.add(membership)
    else:
        _keep_an_owner(session, membership.organisation_id, membership, row.role)
        membership.role = row.role or membership.role
    session.flush()
    append_audit(
        session, "member.join", organisation_id=row.organisation_id, subject_id=user.id, details={"role": row.role}
    )
    return membership


def accept_invitation_with_new_account(session: Session, secret: str, name: str, password: str) -> UserRow:
    """An invitee without an account creates one (with the invited address) and joins."""
    row = account_token(session, MEMBER_INVITATION, secret)
    if not (name or "").strip():
        raise UserError("account.name_required", errors=[{"field": "name"}])
    user = create_user(session, row.email, name, password)
    accept_invitation(session, secret, user)
    return user


# --- the platform administrator's list of organisations ------------------------------------------------------------


@dataclass(frozen=True)
class OrganisationPage:
    rows: list[OrganisationRow]
    total: int
    waiting: int


def list_organisations(
    session: Session, principal: Principal, query: str = "", page: int = 1, per_page: int = 25
) -> OrganisationPage:
    """Every organisation, those waiting for verification first, then by name; `query` finds a name or a
    registration number."""
    principal.require("platform.organisations")
    condition = OrganisationRow.id.is_not(None)
    words = (query or "").strip()
    if words:
        pattern = f"%{words.lower()}%"
        condition = func.lower(OrganisationRow.legal_name).like(pattern)
        number = normalise_registration_number(words)
        if number.isdigit():
            condition = condition | OrganisationRow.registration_number.like(f"%{number}%")
    total = session.scalar(select(func.count()).select_from(OrganisationRow).where(condition)) or 0
    waiting = (
        session.scalar(select(func.count()).select_from(OrganisationRow).where(OrganisationRow.status == "pending"))
        or 0
    )
    pending_first = case((OrganisationRow.status == "pending", 0), else_=1)
    rows = list(
        session.scalars(
            select(OrganisationRow)
            .where(condition)
            .order_by(pending_first, OrganisationRow.legal_name, OrganisationRow.id)
            .offset((max(page, 1) - 1) * per_page)
            .limit(per_page)
        )
    )
    return OrganisationPage(rows, total, waiting)


def change_password(session: Session, user: UserRow, current: str, new: str, keep_session: str | None) -> None:
    """A signed-in person's new password (the current one proves it is them); their other sessions end."""
    if not password_matches(user.password_hash, current or ""):
        raise UserError(
            "account.current_password_wrong", errors=[field_error("current_password", "account.current_password_wrong")]
        )
    user.password_hash = hash_password(new)
    end_sessions(session, user.id, keep=keep_session)
    append_audit(session, "account.password_change", subject_id=user.id)


# --- stewards of municipalities -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Steward:
    user_id: str
    email: str
    name: str
    municipality: str
    granted_at: datetime


def list_stewards(session: Session, principal: Principal) -> list[Steward]:
    """Every steward, by municipality then e-mail (platform administrators only)."""
    principal.require("platform.admins")
    rows = session.execute(
        select(StewardRow.user_id, UserRow.email, UserRow.name, StewardRow.municipality, StewardRow.granted_at)
        .join(UserRow, UserRow.id == StewardRow.user_id)
        .order_by(StewardRow.municipality, UserRow.email)
    )
    return [Steward(*row) for row in rows]


def grant_steward(session: Session, principal: Principal, email: str, municipality: str) -> StewardRow:
    """Makes the user with this e-mail a steward of the municipality: they see the volunteering in its territory
    across organisations. Audited; granting what is granted already is refused."""
    principal.require("platform.admins")
    errors = []
    user = session.scalar(select(UserRow).where(UserRow.email == (email or "").strip().lower()))
    if user is None:
        errors.append(field_error("email", "steward.user_unknown"))
    place = find_municipality(municipality)
    if place is None:
        errors.append(field_error("municipality", "org.municipality_unknown", value=municipality))
    if errors:
        raise UserError("steward.invalid", errors=errors)
    assert user is not None and place is not None
    if session.get(StewardRow, (user.id, place.code)) is not None:
        raise UserError("steward.already", kind="conflict", errors=[field_error("email", "steward.already")])
    row = StewardRow(user_id=user.id, municipality=place.code, granted_by=principal.user_id)
    session.add(row)
    append_audit(
        session, "steward.grant", subject_id=user.id, principal=principal, details={"municipality": place.code}
    )
    return row


def revoke_steward(session: Session, principal: Principal, user_id: str, municipality: str) -> None:
    principal.require("platform.admins")
    row = session.get(StewardRow, (user_id, municipality))
    if row is None:
        raise UserError("steward.not_found", kind="not_found")
    session.delete(row)
    append_audit(
        session, "steward.revoke", subject_id=user_id, principal=principal, details={"municipality": municipality}
    )


def steward_municipalities(session: Session, user_id: str) -> list[str]:
    """The municipalities the user is steward of (codes)."""
    return list(
        session.scalars(
            select(StewardRow.municipality).where(StewardRow.user_id == user_id).order_by(StewardRow.municipality)
        )
    )
