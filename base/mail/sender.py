"""Sending the outbox: a background thread (started with the application) and `send_due()` for the CLI.

Each round claims due messages for a lease (one short transaction: `attempts + 1`, `leased_until`, `lease_owner`;
on PostgreSQL the rows another sender is claiming are skipped), opens one SMTP connection for them, and settles each
message in its own transaction right after the server answered for it: `sent` once the server accepted it; on an
error, back to `pending` with `next_attempt_at` after an exponential backoff with jitter, or `failed` when the server
refused the recipient for good (5xx), after `max_attempts`, or once the message is `give_up_after` old.

Delivery is at least once. The one window for a duplicate: the process dies (or the database is unreachable)
between the server's acceptance and our commit of `sent`; the message is then sent again after its lease, with the
same `Message-ID`, so a receiver can drop the copy. A lease far longer than the SMTP timeouts keeps two senders from
ever holding the same message (a sender whose lease runs short stops and gives the rest back).

Once a message is sent or given up, its text is erased (it may hold a sign-in or password-reset link); the subject,
address, kind and times stay for the operator's list.

Nothing here logs an address or a message's content, except the log transport, which is what the demo (no SMTP
host) uses instead of sending: there the log is the mailbox.
"""

from __future__ import annotations

import logging
import random
import smtplib
import socket
import ssl
import uuid
from collections.abc import Callable, Collection, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import Protocol

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from base.db import READ_MOSTLY, utcnow
from base.mail.outbox import add_wake_hook, remove_wake_hook
from base.mail.store import OutboxRow, purge_old_messages
from base.worker import PollingWorker

log = logging.getLogger(__name__)

UnitOfWork = Callable[[], AbstractContextManager[Session]]
Send = Callable[[EmailMessage], None]


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to send. No `host`: messages are written to the log instead (the demo)."""

    host: str | None = None
    port: int = 587
    starttls: bool = True
    user: str | None = None
    password: str | None = None
    mail_from: str = "noreply@localhost"
    timeout: float = 30.0
    # A CA bundle for a server whose certificate a private CA signed (else the system's trusted CAs).
    ca_file: str | None = None


@dataclass(frozen=True)
class RetryPolicy:
    first_delay: float = 30.0  # seconds before the second attempt; doubled for each further one
    max_delay: float = 3600.0
    max_attempts: int = 60
    give_up_after: timedelta = timedelta(days=2)
    lease: timedelta = timedelta(minutes=10)
    batch_size: int = 20
    # Sent and given-up messages (address, subject, times) are deleted this long after they were queued.
    keep_for: timedelta = timedelta(days=90)

    def delay(self, attempts: int, jitter: float) -> timedelta:
        """After the `attempts`-th failure: first_delay * 2^(attempts-1), at most max_delay, then a random part of
        it (`jitter` in [0, 1)) taken off, up to half, so that many messages failed together do not return together."""
        ceiling = min(self.max_delay, self.first_delay * 2 ** max(attempts - 1, 0))
        return timedelta(seconds=ceiling * (1 - jitter / 2))


@dataclass(frozen=True)
class Claimed:
    """What a sender needs of a claimed row, read in the claim's transaction."""

    id: str
    kind: str
    recipient: str
    language: str
    subject: str
    body_text: str
    body_html: str
    attempts: int
    created_at: datetime
    leased_until: datetime


@dataclass
class SendReport:
    sent: list[str] = field(default_factory=list)
    retrying: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)  # message id -> error kind (no server text)

    def add(self, other: SendReport) -> None:
        self.sent += other.sent
        self.retrying += other.retrying
        self.failed += other.failed
        self.errors.update(other.errors)


def message_domain(mail_from: str) -> str:
    return parseaddr(mail_from)[1].rpartition("@")[2] or "localhost"


def build_message(message: Claimed, mail_from: str, now: datetime) -> EmailMessage:
    """Plain text and HTML as multipart/alternative, UTF-8; the Message-ID is the outbox row's, the same on every
    attempt. (Headers with non-ASCII text, e.g. Latvian subjects, are encoded by the email package, RFC 2047.)"""
    email = EmailMessage()
    email["Subject"] = message.subject
    email["From"] = mail_from
    email["To"] = message.recipient
    email["Date"] = format_datetime(now)
    email["Message-ID"] = f"<{message.id}@{message_domain(mail_from)}>"
    email["Auto-Submitted"] = "auto-generated"  # RFC 3834: vacation responders leave it be
    email.set_content(message.body_text, charset="utf-8")
    email.add_alternative(message.body_html, subtype="html", charset="utf-8")
    email["Content-Language"] = message.language  # after the content, which replaces any Content-* header
    return email


def describe(error: BaseException) -> str:
    """The error's kind and SMTP code(s): never the server's text, which may quote the address."""
    name = type(error).__name__
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = sorted({str(code) for code, _ in error.recipients.values()})
        return f"{name} {' '.join(codes)}"[:200]
    if isinstance(error, smtplib.SMTPResponseException):
        return f"{name} {error.smtp_code}"
    return name


def is_permanent(error: BaseException) -> bool:
    """The server refused this message for good (a 5xx for its recipient or its content). A refused sender or
    login is the settings' fault, not the message's: those are retried until the operator fixes them."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in error.recipients.values())
    return isinstance(error, smtplib.SMTPDataError) and error.smtp_code >= 500


# Errors of one message; the connection stays usable (smtplib resets the transaction).
MESSAGE_ERRORS = (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError, smtplib.SMTPSenderRefused)
# Errors of the connection (refused, timed out, TLS, login; a password smtplib cannot encode is a UnicodeError).
CONNECTION_ERRORS = (OSError, smtplib.SMTPException, UnicodeError)


# A message's text is kept only while it may still be sent: it can hold a sign-in or password-reset link.
ERASED = {"body_text": "", "body_html": ""}


class Transport(Protocol):
    def connect(self) -> AbstractContextManager[Send]: ...


class SmtpTransport:
    def __init__(self, settings: SmtpSettings):
        self.settings = settings

    @contextmanager
    def connect(self) -> Iterator[Send]:
        settings = self.settings
        assert settings.host is not None
        with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout) as smtp:
            if settings.starttls:
                smtp.starttls(context=ssl.create_default_context(cafile=settings.ca_file))
            if settings.user:
                smtp.login(settings.user, settings.password or "")

            def send(email: EmailMessage) -> None:
                smtp.send_message(email)

            yield send


class LogTransport:
    """The demo's mailbox: each message, recipient and all, written to the log rather than sent."""

    @contextmanager
    def connect(self) -> Iterator[Send]:
        yield self._write

    @staticmethod
    def _write(email: EmailMessage) -> None:
        plain = email.get_body(("plain",))
        text = plain.get_content() if isinstance(plain, EmailMessage) else ""
        log.info(
            "e-mail not sent (no SMTP host set; VOLCRED_SMTP_HOST): to %s, subject %s\n%s",
            email["To"],
            email["Subject"],
            text,
        )


def transport_for(settings: SmtpSettings) -> Transport:
    return SmtpTransport(settings) if settings.host else LogTransport()


class OutboxSender(PollingWorker):
    """Sends the outbox's due messages: `send_due()` once (CLI, tests), or `start()` a thread that does so whenever
    a transaction that queued mail commits in this process, and every `poll_seconds` (other processes' mail,
    retries). `clock` and `jitter` are injectable for tests."""

    name = "outbox-sender"
    retry_note = "the messages are taken up again later"

    def __init__(
        self,
        transaction: UnitOfWork,
        smtp: SmtpSettings,
        policy: RetryPolicy | None = None,
        *,
        transport: Transport | None = None,
        clock: Callable[[], datetime] = utcnow,
        jitter: Callable[[], float] = random.random,
        poll_seconds: float = 5.0,
    ):
        self.transaction, self.smtp = transaction, smtp
        self.policy = policy or RetryPolicy()
        self.transport = transport or transport_for(smtp)
        super().__init__(poll_seconds)
        self.clock, self.jitter = clock, jitter
        self.owner = f"{socket.gethostname()[:40]}:{uuid.uuid4().hex[:16]}"
        self._purged_at: datetime | None = None

    # --- the thread (base.worker): woken by the commit of a transaction that queued mail in this process

    def start(self) -> None:
        add_wake_hook(self.wake)
        super().start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stops after the message in progress; the rest stay in the outbox for the next sender."""
        remove_wake_hook(self.wake)
        super().stop(timeout)

    def work(self) -> None:
        self.send_due()
        now = self.clock()
        if self._purged_at is None or now - self._purged_at >= timedelta(hours=1):
            with self.transaction() as session:
                purge_old_messages(session, now - self.policy.keep_for)
            self._purged_at = now

    # --- one pass

    def send_due(self, ids: Collection[str] | None = None) -> SendReport:
        """Sends every message due now (or only those of `ids`), round after round until none is left."""
        report = SendReport()
        while not self.stopping():
            claimed = self._claim(ids)
            if not claimed:
                break
            report.add(self._send(claimed))
            if len(claimed) < self.policy.batch_size:
                break
        return report

    def _claim(self, ids: Collection[str] | None) -> list[Claimed]:
        now = self.clock()
        # Long enough for a few SMTP timeouts whatever they are set to (see the margin in `_send`).
        until = now + max(self.policy.lease, timedelta(seconds=10 * self.smtp.timeout))
        free = or_(OutboxRow.leased_until.is_(None), OutboxRow.leased_until <= now)
        due = [OutboxRow.status == "pending", OutboxRow.next_attempt_at <= now, free]
        if ids is not None:
            due.append(OutboxRow.id.in_(list(ids)))
        with self.transaction() as session:
            # A look first, which takes no write lock on SQLite (READ_MOSTLY): most rounds find nothing due.
            session.connection(execution_options={READ_MOSTLY: True})
            if session.scalar(select(OutboxRow.id).where(*due).limit(1)) is None:
                return []
        with self.transaction() as session:
            # On PostgreSQL, rows another sender is claiming right now are skipped rather than waited for; the
            # conditional UPDATE below is what makes a claim exclusive, on either engine.
            candidates = session.scalars(
                select(OutboxRow.id)
                .where(*due)
                .order_by(OutboxRow.next_attempt_at, OutboxRow.id)
                .limit(self.policy.batch_size)
                .with_for_update(skip_locked=True)
            ).all()
            claimed: list[str] = []
            for message_id in candidates:
                result = session.execute(
                    update(OutboxRow)
                    .where(OutboxRow.id == message_id, OutboxRow.status == "pending", free)
                    .values(leased_until=until, lease_owner=self.owner, attempts=OutboxRow.attempts + 1)
                    .execution_options(synchronize_session=False)
                )
                if result.rowcount == 1:  # type: ignore[attr-defined]
                    claimed.append(message_id)
            if not claimed:
                return []
            rows = session.scalars(
                select(OutboxRow)
                .where(OutboxRow.id.in_(claimed))
                .order_by(OutboxRow.next_attempt_at, OutboxRow.id)
                .execution_options(populate_existing=True)
            ).all()
            return [
                Claimed(
                    id=row.id,
                    kind=row.kind,
                    recipient=row.recipient,
                    language=row.language,
                    subject=row.subject,
                    body_text=row.body_text,
                    body_html=row.body_html,
                    attempts=row.attempts,
                    created_at=row.created_at,
                    leased_until=until,
                )
                for row in rows
            ]

    def _send(self, claimed: list[Claimed]) -> SendReport:
        report = SendReport()
        waiting = list(claimed)
        try:
            with self.transport.connect() as send:
                while waiting:
                    message = waiting[0]
                    # Leave a margin of a few SMTP timeouts: a message sent after the lease ran out could be sent
                    # by another sender too.
                    if (
                        self.stopping()
                        or self.clock() + timedelta(seconds=3 * self.smtp.timeout) > message.leased_until
                    ):
                        break
                    try:
                        send(build_message(message, self.smtp.mail_from, self.clock()))
                    except CONNECTION_ERRORS as error:
                        if not isinstance(error, MESSAGE_ERRORS):
                            raise
                        waiting.pop(0)
                        self._settle_failure(message, error, report)
                        continue
                    except Exception as error:  # this message cannot be built or encoded: it, not the rest, fails
                        waiting.pop(0)
                        self._settle_failure(message, error, report)
                        continue
                    waiting.pop(0)
                    self._settle_sent(message, report)
        except CONNECTION_ERRORS as error:  # the connection or login failed: every message not settled yet
            for message in waiting:
                self._settle_failure(message, error, report)
            waiting = []
        self._release(waiting)  # stopped, or the lease ran short: handed back untouched
        return report

    def _settle_sent(self, message: Claimed, report: SendReport) -> None:
        # Whoever holds the lease now: the server has the message, and that is what `sent` says.
        with self.transaction() as session:
            session.execute(
                update(OutboxRow)
                .where(OutboxRow.id == message.id)
                .values(status="sent", sent_at=self.clock(), leased_until=None, lease_owner=None, **ERASED)
                .execution_options(synchronize_session=False)
            )
        report.sent.append(message.id)

    def _settle_failure(self, message: Claimed, error: BaseException, report: SendReport) -> None:
        now = self.clock()
        reason = describe(error)
        policy = self.policy
        give_up = (
            is_permanent(error)
            or message.attempts >= policy.max_attempts
            or now - message.created_at >= policy.give_up_after
        )
        values: dict[str, object] = {"last_error": reason, "leased_until": None, "lease_owner": None}
        if give_up:
            values.update(status="failed", **ERASED)
        else:
            values["next_attempt_at"] = now + policy.delay(message.attempts, self.jitter())
        with self.transaction() as session:
            session.execute(
                update(OutboxRow)
                .where(OutboxRow.id == message.id, OutboxRow.lease_owner == self.owner, OutboxRow.status == "pending")
                .values(**values)
                .execution_options(synchronize_session=False)
            )
        report.errors[message.id] = reason
        if give_up:
            report.failed.append(message.id)
            log.warning(
                "e-mail %s (%s) not sent, given up after %d attempt(s): %s",
                message.id,
                message.kind,
                message.attempts,
                reason,
            )
        else:
            report.retrying.append(message.id)
            log.info("e-mail %s (%s) not sent yet (attempt %d): %s", message.id, message.kind, message.attempts, reason)

    def _release(self, messages: list[Claimed]) -> None:
        if not messages:
            return
        with self.transaction() as session:
            session.execute(
                update(OutboxRow)
                .where(OutboxRow.id.in_([m.id for m in messages]), OutboxRow.lease_owner == self.owner)
                .values(leased_until=None, lease_owner=None, attempts=OutboxRow.attempts - 1)
                .execution_options(synchronize_session=False)
            )
