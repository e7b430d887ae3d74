"""SQLAlchemy tables of wallet offers: one OID4VCI credential offer, its pre-authorized code and access token."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from base.db import Base, UTCDateTime, new_id, utcnow


class WalletOfferRow(Base):
    """A credential offer for one credential. The pre-authorized code and the access token it is exchanged for are
    stored only as SHA-256 hashes; each is used once (`used_at`, then `delivered_at`) and expires."""

    __tablename__ = "wallet_offers"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    credential_id: Mapped[str] = mapped_column(ForeignKey("credentials.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    access_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    token_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
