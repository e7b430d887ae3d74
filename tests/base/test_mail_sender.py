"""Sending the outbox to a real SMTP server on loopback (aiosmtpd): what arrives, once, in the right language,
through an outage, with two senders at once. The clock and the backoff's jitter are injected, so an hour-long
outage takes no time."""

from __future__ import annotations

import logging
import re
import threading
from datetime import timedelta
from email.header import decode_header, make_header

import pytest
from sqlalchemy import select

from base.db import make_engine, make_session_factory, transaction, utcnow
from base.mail import OutboxRow, queue_email
from base.mail.sender import OutboxSender, RetryPolicy, SmtpTransport
from tests.smtp import MAIL_FROM, SmtpServer, self_signed_certificate

SERVICE = "https://brivpratigie.example.lv"


class Clock:
    """The senders' time; it starts a moment ahead of the real one, so that what a test queues is due."""

    def __init__(self):
        self.now = utcnow() + timedelta(seconds=2)

    def __call__(self):
        return self.now

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def unit_of_work(session_factory):
    return lambda: transaction(session_factory)


def _queue(unit_of_work, count=1, language="lv", to="anna@example.org", **options) -> None:
    with unit_of_work() as session:
        for number in range(count):
            queue_email(
                session,
                to=to if count == 1 else to.replace("@", f"+{number}@"),
                template="base/test_message",
                language=language,
                context={"service_url": SERVICE},
                kind="test",
                **options,
            )


def _rows(unit_of_work) -> list[OutboxRow]:
    with unit_of_work() as session:
        return list(session.scalars(select(OutboxRow).order_by(OutboxRow.recipient)))


def _sender(unit_of_work, settings, clock, **options) -> OutboxSender:
    return OutboxSender(unit_of_work, settings, clock=clock, jitter=lambda: 0.0, **options)


def test_a_committed_message_arrives_once_as_text_and_html_in_latvian(unit_of_work, smtp_server, clock):
    _queue(unit_of_work)
    sender = _sender(unit_of_work, smtp_server.settings(), clock)
    report = sender.send_due()
    [received] = smtp_server.wait_for(1)
    assert received.rcpt_tos == ["anna@example.org"]
    message = received.message
    assert message.get_content_type() == "multipart/alternative"
    assert message["Subject"] == "Pārbaudes vēstule — e-pasta iestatījumi darbojas"
    assert message["From"] == MAIL_FROM
    assert message["To"] == "anna@example.org"
    assert message["Content-Language"] == "lv"
    [row] = _rows(unit_of_work)
    assert message["Message-ID"] == f"<{row.id}@brivpratigie.example.lv>"
    assert message["Date"] is not None and message["Auto-Submitted"] == "auto-generated"
    assert [part.get_content_charset() for part in message.iter_parts()] == ["utf-8", "utf-8"]
    assert "Šo pārbaudes vēstuli nosūtīja" in received.text and SERVICE in received.text
    assert '<html lang="lv">' in received.html and f'href="{SERVICE}"' in received.html
    assert (row.status, row.attempts, row.lease_owner, report.sent) == ("sent", 1, None, [row.id])
    assert (row.body_text, row.body_html) == ("", "")  # sent: its text (a sign-in link, say) is not kept
    clock.advance(days=1)
    assert sender.send_due().sent == []
    assert len(smtp_server.wait_for(2, timeout=0.3)) == 1


def test_the_latvian_subject_travels_encoded_and_the_whole_message_as_7_bit(unit_of_work, smtp_server, clock):
    _queue(unit_of_work)
    _sender(unit_of_work, smtp_server.settings(), clock).send_due()
    [received] = smtp_server.wait_for(1)
    received.raw.decode("ascii")  # any server takes it: headers in RFC 2047 words, UTF-8 text quoted-printable/base64
    headers = received.raw.split(b"\r\n\r\n", 1)[0].replace(b"\r\n ", b" ")  # unfolded
    [subject] = re.findall(rb"^Subject: (.*)$", headers, re.M)
    assert subject.lower().startswith(b"=?utf-8?")
    assert str(make_header(decode_header(subject.decode()))) == "Pārbaudes vēstule — e-pasta iestatījumi darbojas"


def test_an_english_recipient_gets_english(unit_of_work, smtp_server, clock):
    _queue(unit_of_work, language="en")
    _sender(unit_of_work, smtp_server.settings(), clock).send_due()
    [received] = smtp_server.wait_for(1)
    assert received.message["Subject"] == "Test message — the e-mail settings work"
    assert received.message["Content-Language"] == "en"
    assert "This test message was sent by" in received.text and '<html lang="en">' in received.html


def test_a_message_of_a_transaction_that_rolled_back_is_never_sent(unit_of_work, smtp_server, clock):
    with pytest.raises(RuntimeError), unit_of_work() as session:
        queue_email(
            session,
            to="anna@example.org",
            template="base/test_message",
            language="lv",
            context={"service_url": SERVICE},
            kind="test",
        )
        raise RuntimeError("the event failed")
    assert _sender(unit_of_work, smtp_server.settings(), clock).send_due().sent == []
    assert smtp_server.wait_for(1, timeout=0.3) == []


def test_queuing_the_same_dedupe_key_twice_sends_one_message(unit_of_work, smtp_server, clock):
    _queue(unit_of_work, dedupe_key="invitation:7")
    _queue(unit_of_work, dedupe_key="invitation:7", language="en")
    _sender(unit_of_work, smtp_server.settings(), clock).send_due()
    _queue(unit_of_work, dedupe_key="invitation:7")  # after it was sent, too
    _sender(unit_of_work, smtp_server.settings(), clock).send_due()
    assert [r.message["Content-Language"] for r in smtp_server.wait_for(2, timeout=0.3)] == ["lv"]


def test_an_hour_without_the_smtp_server_loses_nothing_and_sends_nothing_twice(unit_of_work, clock, caplog):
    server = SmtpServer()  # its port is chosen, nothing listens on it yet: connections are refused
    _queue(unit_of_work, count=3)
    sender = _sender(unit_of_work, server.settings(), clock)
    tried_at = []
    for minute in range(61):
        report = sender.send_due()
        if report.retrying:
            assert len(report.retrying) == 3 and not report.sent and not report.failed
            tried_at.append(minute)
        clock.advance(minutes=1)
    # Backoff: 30 s, 1, 2, 4, 8, 16, 32 min (each rounded up to the next minute here), not every minute.
    assert tried_at == [0, 1, 2, 4, 8, 16, 32]
    rows = _rows(unit_of_work)
    assert {(row.status, row.attempts, row.last_error) for row in rows} == {("pending", 7, "ConnectionRefusedError")}
    assert all(row.next_attempt_at > clock() for row in rows)
    assert "example.org" not in caplog.text  # no address in the log

    server.start()
    try:
        assert sender.send_due().sent == []  # not due yet: the backoff holds
        clock.advance(hours=1)
        assert len(sender.send_due().sent) == 3
        clock.advance(days=1)
        assert sender.send_due().sent == []
        received = server.wait_for(4, timeout=0.5)
        assert sorted(r.rcpt_tos[0] for r in received) == [f"anna+{n}@example.org" for n in range(3)]
        assert {row.status for row in _rows(unit_of_work)} == {"sent"}
    finally:
        server.stop()


def test_jitter_spreads_the_retries_of_messages_that_failed_together():
    policy = RetryPolicy(first_delay=30, max_delay=3600)
    assert [policy.delay(n, 0.0).total_seconds() for n in (1, 2, 3, 8, 9, 30)] == [30, 60, 120, 3600, 3600, 3600]
    assert policy.delay(3, 0.999).total_seconds() == pytest.approx(60, abs=0.2)


def test_after_two_days_of_failures_a_message_is_given_up_and_stays_visible(unit_of_work, clock, caplog):
    server = SmtpServer()
    _queue(unit_of_work)
    sender = _sender(unit_of_work, server.settings(), clock)
    caplog.set_level(logging.WARNING)
    for _hour in range(50):
        sender.send_due()
        clock.advance(hours=1)
    [row] = _rows(unit_of_work)
    assert (row.status, row.last_error) == ("failed", "ConnectionRefusedError")
    assert 40 <= row.attempts <= 49
    assert f"e-mail {row.id} (test) not sent, given up" in caplog.text and "example.org" not in caplog.text


def test_a_recipient_the_server_refuses_for_good_fails_at_once_and_a_busy_one_is_retried(
    unit_of_work, smtp_server, clock
):
    smtp_server.refuse_recipients["gone@example.org"] = "550 5.1.1 <gone@example.org>: no such user"
    smtp_server.refuse_recipients["full@example.org"] = "452 4.2.2 <full@example.org>: mailbox full"
    for address in ("gone@example.org", "full@example.org", "anna@example.org"):
        _queue(unit_of_work, to=address)
    report = _sender(unit_of_work, smtp_server.settings(), clock).send_due()
    assert (len(report.sent), len(report.retrying), len(report.failed)) == (1, 1, 1)
    rows = {row.recipient: row for row in _rows(unit_of_work)}
    assert (rows["gone@example.org"].status, rows["gone@example.org"].last_error) == (
        "failed",
        "SMTPRecipientsRefused 550",
    )
    assert (rows["full@example.org"].status, rows["full@example.org"].last_error) == (
        "pending",
        "SMTPRecipientsRefused 452",
    )
    assert rows["anna@example.org"].status == "sent"
    assert rows["gone@example.org"].body_text == "" and rows["full@example.org"].body_text != ""
    assert [r.rcpt_tos for r in smtp_server.wait_for(1)] == [["anna@example.org"]]


class Crash(BaseException):
    """The process dies here (not an error the sender handles)."""


class CrashingTransport(SmtpTransport):
    """Sends for real, then "dies" after the server accepted the message (or before, with `before=True`)."""

    def __init__(self, settings, before: bool):
        super().__init__(settings)
        self.before = before

    def connect(self):
        transport = self

        class Connection:
            def __enter__(self):
                self.inner = SmtpTransport.connect(transport)
                send = self.inner.__enter__()

                def crash_around(message):
                    if transport.before:
                        raise Crash()
                    send(message)
                    raise Crash()

                return crash_around

            def __exit__(self, *exc):
                return self.inner.__exit__(*exc)

        return Connection()


def _crash_while_sending(unit_of_work, smtp_server, clock, before: bool) -> None:
    """A message queued, and a sender that dies with it leased (before or after the server accepted it)."""
    _queue(unit_of_work)
    transport = CrashingTransport(smtp_server.settings(), before)
    with pytest.raises(Crash):
        _sender(unit_of_work, smtp_server.settings(), clock, transport=transport).send_due()


def test_a_sender_that_died_before_sending_leaves_the_message_to_another_after_its_lease(
    unit_of_work, smtp_server, clock
):
    _crash_while_sending(unit_of_work, smtp_server, clock, before=True)
    other = _sender(unit_of_work, smtp_server.settings(), clock)
    assert other.send_due().sent == []  # still leased to the dead one
    clock.advance(minutes=11)
    assert len(other.send_due().sent) == 1
    assert len(smtp_server.wait_for(2, timeout=0.3)) == 1


def test_the_one_duplicate_window_a_crash_after_the_server_accepted_resends_with_the_same_message_id(
    unit_of_work, smtp_server, clock
):
    _crash_while_sending(unit_of_work, smtp_server, clock, before=False)
    clock.advance(minutes=11)
    _sender(unit_of_work, smtp_server.settings(), clock).send_due()
    first, second = smtp_server.wait_for(2)
    assert first.message["Message-ID"] == second.message["Message-ID"]  # a receiver can drop the copy


def test_two_senders_at_once_send_each_message_once(unit_of_work, smtp_server):
    _queue(unit_of_work, count=40)
    senders = [OutboxSender(unit_of_work, smtp_server.settings(), RetryPolicy(batch_size=5)) for _ in range(2)]
    reports = []
    start = threading.Barrier(2)

    def run(sender):
        start.wait()
        reports.append(sender.send_due())

    threads = [threading.Thread(target=run, args=(sender,)) for sender in senders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    received = smtp_server.wait_for(40)
    assert len(received) == 40
    assert len({r.message["Message-ID"] for r in received}) == 40
    assert sum(len(report.sent) for report in reports) == 40
    assert {row.status for row in _rows(unit_of_work)} == {"sent"}


def test_starttls_and_login_to_a_server_that_requires_them(unit_of_work, clock, tmp_path):
    server = SmtpServer(tls=self_signed_certificate(tmp_path), login=("volcred", "parole-slepena")).start()
    try:
        _queue(unit_of_work)
        wrong = _sender(unit_of_work, server.settings(user="volcred", password="nav-ta"), clock)
        assert wrong.send_due().errors.values() and server.messages() == []
        [row] = _rows(unit_of_work)
        assert (row.status, row.last_error) == (
            "pending",
            "SMTPAuthenticationError 535",
        )  # the settings' fault: retried
        clock.advance(minutes=5)
        right = _sender(unit_of_work, server.settings(user="volcred", password="parole-slepena"), clock)
        assert len(right.send_due().sent) == 1
        assert len(server.wait_for(1)) == 1
    finally:
        server.stop()


def test_without_an_smtp_host_the_demo_writes_messages_to_the_log(unit_of_work, clock, caplog):
    from base.mail.sender import SmtpSettings

    caplog.set_level(logging.INFO, logger="base.mail.sender")
    _queue(unit_of_work)
    report = _sender(unit_of_work, SmtpSettings(host=None), clock).send_due()
    assert len(report.sent) == 1
    assert "to anna@example.org" in caplog.text and "Pārbaudes vēstule" in caplog.text and SERVICE in caplog.text


def test_the_service_sends_a_message_as_soon_as_its_transaction_commits(settings, smtp_server):
    from fastapi.testclient import TestClient

    from volcred.app import create_app

    app = create_app(settings.model_copy(update={"mail_poll_seconds": 60}))  # so only the commit can wake it
    try:
        with TestClient(app):
            _queue(lambda: transaction(app.state.session_factory), language="en")
            [received] = smtp_server.wait_for(1, timeout=3)
    finally:
        app.state.engine.dispose()
    assert received.message["Subject"] == "Test message — the e-mail settings work"
    assert received.message["From"] == "noreply@127.0.0.1"  # BASE_URL's host, no VOLCRED_MAIL_FROM set


def test_the_running_service_sends_what_another_process_queued(live_server, database_url, smtp_server):
    engine = make_engine(database_url)
    try:
        _queue(lambda: transaction(make_session_factory(engine)), language="lv")
    finally:
        engine.dispose()
    [received] = smtp_server.wait_for(1, timeout=5)  # the service looks every 0.2 s here (5 s by default)
    assert received.message["Subject"] == "Pārbaudes vēstule — e-pasta iestatījumi darbojas"
    assert received.message["From"] == "noreply@127.0.0.1"


def test_sent_and_given_up_messages_are_deleted_after_90_days_pending_ones_kept(unit_of_work, smtp_server, clock):
    from base.mail.store import purge_old_messages

    smtp_server.refuse_recipients["gone@example.org"] = "550 5.1.1 no such user"
    for address in ("anna@example.org", "gone@example.org"):
        _queue(unit_of_work, to=address)
    sender = _sender(unit_of_work, smtp_server.settings(), clock)
    sender.work()
    assert {row.status for row in _rows(unit_of_work)} == {"sent", "failed"}
    clock.advance(days=89, hours=23)
    sender.work()
    assert len(_rows(unit_of_work)) == 2
    clock.advance(hours=2)
    sender.work()
    assert _rows(unit_of_work) == []

    _queue(unit_of_work, to="later@example.org")
    with unit_of_work() as session:
        assert purge_old_messages(session, clock() + timedelta(days=1000)) == 0  # not sent yet: kept
    assert [row.status for row in _rows(unit_of_work)] == ["pending"]
