"""Reports on a simulated national year (issue 18): every organisation report, a municipality's territory, the
national statistics page and the open-data CSV, timed on PostgreSQL against the raw-SQL floor of the same queries,
with the service's memory while it serves them.

The simulated year (seeded, so every run loads the same data): 3,100 organisations, 250,000 records, each issued as a
credential, 2.5 million hours, volunteering in 2026 (a few long records run into 2027).

- Organisations over municipalities: by approximate share of the population: Riga 30 %, the other six state cities
  16.5 % together (Daugavpils 4, Liepāja 3.5, Jelgava 3, Jūrmala 2.5, Ventspils 2, Rēzekne 1.5), the 36 municipalities
  the remaining 53.5 % in a Zipf-like spread (weight 1/√rank in the order of municipalities.yaml).
- Organisation types: one municipal institution per municipality (43), the rest associations or foundations 75 %,
  religious organisations 9 %, state institutions 6 %, social enterprises 5 %, political parties 1 %, other 4 %.
- Records per organisation: heavy-tailed (log-normal, σ = 1.3), scaled to 250,000 in all: most organisations have a
  few dozen, the largest several thousand.
- Where: 85 % of an organisation's records in its own municipality, the rest anywhere by the population shares.
- Mission types: the catalogue's mission types with Zipf weights (1/rank), so a few types dominate as in life.
- Months (start date): seasonal, summer high: Jan 5, Feb 5, Mar 7, Apr 9, May 11, Jun 12, Jul 12, Aug 11, Sep 9,
  Oct 8, Nov 6, Dec 5 (relative weights), the day uniform within the month.
- Length: 60 % one day, 25 % 2-7 days, 10 % 8-31 days, 5 % 32-180 days (these cross months, some the year's end).
- Hours: one day 2-8 hours; longer records 1.5-4 hours a day; all scaled so the year holds 2,500,000 hours.
- Volunteers: each organisation has half as many volunteers as records (a volunteer comes back about twice), one in
  three pseudonymous.
- Credentials: one per record; 2 % revoked, 0.5 % suspended, the rest active.

Loading goes through the real tables with bulk Core inserts (no signing: the report figures read records, their
credential's status and their organisation; the issuing path has its own bench). Keys and status lists are one each
per organisation, with placeholder bytes. Bulk inserts bypass the ORM, which keeps the published figures' summary
current (credentials.reports.summary), so the load ends by rebuilding it (`volcred reports rebuild`), timed apart.

Published figures are served fresh (the service's statistics cache off: VOLCRED_STATISTICS_CACHE_SECONDS=0) unless
`--reports-cache` is given.

Timing: the service runs under uvicorn (one worker) as in production; requests come one after another from this
process over loopback. For each endpoint, the floor is the same SQL statements the service runs (captured from
SQLAlchemy while the service builds the report) replayed through psycopg alone: the ratio shows what the ORM, the
Python side of the report (suppression, tables, charts) and HTTP cost. Memory: the server's resident set (VmRSS)
after every request and its peak (VmHWM) at the end.
"""

from __future__ import annotations

import math
import random
import statistics
import time
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from bench.common import bench_runtime, section

ORGANISATIONS = 3_100
RECORDS = 250_000
HOURS = 2_500_000
YEAR = 2026
STATE_CITY_SHARES = {
    "riga": 30.0,
    "daugavpils": 4.0,
    "liepaja": 3.5,
    "jelgava": 3.0,
    "jurmala": 2.5,
    "ventspils": 2.0,
    "rezekne": 1.5,
}
LEGAL_FORMS = {
    "association-or-foundation": 75,
    "religious-organisation": 9,
    "state-institution": 6,
    "social-enterprise": 5,
    "political-party": 1,
    "other": 4,
}
MONTH_WEIGHTS = (5, 5, 7, 9, 11, 12, 12, 11, 9, 8, 6, 5)
CHUNK = 10_000


def municipality_weights() -> dict[str, float]:
    from issuers.municipalities import all_municipalities

    others = [m.code for m in all_municipalities() if not m.state_city]
    zipf = [1 / math.sqrt(rank) for rank in range(1, len(others) + 1)]
    rest = 100.0 - sum(STATE_CITY_SHARES.values())
    return {**STATE_CITY_SHARES, **{code: rest * w / sum(zipf) for code, w in zip(others, zipf)}}


def _pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def generate(organisations: int, records: int, hours: int, seed: int = 2026) -> dict[str, list[dict]]:
    """The rows of every table, as dictionaries for bulk inserts."""
    from base.db import new_id
    from catalogue import load_catalogue

    rng = random.Random(seed)
    places = municipality_weights()
    codes = list(places)
    place_weights = list(places.values())
    mission_types = [m.code for m in load_catalogue().content.mission_types]
    rng.shuffle(mission_types)
    mission_weights = [1 / rank for rank in range(1, len(mission_types) + 1)]
    rows: dict[str, list[dict]] = {k: [] for k in ("organisations", "signing_keys", "status_lists", "volunteers")}
    rows.update(records=[], credentials=[])

    sizes = [rng.lognormvariate(0, 1.3) for _ in range(organisations)]
    scale = records / sum(sizes)
    counts = [max(1, round(s * scale)) for s in sizes]
    counts[counts.index(max(counts))] += records - sum(counts)  # exactly `records` in all

    orgs = []
    for i in range(organisations):
        org_id = new_id()
        if i < len(codes):  # one municipal institution per municipality
            home, form = codes[i], "municipal-institution"
        else:
            home, form = rng.choices(codes, weights=place_weights)[0], _pick(rng, LEGAL_FORMS)
        key_id, revocation_id, suspension_id = new_id(), new_id(), new_id()
        rows["organisations"].append(
            {
                "id": org_id,
                "slug": f"org-{i:05d}",
                "legal_name": f"Organizācija {i}",
                "legal_form": form,
                "registration_number": f"4{i:010d}",
                "municipality": home,
                "status": "verified",
            }
        )
        rows["signing_keys"].append(
            {
                "id": key_id,
                "organisation_id": org_id,
                "fragment": "key-1",
                "public_multikey": f"z6Mk-bench-{i:06d}",
                "encrypted_private_key": b"\0" * 60,
            }
        )
        for list_id, purpose in ((revocation_id, "revocation"), (suspension_id, "suspension")):
            rows["status_lists"].append(
                {
                    "id": list_id,
                    "organisation_id": org_id,
                    "purpose": purpose,
                    "number": 1,
                    "size": 131_072,
                    "bits": b"",
                    "order_key": bytes(16),
                }
            )
        orgs.append((org_id, home, key_id, revocation_id, suspension_id))

    raw_hours: list[float] = []
    for (org_id, home, key_id, revocation_id, suspension_id), count in zip(orgs, counts):
        people = []
        for v in range(max(1, count // 2)):
            volunteer_id = new_id()
            pseudonymous = rng.random() < 1 / 3
            rows["volunteers"].append(
                {
                    "id": volunteer_id,
                    "organisation_id": org_id,
                    "kind": "pseudonymous" if pseudonymous else "named",
                    "pseudonym_lookup": f"{org_id}-{v}" if pseudonymous else None,
                    "name": None if pseudonymous else f"Brīvprātīgais {v}",
                    "email": None if pseudonymous else f"v{v}@{org_id}.example.lv",
                }
            )
            people.append(volunteer_id)
        for n in range(count):
            month = rng.choices(range(1, 13), weights=MONTH_WEIGHTS)[0]
            start = date(YEAR, month, 1) + timedelta(days=rng.randrange(28))
            roll = rng.random()
            days = (
                1
                if roll < 0.6
                else rng.randint(2, 7)
                if roll < 0.85
                else rng.randint(8, 31)
                if roll < 0.95
                else rng.randint(32, 180)
            )
            raw_hours.append(rng.uniform(2, 8) if days == 1 else days * rng.uniform(1.5, 4))
            record_id = new_id()
            volunteer_id = rng.choice(people)
            state = rng.random()
            rows["records"].append(
                {
                    "id": record_id,
                    "organisation_id": org_id,
                    "volunteer_id": volunteer_id,
                    "mission_type": rng.choices(mission_types, weights=mission_weights)[0],
                    "catalogue_version": "1.0.0",
                    "title": f"Misija {n % 25}",
                    "municipality": home if rng.random() < 0.85 else rng.choices(codes, weights=place_weights)[0],
                    "start_date": start,
                    "end_date": start + timedelta(days=days - 1),
                    "subject_salt": "bench",
                    "status": "issued",
                    "source": "batch",
                }
            )
            rows["credentials"].append(
                {
                    "id": new_id(),
                    "organisation_id": org_id,
                    "record_id": record_id,
                    "volunteer_id": volunteer_id,
                    "document": "{}",
                    "signing_key_id": key_id,
                    "revocation_list_id": revocation_id,
                    "revocation_index": n,
                    "suspension_list_id": suspension_id,
                    "suspension_index": n,
                    "status": "revoked" if state < 0.02 else "suspended" if state < 0.025 else "active",
                }
            )
    factor = hours / sum(raw_hours)
    for row, value in zip(rows["records"], raw_hours):
        row["hours"] = Decimal(max(0.5, round(value * factor * 2) / 2)).quantize(Decimal("0.01"))
    return rows


def load(runtime, rows: dict[str, list[dict]]) -> float:
    """Bulk Core inserts into the real tables, in dependency order; returns the seconds it took."""
    from sqlalchemy import insert

    from credentials.store import CredentialRow, RecordRow, StatusListRow, VolunteerRow
    from issuers.store import OrganisationRow, SigningKeyRow

    tables = [
        ("organisations", OrganisationRow),
        ("signing_keys", SigningKeyRow),
        ("status_lists", StatusListRow),
        ("volunteers", VolunteerRow),
        ("records", RecordRow),
        ("credentials", CredentialRow),
    ]
    started = time.perf_counter()
    with runtime.transaction() as session:
        for name, model in tables:
            table = model.__table__
            for i in range(0, len(rows[name]), CHUNK):
                session.execute(insert(table), rows[name][i : i + CHUNK])
    with runtime.session_factory() as session:
        session.connection().exec_driver_sql("ANALYZE")
        session.commit()
    return time.perf_counter() - started


def rebuild_summary(runtime) -> tuple[float, int]:
    """The published figures' summary written from the loaded records, then ANALYZE; (seconds, slices)."""
    from credentials.reports.summary import rebuild

    started = time.perf_counter()
    with runtime.transaction() as session:
        written = rebuild(session)
    with runtime.session_factory() as session:
        session.connection().exec_driver_sql("ANALYZE report_slices")
        session.commit()
    return time.perf_counter() - started, written


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(share * len(ordered)) - 1))]


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def captured_sql(runtime, build: Callable[[object], object]) -> list[tuple[str, object]]:
    """The SQL statements (and parameters) the service runs to build one report."""
    from sqlalchemy import event

    found: list[tuple[str, object]] = []

    def keep(conn, cursor, statement, parameters, context, executemany):  # noqa: ARG001
        found.append((statement, parameters))

    engine = runtime.session_factory.kw["bind"]
    event.listen(engine, "before_cursor_execute", keep)
    try:
        with runtime.transaction() as session:
            build(session)
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    return [(s, p) for s, p in found if s.lstrip().upper().startswith(("SELECT", "WITH"))]


def floor_ms(database_url: str, statements: list[tuple[str, object]], runs: int) -> list[float]:
    """Milliseconds of each run of the statements through psycopg alone (rows fetched, nothing built)."""
    import psycopg

    times = []
    with psycopg.connect(database_url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        for _ in range(runs):
            started = time.perf_counter()
            with conn.cursor() as cursor:
                for statement, parameters in statements:
                    cursor.execute(statement, parameters)
                    cursor.fetchall()
            times.append((time.perf_counter() - started) * 1000)
            conn.rollback()
    return times


def run(quick: bool, database_url: str | None, cache: bool = False) -> dict:
    import httpx

    from bench.http import start_server
    from credentials.reports import service
    from issuers import service as issuers
    from issuers.auth import Principal
    from issuers.store import OrganisationRow

    if not database_url or not database_url.startswith("postgresql"):
        print("\n== reports: skipped (it needs PostgreSQL: --reports-database postgresql+psycopg://...)")
        return {"skipped": "no PostgreSQL database"}
    organisations, records, hours = (120, 8_000, 80_000) if quick else (ORGANISATIONS, RECORDS, HOURS)
    runs = 3 if quick else 10
    section(f"reports: a simulated year of {organisations:,} organisations, {records:,} credentials, {hours:,} hours")
    result: dict = {"organisations": organisations, "records": records, "hours": hours}
    with bench_runtime(database_url) as runtime:
        started = time.perf_counter()
        rows = generate(organisations, records, hours)
        result["generate_s"] = time.perf_counter() - started
        result["load_s"] = load(runtime, rows)
        result["summary_s"], result["summary_slices"] = rebuild_summary(runtime)
        total_hours = sum(r["hours"] for r in rows["records"])
        print(
            f"generated in {result['generate_s']:.1f} s, loaded (bulk Core inserts, then ANALYZE) in "
            f"{result['load_s']:.1f} s: {len(rows['records']):,} records, {len(rows['volunteers']):,} volunteers, "
            f"{total_hours:,.0f} hours; the summary rebuilt in {result['summary_s']:.1f} s "
            f"({result['summary_slices']:,} month slices)",
            flush=True,
        )
        sizes: dict[str, int] = {}
        for record in rows["records"]:
            sizes[record["organisation_id"]] = sizes.get(record["organisation_id"], 0) + 1
        by_size = sorted(rows["organisations"], key=lambda o: -sizes.get(o["id"], 0))
        del rows
        sample = by_size[:5] + by_size[5 :: max(1, len(by_size) // 15)][:15]  # the 5 largest and a spread
        municipal = [o for o in by_size if o["legal_form"] == "municipal-institution"][:5]
        tokens: dict[str, str] = {}
        with runtime.transaction() as session:
            for org in [*sample, *municipal]:
                row = session.get(OrganisationRow, org["id"])
                tokens[org["slug"]] = issuers.issue_organisation_token(session, row, "bench")[1]

        endpoints: list[tuple[str, str, str | None, Callable[[object], object]]] = []
        for org in sample:
            principal = Principal(kind="token", organisation_id=org["id"])
            for report in service.ORGANISATION_REPORTS:
                chosen = service.Choice(YEAR)

                def build(session, org=org, report=report, principal=principal, chosen=chosen):
                    row = session.get(OrganisationRow, org["id"])
                    return service.organisation_report(session, principal, row, report, chosen, "lv")

                endpoints.append(
                    (
                        f"organisation {report}",
                        f"/organisations/{org['slug']}/reports/{report}?year={YEAR}",
                        org["slug"],
                        build,
                    )
                )
        for org in municipal:
            principal = Principal(kind="token", organisation_id=org["id"])

            def build_territory(session, org=org, principal=principal):
                row = session.get(OrganisationRow, org["id"])
                return service.territory_report(session, principal, row, service.Choice(YEAR), "lv")

            endpoints.append(
                (
                    "municipality view",
                    f"/organisations/{org['slug']}/reports/territory?year={YEAR}",
                    org["slug"],
                    build_territory,
                )
            )
        national = lambda session: service.national_report(session, service.Choice(YEAR), "lv")  # noqa: E731
        endpoints += [("national page", f"/statistics?year={YEAR}", None, national)] * 4
        endpoints += [("open-data CSV", f"/statistics/data.csv?year={YEAR}", None, national)] * 2

        extra_env = {} if cache else {"VOLCRED_STATISTICS_CACHE_SECONDS": "0"}
        result["statistics_cache"] = cache
        process, url = start_server(runtime.directory, database_url, workers=1, extra_env=extra_env)
        latencies: dict[str, list[float]] = {}
        first: dict[str, list[float]] = {}
        floors: dict[str, list[float]] = {}
        peak_rss = 0.0
        try:
            with httpx.Client(base_url=url, timeout=60) as client:
                for name, path, slug, build in endpoints:
                    headers = {"Authorization": f"Bearer {tokens[slug]}"} if slug else {}
                    started = time.perf_counter()
                    response = client.get(path, headers=headers)  # the first: for published figures, computed
                    first.setdefault(name, []).append((time.perf_counter() - started) * 1000)
                    assert response.status_code == 200, (path, response.status_code, response.text[:300])
                    for _ in range(runs):
                        started = time.perf_counter()
                        response = client.get(path, headers=headers)
                        latencies.setdefault(name, []).append((time.perf_counter() - started) * 1000)
                        peak_rss = max(peak_rss, rss_mb(process.pid))
                    statements = captured_sql(runtime, build)
                    floors.setdefault(name, []).extend(floor_ms(database_url, statements, runs))
            result["server_rss_max_mb"] = peak_rss
            result["server_vmhwm_mb"] = rss_mb(process.pid, "VmHWM")
        finally:
            process.terminate()
            process.wait(timeout=10)

    targets = {"open-data CSV": 2000.0}
    if cache:
        print(
            "published figures (municipality view, national page, open data) are kept 10 minutes per application: "
            "their p50/p95 are served from that cache; 'first' is the worst first request (the figures computed)"
        )
    else:
        print(
            "no statistics cache: every request computes its figures (published ones from the maintained summary); "
            "'first' is the worst first request"
        )
    print(
        f"{'endpoint':<26}{'n':>5}{'p50 ms':>10}{'p95 ms':>10}{'first ms':>10}{'floor p50':>11}{'floor p95':>11}"
        f"{'ratio':>8}  target p95"
    )
    for name, times in latencies.items():
        floor = floors[name]
        figures = {
            "n": len(times),
            "p50_ms": statistics.median(times),
            "p95_ms": percentile(times, 0.95),
            "floor_p50_ms": statistics.median(floor),
            "floor_p95_ms": percentile(floor, 0.95),
            "first_max_ms": max(first[name]),
        }
        figures["ratio_p50"] = figures["p50_ms"] / figures["floor_p50_ms"]
        target = targets.get(name, 500.0)
        figures["target_p95_ms"] = target
        figures["meets_target"] = figures["p95_ms"] < target
        result[name] = figures
        print(
            f"{name:<26}{figures['n']:>5}{figures['p50_ms']:>10.1f}{figures['p95_ms']:>10.1f}{figures['first_max_ms']:>10.1f}"
            f"{figures['floor_p50_ms']:>11.1f}{figures['floor_p95_ms']:>11.1f}{figures['ratio_p50']:>8.2f}  "
            f"< {target:.0f} ms: {'yes' if figures['meets_target'] else 'NO'}"
        )
    print(
        f"service memory while serving: VmRSS max {result['server_rss_max_mb']:.0f} MB, peak VmHWM "
        f"{result['server_vmhwm_mb']:.0f} MB (target < 500 MB)"
    )
    return result
