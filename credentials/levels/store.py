"""SQLAlchemy tables of recognition levels: schemes and their levels (set by the platform administrator), the levels
awarded (each a level credential the platform signed) with the credentials they counted, and the platform's own
suspension status lists for those credentials."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, ForeignKey, Index, Integer, LargeBinary, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from base.db import Base, UTCDateTime, new_id, utcnow


class LevelSchemeRow(Base):
    __tablename__ = "level_schemes"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    name: Mapped[dict] = mapped_column(JSON)  # language -> the scheme's name
    period: Mapped[str] = mapped_column(String(20))  # lifetime, calendar_year, rolling_12_months
    domains: Mapped[list] = mapped_column(JSON, default=list)  # catalogue domain codes; empty: all
    bonus_note: Mapped[dict] = mapped_column(JSON, default=dict)  # language -> the note on the bonus (optional)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SchemeLevelRow(Base):
    __tablename__ = "scheme_levels"
    __table_args__ = (Index("ix_scheme_levels_scheme", "scheme_id", "threshold"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    scheme_id: Mapped[str] = mapped_column(ForeignKey("level_schemes.id"))
    name: Mapped[dict] = mapped_column(JSON)  # language -> the level's name ("Sudrabs", "Silver")
    threshold: Mapped[Decimal] = mapped_column(Numeric(10, 2))  # hours


class PlatformStatusListRow(Base):
    """A status list of the platform's own (level credentials' suspension), served at `/levels/status/{purpose}/{n}`
    and signed by the platform's key when served after a bit changed."""

    __tablename__ = "platform_status_lists"
    __table_args__ = (UniqueConstraint("purpose", "number"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    purpose: Mapped[str] = mapped_column(String(20))
    number: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(Integer)
    bits: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    order_key: Mapped[bytes] = mapped_column(LargeBinary(16))  # the order indices are given in (shuffled_index)
    allocated_count: Mapped[int] = mapped_column(Integer, default=0)
    # Bumped on every bit change; the signed credential is signed again when it lags behind (when next served).
    version: Mapped[int] = mapped_column(Integer, default=1)
    signed_version: Mapped[int] = mapped_column(Integer, default=0)
    signed_credential: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class LevelAwardRow(Base):
    """A level awarded to a holder: its level credential (the id is the credential's, served at `/v/{id}` like any),
    the hours and the credentials it counted. One per holder, level and period (`period_key`: "lifetime", the year,
    or the rolling window's last day)."""

    __tablename__ = "level_awards"
    __table_args__ = (UniqueConstraint("holder_id", "level_id", "period_key"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    holder_id: Mapped[str] = mapped_column(ForeignKey("holders.id"), index=True)
    scheme_id: Mapped[str] = mapped_column(ForeignKey("level_schemes.id"))
    level_id: Mapped[str] = mapped_column(ForeignKey("scheme_levels.id"))
    period_key: Mapped[str] = mapped_column(String(20))
    hours: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    evidence: Mapped[list] = mapped_column(JSON)  # [{"credential_id", "hours"}] as the credential names them
    document: Mapped[str] = mapped_column(Text)  # the signed JSON, served byte for byte
    language: Mapped[str] = mapped_column(String(2), default="lv")
    status: Mapped[str] = mapped_column(String(20), default="active")  # active or suspended
    # Why suspended: the credential whose revocation or suspension left the evidence under the threshold.
    status_credential_id: Mapped[str | None] = mapped_column(String(32))
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    suspension_list_id: Mapped[str] = mapped_column(ForeignKey("platform_status_lists.id"))
    suspension_index: Mapped[int] = mapped_column(Integer)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class LevelEvidenceRow(Base):
    """Which credentials an award leans on (those counted and their corrections since): a status change of one of
    them finds the awards to recompute through the index."""

    __tablename__ = "level_evidence"
    __table_args__ = (Index("ix_level_evidence_credential", "credential_id"),)

    award_id: Mapped[str] = mapped_column(ForeignKey("level_awards.id"), primary_key=True)
    credential_id: Mapped[str] = mapped_column(ForeignKey("credentials.id"), primary_key=True)
