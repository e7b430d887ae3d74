"""Bulk issuance in the workspace: templates, an upload checked first with its errors as a table, started, followed
live (a progress bar, htmx polling, a refresh without JavaScript), cancelled, and its certificates and links; every
form refused to whoever may not use it."""

from __future__ import annotations

import re

from sqlalchemy import select

from credentials.batches.store import BatchRow
from issuers.store import AuditEntryRow
from tests.credentials.batch_helpers import csv_bytes, good_row, wait_for
from tests.credentials.workspace_helpers import check_form_refusals
from tests.pages import submit


def upload_page(client, content: bytes, filename: str = "festivals.csv"):
    return submit(
        client, "/org/ws-org/batches?lang=en", "/org/ws-org/batches?lang=en", {}, files={"file": (filename, content)}
    )


def test_the_batches_page_offers_the_templates_and_the_upload(workspace):
    page = workspace.client.get("/org/ws-org/batches?lang=en")
    assert page.status_code == 200 and 'enctype="multipart/form-data"' in page.text
    for href in ("/batches/template.xlsx", "/batches/template.csv?sep=semicolon", "/batches/template.csv"):
        assert href in page.text
        assert workspace.client.get(href).status_code == 200
    viewer = workspace.as_role("viewer").get("/org/ws-org/batches?lang=en")
    assert viewer.status_code == 200 and 'type="file"' not in viewer.text


def test_an_upload_with_errors_shows_them_as_a_table_and_issues_nothing_until_started(workspace, session_factory):
    bad = {**good_row(2), "hours": "daudz", "municipality": "Atlantīda"}
    answer = upload_page(workspace.client, csv_bytes([good_row(1), bad, good_row(3)]))
    assert answer.status_code == 303
    page = workspace.client.get(answer.headers["location"])
    assert page.status_code == 200
    assert "Ready to issue" in page.text and "Issue 2 credentials" in page.text
    table = page.text.split("<table", 1)[1].split("</table>", 1)[0]
    assert ">Line<" in table and ">Column<" in table and ">What to correct<" in table
    cells = re.findall(r'<td data-label="Line">(\d+)</td>\s*<td data-label="Column">([^<]+)</td>', table)
    assert ("3", "hours") in cells and ("3", "municipality") in cells
    with session_factory() as session:
        batch = session.scalar(select(BatchRow))
        assert batch.status == "checked" and batch.issued == 0
    # Discarded: nothing issued, ever.
    batch_url = answer.headers["location"].split("?")[0]
    discarded = submit(workspace.client, answer.headers["location"], f"{batch_url}/cancel?lang=en", {})
    assert discarded.status_code == 303
    with session_factory() as session:
        assert session.scalar(select(BatchRow)).status == "cancelled"


def test_an_unreadable_upload_is_shown_on_the_form(workspace, session_factory):
    answer = upload_page(workspace.client, b"", "empty.csv")
    assert answer.status_code == 422 and 'class="error-summary"' in answer.text
    with session_factory() as session:
        assert session.scalar(select(BatchRow)) is None


def test_a_good_batch_runs_to_the_end_and_its_page_shows_100_percent_the_zip_and_the_links(workspace, session_factory):
    answer = upload_page(workspace.client, csv_bytes([good_row(i) for i in range(1, 4)]))
    batch_url = answer.headers["location"].split("?")[0]
    batch_id = batch_url.rsplit("/", 1)[1]
    started = submit(workspace.client, answer.headers["location"], f"{batch_url}/start?lang=en", {})
    assert started.status_code == 303
    running = workspace.client.get(started.headers["location"])
    assert "The batch has started." in running.text
    if 'hx-trigger="every 1s"' in running.text:  # still running when we looked: both ways of following it
        assert '<meta http-equiv="refresh" content="2">' in running.text and "/static/htmx.min.js" in running.text
    wait_for(workspace.client, workspace.org, batch_id)
    page = workspace.client.get(f"{batch_url}?lang=en")
    assert '<progress id="batch-progress" max="3" value="3">' in page.text and "(100 %)" in page.text
    assert 'http-equiv="refresh"' not in page.text and "hx-trigger" not in page.text
    assert f"{batch_url}/certificates.zip?language=lv" in page.text
    links = re.findall(r'href="(http://127\.0\.0\.1:8000/v/[0-9a-f]{32})', page.text)
    assert len(links) == 3
    assert 'data-verdict="valid"' in workspace.client.get(links[0].replace("http://127.0.0.1:8000", "")).text
    fragment = workspace.client.get(f"{batch_url}/progress?lang=en")
    assert fragment.status_code == 286 and "<progress" in fragment.text  # htmx stops polling an ended batch
    archive = workspace.client.get(f"{batch_url}/certificates.zip?language=lv")
    assert archive.status_code == 200 and archive.content.startswith(b"PK")
    listing = workspace.client.get("/org/ws-org/batches?lang=en")
    assert f"/org/ws-org/batches/{batch_id}" in listing.text and "Finished" in listing.text
    with session_factory() as session:
        audited = session.scalars(select(AuditEntryRow.action).where(AuditEntryRow.subject_id == batch_id)).all()
        assert sorted(audited) == ["batch.create", "batch.start"]

    # Uploaded by mistake: every credential of the batch revoked at once, with one reason.
    empty = submit(workspace.client, f"{batch_url}?lang=en", f"{batch_url}/revoke?lang=en", {"reason": ""})
    assert empty.status_code == 422 and 'id="reason-error"' in empty.text
    revoked = submit(
        workspace.client, f"{batch_url}?lang=en", f"{batch_url}/revoke?lang=en", {"reason": "Kļūdains fails"}
    )
    assert revoked.status_code == 303
    shown = workspace.client.get(revoked.headers["location"])
    assert "Every credential of the batch is revoked." in shown.text and "Kļūdains fails" in shown.text
    assert 'data-verdict="revoked"' in workspace.client.get(links[1].replace("http://127.0.0.1:8000", "")).text


def test_the_progress_page_of_a_batch_made_elsewhere_follows_it_while_it_runs(workspace, session_factory):
    """A batch queued by another path (the API, a mission's "issue all"): its page polls while it is not finished."""
    from base.db import transaction

    with transaction(session_factory) as session:
        batch = BatchRow(organisation_id=workspace.org.org_id, status="running", rows=4, valid=4, issued=1, errors=[])
        session.add(batch)
        session.flush()
        batch_id = batch.id
    page = workspace.client.get(f"/org/ws-org/batches/{batch_id}?lang=en")
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in page.text
    assert (
        f'hx-get="/org/ws-org/batches/{batch_id}/progress?lang=en"' in page.text
        and 'hx-trigger="every 1s"' in page.text
    )
    assert '<progress id="batch-progress" max="4" value="1">' in page.text and "(25 %)" in page.text
    fragment = workspace.client.get(f"/org/ws-org/batches/{batch_id}/progress?lang=en")
    assert fragment.status_code == 200 and "<html" not in fragment.text and "Stop the batch" in fragment.text
    stopped = submit(
        workspace.client,
        f"/org/ws-org/batches/{batch_id}?lang=en",
        f"/org/ws-org/batches/{batch_id}/cancel?lang=en",
        {},
    )
    assert stopped.status_code == 303
    assert "The batch is stopped." in workspace.client.get(stopped.headers["location"]).text


def test_batch_forms_are_refused_to_anyone_who_may_not_use_them(workspace, session_factory, stranger):
    answer = upload_page(workspace.client, csv_bytes([good_row(1)]))
    batch_url = answer.headers["location"].split("?")[0]
    for action in (f"{batch_url}/start", f"{batch_url}/cancel"):
        check_form_refusals(workspace, session_factory, batch_url, action, {}, stranger)
    check_form_refusals(workspace, session_factory, batch_url, f"{batch_url}/revoke", {"reason": "Kļūda"}, stranger)
    assert stranger.get(batch_url).status_code == 404
    assert stranger.get("/org/ws-org/batches").status_code == 404
    check_form_refusals(
        workspace,
        session_factory,
        "/org/ws-org/batches",
        "/org/ws-org/batches",
        {},
        stranger,
        files={"file": ("rows.csv", csv_bytes([good_row(2)]))},
    )
