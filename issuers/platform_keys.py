"""The platform's own signing keys (table and use cases): what signs documents the service itself vouches for (the
CLR bundles, recognition level credentials)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import LargeBinary, String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from base.db import Base, UTCDateTime, new_id, utcnow
from base.errors import UserError
from issuers.did import PublicKeyEntry
from issuers.keys import decrypt_private_key, encrypt_private_key, generate_key
from issuers.platform import platform_did, platform_did_document
from issuers.service import IssuerContext, SigningIdentity


class PlatformKeyRow(Base):
    """An Ed25519 key of the platform's did:web. Never deleted: documents it signed keep verifying."""

    __tablename__ = "platform_keys"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    # The verification method's fragment in the platform's DID document: "key-1", ...
    fragment: Mapped[str] = mapped_column(String(40), unique=True)
    algorithm: Mapped[str] = mapped_column(String(20), default="Ed25519")
    public_multikey: Mapped[str] = mapped_column(String(120), unique=True)
    # AES-GCM nonce || ciphertext of the raw private key under the settings' KEK; the key id is the associated data.
    encrypted_private_key: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(20), default="active")  # active or retired
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


def platform_keys(session: Session) -> list[PlatformKeyRow]:
    return list(session.scalars(select(PlatformKeyRow).order_by(PlatformKeyRow.created_at, PlatformKeyRow.fragment)))


def ensure_platform_key(session: Session, ctx: IssuerContext) -> PlatformKeyRow:
    """The platform's active key, made on first use. Two first uses at once: one insert wins, the other reads it."""
    for _ in range(3):
        key = session.scalar(select(PlatformKeyRow).where(PlatformKeyRow.status == "active"))
        if key is not None:
            return key
        new = generate_key()
        key_id = new_id()
        row = PlatformKeyRow(
            id=key_id,
            fragment=f"key-{len(platform_keys(session)) + 1}",
            public_multikey=new.public_multikey,
            encrypted_private_key=encrypt_private_key(new.private_key, ctx.kek, key_id),
        )
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
            return row
        except IntegrityError:
            continue
    raise UserError("key.no_active", kind="conflict")


def platform_document(session: Session, ctx: IssuerContext, *, create: bool) -> dict | None:
    """The platform's DID document; None when it has no key yet and `create` is false (the verifier never writes)."""
    if create:
        ensure_platform_key(session, ctx)
    keys = platform_keys(session)
    if not keys:
        return None
    return platform_did_document(ctx.base_url, [PublicKeyEntry(k.fragment, k.public_multikey, k.status) for k in keys])


def platform_signing_identity(session: Session, ctx: IssuerContext) -> SigningIdentity:
    key = ensure_platform_key(session, ctx)
    did = platform_did(ctx.base_url)
    return SigningIdentity(
        did, f"{did}#{key.fragment}", decrypt_private_key(key.encrypted_private_key, ctx.kek, key.id), key.id
    )
