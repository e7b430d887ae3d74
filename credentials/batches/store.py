"""SQLAlchemy tables of bulk issuance: a batch (one upload) and its rows, each issued in its own transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from base.db import Base, UTCDateTime, new_id, utcnow

# "checked": uploaded from the workspace and waiting for the organiser to start it after reading the check.
BATCH_STATUSES = ("checked", "queued", "running", "done", "cancelled")
ITEM_STATUSES = ("pending", "issued", "skipped", "failed")


class BatchRow(Base):
    __tablename__ = "batches"
    __table_args__ = (Index("ix_batches_org_created", "organisation_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="queued", index=True)
    filename: Mapped[str | None] = mapped_column(String(255))
    rows: Mapped[int] = mapped_column(Integer, default=0)
    valid: Mapped[int] = mapped_column(Integer, default=0)
    # The bad rows of the upload: [{"line", "column", "message_lv", "message_en", "message_ru", "message_uk"}] (rows
    # stored before Russian and Ukrainian have only the first two).
    errors: Mapped[list] = mapped_column(JSON, default=list)
    issued: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(32))
    # A runner renews this after every row; a batch whose runner went quiet (killed) is taken over.
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revocation_reason: Mapped[str | None] = mapped_column(Text)


class BatchItemRow(Base):
    """One valid row of an upload. Its input is kept encrypted only until the row is done (it may hold a
    volunteer's name, e-mail or pseudonym), then erased."""

    __tablename__ = "batch_items"
    __table_args__ = (UniqueConstraint("batch_id", "line"), Index("ix_batch_items_batch_status", "batch_id", "status"))

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    batch_id: Mapped[str] = mapped_column(ForeignKey("batches.id"))
    line: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    payload: Mapped[bytes | None] = mapped_column(LargeBinary)
    record_id: Mapped[str | None] = mapped_column(ForeignKey("records.id"))
    credential_id: Mapped[str | None] = mapped_column(ForeignKey("credentials.id"), index=True)
    error: Mapped[dict | None] = mapped_column(JSON)
