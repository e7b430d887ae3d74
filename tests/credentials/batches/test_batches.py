"""Bulk issuance: template, dry run, real runs through the background runner, idempotency, cancel, revoke, ZIP."""

from __future__ import annotations

import io
import json
import time
import zipfile
from decimal import Decimal

from openpyxl import load_workbook
from sqlalchemy import func, select

from credentials.batches.spreadsheet import COLUMNS
from credentials.batches.store import BatchItemRow, BatchRow
from credentials.certificates.render import extract_embedded_credential
from credentials.store import CredentialRow, RecordRow
from tests.authz import database_snapshot
from tests.credentials.batch_helpers import csv_bytes, good_row, upload, wait_for, xlsx_bytes
from tests.credentials.helpers import record_body


def count(session_factory, model, *where) -> int:
    with session_factory() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def verdict(client, credential: dict) -> str:
    response = client.post("/credentials/verify", json={"verifiableCredential": credential})
    assert response.status_code in (200, 422), response.text  # 422: verified, with a negative verdict
    return response.json()["verdict"]


def test_templates_explain_every_column_in_both_languages(client, make_org):
    response = client.get("/batches/template.csv")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")  # a BOM, so spreadsheet programs read the Latvian letters
    lines = text.lstrip("\ufeff").splitlines()
    assert lines[-1].split(",") == list(COLUMNS)
    comments = "\n".join(lines[:-1])
    assert all(line.lstrip('"').startswith("#") for line in lines[:-1])
    assert "Pašvaldība" in comments and "Municipality" in comments
    for column in COLUMNS:
        assert f"# {column}: " in comments
    semicolon = client.get("/batches/template.csv", params={"sep": "semicolon"}).content.decode("utf-8-sig")
    assert semicolon.splitlines()[-1].split(";") == list(COLUMNS)

    workbook = load_workbook(io.BytesIO(client.get("/batches/template.xlsx").content))
    records, explanation = workbook.worksheets
    assert [cell.value for cell in records[1]] == list(COLUMNS)
    explained = {row[0]: row[1:] for row in explanation.iter_rows(values_only=True) if row and row[0] in COLUMNS}
    assert set(explained) == set(COLUMNS)
    assert explained["hours"][0].startswith("Stundas") and explained["hours"][1].startswith("Hours")

    # The template itself, filled in below its explanation, is a valid upload.
    org = make_org("templates")
    filled = response.content + csv_bytes([good_row(1), good_row(2)], header=False)
    report = upload(client, org, filled, dry_run=True).json()
    assert (report["rows"], report["valid"], report["errors"]) == (2, 2, [])


def test_thousand_rows_with_five_bad_ones(client, make_org, session_factory, capsys):
    org = make_org("festival")
    template = client.get("/batches/template.csv").content
    first_data_line = template.count(b"\n") + 1
    rows = [good_row(i) for i in range(1000)]
    bad = {17: "mission_type", 250: "hours", 500: "end_date", 777: "volunteer_email", 999: "municipality"}
    rows[17]["mission_type"] = "underwater-basket-weaving"
    rows[250]["hours"] = "0"
    rows[500]["start_date"], rows[500]["end_date"] = "2026-05-10", "2026-05-01"
    rows[777]["volunteer_email"] = "not-an-email"
    rows[999]["municipality"] = "Atlantīda"
    content = template + csv_bytes(rows, header=False)

    started = time.perf_counter()
    response = upload(client, org, content, dry_run=True)
    dry_seconds = time.perf_counter() - started
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["rows"], report["valid"]) == (1000, 995)
    assert sorted((e["line"], e["column"]) for e in report["errors"]) == sorted(
        (first_data_line + index, column) for index, column in bad.items()
    )
    assert all(e["message_lv"] and e["message_en"] and e["message"] == e["message_lv"] for e in report["errors"])
    assert count(session_factory, RecordRow) == 0 and count(session_factory, BatchRow) == 0  # nothing written

    # The row errors say what the API says about the same record.
    api = client.post("/records", json=record_body(hours=0), headers=org.headers()).json()
    hours_error = next(e for e in report["errors"] if e["column"] == "hours")
    assert hours_error["message_en"] == next(e["message_en"] for e in api["errors"] if e["field"] == "hours")

    started = time.perf_counter()
    response = upload(client, org, content)
    assert response.status_code == 202, response.text
    assert response.headers["location"].endswith("/batches/" + response.json()["id"])
    report = wait_for(client, org, response.json()["id"])
    run_seconds = time.perf_counter() - started
    assert report["status"] == "done"
    assert (report["issued"], report["skipped"], report["failed"], report["pending"]) == (995, 0, 0, 0)
    assert len(report["errors"]) == 5
    assert count(session_factory, CredentialRow) == 995

    started = time.perf_counter()
    again = wait_for(client, org, upload(client, org, content).json()["id"])
    again_seconds = time.perf_counter() - started
    assert (again["issued"], again["skipped"]) == (0, 995)
    assert count(session_factory, CredentialRow) == 995 and count(session_factory, RecordRow) == 995

    # The organiser corrects the five rows and uploads the whole file once more: only they are issued.
    fixed = [good_row(i) for i in range(1000)]
    fixed[500]["start_date"], fixed[500]["end_date"] = "2026-05-01", "2026-05-10"
    final = wait_for(client, org, upload(client, org, csv_bytes(fixed)).json()["id"])
    assert (final["errors"], final["issued"], final["skipped"]) == ([], 5, 995)
    assert count(session_factory, CredentialRow) == 1000
    with capsys.disabled():
        print(
            f"\n1,000-row batch: dry run {dry_seconds:.2f} s, issuing 995 {run_seconds:.1f} s, "
            f"same upload again {again_seconds:.1f} s"
        )


def test_semicolons_with_bom_and_xlsx_both_import(client, make_org, session_factory):
    org = make_org("spreadsheets")
    rows = [good_row(i) for i in range(4)]
    rows[0]["start_date"], rows[0]["end_date"] = "03.02.2026", "04.02.2026"  # as Latvian spreadsheets save dates
    semicolon = csv_bytes(rows[:2], delimiter=";", bom=True)
    assert semicolon.startswith(b"\xef\xbb\xbf") and b";" in semicolon.splitlines()[0]
    first = wait_for(client, org, upload(client, org, semicolon).json()["id"])
    second = wait_for(client, org, upload(client, org, xlsx_bytes(rows[2:]), filename="batch.xlsx").json()["id"])
    assert (first["issued"], first["errors"]) == (2, [])
    assert (second["issued"], second["errors"]) == (2, [])
    with session_factory() as session:
        records = {r.start_date.isoformat(): r for r in session.scalars(select(RecordRow))}
    assert records["2026-02-03"].hours == Decimal("6.5")  # the decimal comma
    assert records[rows[3]["start_date"]].hours == Decimal("9.5")  # a number cell from Excel


def test_pseudonymous_rows_leave_no_trace_of_the_pseudonym(client, make_org, session_factory):
    org = make_org("pseudo")
    row = good_row(1) | {"volunteer_name": "", "volunteer_email": "", "volunteer_pseudonym": "kaija-77-ziemelis"}
    report = wait_for(client, org, upload(client, org, csv_bytes([row])).json()["id"])
    assert report["issued"] == 1
    assert "kaija-77-ziemelis" not in repr(database_snapshot(session_factory))
    assert count(session_factory, BatchItemRow, BatchItemRow.payload.is_not(None)) == 0


def test_cancel_stops_before_the_next_row(client, make_org, session_factory):
    org = make_org("cancelling")
    batch_id = upload(client, org, csv_bytes([good_row(i) for i in range(300)])).json()["id"]
    response = client.post(f"/batches/{batch_id}/cancel", headers=org.headers())
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "cancelled"
    time.sleep(0.5)
    report = client.get(f"/batches/{batch_id}", headers=org.headers()).json()
    assert report["status"] == "cancelled" and report["issued"] < 300
    assert report["issued"] + report["pending"] == 300
    assert count(session_factory, CredentialRow) == report["issued"]
    assert count(session_factory, BatchItemRow, BatchItemRow.payload.is_not(None)) == 0  # inputs erased
    again = client.post(f"/batches/{batch_id}/cancel", headers=org.headers())
    assert again.status_code == 409 and again.json()["code"] == "batch.not_cancellable"


def test_revoke_a_whole_batch_with_one_reason(client, make_org, session_factory):
    org = make_org("revoking")
    earlier = wait_for(client, org, upload(client, org, csv_bytes([good_row(0)])).json()["id"])
    report = wait_for(client, org, upload(client, org, csv_bytes([good_row(i) for i in range(3)])).json()["id"])
    assert (report["issued"], report["skipped"]) == (2, 1)
    with session_factory() as session:
        documents = {item.batch_id: [] for item in session.scalars(select(BatchItemRow))}
        for item in session.scalars(select(BatchItemRow)):
            documents[item.batch_id].append(json.loads(session.get(CredentialRow, item.credential_id).document))
    credentials = documents[report["id"]]
    assert [verdict(client, c) for c in credentials] == ["valid"] * 3

    missing = client.post(f"/batches/{report['id']}/revoke", json={}, headers=org.headers())
    assert missing.status_code == 422 and missing.json()["code"] == "batch.reason_required"
    response = client.post(
        f"/batches/{report['id']}/revoke", json={"reason": "Pasākums atcelts"}, headers=org.headers()
    )
    assert response.status_code == 200, response.text
    assert response.json()["revocation_reason"] == "Pasākums atcelts"
    # Only what this batch issued: the row it skipped keeps the credential an earlier batch issued.
    assert sorted(verdict(client, c) for c in credentials) == ["revoked", "revoked", "valid"]
    assert [verdict(client, c) for c in documents[earlier["id"]]] == ["valid"]


def test_zip_holds_one_valid_pdf_per_credential(client, make_org, session_factory):
    org = make_org("zipping")
    rows = [
        good_row(1),
        good_row(2) | {"volunteer_name": "", "volunteer_email": "", "volunteer_pseudonym": "ezis-2026-rudens"},
        good_row(3),
    ]
    report = wait_for(client, org, upload(client, org, csv_bytes(rows)).json()["id"])
    response = client.get(f"/batches/{report['id']}/certificates.zip", params={"language": "en"}, headers=org.headers())
    assert response.status_code == 200 and response.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    with session_factory() as session:
        issued = {row.id: row.document for row in session.scalars(select(CredentialRow))}
    assert len(archive.namelist()) == len(issued) == 3
    for name in archive.namelist():
        pdf = archive.read(name)
        assert pdf.startswith(b"%PDF-")
        credential = extract_embedded_credential(pdf)
        assert credential["id"].rsplit("/", 1)[-1] in issued
        assert verdict(client, credential) == "valid"


def test_other_organisations_cannot_see_or_touch_a_batch(client, make_org, session_factory):
    own, other = make_org("owner"), make_org("stranger")
    report = wait_for(client, own, upload(client, own, csv_bytes([good_row(1)])).json()["id"])
    calls = [
        ("get", f"/batches/{report['id']}", None),
        ("post", f"/batches/{report['id']}/cancel", None),
        ("post", f"/batches/{report['id']}/revoke", {"reason": "not mine"}),
        ("get", f"/batches/{report['id']}/certificates.zip", None),
    ]
    for headers, expected in (
        (other.headers(), 404),
        (other.headers("admin"), 404),
        ({}, 401),
        ({"Authorization": "Bearer vco_not-a-real-token"}, 401),
    ):
        for method, url, body in calls:
            before = database_snapshot(session_factory)
            response = client.request(method, url, json=body, headers=headers)
            assert response.status_code == expected, (url, response.status_code)
            assert response.headers["content-type"] == "application/problem+json"
            assert database_snapshot(session_factory) == before
    # Nor may they upload in the owner's name.
    response = client.post(
        "/batches",
        files={"file": ("b.csv", csv_bytes([good_row(2)]))},
        data={"organisation": own.slug},
        headers=other.headers(),
    )
    assert response.status_code == 403
    assert count(session_factory, BatchRow) == 1


def test_duplicate_record_is_a_clear_conflict(client, make_org):
    org = make_org("twice")
    assert client.post("/records", json=record_body(), headers=org.headers()).status_code == 201
    response = client.post("/records", json=record_body(), headers=org.headers())
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "record.duplicate"


def test_unreadable_uploads_are_refused_with_reasons(client, make_org):
    org = make_org("badfiles")
    cases = {
        b"name,hours\r\nA,1\r\n": "batch.columns_unknown",
        b"volunteer_name,mission_type\r\nA,event-support\r\n": "batch.columns_missing",
        "volunteer_name;mission_type".encode("utf-16"): "batch.not_utf8",
        b"PK\x03\x04broken": "batch.xlsx_unreadable",
    }
    for content, code in cases.items():
        response = upload(client, org, content, dry_run=True)
        assert response.status_code == 422 and response.json()["code"] == code, response.text


def test_a_row_that_cannot_be_issued_leaves_nothing_behind(make_org, session_factory, settings):
    """Rows are all-or-nothing: when signing fails (the organisation was suspended after the upload), the row's
    volunteer and record are rolled back with it, and the report says why, per line."""
    from base.db import transaction
    from credentials.batches import service as batch_service
    from credentials.store import VolunteerRow
    from issuers.service import IssuerContext
    from issuers.store import OrganisationRow
    from volcred.cli import Runtime

    org = make_org("suspended-later")
    ctx = IssuerContext(settings.public_base_url, settings.encryption_key)
    with transaction(session_factory) as session:
        row = session.get(OrganisationRow, org.org_id)
        batch = batch_service.create_batch(
            session, Runtime.operator, ctx, row, csv_bytes([good_row(1), good_row(2)]), "batch.csv"
        )
        row.status = "suspended"
    with transaction(session_factory) as session:
        assert batch_service.claim_batch(session, lease_seconds=30, batch_id=batch.id) is not None
    assert batch_service.run_claimed(lambda: transaction(session_factory), ctx, batch.id) == "done"
    with transaction(session_factory) as session:
        done = session.get(BatchRow, batch.id)
        assert (done.issued, done.failed) == (0, 2)
        failures = batch_service.failures(session, done)
    assert [f["line"] for f in failures] == [2, 3]
    assert all(f["code"] == "org.not_verified" and f["message_lv"] and f["message_en"] for f in failures)
    assert count(session_factory, RecordRow) == count(session_factory, VolunteerRow) == 0
    assert count(session_factory, CredentialRow) == 0


def test_a_row_that_fails_unexpectedly_is_reported_not_retried_forever(make_org, session_factory, settings):
    """A row whose sealed input no longer opens (a broken payload) fails with a plain reason; the others issue."""
    from base.db import transaction
    from credentials.batches import service as batch_service
    from issuers.service import IssuerContext
    from issuers.store import OrganisationRow
    from volcred.cli import Runtime

    org = make_org("broken-row")
    ctx = IssuerContext(settings.public_base_url, settings.encryption_key)
    with transaction(session_factory) as session:
        row = session.get(OrganisationRow, org.org_id)
        batch = batch_service.create_batch(
            session, Runtime.operator, ctx, row, csv_bytes([good_row(i) for i in range(3)]), "batch.csv"
        )
    with transaction(session_factory) as session:
        broken = session.scalar(select(BatchItemRow).where(BatchItemRow.batch_id == batch.id, BatchItemRow.line == 3))
        broken.payload = b"\x00" * len(broken.payload)
        assert batch_service.claim_batch(session, lease_seconds=30, batch_id=batch.id) is not None
    assert batch_service.run_claimed(lambda: transaction(session_factory), ctx, batch.id) == "done"
    with transaction(session_factory) as session:
        done = session.get(BatchRow, batch.id)
        assert (done.issued, done.failed, done.status) == (2, 1, "done")
        failures = batch_service.failures(session, done)
    assert [(f["line"], f["code"]) for f in failures] == [(3, "batch.row_unexpected_error")]
    assert "iekšēja kļūda" in failures[0]["message_lv"] and "internal error" in failures[0]["message_en"]
    assert count(session_factory, CredentialRow) == 2


def test_who_may_upload(client, make_org, session_factory, platform_admin):
    from tests.authz import check_matrix

    own, other = make_org("uploader"), make_org("bystander")
    limited = client.post(
        f"/organisations/{own.slug}/tokens",
        json={"name": "status only", "scopes": ["credentials:status"]},
        headers=own.headers("admin"),
    ).json()["token"]
    files = iter(csv_bytes([good_row(i)]) for i in range(20))
    # The form names the organisation: another organisation's caller is then trying to act for it.
    check_matrix(
        client,
        session_factory,
        own,
        other,
        platform_admin,
        lambda headers, caller: client.post(
            "/batches", files={"file": ("b.csv", next(files))}, data={"organisation": own.slug}, headers=headers
        ),
        {"own_token", "own_admin", "own_coordinator"},
        limited,
    )


def test_corrections_and_batches_keep_one_credential_per_row(client, make_org, session_factory):
    org = make_org("corrected")
    rows = [good_row(1), good_row(2)]
    wait_for(client, org, upload(client, org, csv_bytes(rows)).json()["id"])
    with session_factory() as session:
        first, second = session.scalars(select(RecordRow).order_by(RecordRow.start_date)).all()
    # A correction waiting to be issued, and one issued: the same upload again still issues nothing.
    pending = client.post(f"/records/{first.id}/revise", json={"hours": 3}, headers=org.headers())
    issued = client.post(f"/records/{second.id}/revise", json={"hours": 4}, headers=org.headers())
    assert pending.status_code == issued.status_code == 201, issued.text
    assert client.post(f"/records/{issued.json()['id']}/issue", headers=org.headers()).status_code == 201
    again = wait_for(client, org, upload(client, org, csv_bytes(rows)).json()["id"])
    assert (again["issued"], again["skipped"]) == (0, 2)
    assert count(session_factory, CredentialRow) == 3  # two from the batch, one correction
    # Moving a record onto another record's period is a conflict, not a second record of it.
    moved = client.post(
        f"/records/{pending.json()['id']}/approve",
        json={"start_date": rows[1]["start_date"], "end_date": rows[1]["end_date"]},
        headers=org.headers(),
    )
    assert moved.status_code == 200  # a correction carries its original's key, so it may
    other = client.post(
        "/records",
        json=record_body(
            start_date="2026-08-01",
            end_date="2026-08-02",
            hours=5,
            mission_type=rows[0]["mission_type"],
            volunteer={"name": "X", "email": rows[0]["volunteer_email"]},
        ),
        headers=org.headers(),
    )
    assert other.status_code == 201, other.text
    onto = client.post(
        f"/records/{other.json()['id']}/approve",
        json={"start_date": rows[0]["start_date"], "end_date": rows[0]["end_date"]},
        headers=org.headers(),
    )
    assert onto.status_code == 409 and onto.json()["code"] == "record.duplicate"


def test_a_group_of_rows_mixes_new_waiting_and_issued_records(make_org, session_factory, settings):
    """Rows are signed a group at a time: in one group, new rows get new records, a row whose record the organiser
    made but never issued gets that record issued, and a row already issued is skipped."""
    from base.db import transaction
    from credentials import service
    from credentials.batches import service as batch_service
    from credentials.records import service as records_service
    from credentials.records.records import RecordInput, VolunteerInput
    from issuers.service import IssuerContext
    from issuers.store import OrganisationRow
    from volcred.cli import Runtime

    def by_hand(cells: dict) -> RecordInput:
        return RecordInput(
            volunteer=VolunteerInput(name=cells["volunteer_name"], email=cells["volunteer_email"]),
            mission_type=cells["mission_type"],
            title=cells["title"],
            municipality=cells["municipality"],
            start_date=cells["start_date"],
            end_date=cells["end_date"],
            hours=cells["hours"].replace(",", "."),
        )

    org = make_org("mixed-group")
    ctx = IssuerContext(settings.public_base_url, settings.encryption_key)
    rows = [good_row(i) for i in range(6)]
    with transaction(session_factory) as session:
        row = session.get(OrganisationRow, org.org_id)
        waiting = records_service.create_record(session, Runtime.operator, ctx, row, by_hand(rows[1])).record.id
        issued_before = records_service.create_record(session, Runtime.operator, ctx, row, by_hand(rows[2])).record.id
        earlier = service.issue_record(session, Runtime.operator, ctx, issued_before).credential.id
        batch = batch_service.create_batch(session, Runtime.operator, ctx, row, csv_bytes(rows), "batch.csv")
        assert batch_service.claim_batch(session, lease_seconds=30, batch_id=batch.id) is not None
    assert batch_service.run_claimed(lambda: transaction(session_factory), ctx, batch.id) == "done"
    with transaction(session_factory) as session:
        done = session.get(BatchRow, batch.id)
        assert (done.issued, done.skipped, done.failed) == (5, 1, 0)
        items = {
            item.line: item for item in session.scalars(select(BatchItemRow).where(BatchItemRow.batch_id == batch.id))
        }
    assert (items[3].status, items[3].record_id) == ("issued", waiting)  # line 3 is rows[1]
    assert (items[4].status, items[4].credential_id) == ("skipped", earlier)
    assert count(session_factory, CredentialRow) == 6 and count(session_factory, RecordRow) == 6
