"""The dashboard's year (volunteers and hours), kept in `year_volunteers` on every write, stays exactly what the
records and missions say: after each step of an organisation's year (records recorded, issued, revoked, corrected;
a batch upload; mission volunteers added, given hours, finished and issued, a mission moved to another year, a
volunteer removed; a regular activity without a planned end), the dashboard's figures equal those computed by hand
and those counted afresh from every row."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select

from credentials.common import today_in_latvia
from credentials.missions import service as missions
from credentials.missions.store import MissionRow, ParticipationRow
from credentials.store import RecordRow
from issuers.auth import Principal
from issuers.store import OrganisationRow
from tests.credentials.batch_helpers import csv_bytes, good_row, upload, wait_for

YEAR = today_in_latvia().year
THIS_YEAR, LAST_YEAR = date(YEAR, 1, 1), date(YEAR - 1, 6, 1)
ANNA = {"name": "Anna Ozola", "email": "anna@example.lv"}


def _record(client, org, volunteer: dict, day: date, hours, **changes) -> dict:
    body = {
        "volunteer": volunteer,
        "mission_type": "event-support",
        "title": "Jāņu festivāls",
        "municipality": "Cēsu novads",
        "start_date": day.isoformat(),
        "end_date": day.isoformat(),
        "hours": hours,
        **changes,
    }
    answer = client.post("/records", json=body, headers=org.headers())
    assert answer.status_code == 201, answer.text
    return answer.json()


def _issue(client, org, record_id: str) -> str:
    answer = client.post(f"/records/{record_id}/issue", headers=org.headers())
    assert answer.status_code == 201, answer.text
    return answer.json()["credential_id"]


def _counted_afresh(session, organisation_id: str) -> tuple[int, Decimal]:
    """The year's volunteers and hours by their definition, from every row of the organisation, in Python."""
    volunteers: set[str] = set()
    hours = Decimal(0)
    for row in session.scalars(select(RecordRow).where(RecordRow.organisation_id == organisation_id)):
        counted = row.status == "issued" or (row.status == "approved" and row.revises_id is None)
        if counted and row.end_date.year == YEAR:
            volunteers.add(row.volunteer_id)
            hours += row.hours
    participations = session.execute(
        select(ParticipationRow, MissionRow)
        .join(MissionRow, MissionRow.id == ParticipationRow.mission_id)
        .where(ParticipationRow.organisation_id == organisation_id)
    )
    for participation, mission in participations:
        if mission.start_date.year <= YEAR and (mission.end_date is None or mission.end_date.year >= YEAR):
            volunteers.add(participation.volunteer_id)
            if participation.record_id is None:
                hours += participation.hours or 0
    return len(volunteers), hours


def _check(app, org, volunteers: int, hours: str) -> None:
    with app.state.session_factory() as session:
        row = session.scalar(select(OrganisationRow).where(OrganisationRow.slug == org.slug))
        shown = missions.dashboard(session, Principal("token", organisation_id=row.id), row, today_in_latvia())
        assert (shown.volunteers, shown.hours) == _counted_afresh(session, row.id)
    assert (shown.volunteers, shown.hours) == (volunteers, Decimal(hours))


def test_the_dashboards_year_follows_every_write(app, client, make_org):
    org = make_org("year")
    other = make_org("other-year")  # another organisation's year never mixes in
    _record(client, other, ANNA, THIS_YEAR, 20)
    _check(app, org, 0, "0")

    # approved records count; last year's does not; issuing changes nothing; a revoked credential's work was done
    anna = _record(client, org, ANNA, THIS_YEAR, 10)
    _record(client, org, ANNA, LAST_YEAR, 5)
    _check(app, org, 1, "10")
    janis = _record(client, org, {"name": "Jānis Bērziņš", "email": "janis@example.lv"}, THIS_YEAR, 4)
    _issue(client, org, janis["id"])
    anna_credential = _issue(client, org, anna["id"])
    _check(app, org, 2, "14")
    revoked = client.post(f"/credentials/{anna_credential}/revoke", json={"reason": "Kļūda"}, headers=org.headers())
    assert revoked.status_code == 200, revoked.text
    _check(app, org, 2, "14")

    # a correction counts once issued, in place of the record it corrects
    correction = client.post(f"/records/{janis['id']}/revise", json={"hours": "6,5"}, headers=org.headers())
    assert correction.status_code == 201, correction.text
    _check(app, org, 2, "14")
    _issue(client, org, correction.json()["id"])
    _check(app, org, 2, "16.5")

    # a batch of three new volunteers (6,5 + 7,5 + 8,5 hours) and one row for Anna again (9,5)
    rows = [good_row(i) | {"start_date": THIS_YEAR.isoformat(), "end_date": THIS_YEAR.isoformat()} for i in range(4)]
    rows[3] |= {"volunteer_name": ANNA["name"], "volunteer_email": ANNA["email"], "mission_type": "clean-up"}
    batch = upload(client, org, csv_bytes(rows))
    assert batch.status_code in (200, 201, 202), batch.text
    assert wait_for(client, org, batch.json()["id"])["issued"] == 4
    _check(app, org, 5, "48.5")

    # a mission of this year: Anna (already counted) and two new volunteers, their hours until their records exist
    mission = client.post(
        "/missions",
        json={
            "mission_type": "event-support",
            "title": "Talka",
            "municipality": "Cēsu novads",
            "start_date": THIS_YEAR.isoformat(),
            "end_date": THIS_YEAR.isoformat(),
        },
        headers=org.headers(),
    ).json()
    base = f"/missions/{mission['id']}"
    listed = client.post(
        f"{base}/volunteers/list",
        json={"text": "Anna Ozola, anna@example.lv\nZane Liepa, zane@example.lv\nOskars Kalns, oskars@example.lv"},
        headers=org.headers(),
    )
    assert listed.status_code == 200, listed.text
    _check(app, org, 7, "48.5")
    people = client.get(f"{base}/volunteers", headers=org.headers()).json()["volunteers"]
    for person in people:
        entered = client.put(f"{base}/volunteers/{person['id']}/hours", json={"hours": 3}, headers=org.headers())
        assert entered.status_code == 200, entered.text
    _check(app, org, 7, "57.5")
    for action in ("approve", "start", "finish"):
        client.post(f"{base}/volunteers/status", json={"action": action}, headers=org.headers())
    issued = client.post(f"{base}/issue", headers=org.headers())
    assert issued.status_code == 202, issued.text
    report = wait_for(client, org, issued.json()["id"])
    # Anna has a record of the same work on the same day already: hers is skipped, her hours stay the mission's
    assert (report["issued"], len(report["errors"])) == (2, 1), report
    _check(app, org, 7, "57.5")  # the others' hours are now their records'

    # a second mission: one new volunteer with 2 hours; moved to last year, then back; then removed from it
    second = client.post(
        "/missions",
        json={
            "mission_type": "event-support",
            "title": "Otrā talka",
            "municipality": "Cēsu novads",
            "start_date": THIS_YEAR.isoformat(),
            "end_date": THIS_YEAR.isoformat(),
        },
        headers=org.headers(),
    ).json()
    added = client.post(
        f"/missions/{second['id']}/volunteers",
        json={"volunteer": {"name": "Ilze Krūmiņa", "email": "ilze@example.lv"}},
        headers=org.headers(),
    ).json()
    client.put(f"/missions/{second['id']}/volunteers/{added['id']}/hours", json={"hours": 2}, headers=org.headers())
    _check(app, org, 8, "59.5")
    moved = client.patch(
        f"/missions/{second['id']}",
        json={"start_date": LAST_YEAR.isoformat(), "end_date": LAST_YEAR.isoformat()},
        headers=org.headers(),
    )
    assert moved.status_code == 200, moved.text
    _check(app, org, 7, "57.5")
    client.patch(
        f"/missions/{second['id']}",
        json={"start_date": THIS_YEAR.isoformat(), "end_date": THIS_YEAR.isoformat()},
        headers=org.headers(),
    )
    _check(app, org, 8, "59.5")
    removed = client.delete(f"/missions/{second['id']}/volunteers/{added['id']}", headers=org.headers())
    assert removed.status_code in (200, 204), removed.text
    _check(app, org, 7, "57.5")

    # a regular activity without a planned end, begun last year: runs this year too; Anna is counted once
    regular = client.post(
        "/missions",
        json={
            "mission_type": "event-support",
            "title": "Pastāvīga palīdzība",
            "municipality": "Cēsu novads",
            "start_date": LAST_YEAR.isoformat(),
        },
        headers=org.headers(),
    )
    assert regular.status_code == 201, regular.text
    regular_base = f"/missions/{regular.json()['id']}"
    for who in (ANNA, {"name": "Marta Vītola", "email": "marta@example.lv"}):
        joined = client.post(f"{regular_base}/volunteers", json={"volunteer": who}, headers=org.headers())
        assert joined.status_code == 201, joined.text
        client.put(f"{regular_base}/volunteers/{joined.json()['id']}/hours", json={"hours": 1}, headers=org.headers())
    _check(app, org, 8, "59.5")
