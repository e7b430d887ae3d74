"""A batch run killed mid-way (SIGKILL, no chance to clean up) and resumed: by the next service start, or by
`volcred batches resume`. Afterwards every row has exactly one credential: none twice, none missing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import timedelta

import httpx
from sqlalchemy import distinct, func, select

from base.db import transaction, utcnow
from base.mail import OutboxRow, OutboxSender, RetryPolicy
from credentials.batches.store import BatchItemRow, BatchRow
from credentials.store import CredentialRow, RecordRow
from tests.conftest import TEST_KEK, free_port
from tests.credentials.batch_helpers import csv_bytes, good_row

ROWS = 200


def service_env(database_url: str, tmp_path, **extra) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "KEY_ENCRYPTION_KEY": TEST_KEK,
        "VOLCRED_DATA_DIR": str(tmp_path / "var"),
        "BASE_URL": "http://127.0.0.1:8000",
        # A short lease, so the next service takes the killed batch over quickly; a pause between groups of rows
        # (SQLite's default, here on PostgreSQL too), so the kill lands mid-run and this test's queries, which
        # take SQLite's write lock, get their turn.
        "VOLCRED_BATCH_LEASE_SECONDS": "1",
        "VOLCRED_BATCH_PAUSE_SECONDS": "0.1",
        **extra,
    }


def start_service(database_url: str, tmp_path, name: str, **extra) -> tuple[str, subprocess.Popen]:
    port = free_port()
    log = open(tmp_path / f"{name}.log", "wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "volcred.cli", "serve", "--port", str(port)],
        env=service_env(database_url, tmp_path, **extra),
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=tmp_path,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(url + "/health", timeout=1).status_code == 200:
                return url, process
        except httpx.HTTPError:
            pass
        assert process.poll() is None and time.monotonic() < deadline, (tmp_path / f"{name}.log").read_text()
        time.sleep(0.1)


def credentials_issued(session_factory) -> int:
    with session_factory() as session:
        return session.scalar(select(func.count()).select_from(CredentialRow))


def assert_every_row_issued_once(session_factory) -> None:
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(CredentialRow)) == ROWS
        assert session.scalar(select(func.count()).select_from(RecordRow)) == ROWS
        assert session.scalar(select(func.count(distinct(CredentialRow.record_id)))) == ROWS
        assert session.scalar(select(func.count(distinct(RecordRow.natural_key)))) == ROWS
        batch = session.scalar(select(BatchRow))
        assert (batch.status, batch.issued, batch.skipped, batch.failed) == ("done", ROWS, 0, 0)
        statuses = session.scalars(select(BatchItemRow.status)).all()
        assert statuses == ["issued"] * ROWS
        # one e-mail per credential to its volunteer, none queued twice by the resumed run
        keys = session.scalars(select(OutboxRow.dedupe_key).where(OutboxRow.kind == "credential_issued")).all()
        credential_ids = session.scalars(select(CredentialRow.id)).all()
        assert sorted(keys) == sorted(f"credential-issued:{id}" for id in credential_ids)


def test_killed_service_resumes_the_batch_when_started_again(
    make_org, session_factory, database_url, tmp_path, smtp_server
):
    org = make_org("killed-service")
    url, first = start_service(database_url, tmp_path, "first", **smtp_server.environment())
    try:
        content = csv_bytes([good_row(i) for i in range(ROWS)])
        response = httpx.post(url + "/batches", files={"file": ("b.csv", content)}, headers=org.headers(), timeout=30)
        assert response.status_code == 202, response.text
        batch_id = response.json()["id"]
        deadline = time.monotonic() + 60
        while credentials_issued(session_factory) < 20:
            assert time.monotonic() < deadline
            time.sleep(0.02)
    finally:
        first.kill()  # SIGKILL: mid-row, no shutdown hooks
        first.wait()
    interrupted = credentials_issued(session_factory)
    assert 20 <= interrupted < ROWS, "the kill must land mid-run"

    url, second = start_service(
        database_url, tmp_path, "second", VOLCRED_BATCH_PAUSE_SECONDS="0.005", **smtp_server.environment()
    )
    try:
        deadline = time.monotonic() + 180
        while (report := httpx.get(f"{url}/batches/{batch_id}", headers=org.headers()).json())["status"] != "done":
            assert time.monotonic() < deadline, report
            time.sleep(0.2)
    finally:
        second.terminate()
        second.wait(10)
    assert (report["issued"], report["pending"]) == (ROWS, 0)
    assert_every_row_issued_once(session_factory)
    # E-mails the killed service had claimed stay leased to it for the lease's ten minutes (so that two senders
    # never hold one message); a sender after that sends them. Run one here, its clock past any lease.
    later = utcnow() + RetryPolicy().lease + timedelta(minutes=1)
    OutboxSender(lambda: transaction(session_factory), smtp_server.settings(), clock=lambda: later).send_due()
    received = smtp_server.wait_for(ROWS, timeout=60)
    # Each volunteer got their credential's e-mail; the kill may only have resent one the server had just taken
    # (the outbox's one duplicate window, with the same Message-ID a mail client drops).
    assert {r.rcpt_tos[0] for r in received} == {f"vol{i}@example.lv" for i in range(ROWS)}
    assert len({r.message["Message-ID"] for r in smtp_server.messages()}) == ROWS


def test_killed_cli_upload_is_finished_by_volcred_batches_resume(make_org, session_factory, database_url, tmp_path):
    org = make_org("killed-cli")
    upload = tmp_path / "batch.csv"
    upload.write_bytes(csv_bytes([good_row(i) for i in range(ROWS)], delimiter=";", bom=True))
    env = service_env(database_url, tmp_path, VOLCRED_LANG="en")
    process = subprocess.Popen(
        [sys.executable, "-m", "volcred.cli", "batches", "upload", str(upload), "--org", org.slug],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while credentials_issued(session_factory) < 20:
            assert time.monotonic() < deadline and process.poll() is None, process.stdout.read().decode()
            time.sleep(0.02)
    finally:
        process.kill()
        process.wait()
    assert 20 <= credentials_issued(session_factory) < ROWS, "the kill must land mid-run"

    resumed = subprocess.run(
        [sys.executable, "-m", "volcred.cli", "batches", "resume", "--force", "--json"],
        env=env | {"VOLCRED_BATCH_PAUSE_SECONDS": "0"},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert resumed.returncode == 0, resumed.stderr
    reports = json.loads(resumed.stdout)
    assert [(r["status"], r["issued"], r["pending"]) for r in reports] == [("done", ROWS, 0)]
    assert_every_row_issued_once(session_factory)

    again = subprocess.run(
        [sys.executable, "-m", "volcred.cli", "batches", "resume"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert again.returncode == 0 and "No batches to resume" in again.stdout
