"""The reports bench's simulated year: the generator's spread, and its rows loaded through the real tables (and the
summary of published figures rebuilt) give the national figures back (not timed here)."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

from bench.reports import generate, load, rebuild_summary


def test_generator_spreads_a_year_as_documented():
    rows = generate(organisations=60, records=3_000, hours=30_000)
    assert len(rows["organisations"]) == 60 and len(rows["records"]) == 3_000 == len(rows["credentials"])
    total = sum(r["hours"] for r in rows["records"])
    assert abs(total - 30_000) < 300  # scaled to the target, rounded to half hours
    forms = Counter(o["legal_form"] for o in rows["organisations"])
    assert forms["municipal-institution"] == 43  # one per municipality
    months = Counter(r["start_date"].month for r in rows["records"])
    assert months[7] > months[1]  # summer is busier than winter
    statuses = Counter(c["status"] for c in rows["credentials"])
    assert 0 < statuses["revoked"] < 0.05 * 3_000


def test_loaded_year_gives_the_national_figures_back(settings):
    from credentials.reports import service
    from volcred.cli import Runtime

    runtime = Runtime(settings)
    rows = generate(organisations=50, records=1_000, hours=10_000)
    load(runtime, rows)
    _, slices = rebuild_summary(runtime)  # bulk inserts bypass the ORM that keeps the published figures' summary
    assert slices >= 1_000
    active_records = {c["record_id"] for c in rows["credentials"] if c["status"] != "revoked"}
    expected = sum(
        (r["hours"] * (min(r["end_date"].toordinal(), 739_981) - r["start_date"].toordinal() + 1))
        / ((r["end_date"] - r["start_date"]).days + 1)
        for r in rows["records"]
        if r["id"] in active_records
    )  # 739_981: 31 Dec 2026; records start in 2026 and a few run on into 2027
    with runtime.transaction() as session:
        report = service.national_report(session, service.Choice(2026), "en")
    by_month = report.tables[0]
    assert by_month.total is not None
    assert abs(Decimal(by_month.total[2]) - Decimal(expected)) < Decimal("0.1")
    runtime.session_factory.kw["bind"].dispose()
