"""Workspace pages under a big organisation: the server time of each page (issue 16: p95 < 50 ms on SQLite and on
PostgreSQL with 10,000 volunteers and 50,000 records in one organisation).

The organisation is made the way the service makes one (verified, with its key, logo and an owner account), and a
few hundred credentials are issued and signed through the real issuing path, which also creates the status lists.
The bulk of it — 10,000 volunteers, 50,000 records (issued, approved, drafts, statements waiting for review, returned
ones), a credential for each issued record (some revoked or suspended), invitations — is then written straight into
the real tables with bulk Core inserts, in seconds. Those bulk credentials reuse a signed document with their own id
in it: they are not validly signed, which no page's timing depends on (pages list and count credentials; they do not
verify them). Missions are made too once the missions table exists.

Each page is then asked for by a signed-in owner (the session cookie from the /login form, when that form exists)
through the app in process (ASGI, no network); the server time of a request is measured inside the app's outermost
ASGI layer, from the request's arrival to the last byte of its answer. p50 and p95 over the requests.

`PAGES` below is the one list of pages measured: a page not served yet (404) is reported as such, not measured.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import statistics
import string
import time
import warnings
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from bench.common import bench_organisation, bench_runtime, issue_records, section

TARGET_P95_MS = 50.0
OWNER_EMAIL, OWNER_PASSWORD = "owner@meraukla.example.lv", "owner-password-1"

# The pages measured, each (name, path). Placeholders filled from the generated organisation: {slug}, {credential}
# (an issued credential's id), {mission} (a mission's id), {record} (a record's id), {statement} (a statement waiting
# for review), {volunteer_token} (a volunteer's personal link), {name} (a volunteer's name, for searches), {year}.
PAGES: list[tuple[str, str]] = [
    ("verification page", "/v/{credential}"),
    ("catalogue", "/catalogue/browse"),
    ("volunteer's own page", "/me/{volunteer_token}"),
    ("dashboard", "/org/{slug}"),
    ("missions", "/org/{slug}/missions"),
    ("mission", "/org/{slug}/missions/{mission}"),
    ("credentials", "/org/{slug}/credentials"),
    ("credentials: search", "/org/{slug}/credentials?volunteer={name}"),
    ("credentials: revoked", "/org/{slug}/credentials?status=revoked"),
    ("credentials: page 50", "/org/{slug}/credentials?page=50"),
    ("credential", "/org/{slug}/credentials/{credential}"),
    ("statements", "/org/{slug}/statements"),
    ("statements: page 20", "/org/{slug}/statements?page=20"),
    ("statement to review", "/org/{slug}/records/{statement}"),
    ("record", "/org/{slug}/records/{record}"),
    ("batches", "/org/{slug}/batches"),
    ("settings", "/org/{slug}/settings"),
    ("settings: members", "/org/{slug}/settings/members"),
    ("settings: API tokens", "/org/{slug}/settings/tokens"),
    ("settings: signing keys", "/org/{slug}/settings/keys"),
]


@dataclass
class Organisation:
    """What the page placeholders are filled from."""

    values: dict[str, str] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)


# --- generating the organisation ------------------------------------------------------------------------------------

PER_MISSION = 120  # volunteers on a mission: the council's festival
MISSION_TYPES = ("clean-up", "festival-support", "homework-tutoring")
FIRST = ("Anna", "Jānis", "Līga", "Kārlis", "Ilze", "Andris", "Marta", "Roberts", "Elīna", "Pēteris", "Zane", "Oskars")
LAST = ("Ozola", "Bērziņš", "Kalniņa", "Liepiņš", "Krūmiņa", "Zariņš", "Vītola", "Eglītis", "Balode", "Siliņš")


def generate(runtime, volunteers: int, records: int, signed: int) -> Organisation:
    from sqlalchemy import insert, select

    from base.db import Base
    from credentials import year_volunteers
    from credentials.store import CredentialRow, InvitationRow, RecordRow, VolunteerRow
    from issuers import service
    from issuers.auth import hash_token
    from issuers.store import OrganisationRow

    started = time.perf_counter()
    organisation_id, _ = bench_organisation(runtime)
    with runtime.transaction() as session:
        slug = session.get(OrganisationRow, organisation_id).slug
        service.create_user(session, OWNER_EMAIL, "Ilze Kalniņa", OWNER_PASSWORD)
        service.add_member(session, runtime.operator, slug, OWNER_EMAIL, "admin")
    # The real path, signatures and all: also creates the signing key's status lists the bulk rows point at.
    issued = issue_records(runtime, organisation_id, signed)
    real_seconds = time.perf_counter() - started

    rng = random.Random(16)
    now = datetime.now(UTC)
    with runtime.transaction() as session:
        templates = {
            row.mission_type: row
            for row in session.scalars(select(RecordRow).where(RecordRow.organisation_id == organisation_id))
        }
        model = session.get(CredentialRow, issued[0].credential.id)
        model_document = model.document
        volunteer_rows, volunteer_ids = [], []
        for i in range(signed, volunteers):
            volunteer_id = _id("volunteer", i)
            volunteer_ids.append(volunteer_id)
            pseudonymous = i % 5 == 4
            volunteer_rows.append(
                {
                    "id": volunteer_id,
                    "organisation_id": organisation_id,
                    "kind": "pseudonymous" if pseudonymous else "named",
                    "name": None if pseudonymous else f"{FIRST[i % len(FIRST)]} {LAST[i // 7 % len(LAST)]} {i}",
                    "email": None if pseudonymous else f"brivpratigais{i}@example.lv",
                    "pseudonym_lookup": _hex("pseudonym", i) if pseudonymous else None,
                    "access_token_hash": hash_token(f"bench-volunteer-{i}"),
                    "created_at": now - timedelta(days=rng.randrange(700)),
                }
            )
        session.execute(insert(VolunteerRow), volunteer_rows)

        record_rows, credential_rows, invitation_rows = [], [], []
        missions: dict[int, dict] = {}  # a mission of (up to) PER_MISSION volunteers for each run of records
        participation_rows, on_missions = [], set()
        statuses = {"issued": 0, "approved": 0, "draft": 0, "submitted": 0, "returned": 0}
        for n in range(records - signed):
            i = signed + n
            number = i // PER_MISSION
            mission_type = MISSION_TYPES[number % len(MISSION_TYPES)]
            template = templates[mission_type]
            if number not in missions:
                start = date(now.year - (1 if number % 4 == 0 else 0), 1, 1) + timedelta(days=rng.randrange(330))
                missions[number] = {
                    "id": _id("mission", number),
                    "organisation_id": organisation_id,
                    "mission_type": mission_type,
                    "catalogue_version": template.catalogue_version,
                    "title": f"{template.title.rsplit(' ', 1)[0]} {number}",
                    "municipality": template.municipality,
                    "start_date": start,
                    "end_date": start + timedelta(days=rng.randrange(5)),
                    "planned_volunteers": PER_MISSION,
                    "visibility": "public" if number % 2 else "closed",
                    "competences": [item["uri"] for item in template.competences],
                    "language": "lv",
                    "status": "closed" if number % 5 == 0 else "open",
                    "created_at": datetime.combine(start, datetime.min.time(), UTC) - timedelta(days=14),
                    "updated_at": datetime.combine(start, datetime.min.time(), UTC),
                }
            mission = missions[number]
            volunteer_id = volunteer_ids[n % len(volunteer_ids)]
            status, source = _status_of(i)
            statuses[status] += 1
            record_id = _id("record", i)
            created = datetime.combine(mission["end_date"], datetime.min.time(), UTC) + timedelta(days=3)
            hours = Decimal(2 + i % 60)
            record_rows.append(
                {
                    "id": record_id,
                    "organisation_id": organisation_id,
                    "volunteer_id": volunteer_id,
                    "mission_type": mission_type,
                    "catalogue_version": template.catalogue_version,
                    "title": mission["title"],
                    "municipality": template.municipality,
                    "start_date": mission["start_date"],
                    "end_date": mission["end_date"],
                    "hours": hours,
                    "role": template.role,
                    "narrative": template.narrative,
                    "competences": template.competences,
                    "evidence": [],
                    "language": "lv",
                    "subject_salt": _hex("salt", i),
                    "subject_hash": None,
                    "status": status,
                    "source": source,
                    "natural_key": _hex("key", i),
                    "created_at": created,
                    "approved_at": created if status in ("issued", "approved") else None,
                    "submitted_at": created if status in ("submitted", "returned") else None,
                    "review_comment": "Lūdzu, precizējiet stundas." if status == "returned" else None,
                }
            )
            if source == "volunteer":  # a statement the volunteer drafted from an invitation
                invitation_rows.append(
                    {
                        "id": _id("invitation", i),
                        "organisation_id": organisation_id,
                        "token_hash": _hex("invitation", i),
                        "mission_type": mission_type,
                        "title": mission["title"],
                        "municipality": template.municipality,
                        "start_date": mission["start_date"],
                        "end_date": mission["end_date"],
                        "language": "lv",
                        "expires_at": now + timedelta(days=30),
                        "created_at": created - timedelta(days=1),
                        "record_id": record_id,
                    }
                )
            elif (mission["id"], volunteer_id) not in on_missions:
                # a volunteer on the mission: finished with their record once approved, else still active
                on_missions.add((mission["id"], volunteer_id))
                finished = status in ("issued", "approved")
                participation_rows.append(
                    {
                        "id": _id("participation", i),
                        "mission_id": mission["id"],
                        "organisation_id": organisation_id,
                        "volunteer_id": volunteer_id,
                        "status": "finished" if finished else "active",
                        "hours": hours,
                        "by_sessions": False,
                        "finished_on": mission["end_date"] if finished else None,
                        "record_id": record_id if finished else None,
                        "created_at": mission["created_at"],
                        "updated_at": created,
                    }
                )
            if status == "issued":
                credential_id = _id("credential", i)
                credential_status = "revoked" if i % 50 == 0 else "suspended" if i % 97 == 0 else "active"
                credential_rows.append(
                    {
                        "id": credential_id,
                        "organisation_id": organisation_id,
                        "record_id": record_id,
                        "volunteer_id": volunteer_id,
                        "document": model_document.replace(model.id, credential_id),
                        "issued_at": created + timedelta(days=2),
                        "signing_key_id": model.signing_key_id,
                        "revocation_list_id": model.revocation_list_id,
                        "revocation_index": model.revocation_index + 1 + n,
                        "suspension_list_id": model.suspension_list_id,
                        "suspension_index": model.suspension_index + 1 + n,
                        "status": credential_status,
                        "status_reason": None if credential_status == "active" else "Kļūda stundās",
                        "status_changed_at": None if credential_status == "active" else created + timedelta(days=9),
                        "language": "lv",
                        "origin": "records",
                    }
                )
        tables = [(record_rows, RecordRow), (invitation_rows, InvitationRow), (credential_rows, CredentialRow)]
        if "missions" in Base.metadata.tables:  # the missions tables, once that branch is in
            tables += [
                (list(missions.values()), Base.metadata.tables["missions"]),
                (participation_rows, Base.metadata.tables["mission_participations"]),
            ]
        else:
            missions.clear()
        for rows, table in tables:
            for first in range(0, len(rows), 5_000):
                session.execute(insert(table), rows[first : first + 5_000])
        mission_ids = [mission["id"] for mission in missions.values()]
        # The bulk rows went around the ORM: the dashboard's kept figures are brought in line as a migration would.
        year_volunteers.rebuild(session.connection(), organisation_id)
    # The planner's statistics and (on PostgreSQL) the visibility map, as a database in use has them: autovacuum
    # vacuums a table within a minute of a bulk insert this size, and without it no index-only scan pays off.
    engine = runtime.session_factory.kw["bind"]
    statement = "VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql(statement)

    values = {
        "slug": slug,
        "credential": issued[len(issued) // 2].credential.id,  # a validly signed one, as its public page shows it
        "record": record_rows[len(record_rows) // 2]["id"] if record_rows else "",
        "statement": next((row["id"] for row in reversed(record_rows) if row["status"] == "submitted"), ""),
        "volunteer_token": f"bench-volunteer-{volunteers // 2}",
        "name": "Kalniņa",
        "year": str(now.year),
        "mission": mission_ids[len(mission_ids) // 2] if mission_ids else "",
    }
    counts = {
        "volunteers": volunteers,
        "records": records,
        "credentials": len(credential_rows) + signed,
        "signed": signed,
        "statements waiting": statuses["submitted"],
        "missions": len(mission_ids),
        "real_s": real_seconds,
        "total_s": time.perf_counter() - started,
    }
    return Organisation(values, counts)


def _status_of(i: int) -> tuple[str, str]:
    """(status, source) of the i-th record: most issued, some approved, drafts, statements waiting and returned."""
    slot = i % 100
    if slot < 70:
        return "issued", "organiser"
    if slot < 82:
        return "approved", "organiser"
    if slot < 88:
        return "draft", "organiser"
    if slot < 97:
        return "submitted", "volunteer"
    return "returned", "volunteer"


def _id(kind: str, i: int) -> str:
    return hashlib.md5(f"{kind}-{i}".encode()).hexdigest()


def _hex(kind: str, i: int) -> str:
    return hashlib.sha256(f"{kind}-{i}".encode()).hexdigest()


# --- timing the pages ----------------------------------------------------------------------------------------------


class ServerClock:
    """The app's outermost ASGI layer: the seconds from a request's arrival to the last byte of its answer, and the
    CPU seconds this process spent meanwhile (requests come one at a time, so that is the server's: steadier than
    the wall clock when neighbours load a shared machine)."""

    def __init__(self, app):
        self.app = app
        self.seconds: list[float] = []
        self.cpu_seconds: list[float] = []

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start, start_cpu = time.perf_counter(), time.process_time()

        async def timed_send(message):
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                self.seconds.append(time.perf_counter() - start)
                self.cpu_seconds.append(time.process_time() - start_cpu)

        await self.app(scope, receive, timed_send)


def sign_in(client, email: str, password: str) -> bool:
    """Signs in through the /login form (with its CSRF token) when the service has one; False when it has not."""
    form = client.get("/login")
    if form.status_code == 404:
        return False
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    data = {"email": email, "password": password, **({"csrf_token": token.group(1)} if token else {})}
    answer = client.post("/login", data=data, follow_redirects=False)
    if answer.status_code not in (302, 303):
        raise RuntimeError(f"could not sign in: {answer.status_code} {answer.text[:500]}")
    return True


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def measure(runtime, organisation: Organisation, requests: int) -> dict:
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

    from volcred.app import create_app

    settings = runtime.settings.model_copy(update={"rate_limits": False})
    app = create_app(settings)
    clock = ServerClock(app)
    results: dict = {}
    try:
        with TestClient(clock, base_url=settings.public_base_url) as client:  # https: cookies are Secure
            signed_in = sign_in(client, OWNER_EMAIL, OWNER_PASSWORD)
            print(f"signed in as the owner: {'yes' if signed_in else 'no (no /login page yet)'}")
            print(
                f"{'page':24} {'path':48} {'status':>6} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'CPU p95':>8}"
                f"  p95 < {TARGET_P95_MS:.0f} ms"
            )
            for name, template in PAGES:
                needed = [field for _, field, _, _ in string.Formatter().parse(template) if field]
                if not all(organisation.values.get(field) for field in needed):
                    print(f"{name:24} {template[:48]:48} {'':>6}  nothing to fill {needed} with yet")
                    continue
                path = template.format(**organisation.values)
                first = client.get(path, follow_redirects=False)
                if first.status_code != 200:
                    print(f"{name:24} {path[:48]:48} {first.status_code:>6}  not served yet")
                    results[name] = {"path": path, "status": first.status_code}
                    continue
                for _ in range(3):  # warm-up: template compilation, caches
                    client.get(path)
                clock.seconds.clear()
                clock.cpu_seconds.clear()
                for _ in range(requests):
                    client.get(path)
                ms = [s * 1000 for s in clock.seconds]
                p50, p95 = statistics.median(ms), percentile(ms, 0.95)
                cpu_p95 = percentile([s * 1000 for s in clock.cpu_seconds], 0.95)
                results[name] = {
                    "path": path,
                    "status": 200,
                    "p50_ms": p50,
                    "p95_ms": p95,
                    "max_ms": max(ms),
                    "cpu_p95_ms": cpu_p95,
                }
                verdict = "yes" if p95 < TARGET_P95_MS else "NO"
                print(
                    f"{name:24} {path[:48]:48} {200:>6} {p50:8.1f} {p95:8.1f} {max(ms):8.1f} {cpu_p95:8.1f}  {verdict}",
                    flush=True,
                )
    finally:
        app.state.engine.dispose()
    return results


def one_database(label: str, url: str | None, volunteers: int, records: int, signed: int, requests: int) -> dict:
    with bench_runtime(url) as runtime:
        organisation = generate(runtime, volunteers, records, signed)
        counts = organisation.counts
        print(
            f"{label}: {counts['volunteers']:,} volunteers, {counts['records']:,} records, {counts['credentials']:,} "
            f"credentials ({counts['signed']} signed through the service in {counts['real_s']:.1f} s), "
            f"{counts['statements waiting']:,} statements waiting, {counts['missions']:,} missions; "
            f"generated in {counts['total_s']:.1f} s; {requests} requests per page",
            flush=True,
        )
        runtime.session_factory.kw["bind"].dispose()
        return {"organisation": counts, "pages": measure(runtime, organisation, requests)}


def run(
    quick: bool = False,
    postgres: str | None = None,
    volunteers: int | None = None,
    records: int | None = None,
    requests: int | None = None,
) -> dict:
    volunteers = volunteers or (500 if quick else 10_000)
    records = records or (2_500 if quick else 50_000)
    requests = requests or (10 if quick else 200)
    signed = 30 if quick else 300
    section(
        f"pages: server time of each page for a signed-in owner, in process (ASGI), an organisation with "
        f"{volunteers:,} volunteers and {records:,} records; target p95 < {TARGET_P95_MS:.0f} ms"
    )
    results = {"sqlite": one_database("SQLite", None, volunteers, records, signed, requests)}
    if postgres:
        results["postgresql"] = one_database("PostgreSQL", postgres, volunteers, records, signed, requests)
    else:
        print("(no PostgreSQL: pass --pages-database URL)")
    return json.loads(json.dumps(results, default=str))
