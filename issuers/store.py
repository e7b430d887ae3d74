"""SQLAlchemy tables of the issuers package: organisations, their keys, accounts, memberships and tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from base.db import Base, UTCDateTime, new_id, utcnow


class OrganisationRow(Base):
    __tablename__ = "organisations"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    legal_name: Mapped[str] = mapped_column(String(300))
    legal_form: Mapped[str] = mapped_column(String(40))
    registration_number: Mapped[str] = mapped_column(String(20), unique=True)
    municipality: Mapped[str] = mapped_column(String(40))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    website: Mapped[str | None] = mapped_column(String(300))
    address: Mapped[str | None] = mapped_column(String(300))
    logo: Mapped[bytes | None] = mapped_column(LargeBinary)
    logo_media_type: Mapped[str | None] = mapped_column(String(40))
    signatory_name: Mapped[str | None] = mapped_column(String(200))
    signatory_position: Mapped[str | None] = mapped_column(String(200))
    signature_image: Mapped[bytes | None] = mapped_column(LargeBinary)
    signature_media_type: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    # "web" issues under did:web (resolved from our registry), "key" under the active key's did:key.
    issuer_did_method: Mapped[str] = mapped_column(String(10), default="web")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Raised whenever something a verifier reads about this organisation changes (its registry entry, its keys, its
    # status lists' bits): verifiers keep what they read per version (issuers.verification_version).
    verification_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    keys: Mapped[list[SigningKeyRow]] = relationship(back_populates="organisation", order_by="SigningKeyRow.created_at")


class SigningKeyRow(Base):
    __tablename__ = "signing_keys"
    __table_args__ = (UniqueConstraint("organisation_id", "fragment"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    # The verification method's fragment in the did:web document: "key-1", "key-2", ...
    fragment: Mapped[str] = mapped_column(String(40))
    algorithm: Mapped[str] = mapped_column(String(20), default="Ed25519")
    public_multikey: Mapped[str] = mapped_column(String(120), unique=True)
    # AES-GCM nonce || ciphertext of the raw private key; the key id is the associated data.
    encrypted_private_key: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(20), default="active")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # From this moment on, signatures by this key are not to be trusted.
    compromised_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    compromise_reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    organisation: Mapped[OrganisationRow] = relationship(back_populates="keys")


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # None: no password (a volunteer who signs in by e-mailed links); a password sign-in then always fails.
    password_hash: Mapped[str | None] = mapped_column(String(200))
    is_platform_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class MembershipRow(Base):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "organisation_id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))  # issuers.auth.ROLES: "owner", "coordinator" or "viewer"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class StewardRow(Base):
    """A user a platform administrator made steward of a municipality: they see the volunteering in its territory
    across organisations (the view a municipality's own organisation has)."""

    __tablename__ = "stewards"

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), primary_key=True)
    municipality: Mapped[str] = mapped_column(String(40), primary_key=True)
    granted_by: Mapped[str | None] = mapped_column(String(32))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ApiTokenRow(Base):
    """A bearer token: an organisation's API token, or a user's session after login. Stored only as a hash."""

    __tablename__ = "api_tokens"
    __table_args__ = (Index("ix_api_tokens_token_hash", "token_hash", unique=True),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    token_hash: Mapped[str] = mapped_column(String(64))
    # The first characters, so people can tell tokens apart without the secret.
    prefix: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20))  # "organisation" or "session"
    organisation_id: Mapped[str | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), index=True)
    scopes: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)


class AccountTokenRow(Base):
    """A one-time link sent by e-mail: a password reset, or an invitation to join an organisation with a role.
    Stored only as a hash; used once, and only until it expires."""

    __tablename__ = "account_tokens"
    __table_args__ = (Index("ix_account_tokens_token_hash", "token_hash", unique=True),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    purpose: Mapped[str] = mapped_column(String(30))  # "password_reset", "member_invitation" or "sign_in"
    token_hash: Mapped[str] = mapped_column(String(64))
    email: Mapped[str] = mapped_column(String(254))
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), index=True)
    organisation_id: Mapped[str | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    role: Mapped[str | None] = mapped_column(String(20))
    created_by: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
