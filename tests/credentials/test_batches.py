"""Bulk issuance: template, dry run, real runs through the background runner, idempotency, cancel, revoke, ZIP."""

from __future__ import annotations

import time

from sqlalchemy import func, select

from credentials.store import CredentialRow, RecordRow
from tests.credentials.batch_helpers import csv_bytes, good_row, upload, wait_for, xlsx_bytes


def count(session_factory, model) -> int:
    with session_factory() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_small_batch_issues(client, make_org, session_factory):
    org = make_org("smallbatch")
    response = upload(client, org, csv_bytes([good_row(i) for i in range(3)]))
    assert response.status_code == 202, response.text
    report = wait_for(client, org, response.json()["id"])
    assert report["issued"] == 3, report
    assert count(session_factory, CredentialRow) == 3
