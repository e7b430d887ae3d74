"""The maintained summary of published figures (credentials.reports.summary) gives exactly the figures of the direct
computation over the records (credentials.reports.store.cuts), kept current by every path that changes what counts,
counts a holder once across organisations, and is rebuilt by `volcred reports rebuild`; on SQLite and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import delete, func, select
from typer.testing import CliRunner

from base.db import transaction
from credentials.holders.store import HeldCredentialRow, HolderRow
from credentials.reports import store, summary
from credentials.reports.periods import year_periods
from credentials.reports.store import Scope, domains_of_mission_types
from credentials.reports.summary import ReportCellPersonRow, ReportCellRow, ReportSliceRow
from credentials.store import CredentialRow
from tests.credentials.helpers import issue, record_body

CUTS = ("municipality", "domain", "mission_type", "organisation_type")


def _normalised(figures):
    """Cut -> {(period, value): (hours, volunteers, credentials)}; an all-zero total is no total (store.cuts gives
    one on PostgreSQL)."""
    found = {}
    for cut, aggregates in figures.items():
        found[cut] = {
            (a.period if cut == "month" else "", a.value): (a.hours, a.volunteers, a.credentials)
            for a in aggregates
            if a.volunteers or a.hours or a.credentials
        }
    return found


def _both(session_factory, scope, year):
    cuts = CUTS if scope.municipality is None else CUTS[1:]  # a territory is not cut by municipality
    with session_factory() as session:
        direct = store.cuts(session, scope, year_periods(year, "month"), cuts, domains_of_mission_types())
        summed = summary.cuts(session, scope, year, cuts)
    return _normalised(direct), _normalised(summed)


def _national(session_factory, year=2026):
    with session_factory() as session:
        return _normalised(summary.cuts(session, Scope(), year, CUTS))


@pytest.fixture
def spread(client, make_org, add_record):
    """Two organisations. Pro-rata splits across months and years (approved records), an issued credential, a revoked
    one, a superseded one (its correction issued), a suspended one, and a correction not yet issued."""
    cesis = make_org("cesis-org")
    riga = make_org("riga-org")
    volunteer = add_record(cesis.org_id, "2025-12-30", "2026-01-02", 30)  # Dec 2025 15 h, Jan 2026 15 h
    add_record(cesis.org_id, "2026-01-31", "2026-03-01", 60, volunteer=volunteer, mission_type="clean-up")
    add_record(riga.org_id, "2026-02-10", "2026-02-10", 5, municipality="riga")
    add_record(riga.org_id, "2026-05-01", "2026-05-31", 100, status="draft")  # never counted
    for n in range(6):  # a cell of at least 5 volunteers
        add_record(cesis.org_id, "2026-04-01", "2026-04-02", 4 + n, municipality="riga", mission_type="clean-up")
    _, revoked = issue(client, cesis, record_body(hours=42, volunteer={"name": "Anna", "email": "anna@example.lv"}))
    client.post(f"/credentials/{revoked['credential_id']}/revoke", json={"reason": "kļūda"}, headers=cesis.headers())
    record, old = issue(
        client, riga, record_body(hours=20, start_date="2026-06-29", end_date="2026-07-02", municipality="Rīga")
    )
    correction = client.post(f"/records/{record['id']}/revise", json={"hours": 24}, headers=riga.headers())
    assert correction.status_code == 201, correction.text
    assert client.post(f"/records/{correction.json()['id']}/issue", headers=riga.headers()).status_code == 201
    _, suspended = issue(client, riga, record_body(hours=7, volunteer={"name": "Ben", "email": "ben@example.lv"}))
    client.post(
        f"/credentials/{suspended['credential_id']}/suspend", json={"reason": "pārbaude"}, headers=riga.headers()
    )
    pending, _ = issue(client, cesis, record_body(hours=8, start_date="2026-09-01", end_date="2026-09-01"))
    assert (
        client.post(f"/records/{pending['id']}/revise", json={"hours": 9}, headers=cesis.headers()).status_code == 201
    )
    return {"cesis": cesis, "riga": riga, "old": old, "suspended": suspended, "revoked": revoked}


def test_summary_figures_equal_the_direct_computation(spread, session_factory):
    for year in (2025, 2026, 2027):
        for scope in (Scope(), Scope(municipality="cesis"), Scope(municipality="riga")):
            direct, summed = _both(session_factory, scope, year)
            assert summed == direct, (year, scope)
    national = _national(session_factory)
    # Hand-computed: January 15 + 2 (pro rata), the superseded credential's 20 h gone and its correction's 24 h split
    # 12 / 12 over June and July, the revoked 42 h and the draft's 100 h nowhere; the suspended 7 h counted, its
    # credential not; the correction not yet issued does not count (its original, 8 h, does).
    assert national["month"][("2026-01", "")][0] == Decimal("17.00")
    assert national["month"][("2026-06", "")][:1] == (Decimal("12.00") + 7,)
    assert national["month"][("2026-07", "")] == (Decimal("12.00"), 1, 1)
    assert national["month"][("2026-09", "")] == (Decimal("8.00"), 1, 1)
    assert national["total"][("", "")][0] == Decimal("15") + 60 + 5 + sum(range(4, 10)) + 24 + 7 + 8
    with session_factory() as session:
        old_slices = session.scalar(
            select(func.count())
            .select_from(ReportSliceRow)
            .join(CredentialRow, CredentialRow.record_id == ReportSliceRow.record_id)
            .where(CredentialRow.id == spread["old"]["credential_id"])
        )
    assert old_slices == 0  # the superseded record left the summary when its correction was issued


def test_status_changes_keep_the_summary_exact(spread, client, session_factory):
    riga = spread["riga"]
    before = _national(session_factory)
    reinstated = client.post(f"/credentials/{spread['suspended']['credential_id']}/unsuspend", headers=riga.headers())
    assert reinstated.status_code == 200, reinstated.text
    after = _national(session_factory)
    assert after["month"][("2026-06", "")][2] == before["month"][("2026-06", "")][2] + 1  # its credential counts again
    direct, summed = _both(session_factory, Scope(), 2026)
    assert summed == direct
    revoked = client.post(
        f"/credentials/{spread['suspended']['credential_id']}/revoke", json={"reason": "kļūda"}, headers=riga.headers()
    )
    assert revoked.status_code == 200
    gone = _national(session_factory)
    assert gone["total"][("", "")][0] == before["total"][("", "")][0] - 7
    direct, summed = _both(session_factory, Scope(), 2026)
    assert summed == direct


def test_a_holder_is_counted_once_across_organisations(client, make_org, session_factory):
    """The same person volunteered for two organisations: two volunteer rows, two people, until the two credentials
    are held by one holder; then one person everywhere the two meet, and in the territory each lies in."""
    first, second = make_org("first-org"), make_org("second-org")
    person = {"name": "Inese", "email": "inese@example.lv"}
    _, a = issue(client, first, record_body(hours=5, municipality="Cēsu novads", volunteer=person))
    _, b = issue(client, second, record_body(hours=6, municipality="Cēsu novads", volunteer=person))
    assert _national(session_factory)["total"][("", "")][1] == 2
    with transaction(session_factory) as session:
        holder = HolderRow(access_token_hash="0" * 64)
        session.add(holder)
        session.flush()
        session.add_all(
            [HeldCredentialRow(credential_id=c["credential_id"], holder_id=holder.id, via="code") for c in (a, b)]
        )
    national = _national(session_factory)
    assert national["total"][("", "")] == (Decimal("11.00"), 1, 2)
    assert national["municipality"][("", "cesis")][1] == 1
    for scope in (Scope(), Scope(municipality="cesis")):
        direct, summed = _both(session_factory, scope, 2026)
        assert summed == direct


def test_reports_rebuild_writes_the_summary_again(spread, session_factory, database_url, tmp_path):
    from tests.conftest import TEST_KEK
    from volcred.cli import app

    expected = _national(session_factory)
    with transaction(session_factory) as session:  # as after a bulk load that bypassed the ORM
        for table in (ReportCellRow, ReportCellPersonRow, ReportSliceRow):
            session.execute(delete(table))
    assert _national(session_factory)["total"] == {}
    env = {"DATABASE_URL": database_url, "VOLCRED_DATA_DIR": str(tmp_path / "cli"), "KEY_ENCRYPTION_KEY": TEST_KEK}
    result = CliRunner().invoke(app, ["reports", "rebuild"], env={**env, "VOLCRED_LANG": "en"})
    assert result.exit_code == 0, result.output
    with session_factory() as session:
        count = session.scalar(select(func.count()).select_from(ReportSliceRow))
    assert f"month slices: {count}" in result.output and count > 0
    assert _national(session_factory) == expected


def test_an_organisation_changing_its_type_moves_its_figures(spread, client, session_factory):
    riga = spread["riga"]
    before = _national(session_factory)["organisation_type"]
    changed = client.patch(
        f"/organisations/{riga.slug}", json={"legal_form": "religious-organisation"}, headers=riga.headers()
    )
    assert changed.status_code == 200, changed.text
    after = _national(session_factory)["organisation_type"]
    assert ("", "religious-organisation") not in before and ("", "religious-organisation") in after
    direct, summed = _both(session_factory, Scope(), 2026)
    assert summed == direct
