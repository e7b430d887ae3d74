"""SQLAlchemy table of the exports: the platform's own signing keys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from base.db import Base, UTCDateTime, new_id, utcnow


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
