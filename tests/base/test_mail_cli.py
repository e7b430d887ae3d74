"""`volcred mail ...`: the operator's test message, sending what is due, the outbox's list."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from base.db import make_engine, make_session_factory, transaction
from base.mail import queue_email
from tests.conftest import TEST_KEK
from tests.smtp import SmtpServer
from volcred.cli import app


@pytest.fixture
def run(database_url, tmp_path):
    runner = CliRunner()

    def invoke(*args: str, server: SmtpServer, lang: str = "en"):
        env = {
            "DATABASE_URL": database_url,
            "VOLCRED_DATA_DIR": str(tmp_path / "var"),
            "KEY_ENCRYPTION_KEY": TEST_KEK,
            "BASE_URL": "https://brivpratigie.example.lv",
            "VOLCRED_SMTP_HOST": "127.0.0.1",
            "VOLCRED_SMTP_PORT": str(server.port),
            "VOLCRED_SMTP_STARTTLS": "false",
            "VOLCRED_MAIL_FROM": "noreply@brivpratigie.example.lv",
            "VOLCRED_LANG": lang,
        }
        return runner.invoke(app, ["mail", *args], env=env)

    return invoke


def test_mail_test_sends_a_message_in_the_operators_language(run, smtp_server):
    result = run("test", "anna@example.org", server=smtp_server)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Test message sent to anna@example.org (SMTP server: 127.0.0.1")
    result = run("test", "anna@example.org", "--lang", "lv", server=smtp_server)
    assert result.exit_code == 0, result.output
    english, latvian = smtp_server.wait_for(2)
    assert english.message["Subject"] == "Test message — the e-mail settings work"
    assert latvian.message["Subject"] == "Pārbaudes vēstule — e-pasta iestatījumi darbojas"
    assert "https://brivpratigie.example.lv" in english.text
    assert english.message["From"] == "noreply@brivpratigie.example.lv"


def test_mail_test_says_why_when_the_server_is_unreachable_and_the_message_waits(run):
    down = SmtpServer()  # nothing listens on its port
    result = run("test", "anna@example.org", server=down)
    assert result.exit_code == 1
    assert "could not be sent: ConnectionRefusedError" in result.stderr
    listed = json.loads(run("list", "--status", "pending", "--json", server=down).stdout)
    assert [(m["kind"], m["attempts"], m["last_error"]) for m in listed] == [("test", 1, "ConnectionRefusedError")]
    assert "anna@example.org" not in json.dumps(listed)
    assert len(json.loads(run("list", "--to", "ANNA@example.org", "--json", server=down).stdout)) == 1
    assert json.loads(run("list", "--to", "other@example.org", "--json", server=down).stdout) == []


def test_mail_send_due_sends_what_the_service_queued(run, smtp_server, database_url):
    engine = make_engine(database_url)
    try:
        with transaction(make_session_factory(engine)) as session:
            for address in ("anna@example.org", "juris@example.org"):
                queue_email(
                    session,
                    to=address,
                    template="base/test_message",
                    language="lv",
                    context={"service_url": "https://brivpratigie.example.lv"},
                    kind="test",
                )
    finally:
        engine.dispose()
    result = run("send-due", "--json", server=smtp_server)
    assert json.loads(result.stdout) == {"sent": 2, "retrying": 0, "failed": 0}
    assert sorted(r.rcpt_tos[0] for r in smtp_server.wait_for(2)) == ["anna@example.org", "juris@example.org"]
    assert run("send-due", server=smtp_server).stdout.startswith("Sent: 0; to be retried later: 0; given up: 0.")


def test_without_an_smtp_host_mail_test_writes_the_message_to_standard_error(database_url, tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "VOLCRED_DATA_DIR": str(tmp_path / "var"),
        "KEY_ENCRYPTION_KEY": TEST_KEK,
        "VOLCRED_LANG": "en",
    }
    env.pop("VOLCRED_SMTP_HOST", None)
    result = subprocess.run(
        [sys.executable, "-m", "volcred.cli", "mail", "test", "anna@example.org"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "SMTP server: -" in result.stdout
    assert "to anna@example.org" in result.stderr and "Test message — the e-mail settings work" in result.stderr
