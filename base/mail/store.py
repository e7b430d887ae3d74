"""The outbox table: one row per e-mail, written in the transaction of the event it tells of, sent later.

A row is `pending` until the SMTP server accepts it (`sent`) or the sender gives up (`failed`, kept and visible).
A sender claims a row for `lease` seconds before talking to the server (`leased_until`, `lease_owner`), so two
processes never send it at the same time; a row whose sender died is taken up again when its lease has passed.
`last_error` holds the error's kind and SMTP code only, never the server's text (it may quote the address).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from base.db import Base, UTCDateTime, utcnow

STATUSES = ("pending", "sent", "failed")


def new_message_id() -> str:
    return uuid.uuid4().hex


class OutboxRow(Base):
    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_message_id)
    # What the message is about (e.g. "password_reset", "invitation"), for the operator's list; never personal.
    kind: Mapped[str] = mapped_column(String(64))
    # Queuing a second message with the same key is a no-op (e.g. "invitation:<id>").
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    recipient: Mapped[str] = mapped_column(String(320))
    language: Mapped[str] = mapped_column(String(16))
    template: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(Text)
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    leased_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    last_error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
