"""SQLAlchemy tables of holders: the holder and the credentials it holds."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from base.db import Base, UTCDateTime, new_id, utcnow


class HolderRow(Base):
    """One volunteer's place. Exactly one of `user_id` (an account signed in by e-mail) and `access_token_hash`
    (a pseudonymous pocket: SHA-256 of its secret link) is set."""

    __tablename__ = "holders"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), unique=True)
    access_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    language: Mapped[str] = mapped_column(String(2), default="lv")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class HeldCredentialRow(Base):
    """A credential the holder confirmed or claimed. The primary key makes a credential held once, by one holder."""

    __tablename__ = "held_credentials"
    __table_args__ = (Index("ix_held_credentials_holder", "holder_id", "claimed_at"),)

    credential_id: Mapped[str] = mapped_column(ForeignKey("credentials.id"), primary_key=True)
    holder_id: Mapped[str] = mapped_column(ForeignKey("holders.id"))
    via: Mapped[str] = mapped_column(String(10))  # "email" (confirmed by the proven address) or "code" (claim code)
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
