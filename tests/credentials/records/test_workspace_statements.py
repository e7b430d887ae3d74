"""The organiser's statements in the workspace: the inbox, approving with edits that stay visible as the organiser's,
returning with a comment the volunteer reads, issuing from an approved record; and every form refused to whoever
may not use it."""

from __future__ import annotations

from sqlalchemy import select

from credentials.store import RecordRow
from issuers.store import AuditEntryRow
from tests.credentials.workspace_helpers import (
    check_form_refusals,
    mission_with_options,
    submitted_statement,
)
from tests.pages import submit


def test_the_inbox_lists_submitted_statements_newest_first_with_who_what_and_hours(workspace):
    first, _ = submitted_statement(workspace.client, workspace.org, "Anna Kalniņa", "anna@example.lv")
    second, _ = submitted_statement(workspace.client, workspace.org, "Jānis Liepa", "janis@example.lv")
    inbox = workspace.client.get("/org/ws-org/statements")
    assert inbox.status_code == 200
    assert inbox.text.index("Jānis Liepa") < inbox.text.index("Anna Kalniņa")
    assert "18,5" in inbox.text and "Rudens talka" in inbox.text
    assert f"/org/ws-org/records/{second}" in inbox.text
    english = workspace.client.get("/org/ws-org/statements?lang=en")
    assert "Waiting for review (2)" in english.text and "18.5" in english.text
    assert "Approved, waiting to be issued (0)" in english.text
    # Approved, it moves to the list of records waiting to be issued.
    assert workspace.client.post(f"/records/{first}/approve", headers=workspace.org.headers()).status_code == 200
    approved = workspace.client.get("/org/ws-org/statements?show=approved&lang=en")
    assert "Approved, waiting to be issued (1)" in approved.text and "Waiting for review (1)" in approved.text
    assert "Anna Kalniņa" in approved.text and "Jānis Liepa" not in approved.text


def test_the_inbox_is_paginated(workspace, session_factory):
    for i in range(3):
        submitted_statement(workspace.client, workspace.org, f"Brīvprātīgais {i}", f"v{i}@example.lv")
    import credentials.records.statement_pages as pages

    original, pages.PER_PAGE = pages.PER_PAGE, 2
    try:
        first = workspace.client.get("/org/ws-org/statements?lang=en")
        second = workspace.client.get("/org/ws-org/statements?lang=en&page=2")
    finally:
        pages.PER_PAGE = original
    assert "Page 1 of 2" in first.text and "Brīvprātīgais 2" in first.text and "Brīvprātīgais 0" not in first.text
    assert "Page 2 of 2" in second.text and "Brīvprātīgais 0" in second.text
    assert 'rel="prev"' in second.text


def test_approve_with_edits_shows_what_the_organiser_changed_and_what_the_volunteer_wrote(workspace, session_factory):
    record_id, _ = submitted_statement(workspace.client, workspace.org)
    mission = mission_with_options()
    page_url = f"/org/ws-org/records/{record_id}?lang=en"
    page = workspace.client.get(page_url)
    assert page.status_code == 200 and "Approve" in page.text and "stated by the volunteer" in page.text
    with session_factory() as session:
        record = session.get(RecordRow, record_id)
        had = [item["uri"] for item in record.competences]
        municipality = record.municipality
    kept = had[:1]  # the volunteer's second competence is dropped, another added
    added = next(link.uri for link in mission.competences if link.uri not in had)
    answer = submit(
        workspace.client,
        page_url,
        f"/org/ws-org/records/{record_id}/approve?lang=en",
        {
            "title": "Rudens talka",
            "municipality": municipality,
            "start_date": "2026-10-01",
            "end_date": "2026-10-05",
            "hours": "20",
            "role": "Grupas vadītāja",
            "narrative": "Vadīju piecu cilvēku grupu.",
            "competence": [*kept, added],
        },
    )
    assert answer.status_code == 303, answer.text[:500]
    shown = workspace.client.get(answer.headers["location"])
    assert "The statement is approved." in shown.text
    assert "The volunteer wrote" in shown.text and "<del>18.5</del>" in shown.text and "<ins>20</ins>" in shown.text
    with session_factory() as session:
        record = session.get(RecordRow, record_id)
        assert record.status == "approved" and record.hours == 20
        provenance = {item["uri"]: item["attested_by"] for item in record.competences}
        assert provenance == {kept[0]: "self", added: "organiser"}
        assert record.volunteer_wrote["hours"] == "18.5"
        actions = session.scalars(select(AuditEntryRow.action).where(AuditEntryRow.subject_id == record_id)).all()
        assert "record.approve" in actions
    # The approved record can be issued from its page; a viewer sees no button.
    assert "Issue the credential" in shown.text


def test_an_invalid_edit_shows_the_form_again_with_the_message_next_to_the_field(workspace, session_factory):
    record_id, _ = submitted_statement(workspace.client, workspace.org)
    page_url = f"/org/ws-org/records/{record_id}?lang=en"
    with session_factory() as session:
        record = session.get(RecordRow, record_id)
        municipality = record.municipality
    answer = submit(
        workspace.client,
        page_url,
        f"/org/ws-org/records/{record_id}/approve?lang=en",
        {
            "title": "Rudens talka",
            "municipality": municipality,
            "start_date": "2026-10-01",
            "end_date": "2026-10-05",
            "hours": "-3",
            "competence": [],
        },
    )
    assert answer.status_code == 422
    assert 'id="hours-error"' in answer.text and 'value="-3"' in answer.text
    with session_factory() as session:
        assert session.get(RecordRow, record_id).status == "submitted"


def test_return_with_a_comment_reaches_the_volunteers_statement_page(workspace, session_factory):
    record_id, token = submitted_statement(workspace.client, workspace.org)
    page_url = f"/org/ws-org/records/{record_id}?lang=en"
    empty = submit(workspace.client, page_url, f"/org/ws-org/records/{record_id}/return?lang=en", {"comment": " "})
    assert empty.status_code == 422 and 'id="comment-error"' in empty.text
    answer = submit(
        workspace.client,
        page_url,
        f"/org/ws-org/records/{record_id}/return?lang=en",
        {"comment": "Lūdzu, norādiet precīzas stundas katrā dienā."},
    )
    assert answer.status_code == 303
    assert "went back to the volunteer" in workspace.client.get(answer.headers["location"]).text
    volunteer_page = workspace.client.get(f"/invite/{token}")
    assert "Lūdzu, norādiet precīzas stundas katrā dienā." in volunteer_page.text
    with session_factory() as session:
        assert session.get(RecordRow, record_id).status == "returned"


def test_issue_from_an_approved_record_gives_a_downloadable_certificate_and_a_valid_public_page(workspace):
    record_id, _ = submitted_statement(workspace.client, workspace.org)
    page_url = f"/org/ws-org/records/{record_id}?lang=en"
    approved = workspace.client.post(f"/records/{record_id}/approve", headers=workspace.org.headers())
    assert approved.status_code == 200  # the API and the page share the service
    issued = submit(workspace.client, page_url, f"/org/ws-org/records/{record_id}/issue?lang=en", {})
    assert issued.status_code == 303
    credential_url = issued.headers["location"]
    credential_id = credential_url.split("/credentials/")[1].split("?")[0]
    page = workspace.client.get(credential_url)
    assert "The credential is issued." in page.text and f"/v/{credential_id}" in page.text
    pdf = workspace.client.get(f"/org/ws-org/credentials/{credential_id}/certificate.pdf?language=bilingual")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert 'data-verdict="valid"' in workspace.client.get(f"/v/{credential_id}").text


def test_statement_forms_are_refused_to_anyone_who_may_not_use_them(workspace, session_factory, stranger):
    record_id, _ = submitted_statement(workspace.client, workspace.org)
    page_url = f"/org/ws-org/records/{record_id}"
    for action, data in (
        (f"/org/ws-org/records/{record_id}/approve", {"hours": "20"}),
        (f"/org/ws-org/records/{record_id}/return", {"comment": "Lūdzu, izlabojiet."}),
    ):
        check_form_refusals(workspace, session_factory, page_url, action, data, stranger)
    assert stranger.get("/org/ws-org/statements").status_code == 404
    assert stranger.get(page_url).status_code == 404
    approved = workspace.client.post(f"/records/{record_id}/approve", headers=workspace.org.headers())
    assert approved.status_code == 200
    check_form_refusals(workspace, session_factory, page_url, f"/org/ws-org/records/{record_id}/issue", {}, stranger)
