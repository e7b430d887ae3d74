"""An organisation's reports, a municipality's territory and the national statistics against hand-computed figures,
on SQLite and PostgreSQL, through the JSON API, the pages and the downloads."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from tests.credentials.helpers import issue, record_body


@pytest.fixture
def year_2026(workspace, add_record, client):
    """The workspace organisation's 2026 (hours by hand; the method is pro rata by days):
    v1: 30 h, 30 Dec 2025 - 2 Jan 2026 (4 days): 15 h in Dec 2025, 15 h in Jan 2026
    v2: 60 h, 31 Jan - 1 Mar 2026 (30 days): Jan 2, Feb 56, Mar 2 (clean-up, environment)
    v3: a draft of 100 h in January: not counted
    v4: 42 h in June, issued and then revoked: not counted
    v5: 10 h in June, issued and active: counted, with its credential
    2026: Jan 17 h (2 volunteers), Feb 56, Mar 2, Jun 10; 85 h, 3 volunteers, 1 credential."""
    org = workspace.org
    add_record(org.org_id, "2025-12-30", "2026-01-02", 30)
    add_record(org.org_id, "2026-01-31", "2026-03-01", 60, mission_type="clean-up", title="Talka")
    add_record(org.org_id, "2026-01-05", "2026-01-20", 100, status="draft")
    _, revoked = issue(
        client, org, record_body(mission_type="event-support", volunteer={"name": "Anna", "email": "anna@example.lv"})
    )
    assert (
        client.post(
            f"/credentials/{revoked['credential_id']}/revoke", json={"reason": "kļūda"}, headers=org.headers()
        ).status_code
        == 200
    )
    issue(
        client,
        org,
        record_body(mission_type="event-support", hours=10, volunteer={"name": "Ben", "email": "ben@example.lv"}),
    )
    return org


def _report(client, org, report, **params):
    response = client.get(
        f"/organisations/{org.slug}/reports/{report}", params={"lang": "en", **params}, headers=org.headers()
    )
    assert response.status_code == 200, response.text
    return response.json()


def _rows(table):
    return {row["key"]: row for row in table["rows"]}


def test_hours_by_month_pro_rata_excludes_drafts_and_revoked(year_2026, client):
    report = _report(client, year_2026, "activity", year=2026)
    by_month = _rows(report["tables"][1])
    assert by_month["2026-01"]["hours"] == 17.0 and by_month["2026-01"]["volunteers"] == 2
    assert by_month["2026-02"]["hours"] == 56.0 and by_month["2026-03"]["hours"] == 2.0
    assert by_month["2026-06"] == {**by_month["2026-06"], "hours": 10.0, "volunteers": 1, "credentials": 1}
    assert by_month["total"]["hours"] == 85.0 and by_month["total"]["volunteers"] == 3
    assert by_month["total"]["credentials"] == 1  # the revoked credential is not counted
    assert report["figures"] == {"new": 2, "active": 3, "finished": 3}


def test_hours_by_quarter_and_domain_and_last_year(year_2026, client):
    report = _report(client, year_2026, "hours", year=2026, grain="quarter", dimension="domain")
    (table,) = report["tables"]
    rows = _rows(table)
    assert rows["environment"]["2026-Q1"] == 60.0
    assert rows["community"]["2026-Q1"] == 15.0 and rows["community"]["2026-Q2"] == 10.0
    assert rows["total"]["total"] == 85.0
    assert "days in the period" in table["method"]
    previous = _report(client, year_2026, "hours", year=2025, grain="year", dimension="mission_type")
    assert _rows(previous["tables"][0])["event-support"]["2025"] == 15.0


def test_annual_report_figures(year_2026, client):
    report = _report(client, year_2026, "annual", year=2026)
    # places: Festivāls (v1), Talka (v2) and the Jāņu festival (v5); the revoked one's is not counted
    assert report["figures"] == {"places": 3, "volunteers": 3, "hours": 85.0}


def test_popular_missions_and_statements(workspace, add_record, client):
    org = workspace.org
    for _ in range(3):
        add_record(org.org_id, "2026-05-01", "2026-05-01", 4, title="Talka", mission_type="clean-up")
    add_record(org.org_id, "2026-05-02", "2026-05-02", 4, title="Koncerts")
    add_record(
        org.org_id,
        "2026-04-01",
        "2026-04-01",
        3,
        source="volunteer",
        status="submitted",
        submitted_at="2026-04-02T10:00:00",
    )
    add_record(
        org.org_id,
        "2026-04-01",
        "2026-04-01",
        3,
        source="volunteer",
        status="returned",
        submitted_at="2026-04-03T10:00:00",
    )
    add_record(
        org.org_id,
        "2026-04-01",
        "2026-04-01",
        3,
        source="volunteer",
        status="approved",
        submitted_at="2026-04-04T10:00:00",
    )
    popular = _report(client, org, "popular", year=2026)
    missions = popular["tables"][0]["rows"]
    assert [row["key"] for row in missions[:2]] == ["Talka", "Festivāls"]
    assert missions[0]["volunteers"] == 3
    statements = _report(client, org, "statements", year=2026)
    assert statements["figures"] == {"submitted": 3, "approved": 1, "returned": 1, "waiting": 1}


def test_another_organisations_report_is_not_found_and_a_viewer_reads(year_2026, workspace, make_org, client):
    other = make_org("other-org")
    assert client.get(f"/organisations/{other.slug}/reports/hours", headers=year_2026.headers()).status_code == 404
    assert workspace.client.get(f"/org/{other.slug}/reports/hours").status_code == 404
    viewer = workspace.as_role("viewer")
    page = viewer.get(f"/org/{workspace.slug}/reports/activity?year=2026&lang=en")
    assert page.status_code == 200
    assert "85" in page.text and "<svg" in page.text
    assert workspace.client.get(f"/org/{workspace.slug}/reports/territory").status_code == 404  # not a municipality


def test_pages_and_downloads_hold_the_same_numbers(year_2026, workspace):
    base = f"/org/{workspace.slug}/reports/activity"
    index = workspace.client.get(f"/org/{workspace.slug}/reports?lang=en")
    assert index.status_code == 200 and 'aria-current="page"' in index.text and "Reports" in index.text
    for report in ("activity", "hours", "popular", "statements", "missions", "annual"):
        assert workspace.client.get(f"/org/{workspace.slug}/reports/{report}?year=2026").status_code == 200
    refused = workspace.client.get(f"{base}?year=1066&lang=en")
    assert refused.status_code == 422 and "Choose a year from 2000" in refused.text  # a readable page, not a 500

    semicolon = workspace.client.get(f"{base}/export.csv?sep=;&year=2026&lang=en")
    assert semicolon.status_code == 200 and semicolon.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(semicolon.content.decode("utf-8-sig")), delimiter=";"))
    assert ["Total", "3", "85,0", "1"] in rows
    comma = list(
        csv.reader(
            io.StringIO(workspace.client.get(f"{base}/export.csv?sep=,&year=2026&lang=en").content.decode("utf-8-sig"))
        )
    )
    assert ["Total", "3", "85.0", "1"] in comma

    book = load_workbook(io.BytesIO(workspace.client.get(f"{base}/export.xlsx?year=2026&lang=en").content))
    sheet = book["by-month"]
    assert ["Total", 3, 85.0, 1] in [list(row) for row in sheet.iter_rows(values_only=True)]

    pdf = workspace.client.get(f"{base}/export.pdf?year=2026&lang=en")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Volunteers and their activity" in text and "85" in text


def test_municipality_sees_its_territory_suppressed(app, make_org, add_record, client):
    """Cēsis (a municipal institution) sees volunteering in Cēsis by any organisation: 6 volunteers of one
    organisation in event-support, 2 of another in clean-up (< 5: hidden, and event-support with it, since the
    total would give it away); Riga's records are not in its territory."""
    from tests.pages import sign_in

    town = make_org("cesis-town", legal_form="municipal-institution", municipality="Cēsu novads")
    ngo = make_org("ngo")
    for _ in range(6):
        add_record(ngo.org_id, "2026-03-01", "2026-03-01", 5)
    for _ in range(2):
        add_record(town.org_id, "2026-03-02", "2026-03-02", 5, mission_type="clean-up")
    add_record(ngo.org_id, "2026-03-01", "2026-03-01", 5, municipality="riga")
    territory = client.get(
        "/organisations/cesis-town/reports/territory?year=2026&lang=en", headers=town.headers()
    ).json()
    by_type = _rows(next(t for t in territory["tables"] if t["key"] == "by-mission_type"))
    assert by_type["clean-up"]["volunteers"] is None and by_type["event-support"]["volunteers"] is None
    assert by_type["total"]["volunteers"] == 8 and by_type["total"]["hours"] == 40.0
    assert client.get("/organisations/ngo/reports/territory", headers=ngo.headers()).status_code == 404
    assert sign_in(client, "admin@cesis-town.example.lv", "admin-password-1").status_code == 303
    page = client.get("/org/cesis-town/reports/territory?year=2026&lang=en")
    assert page.status_code == 200 and "×" in page.text


def test_national_statistics_and_open_data(app, make_org, add_record, client):
    """Riga: 6 volunteers, 60 h; Cēsis: 2 volunteers, 8 h (< 5: hidden; Riga with it, as the only other non-empty
    municipality); the total of 8 volunteers and 68 h is shown. No names anywhere."""
    a = make_org("org-a")
    for _ in range(6):
        add_record(a.org_id, "2026-07-01", "2026-07-02", 10, municipality="riga")
    for _ in range(2):
        add_record(a.org_id, "2026-07-01", "2026-07-01", 4, municipality="cesis")
    data = client.get("/statistics/data.json?year=2026&lang=en").json()
    cells = {(row["cut"], row["value"]): row for row in data["rows"]}
    assert cells[("municipality", "cesis")]["suppressed"] and cells[("municipality", "cesis")]["hours"] is None
    assert cells[("municipality", "riga")]["suppressed"]
    assert cells[("municipality", "total")] | {} == {**cells[("municipality", "total")], "volunteers": 8, "hours": 68.0}
    assert cells[("month", "2026-07")]["volunteers"] == 8
    assert cells[("organisation_type", "association-or-foundation")]["volunteers"] == 8
    table = client.get("/statistics/data.csv?year=2026&sep=;")
    assert table.status_code == 200
    lines = list(csv.DictReader(io.StringIO(table.text), delimiter=";"))
    riga = next(row for row in lines if row["cut"] == "municipality" and row["value"] == "riga")
    assert riga["volunteers"] == "" and riga["suppressed"] == "true"
    page = client.get("/statistics?year=2026&lang=en")
    assert page.status_code == 200 and "Volunteering statistics" in page.text and "<svg" in page.text
    assert client.get("/statistics/dictionary?lang=en").status_code == 200
    assert client.get("/statistics/export.xlsx?year=2026").status_code == 200


def test_missions_planned_against_actual(workspace, add_record, app, client):
    """Festival (2026, 5 planned): approved 4 h, finished 6 h, a new application: 2 taking part, 1 finished, 10 h.
    A regular activity since 2025 (no end, nothing planned) runs in 2026 too; a 2025 event does not."""
    from datetime import date
    from decimal import Decimal

    from base.db import transaction
    from credentials.missions.store import MissionRow, ParticipationRow

    org = workspace.org
    people = [add_record(org.org_id, "2026-02-01", "2026-02-01", 1) for _ in range(3)]
    with transaction(app.state.session_factory) as session:

        def mission(title, start, end, planned):
            row = MissionRow(
                organisation_id=org.org_id,
                mission_type="event-support",
                catalogue_version="1.0.0",
                title=title,
                municipality="cesis",
                start_date=date.fromisoformat(start),
                end_date=date.fromisoformat(end) if end else None,
                planned_volunteers=planned,
            )
            session.add(row)
            session.flush()
            return row.id

        festival = mission("Festivāls", "2026-06-20", "2026-06-24", 5)
        mission("Lasīšanas pulciņš", "2025-09-01", None, None)
        mission("Rudens talka", "2025-10-01", "2025-10-01", 20)
        for volunteer, status, hours in zip(people, ("approved", "finished", "new"), (4, 6, None)):
            session.add(
                ParticipationRow(
                    mission_id=festival,
                    organisation_id=org.org_id,
                    volunteer_id=volunteer,
                    status=status,
                    hours=Decimal(hours) if hours else None,
                )
            )
    report = _report(client, org, "missions", year=2026)
    rows = report["tables"][0]["rows"]
    assert [row["label"] for row in rows] == ["Lasīšanas pulciņš", "Festivāls"]
    assert rows[1] | {} == {**rows[1], "planned": 5, "taking_part": 2, "finished": 1, "hours": 10.0}
    assert rows[0]["planned"] == "" and rows[0]["taking_part"] == 0
    page = workspace.client.get(f"/org/{workspace.slug}/reports/missions?year=2026&lang=en")
    assert page.status_code == 200 and "Volunteers planned" in page.text
