"""SQLAlchemy table of the hours log: one row per session a volunteer logged."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Date, ForeignKey, Index, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from base.db import Base, UTCDateTime, new_id, utcnow


class LogSessionRow(Base):
    """A session in a holder's private log. Exactly one of `organisation_id` (a registered organisation) and
    `organisation_name` (free text) is set. `statement_record_id`: the statement it was sent in; a sent session no
    longer changes."""

    __tablename__ = "log_sessions"
    __table_args__ = (
        # The log, newest first, and the day's total (at most 24 hours).
        Index("ix_log_sessions_holder_day", "holder_id", "worked_on", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    holder_id: Mapped[str] = mapped_column(ForeignKey("holders.id"))
    organisation_id: Mapped[str | None] = mapped_column(ForeignKey("organisations.id"))
    organisation_name: Mapped[str | None] = mapped_column(String(300))
    worked_on: Mapped[date] = mapped_column(Date)
    hours: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    activity: Mapped[str] = mapped_column(String(1000))
    competences: Mapped[list] = mapped_column(JSON, default=list)  # ESCO URIs from the catalogue
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    statement_record_id: Mapped[str | None] = mapped_column(ForeignKey("records.id"), index=True)
