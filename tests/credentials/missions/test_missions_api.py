"""Missions through the JSON API: the council's festival of 120 volunteers from the list to the credentials,
authorisation, hours sessions and the records' validation messages."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

from catalogue import load_catalogue
from credentials.common import today_in_latvia
from tests.credentials.batch_helpers import wait_for
from tests.credentials.missions.helpers import FESTIVAL_TYPE, create_mission, festival_body, festival_dates, pasted


def _volunteers(client, org, mission_id: str, **params) -> dict:
    response = client.get(f"/missions/{mission_id}/volunteers", params={"limit": 500, **params}, headers=org.headers())
    assert response.status_code == 200, response.text
    return response.json()


def _csv(rows: list[dict]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=["volunteer_name", "volunteer_email", "volunteer_pseudonym", "role"])
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode()


def test_festival_of_120_volunteers_issued_at_once_and_never_twice(client, make_org):
    org = make_org("festivals")
    mission = create_mission(client, org)
    core = list(load_catalogue().mission_type(FESTIVAL_TYPE).core_competences)
    assert mission["competences"] == core and mission["status"] == "open"

    # 100 pasted (named, e-mail), then 20 uploaded: 10 pseudonymous, 10 named without e-mail
    pasted_list = client.post(
        f"/missions/{mission['id']}/volunteers/list", json={"text": pasted(100)}, headers=org.headers()
    )
    assert pasted_list.status_code == 200, pasted_list.text
    assert pasted_list.json()["added"] == 100
    upload_rows = [
        {"volunteer_name": "", "volunteer_email": "", "volunteer_pseudonym": f"festival-pseudo-{i:03d}", "role": ""}
        for i in range(10)
    ] + [
        {"volunteer_name": f"Bez e-pasta {i}", "volunteer_email": "", "volunteer_pseudonym": "", "role": "Stārķis"}
        for i in range(10)
    ]
    uploaded = client.post(
        f"/missions/{mission['id']}/volunteers/upload",
        files={"file": ("list.csv", _csv(upload_rows))},
        headers=org.headers(),
    )
    assert uploaded.status_code == 200, uploaded.text
    assert uploaded.json()["added"] == 20

    # the same lists again: nobody twice
    again = client.post(f"/missions/{mission['id']}/volunteers/list", json={"text": pasted(100)}, headers=org.headers())
    assert again.json() == {"lines": 100, "added": 0, "already": 100, "volunteers": []}
    again = client.post(
        f"/missions/{mission['id']}/volunteers/upload",
        files={"file": ("list.csv", _csv(upload_rows))},
        headers=org.headers(),
    )
    assert again.json()["added"] == 0
    listed = _volunteers(client, org, mission["id"])
    assert listed["total"] == 120 and {v["status"] for v in listed["volunteers"]} == {"new"}

    # approved, active, hours (a total for most, sessions for some), finished
    for action in ("approve", "start"):
        changed = client.post(
            f"/missions/{mission['id']}/volunteers/status", json={"action": action}, headers=org.headers()
        )
        assert changed.json() == {"changed": 120, "skipped": 0}
    start, _ = festival_dates()
    for position, volunteer in enumerate(listed["volunteers"]):
        body = (
            {"sessions": [{"date": start, "hours": 6}, {"date": start, "hours": "2,5", "note": "vakars"}]}
            if position % 10 == 0
            else {"hours": 12 + position % 5}
        )
        entered = client.put(
            f"/missions/{mission['id']}/volunteers/{volunteer['id']}/hours", json=body, headers=org.headers()
        )
        assert entered.status_code == 200, entered.text
    finished = client.post(
        f"/missions/{mission['id']}/volunteers/status", json={"action": "finish"}, headers=org.headers()
    )
    assert finished.json() == {"changed": 120, "skipped": 0}

    issued = client.post(f"/missions/{mission['id']}/issue", headers=org.headers())
    assert issued.status_code == 202, issued.text
    assert issued.json()["valid"] == 120 and issued.json()["errors"] == []
    report = wait_for(client, org, issued.json()["id"])
    assert (report["status"], report["issued"], report["skipped"], report["failed"]) == ("done", 120, 0, 0)

    listed = _volunteers(client, org, mission["id"])
    credential_ids = {v["credential_id"] for v in listed["volunteers"]}
    assert None not in credential_ids and len(credential_ids) == 120
    sessions_one = next(v for v in listed["volunteers"] if v["hours_by_sessions"])
    assert sessions_one["hours"] == "8.5" and sessions_one["verify_url"].endswith(f"/v/{sessions_one['credential_id']}")
    credential = client.get(f"/credentials/{sessions_one['credential_id']}").json()
    assert credential["credentialSubject"]["activityStartDate"] == start
    assert credential["credentialSubject"]["activityEndDate"] == start  # the sessions' days, not the festival's
    pseudonymous = next(v for v in listed["volunteers"] if v["volunteer"]["kind"] == "pseudonymous")
    document = client.get(f"/credentials/{pseudonymous['credential_id']}").text
    assert "festival-pseudo" not in document and '"identityType":"identifier"' in document.replace(" ", "")

    # the second run issues nothing twice
    second = client.post(f"/missions/{mission['id']}/issue", headers=org.headers())
    assert second.status_code == 202
    assert wait_for(client, org, second.json()["id"])["issued"] == 0
    assert {v["credential_id"] for v in _volunteers(client, org, mission["id"])["volunteers"]} == credential_ids
    summary = client.get(f"/missions/{mission['id']}", headers=org.headers()).json()
    assert summary["counts"]["issued"] == 120 and summary["counts"]["by_status"]["finished"] == 120
    # issued volunteers can no longer be changed here (a correction is the way)
    locked = client.put(
        f"/missions/{mission['id']}/volunteers/{sessions_one['id']}/hours", json={"hours": 3}, headers=org.headers()
    )
    assert locked.status_code == 409 and locked.json()["code"] == "participation.issued"


def test_issue_all_reports_who_cannot_be_issued_and_issues_the_rest(client, make_org):
    org = make_org("partial")
    start = today_in_latvia() - timedelta(days=3)
    mission = create_mission(
        client, org, start_date=start.isoformat(), end_date=(start + timedelta(days=30)).isoformat()
    )
    client.post(f"/missions/{mission['id']}/volunteers/list", json={"text": pasted(3)}, headers=org.headers())
    for action in ("approve", "start"):
        client.post(f"/missions/{mission['id']}/volunteers/status", json={"action": action}, headers=org.headers())
    volunteers = _volunteers(client, org, mission["id"])["volunteers"]
    for volunteer in volunteers:
        client.put(
            f"/missions/{mission['id']}/volunteers/{volunteer['id']}/hours",
            json={"sessions": [{"date": start.isoformat(), "hours": 4}]},
            headers=org.headers(),
        )
    # one volunteer without sessions: their record would run to the mission's end, in the future
    client.put(
        f"/missions/{mission['id']}/volunteers/{volunteers[0]['id']}/hours", json={"hours": 4}, headers=org.headers()
    )
    client.post(f"/missions/{mission['id']}/volunteers/status", json={"action": "finish"}, headers=org.headers())
    issued = client.post(f"/missions/{mission['id']}/issue", headers={**org.headers(), "Accept-Language": "en"})
    body = issued.json()
    assert body["valid"] == 2
    assert body["errors"][0]["line"] == 1 and body["errors"][0]["column"] == "end_date"
    assert body["errors"][0]["message"] == "The date cannot be in the future: only work already done is attested."
    assert wait_for(client, org, body["id"])["issued"] == 2


def test_other_organisation_gets_404_and_a_reader_cannot_write(client, make_org, app):
    from base.db import transaction
    from issuers import service
    from issuers.store import OrganisationRow
    from tests.conftest import _operator

    org, other = make_org("owner-org"), make_org("other-org")
    mission = create_mission(client, org)
    added = client.post(
        f"/missions/{mission['id']}/volunteers", json={"volunteer": {"name": "Anna"}}, headers=org.headers()
    ).json()
    base = f"/missions/{mission['id']}"
    attempts = [
        ("get", base, None),
        ("patch", base, {"title": "Cits"}),
        ("post", f"{base}/copy", None),
        ("post", f"{base}/close", None),
        ("get", f"{base}/volunteers", None),
        ("post", f"{base}/volunteers", {"volunteer": {"name": "Zane"}}),
        ("post", f"{base}/volunteers/list", {"text": "Zane"}),
        ("put", f"{base}/volunteers/{added['id']}/hours", {"hours": 3}),
        ("post", f"{base}/volunteers/{added['id']}/approve", None),
        ("delete", f"{base}/volunteers/{added['id']}", None),
        ("post", f"{base}/issue", None),
    ]
    for method, url, body in attempts:
        for who in ("token", "admin"):
            kwargs = {"json": body} if body is not None else {}
            response = client.request(method.upper(), url, headers=other.headers(who), **kwargs)
            assert response.status_code == 404, (method, url, who, response.text)
    assert client.get("/missions", headers=other.headers()).json()["total"] == 0

    # a token that may only change credentials' status reads, and is refused every write
    with transaction(app.state.session_factory) as session:
        row = session.get(OrganisationRow, org.org_id)
        _, reader = service.issue_organisation_token(session, row, "reader", scopes=["credentials:status"])
    headers = {"Authorization": f"Bearer {reader}"}
    assert client.get(base, headers=headers).status_code == 200
    assert client.get(f"{base}/volunteers", headers=headers).json()["total"] == 1
    for method, url, body in attempts[1:4] + attempts[5:]:
        kwargs = {"json": body} if body is not None else {}
        response = client.request(method.upper(), url, headers=headers, **kwargs)
        assert response.status_code == 403, (method, url, response.text)
    # a viewer of the organisation (a person's session, bearer) likewise
    with transaction(app.state.session_factory) as session:
        service.create_user(session, "viewer@owner-org.example.lv", "Viewer", "viewer-password-1")
        service.add_member(session, _operator(), "owner-org", "viewer@owner-org.example.lv", "viewer")
        viewer = {
            "Authorization": f"Bearer {service.login(session, 'viewer@owner-org.example.lv', 'viewer-password-1')}"
        }
    assert client.get(base, headers=viewer).status_code == 200
    for method, url, body in attempts[1:4] + attempts[5:]:
        kwargs = {"json": body} if body is not None else {}
        assert client.request(method.upper(), url, headers=viewer, **kwargs).status_code == 403, (method, url)
    # nothing was written
    assert client.get(base, headers=org.headers()).json()["title"] == "Jāņu festivāls"
    assert client.get(f"{base}/volunteers", headers=org.headers()).json()["volunteers"][0]["status"] == "new"
    assert client.get("/missions", headers=org.headers()).json()["total"] == 1


def test_hours_sessions_add_up_within_the_mission(client, make_org):
    org = make_org("hours")
    mission = create_mission(client, org)
    start, end = festival_dates()
    volunteer = client.post(
        f"/missions/{mission['id']}/volunteers", json={"volunteer": {"name": "Laura"}}, headers=org.headers()
    ).json()
    url = f"/missions/{mission['id']}/volunteers/{volunteer['id']}/hours"
    day2 = (today_in_latvia() - timedelta(days=39)).isoformat()
    sessions = [{"date": start, "hours": 7.5, "note": "iekārtošana"}, {"date": day2, "hours": "3,25"}]
    entered = client.put(url, json={"sessions": sessions}, headers=org.headers())
    assert entered.status_code == 200, entered.text
    assert entered.json()["hours"] == "10.75" and entered.json()["hours_by_sessions"] is True
    assert [s["hours"] for s in entered.json()["sessions"]] == ["7.5", "3.25"]
    # a total replaces the sessions
    total = client.put(url, json={"hours": 20}, headers=org.headers()).json()
    assert (total["hours"], total["sessions"], total["hours_by_sessions"]) == ("20", [], False)
    # finishing without hours is refused
    other = client.post(
        f"/missions/{mission['id']}/volunteers", json={"volunteer": {"name": "Ilze"}}, headers=org.headers()
    ).json()
    for action in ("approve", "start"):
        client.post(f"/missions/{mission['id']}/volunteers/{other['id']}/{action}", headers=org.headers())
    refused = client.post(f"/missions/{mission['id']}/volunteers/{other['id']}/finish", headers=org.headers())
    assert refused.status_code == 409 and refused.json()["code"] == "participation.hours_missing"
    skipped = client.post(
        f"/missions/{mission['id']}/volunteers/status", json={"action": "finish"}, headers=org.headers()
    )
    assert skipped.json() == {"changed": 0, "skipped": 1}  # Laura is new: not a candidate; Ilze has no hours


def _errors(response) -> dict:
    assert response.status_code == 422, response.text
    return {error["field"]: error["message"] for error in response.json()["errors"]}


def test_validation_messages_are_the_records_own(client, make_org):
    org = make_org("messages")
    lv = {**org.headers(), "Accept-Language": "lv"}
    mission = create_mission(client, org)
    volunteer = client.post(
        f"/missions/{mission['id']}/volunteers", json={"volunteer": {"name": "Jānis"}}, headers=org.headers()
    ).json()
    url = f"/missions/{mission['id']}/volunteers/{volunteer['id']}/hours"
    start, end = festival_dates()
    future = (today_in_latvia() + timedelta(days=2)).isoformat()
    before = (today_in_latvia() - timedelta(days=100)).isoformat()

    # the same wrong hours through POST /records and here: the same message next to the same field
    record = json.loads(json.dumps(festival_body()))
    record_errors = _errors(
        client.post(
            "/records",
            json={
                "volunteer": {"name": "Jānis"},
                **{k: record[k] for k in ("mission_type", "municipality", "start_date", "end_date")},
                "hours": 100,
            },
            headers=lv,
        )
    )
    mission_errors = _errors(client.put(url, json={"hours": 100}, headers=lv))
    assert mission_errors["hours"] == record_errors["hours"]
    assert "72" in mission_errors["hours"]  # three days of the festival
    assert _errors(client.put(url, json={"hours": "x"}, headers=lv))["hours"].startswith(
        "Stundu skaitam jābūt skaitlim"
    )
    assert (
        _errors(client.put(url, json={"hours": 0}, headers=lv))["hours"] == "Stundu skaitam jābūt lielākam par nulli."
    )

    errors = _errors(
        client.put(
            url,
            json={
                "sessions": [
                    {"date": "2026-13-01", "hours": 2},
                    {"date": future, "hours": 2},
                    {"date": before, "hours": 2},
                    {"date": start, "hours": 20},
                    {"date": start, "hours": 5},
                    {"date": end, "hours": 1.255},
                ]
            },
            headers=lv,
        )
    )
    assert errors["sessions[0].date"] == "Datumam jābūt formātā GGGG-MM-DD."
    assert errors["sessions[1].date"].startswith("Datums nevar būt nākotnē")
    assert errors["sessions[2].date"] == f"Datumam jābūt misijas laikā: no {start} līdz {end}."
    assert errors["sessions[4].hours"] == "Periodā ir 1 diena; tajā nevar būt vairāk par 24 stundām."
    assert errors["sessions[5].hours"] == "Stundas norādiet ne vairāk kā ar divām zīmēm aiz komata."
    assert "sessions[3].hours" not in errors
    both = _errors(client.put(url, json={"hours": 3, "sessions": [{"date": start, "hours": 2}]}, headers=lv))
    assert "hours" in both
    # nothing of it was stored
    assert client.get(url.removesuffix("/hours"), headers=org.headers()).json()["hours"] is None

    # the mission's own fields
    bad = client.post(
        "/missions",
        json=festival_body(
            mission_type="nope", municipality="Atlantīda", end_date="2020-01-01", planned_volunteers=0, visibility="x"
        ),
        headers={**org.headers(), "Accept-Language": "en"},
    )
    errors = _errors(bad)
    assert set(errors) == {"mission_type", "municipality", "end_date", "planned_volunteers", "visibility"}
    assert errors["end_date"] == "The end date is before the start date."

    # a list with wrong lines adds nobody, and says which lines
    wrong = client.post(
        f"/missions/{mission['id']}/volunteers/list",
        json={"text": "Anna, anna@example.lv\n, nobody@example.lv\nPēteris, not-an-address@\n"},
        headers={**org.headers(), "Accept-Language": "en"},
    )
    assert wrong.status_code == 422 and wrong.json()["code"] == "mission.list_invalid"
    assert [(e["line"], e["column"]) for e in wrong.json()["errors"]] == [(2, "name"), (3, "email")]
    assert _volunteers(client, org, mission["id"])["total"] == 1


def test_copy_close_reopen_and_open_ended_activities(client, make_org):
    org = make_org("regular")
    mission = create_mission(client, org, end_date=None, title="Zupas virtuve katru sestdienu")
    assert mission["end_date"] is None
    copy = client.post(f"/missions/{mission['id']}/copy", json={"title": "Zupas virtuve 2027"}, headers=org.headers())
    assert copy.status_code == 201
    assert copy.json()["copied_from"] == mission["id"] and copy.json()["title"] == "Zupas virtuve 2027"
    assert copy.json()["competences"] == mission["competences"]
    edited = client.patch(f"/missions/{mission['id']}", json={"mission_type": "fundraising"}, headers=org.headers())
    assert edited.status_code == 200, edited.text  # a new mission type brings its core competences
    assert edited.json()["competences"] == list(load_catalogue().mission_type("fundraising").core_competences)
    assert edited.json()["title"] == "Zupas virtuve katru sestdienu"
    closed = client.post(f"/missions/{mission['id']}/close", headers=org.headers())
    assert closed.json()["status"] == "closed"
    refused = client.post(
        f"/missions/{mission['id']}/volunteers", json={"volunteer": {"name": "Ola"}}, headers=org.headers()
    )
    assert refused.status_code == 409 and refused.json()["code"] == "mission.closed"
    assert client.get("/missions?status=open", headers=org.headers()).json()["total"] == 1
    assert client.get("/missions?status=closed", headers=org.headers()).json()["total"] == 1
    assert client.post(f"/missions/{mission['id']}/reopen", headers=org.headers()).json()["status"] == "open"

    # a pseudonymous volunteer with an identifier made here (shown once), finished on an open-ended activity
    added = client.post(f"/missions/{mission['id']}/volunteers", json={}, headers=org.headers())
    assert added.status_code == 201 and len(added.json()["pseudonym"]) >= 8
    pid = added.json()["id"]
    client.put(f"/missions/{mission['id']}/volunteers/{pid}/hours", json={"hours": 16}, headers=org.headers())
    for action in ("approve", "finish"):
        assert (
            client.post(f"/missions/{mission['id']}/volunteers/{pid}/{action}", headers=org.headers()).status_code
            == 200
        )
    issued = client.post(f"/missions/{mission['id']}/volunteers/{pid}/issue", headers=org.headers())
    assert issued.status_code == 201, issued.text
    subject = client.get(f"/credentials/{issued.json()['credential_id']}").json()["credentialSubject"]
    assert subject["activityEndDate"] == today_in_latvia().isoformat()  # the day they finished
    again = client.post(f"/missions/{mission['id']}/volunteers/{pid}/issue", headers=org.headers())
    assert again.status_code == 409
