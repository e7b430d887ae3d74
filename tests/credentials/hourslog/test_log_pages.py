"""The volunteer's hours log at /my/log: sessions private to their holder, and sessions of one registered
organisation sent as one statement into its inbox, approved and issued there with the workspace's own pages, the
credential then shown (and held) in the volunteer's log."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from base.db import transaction
from catalogue import load_catalogue
from credentials.common import today_in_latvia
from credentials.holders.service import holder_of_user
from credentials.holders.store import HeldCredentialRow
from credentials.hourslog.store import LogSessionRow
from credentials.records.statement_pages import record_form_values
from credentials.store import CredentialRow, RecordRow, VolunteerRow
from issuers import service as issuers
from issuers.store import AuditEntryRow, UserRow
from tests.pages import csrf_of, sign_in, submit

MISSION = "event-support"


def _uris() -> list[str]:
    return [link.uri for link in load_catalogue().mission_types_by_code[MISSION].competences]


def _person(app, email: str, name: str):
    with transaction(app.state.session_factory) as session:
        issuers.create_user(session, email, name, "volunteer-password-1")
    client = TestClient(app)
    client.__enter__()
    assert sign_in(client, email, "volunteer-password-1").status_code == 303
    return client


@pytest.fixture
def volunteer(app):
    client = _person(app, "liga@example.lv", "Līga Bērziņa")
    yield client
    client.__exit__(None, None, None)


@pytest.fixture
def stranger(app):
    client = _person(app, "other@example.lv", "Cits Cilvēks")
    yield client
    client.__exit__(None, None, None)


def _day(days_ago: int) -> str:
    return (today_in_latvia() - timedelta(days=days_ago)).isoformat()


def _add(client, **fields):
    data = {
        "organisation_name": "",
        "organisation_id": "",
        "worked_on": _day(3),
        "hours": "3",
        "activity": "Helped at the info desk",
        "action": "save",
        **fields,
    }
    return submit(client, "/my/log/new?lang=en", "/my/log/new?lang=en", data)


def _ids(session_factory) -> list[str]:
    with session_factory() as session:
        return list(session.scalars(select(LogSessionRow.id).order_by(LogSessionRow.worked_on)))


def test_sign_in_is_needed(client):
    answer = client.get("/my/log", follow_redirects=False, headers={"Accept": "text/html"})
    assert answer.status_code in (302, 303) and "/login" in answer.headers["location"]


def test_sessions_are_listed_newest_first_with_totals_and_registered_or_free_text(
    volunteer, workspace, session_factory
):
    uris = _uris()
    registered = _add(
        volunteer, organisation_name="Biedrība ws-org", organisation_id=workspace.org.org_id, competence=uris[:2]
    )
    assert registered.status_code == 303 and "notice.log_saved" in registered.headers["location"]
    free = _add(volunteer, organisation_name="Kaimiņu talka", organisation_id="free", worked_on=_day(1), hours="2,5")
    assert free.status_code == 303
    page = volunteer.get("/my/log?lang=en")
    assert page.status_code == 200
    assert page.headers["referrer-policy"] != "no-referrer" and "no-store" in page.headers["cache-control"]
    text = page.text
    assert text.index("Kaimiņu talka") < text.index("Biedrība ws-org")  # newest first
    assert "not registered" in text and "cannot be sent" in text
    assert '"stat__value">2<' in text and '"stat__value">5.5<' in text  # sessions and hours in all
    label = load_catalogue().competence(uris[0]).label.in_language("en")
    assert label in text
    assert "Send as a statement" in text


def test_a_name_registered_organisations_go_by_is_chosen_not_guessed(volunteer, workspace):
    asked = _add(volunteer, organisation_name="ws-org")
    assert asked.status_code == 422
    assert "Registered organisations go by this name" in asked.text and 'value="' + workspace.org.org_id in asked.text
    found = submit(
        volunteer,
        "/my/log/new?lang=en",
        "/my/log/new?lang=en",
        {"organisation_name": "ws-org", "action": "find_organisation", "worked_on": _day(1), "hours": "2"},
    )
    assert found.status_code == 200 and "Biedrība ws-org" in found.text and 'value="2"' in found.text
    searched = submit(
        volunteer,
        "/my/log/new?lang=en",
        "/my/log/new?lang=en",
        {"competence_query": "team", "action": "find_competences", "competence": _uris()[0]},
    )
    assert searched.status_code == 200 and 'name="competence"' in searched.text and "checked" in searched.text


def test_form_errors_are_shown_next_to_the_fields(volunteer, session_factory):
    tomorrow = (today_in_latvia() + timedelta(days=1)).isoformat()
    refused = _add(volunteer, organisation_id="free", organisation_name="Talka", worked_on=tomorrow, hours="25")
    assert refused.status_code == 422
    assert 'id="worked_on-error"' in refused.text and 'id="hours-error"' in refused.text
    assert _add(volunteer, organisation_id="free", organisation_name="Talka", hours="20").status_code == 303
    over = _add(volunteer, organisation_id="free", organisation_name="Talka", hours="5")
    assert over.status_code == 422 and "A day has only 24 hours" in over.text
    assert len(_ids(session_factory)) == 1


def test_my_sessions_are_mine_only(volunteer, stranger, workspace, session_factory):
    _add(volunteer, organisation_id="free", organisation_name="Privātā talka")
    (mine,) = _ids(session_factory)
    for other in (stranger, workspace.client):  # another volunteer; an organisation's member
        assert "Privātā talka" not in other.get("/my/log?lang=en").text
        assert other.get(f"/my/log/{mine}?lang=en").status_code == 404
        token = csrf_of(other.get("/my/log/new").text)
        changed = other.post(
            f"/my/log/{mine}",
            data={
                "csrf_token": token,
                "organisation_id": "free",
                "organisation_name": "X",
                "worked_on": _day(1),
                "hours": "1",
                "activity": "x",
            },
        )
        assert changed.status_code == 404
        assert other.post(f"/my/log/{mine}/delete", data={"csrf_token": token}).status_code == 404
    assert "Privātā talka" in volunteer.get("/my/log?lang=en").text
    # Nothing in the organisation's workspace or API names the log.
    assert "Privātā talka" not in workspace.client.get("/org/ws-org/statements").text


def test_a_session_is_changed_and_deleted_while_not_sent(volunteer, session_factory):
    _add(volunteer, organisation_id="free", organisation_name="Talka")
    (mine,) = _ids(session_factory)
    page = volunteer.get(f"/my/log/{mine}?lang=en")
    assert page.status_code == 200 and 'value="Talka"' in page.text
    changed = submit(
        volunteer,
        f"/my/log/{mine}?lang=en",
        f"/my/log/{mine}?lang=en",
        {
            "organisation_id": "free",
            "organisation_name": "Talka",
            "worked_on": _day(2),
            "hours": "6",
            "activity": "Planted trees",
            "action": "save",
        },
    )
    assert changed.status_code == 303
    with session_factory() as session:
        row = session.get(LogSessionRow, mine)
        assert row.hours == Decimal(6) and row.activity == "Planted trees"
    deleted = submit(volunteer, f"/my/log/{mine}?lang=en", f"/my/log/{mine}/delete?lang=en")
    assert deleted.status_code == 303 and _ids(session_factory) == []


def test_forms_need_the_csrf_token(volunteer, session_factory):
    refused = volunteer.post(
        "/my/log/new",
        data={
            "organisation_id": "free",
            "organisation_name": "Talka",
            "worked_on": _day(1),
            "hours": "1",
            "activity": "x",
        },
    )
    assert refused.status_code == 403
    assert volunteer.post("/my/log/send", data={}).status_code == 403
    assert _ids(session_factory) == []


def _three_sessions(volunteer, workspace) -> list[str]:
    uris = _uris()
    org = workspace.org.org_id
    _add(
        volunteer,
        organisation_id=org,
        organisation_name="ws",
        worked_on=_day(9),
        hours="2.5",
        competence=uris[:1],
        activity="Set up the stage",
    )
    _add(
        volunteer,
        organisation_id=org,
        organisation_name="ws",
        worked_on=_day(5),
        hours="4",
        competence=uris[:2],
        activity="Guided visitors",
    )
    _add(volunteer, organisation_id="free", organisation_name="Cita talka", worked_on=_day(4), hours="1")
    return uris


def _send(volunteer, session_ids: list[str], **fields):
    data = {
        "session": session_ids,
        "mission_type": MISSION,
        "title": "Rudens festivāls",
        "municipality": "riga",
        "language": "lv",
        "organisation": "",
        **fields,
    }
    return submit(volunteer, "/my/log/send?lang=en", "/my/log/send?lang=en", data)


def test_sending_makes_one_statement_in_the_organisations_inbox(volunteer, workspace, session_factory):
    uris = _three_sessions(volunteer, workspace)
    form = volunteer.get("/my/log/send?lang=en")
    assert form.status_code == 200 and "Biedrība ws-org" in form.text and "Cita talka" not in form.text
    with session_factory() as session:
        sendable = list(session.scalars(select(LogSessionRow.id).where(LogSessionRow.organisation_id.is_not(None))))
    sent = _send(volunteer, sendable)
    assert sent.status_code == 303 and "notice.log_sent" in sent.headers["location"]
    again = _send(volunteer, sendable)  # a double click, a reload: the same statement, no other
    assert again.status_code == 303
    with session_factory() as session:
        records = list(session.scalars(select(RecordRow).where(RecordRow.organisation_id == workspace.org.org_id)))
        assert len(records) == 1
        record = records[0]
        assert (record.status, record.source) == ("submitted", "volunteer")
        assert record.hours == Decimal("6.5")
        assert (record.start_date, record.end_date) == (date.fromisoformat(_day(9)), date.fromisoformat(_day(5)))
        assert [(c["uri"], c["attested_by"]) for c in record.competences] == [(uris[0], "self"), (uris[1], "self")]
        assert "Set up the stage" in record.narrative and "Guided visitors" in record.narrative
        assert record.narrative.index("Set up the stage") < record.narrative.index("Guided visitors")
        assert record.title == "Rudens festivāls" and record.mission_type == MISSION
        volunteer_row = session.get(VolunteerRow, record.volunteer_id)
        assert (volunteer_row.name, volunteer_row.email) == ("Līga Bērziņa", "liga@example.lv")
        marked = session.scalars(select(LogSessionRow.statement_record_id).where(LogSessionRow.id.in_(sendable)))
        assert set(marked) == {record.id}
        audit = session.scalars(select(AuditEntryRow).where(AuditEntryRow.action == "statement.send")).all()
        assert [(a.subject_id, a.organisation_id) for a in audit] == [(record.id, workspace.org.org_id)]
    assert "Līga Bērziņa" in workspace.client.get("/org/ws-org/statements").text
    # Sent sessions are no longer changed, deleted or sent once more with others.
    assert volunteer.get(f"/my/log/{sendable[0]}?lang=en").status_code == 409
    token = csrf_of(volunteer.get("/my/log?lang=en").text)
    assert volunteer.post(f"/my/log/{sendable[0]}/delete", data={"csrf_token": token}).status_code == 409
    page = volunteer.get("/my/log?lang=en")
    assert "Statement sent, waiting for approval" in page.text and "Send as a statement" not in page.text


def test_free_text_sessions_cannot_be_sent(volunteer, workspace, session_factory):
    _three_sessions(volunteer, workspace)
    with session_factory() as session:
        free = session.scalar(select(LogSessionRow.id).where(LogSessionRow.organisation_id.is_(None)))
    refused = _send(volunteer, [free])
    assert refused.status_code == 422 and "cannot be sent" in refused.text
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(RecordRow)) == 0


def test_the_organiser_approves_and_issues_and_the_log_shows_the_credential(volunteer, workspace, session_factory):
    _three_sessions(volunteer, workspace)
    with session_factory() as session:
        sendable = list(session.scalars(select(LogSessionRow.id).where(LogSessionRow.organisation_id.is_not(None))))
    _send(volunteer, sendable)
    with session_factory() as session:
        record = session.scalar(select(RecordRow))
        values = record_form_values(record)
    record_url = f"/org/ws-org/records/{record.id}?lang=en"
    form = {**{k: v for k, v in values.items() if k != "competences"}, "competence": values["competences"]}
    approved = submit(workspace.client, record_url, f"/org/ws-org/records/{record.id}/approve?lang=en", form)
    assert approved.status_code == 303, approved.text
    assert "Statement approved" in volunteer.get("/my/log?lang=en").text
    issued = submit(workspace.client, record_url, f"/org/ws-org/records/{record.id}/issue?lang=en")
    assert issued.status_code == 303
    with session_factory() as session:
        credential_id = session.scalar(select(CredentialRow.id).where(CredentialRow.record_id == record.id))
    page = volunteer.get("/my/log?lang=en")
    assert "Credential issued" in page.text and f"/v/{credential_id}" in page.text
    with session_factory() as session:
        user = session.scalar(select(UserRow).where(UserRow.email == "liga@example.lv"))
        held = session.get(HeldCredentialRow, credential_id)
        assert held is not None and held.via == "email"
        assert held.holder_id == holder_of_user(session, user.id).id


def test_a_returned_statement_shows_the_organisers_comment(volunteer, workspace, session_factory):
    _three_sessions(volunteer, workspace)
    with session_factory() as session:
        sendable = list(session.scalars(select(LogSessionRow.id).where(LogSessionRow.organisation_id.is_not(None))))
    _send(volunteer, sendable)
    with session_factory() as session:
        record_id = session.scalar(select(RecordRow.id))
    returned = submit(
        workspace.client,
        f"/org/ws-org/records/{record_id}?lang=en",
        f"/org/ws-org/records/{record_id}/return?lang=en",
        {"comment": "Lūdzu, precizējiet stundas"},
    )
    assert returned.status_code == 303
    page = volunteer.get("/my/log?lang=en")
    assert "Statement returned with a comment" in page.text and "Lūdzu, precizējiet stundas" in page.text


def test_an_account_without_a_name_gives_one_when_it_sends(app, workspace, session_factory):
    # An account made by a sign-in link has no name; the organisation's record of the work needs one.
    volunteer = _person(app, "nameless@example.lv", "Nameless")
    with transaction(session_factory) as session:
        session.scalars(select(UserRow).where(UserRow.email == "nameless@example.lv")).one().name = ""  # as by a link
    try:
        _add(
            volunteer, organisation_id=workspace.org.org_id, organisation_name="Biedrība ws-org", competence=_uris()[:1]
        )
        with session_factory() as session:
            [session_id] = session.scalars(select(LogSessionRow.id)).all()
        refused = _send(volunteer, [session_id])
        assert refused.status_code == 422 and 'id="volunteer_name-error"' in refused.text
        with session_factory() as session:
            assert session.scalar(select(func.count()).select_from(RecordRow)) == 0
        sent = _send(volunteer, [session_id], volunteer_name="  Jānis   Liepa ")
        assert sent.status_code == 303
        with session_factory() as session:
            record = session.scalars(select(RecordRow)).one()
            assert session.get(VolunteerRow, record.volunteer_id).name == "Jānis Liepa"
            assert session.scalars(select(UserRow).where(UserRow.email == "nameless@example.lv")).one().name == (
                "Jānis Liepa"
            )
    finally:
        volunteer.__exit__(None, None, None)
