"""Inviting volunteers to write their statement from a mission's page: e-mails that reach a real SMTP server, each
with a link that opens the statement form; a link to copy, shown once; a wrong address refused by its line with
nothing written; a double submit sends nothing twice; a viewer refused; the answers followed on the mission page."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from base.mail import OutboxRow
from catalogue import load_catalogue
from credentials.store import InvitationRow
from issuers.store import AuditEntryRow
from tests.authz import database_snapshot
from tests.credentials.missions.helpers import FESTIVAL_TYPE
from tests.credentials.missions.test_missions_pages import _create
from tests.issuers.test_workspace_access import mailed_link
from tests.pages import csrf_of, post_form, sign_in, submit

ADDRESSES = ["anna@example.lv", "Janis@Example.lv", "olga@example.lv"]


def _invite(workspace, mission_id: str, emails: str, client=None):
    client = client or workspace.client
    page = f"{workspace.home}/missions/{mission_id}/invite?lang=en"
    return submit(client, page, page, {"emails": emails})


def _count(session_factory, row, *where) -> int:
    with session_factory() as session:
        return session.scalar(select(func.count()).select_from(row).where(*where)) or 0


def test_three_addresses_get_three_invitations_by_e_mail_and_the_answer_reaches_the_inbox(
    workspace, session_factory, smtp_server
):
    mission_id = _create(workspace, mission_type=FESTIVAL_TYPE, title="Cēsu svētki")
    answer = _invite(workspace, mission_id, "anna@example.lv, Janis@Example.lv\n\nolga@example.lv;")
    assert answer.status_code == 303, answer.text
    done = workspace.client.get(answer.headers["location"])
    assert done.status_code == 200 and "3 invitations sent; 0 addresses had been invited already." in done.text
    assert "sent to janis@example.lv" in done.text
    assert not re.search(r"/invite/[A-Za-z0-9_\-]{30,}", done.text)  # e-mailed links are not shown
    with session_factory() as session:
        rows = session.scalars(select(InvitationRow).where(InvitationRow.mission_id == mission_id)).all()
        assert sorted(row.sent_to for row in rows) == sorted(a.lower() for a in ADDRESSES)
        assert {(row.mission_type, row.title, row.municipality) for row in rows} == {
            (FESTIVAL_TYPE, "Cēsu svētki", "cesis")
        }
        assert (
            session.scalar(
                select(func.count()).select_from(AuditEntryRow).where(AuditEntryRow.action == "invitation.create")
            )
            == 3
        )

    links = {address: mailed_link(smtp_server, address.lower(), "/invite/") for address in ADDRESSES}
    assert len(set(links.values())) == 3
    received = [m for m in smtp_server.messages() if "anna@example.lv" in m.rcpt_tos]
    assert len(received) == 1 and received[0].message["Content-Language"] == "en"
    assert received[0].message["Subject"].endswith("invites you to describe your volunteering")
    assert "“Cēsu svētki”" in received[0].text and "Open the link by" in received[0].text

    # The volunteer opens their link (no account: a browser of their own), fills the statement and submits it
    with TestClient(workspace.app) as client:
        _volunteer_submits(client, session_factory, links["anna@example.lv"])
    inbox = workspace.client.get(f"{workspace.home}/statements?lang=en")
    assert "Anna Kalniņa" in inbox.text
    mission_page = workspace.client.get(f"{workspace.home}/missions/{mission_id}?lang=en").text
    assert "statement submitted" in mission_page and "Anna Kalniņa" in mission_page
    assert mission_page.count("sent, no answer yet") == 2


def _volunteer_submits(client, session_factory, link: str) -> None:
    form = client.get(f"{link}?lang=en")
    assert form.status_code == 200 and "Cēsu svētki" in form.text and 'name="hours"' in form.text
    with session_factory() as session:
        row = session.scalars(select(InvitationRow).where(InvitationRow.sent_to == "anna@example.lv")).one()
        start, end = row.start_date.isoformat(), row.end_date.isoformat()
    statement = {
        "volunteer_kind": "named",
        "volunteer_name": "Anna Kalniņa",
        "volunteer_email": "",
        "start_date": start,
        "end_date": end,
        "hours": "9",
        "municipality": "Cēsu novads",
        "competence": [next(iter(load_catalogue().mission_types_by_code[FESTIVAL_TYPE].core_competences))],
        "action": "submit",
    }
    sent = post_form(client, f"{link}?lang=en", data=statement, follow_redirects=True)
    assert sent.status_code == 200 and "submitted" in sent.text, sent.text[:800]


def test_a_double_submit_sends_nothing_twice(workspace, session_factory, smtp_server):
    mission_id = _create(workspace)
    assert _invite(workspace, mission_id, "anna@example.lv\nolga@example.lv").status_code == 303
    again = _invite(workspace, mission_id, "olga@example.lv\nANNA@example.lv\npeteris@example.lv")
    assert again.status_code == 303
    assert (
        "1 invitation sent; 2 addresses had been invited already."
        in workspace.client.get(again.headers["location"]).text
    )
    assert _count(session_factory, InvitationRow, InvitationRow.mission_id == mission_id) == 3
    assert _count(session_factory, OutboxRow) == 3
    mailed_link(smtp_server, "peteris@example.lv", "/invite/")
    assert sorted(r for m in smtp_server.messages() for r in m.rcpt_tos) == [
        "anna@example.lv",
        "olga@example.lv",
        "peteris@example.lv",
    ]


def test_a_wrong_address_is_shown_by_its_line_and_nothing_is_written(workspace, session_factory):
    mission_id = _create(workspace)
    before = database_snapshot(session_factory)
    answer = _invite(workspace, mission_id, "anna@example.lv\nnot an address\nolga@example.lv, @nobody")
    assert answer.status_code == 422
    assert "“not an address” is not an e-mail address." in answer.text
    assert "“@nobody” is not an e-mail address." in answer.text
    assert re.search(r">2</td>.*not an address", answer.text, re.S) and re.search(
        r">3</td>.*@nobody", answer.text, re.S
    )
    assert "not an address" in re.search(r"<textarea[^>]*>(.*?)</textarea>", answer.text, re.S).group(1)
    too_many = _invite(workspace, mission_id, "\n".join(f"v{i}@example.lv" for i in range(501)))
    assert (
        too_many.status_code == 422
        and "At most 500 addresses can be invited at once (501 were typed)." in too_many.text
    )
    assert _invite(workspace, mission_id, " ").status_code == 422
    forged = workspace.client.post(
        f"{workspace.home}/missions/{mission_id}/invite", data={"emails": "anna@example.lv"}, follow_redirects=False
    )
    assert forged.status_code == 403  # without the form's CSRF token
    assert database_snapshot(session_factory) == before


def test_a_link_to_copy_is_shown_once_and_opens_the_statement_form(workspace, session_factory):
    mission_id = _create(workspace)
    page = f"{workspace.home}/missions/{mission_id}/invite?lang=en"
    answer = submit(workspace.client, page, f"{workspace.home}/missions/{mission_id}/invite/link?lang=en", {})
    assert answer.status_code == 303 and "/invite/" not in answer.headers["location"].split("/invite/done")[1]
    done = workspace.client.get(answer.headers["location"])
    link = re.search(r'<code class="invitation-link">https?://[^/]+(/invite/[A-Za-z0-9_\-]+)</code>', done.text)
    assert link, done.text
    assert done.headers["cache-control"] == "private, no-store"
    again = workspace.client.get(answer.headers["location"])
    assert link.group(1) not in again.text and "The link was shown once already." in again.text
    assert workspace.client.get(f"{link.group(1)}?lang=en").status_code == 200
    assert _count(session_factory, OutboxRow) == 0
    assert "link created, no answer yet" in workspace.client.get(f"{workspace.home}/missions/{mission_id}?lang=en").text


def test_a_viewer_is_refused_and_another_organisation_does_not_see_the_mission(workspace, session_factory, make_org):
    mission_id = _create(workspace)
    viewer = workspace.as_role("viewer")
    mission_page = viewer.get(f"{workspace.home}/missions/{mission_id}?lang=en")
    assert mission_page.status_code == 200 and f"/missions/{mission_id}/invite?" not in mission_page.text
    assert viewer.get(f"{workspace.home}/missions/{mission_id}/invite?lang=en").status_code == 403
    before = database_snapshot(session_factory)
    token = csrf_of(mission_page.text)
    for action in ("invite", "invite/link"):
        refused = viewer.post(
            f"{workspace.home}/missions/{mission_id}/{action}?lang=en",
            data={"emails": "anna@example.lv", "csrf_token": token},
            follow_redirects=False,
        )
        assert refused.status_code == 403, refused.text[:300]
    assert database_snapshot(session_factory) == before
    # a member of another organisation: the mission does not exist for them
    make_org("elsewhere")
    with TestClient(workspace.app) as stranger:
        assert sign_in(stranger, "admin@elsewhere.example.lv", "admin-password-1").status_code == 303
        own = stranger.get("/org/elsewhere/missions?lang=en")
        before = database_snapshot(session_factory)
        assert stranger.get(f"/org/elsewhere/missions/{mission_id}/invite").status_code == 404
        answer = stranger.post(
            f"/org/elsewhere/missions/{mission_id}/invite",
            data={"emails": "anna@example.lv", "csrf_token": csrf_of(own.text)},
            follow_redirects=False,
        )
        assert answer.status_code == 404
    assert database_snapshot(session_factory) == before
