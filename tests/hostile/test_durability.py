"""Nothing acknowledged is lost, nothing is issued twice (issue 20, items 1 and 2).

Against the real service under uvicorn, on the suite's database (SQLite, or PostgreSQL with DATABASE_URL): the
server is killed with SIGKILL right after it acknowledged a credential and must still have it when started again;
clients read their own writes at once; concurrent clients issuing (or correcting) one record get exactly one
credential between them.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.exc import IntegrityError

from credentials.store import CredentialRow, RecordRow, StatusListRow
from tests.conftest import TEST_KEK, free_port
from tests.credentials.helpers import record_body

KILL_ROUNDS = 4
CLIENTS = 8


class Service:
    """`volcred serve` in a process of its own, on one port and one database however often it is restarted."""

    def __init__(self, database_url: str, directory: Path):
        self.url = f"http://127.0.0.1:{free_port()}"
        self.database_url, self.directory = database_url, directory
        self.process: subprocess.Popen | None = None
        self.log_path = directory / "server.log"

    def start(self) -> None:
        env = {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "BASE_URL": self.url,
            "KEY_ENCRYPTION_KEY": TEST_KEK,
            "VOLCRED_DATA_DIR": str(self.directory / "var"),
        }
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "volcred.cli", "serve", "--port", self.url.rsplit(":", 1)[1]],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.directory,
            )
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(self.url + "/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.process.kill()
                raise RuntimeError("the service did not start:\n" + self.log_path.read_text())
            time.sleep(0.1)

    def kill_9(self) -> None:
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


@pytest.fixture
def service(database_url, tmp_path):
    running = Service(database_url, tmp_path)
    running.start()
    yield running
    running.stop()


@pytest.fixture
def database(database_url):
    """The service's database as the test reads it, beside the service."""
    engine = create_engine(database_url)
    yield engine
    engine.dispose()


def volunteer_body(n: int, **changes) -> dict:
    """A record of its own volunteer: distinct natural keys, so any number can be made."""
    return record_body(volunteer={"name": f"Brīvprātīgais {n}", "email": f"volunteer-{n}@example.lv"}, **changes)


def issue_then_kill_9(service: Service, headers: dict, n: int) -> dict:
    """Records and issues a credential, then kills the server the moment the 201 is in; the issue response."""
    with httpx.Client(base_url=service.url, headers=headers, timeout=60) as http:
        created = http.post("/records", json=volunteer_body(n))
        assert created.status_code == 201, created.text
        issued = http.post(f"/records/{created.json()['id']}/issue")
        service.kill_9()
    assert issued.status_code == 201, issued.text
    return issued.json()


def kill_9_rounds(service: Service, headers: dict, rounds: int, first: int = 0) -> list[dict]:
    """Rounds of issue, kill -9 right after the 201, start again; the acknowledged issue responses."""
    acknowledged = []
    for n in range(first, first + rounds):
        acknowledged.append(issue_then_kill_9(service, headers, n))
        service.start()
    return acknowledged


def status_indices(credential: dict) -> set[tuple[str, str]]:
    return {(entry["statusListCredential"], entry["statusListIndex"]) for entry in credential["credentialStatus"]}


def test_a_credential_acknowledged_survives_kill_9(service, make_org):
    org = make_org("durable")
    acknowledged = kill_9_rounds(service, org.headers(), KILL_ROUNDS)
    with httpx.Client(base_url=service.url, headers=org.headers(), timeout=60) as http:
        lost = [
            issued["credential_id"]
            for issued in acknowledged
            if http.get(f"/credentials/{issued['credential_id']}").status_code != 200
        ]
        assert lost == [], f"{len(lost)} of {KILL_ROUNDS} acknowledged credentials lost"
        # Whole, not just present: the organisation can revoke each, and the status list shows it.
        for issued in acknowledged:
            revoked = http.post(f"/credentials/{issued['credential_id']}/revoke", json={"reason": "Pārbaude"})
            assert revoked.status_code == 200, revoked.text
            assert http.get(f"/credentials/{issued['credential_id']}/status").json()["status"] == "revoked"
        # Their status entries stay theirs: a credential issued afterwards gets places of its own.
        created = http.post("/records", json=volunteer_body(KILL_ROUNDS))
        later = http.post(f"/records/{created.json()['id']}/issue").json()["credential"]
    taken = set().union(*(status_indices(issued["credential"]) for issued in acknowledged))
    assert not status_indices(later) & taken


def test_a_vc_api_credential_acknowledged_survives_kill_9(service, make_org):
    """The VC-API issue commits in its own worker thread (not through the request's dependencies): still committed
    before the 201, and its status places never given out again after a crash."""
    org = make_org("durable-vc-api")
    host = service.url.removeprefix("http://").replace(":", "%3A")
    body = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "issuer": f"did:web:{host}:issuers:{org.slug}",  # the DID under the service's own URL
        "credentialSubject": {"id": "did:example:volunteer"},
    }
    acknowledged = []
    for _ in range(KILL_ROUNDS):
        with httpx.Client(base_url=service.url, headers=org.headers(), timeout=60) as http:
            issued = http.post("/credentials/issue", json={"credential": body})
            service.kill_9()
        assert issued.status_code == 201, issued.text
        acknowledged.append(issued.json()["verifiableCredential"])
        service.start()
    with httpx.Client(base_url=service.url, headers=org.headers(), timeout=60) as http:
        for credential in acknowledged:
            stored = http.get(f"/credentials/{credential['id'].rsplit('/', 1)[1]}")
            assert stored.status_code == 200 and stored.json() == credential
        later = http.post("/credentials/issue", json={"credential": body}).json()["verifiableCredential"]
    taken = [place for credential in acknowledged for place in status_indices(credential)]
    assert len(set(taken)) == len(taken) and not status_indices(later) & set(taken)


def record_then_issue(url: str, headers: dict, numbers: range) -> list[tuple[int, int]]:
    """One client: for each number a record, then at once its credential; the two status codes of each."""
    codes = []
    with httpx.Client(base_url=url, headers=headers, timeout=120) as http:
        for n in numbers:
            created = http.post("/records", json=volunteer_body(n))
            issued = http.post(f"/records/{created.json()['id']}/issue") if created.status_code == 201 else None
            codes.append((created.status_code, issued.status_code if issued is not None else None))
    return codes


def concurrently(count: int, call) -> list:
    """`call(i)` in `count` threads released together; the results in order."""
    results: list = [None] * count
    errors: list = []
    start = threading.Barrier(count)

    def run(i: int) -> None:
        try:
            start.wait()
            results[i] = call(i)
        except BaseException as error:  # noqa: BLE001 - re-raised below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results


def test_concurrent_clients_read_their_own_writes_at_once(service, make_org):
    org = make_org("read-own")
    per_client = 6
    results = concurrently(
        CLIENTS, lambda i: record_then_issue(service.url, org.headers(), range(i * per_client, (i + 1) * per_client))
    )
    codes = [pair for client in results for pair in client]
    assert len(codes) == CLIENTS * per_client
    assert [pair for pair in codes if pair != (201, 201)] == []


def post_together(url: str, headers: dict, path: str, count: int, json: dict | None = None) -> list[httpx.Response]:
    """The same POST from `count` clients at once, each on a connection of its own."""
    clients = [httpx.Client(base_url=url, headers=headers, timeout=120) for _ in range(count)]
    try:
        for http in clients:  # connected beforehand, so that the requests really arrive together
            http.get("/health")
        return concurrently(count, lambda i: clients[i].post(path, json=json))
    finally:
        for http in clients:
            http.close()


def credential_rows(database, record_id: str) -> int:
    with database.connect() as connection:
        return connection.scalar(
            select(func.count()).select_from(CredentialRow).where(CredentialRow.record_id == record_id)
        )


def status_entries_given(database, organisation_id: str) -> dict[str, int]:
    with database.connect() as connection:
        rows = connection.execute(
            select(StatusListRow.purpose, func.sum(StatusListRow.allocated_count))
            .where(StatusListRow.organisation_id == organisation_id)
            .group_by(StatusListRow.purpose)
        )
        return {purpose: int(total) for purpose, total in rows}


def exactly_one_created(responses: list[httpx.Response], conflict_code: str) -> None:
    codes = sorted(response.status_code for response in responses)
    assert codes == [201] + [409] * (len(responses) - 1), [response.text for response in responses]
    for response in responses:
        if response.status_code == 409:
            assert response.headers["content-type"].startswith("application/problem+json")
            assert response.json()["code"] == conflict_code


def test_concurrent_issues_of_one_record_make_one_credential(service, database, make_org):
    org = make_org("issue-once")
    rounds = 3
    with httpx.Client(base_url=service.url, headers=org.headers(), timeout=60) as http:
        record_ids = [http.post("/records", json=volunteer_body(n)).json()["id"] for n in range(rounds)]
    for record_id in record_ids:
        responses = post_together(service.url, org.headers(), f"/records/{record_id}/issue", CLIENTS)
        exactly_one_created(responses, "record.already_issued")
        assert credential_rows(database, record_id) == 1
    # One revocation and one suspension place per credential, none for the refused attempts.
    assert status_entries_given(database, org.org_id) == {"revocation": rounds, "suspension": rounds}


def test_concurrent_corrections_of_one_record_make_one_correction(service, database, make_org):
    org = make_org("revise-once")
    with httpx.Client(base_url=service.url, headers=org.headers(), timeout=60) as http:
        original = http.post("/records", json=volunteer_body(1)).json()["id"]
        first = http.post(f"/records/{original}/issue").json()["credential_id"]
        responses = post_together(
            service.url, org.headers(), f"/records/{original}/revise", CLIENTS, json={"hours": 40}
        )
        exactly_one_created(responses, "record.revision_pending")
        with database.connect() as connection:
            corrections = connection.scalars(select(RecordRow.id).where(RecordRow.revises_id == original)).all()
        assert len(corrections) == 1
        # Issuing the correction, even from several clients at once, gives one credential that supersedes the old.
        issued = post_together(service.url, org.headers(), f"/records/{corrections[0]}/issue", CLIENTS)
        exactly_one_created(issued, "record.already_issued")
        status = http.get(f"/credentials/{first}/status").json()
        assert status["status"] == "revoked" and status["reason"] == "superseded"
    assert credential_rows(database, corrections[0]) == 1
    assert status_entries_given(database, org.org_id) == {"revocation": 2, "suspension": 2}


def test_an_approval_with_edits_beside_issuance_never_leaves_a_credential_unlike_its_record(
    service, database, make_org
):
    """Edits approved while the record is being issued: either the credential has them, or the edits are refused."""
    org = make_org("approve-issue")
    rounds = 3
    with httpx.Client(base_url=service.url, headers=org.headers(), timeout=60) as http:
        record_ids = [http.post("/records", json=volunteer_body(n)).json()["id"] for n in range(rounds)]
    for record_id in record_ids:
        clients = [httpx.Client(base_url=service.url, headers=org.headers(), timeout=120) for _ in range(CLIENTS)]
        try:
            responses = concurrently(
                CLIENTS,
                lambda i: clients[i].post(
                    f"/records/{record_id}/issue" if i % 2 else f"/records/{record_id}/approve",
                    json=None if i % 2 else {"hours": 40},
                ),
            )
        finally:
            for http in clients:
                http.close()
        assert [r.text for r in responses if r.status_code not in (200, 201, 409)] == []
        assert sum(r.status_code == 201 for r in responses) == 1
        assert credential_rows(database, record_id) == 1
        with httpx.Client(base_url=service.url, headers=org.headers(), timeout=60) as http:
            record = http.get(f"/records/{record_id}").json()
            assert record["status"] == "issued"
            credential = next(r.json()["credential"] for r in responses if r.status_code == 201)
            assert credential["credentialSubject"]["result"][0]["value"] == record["hours"]
            assert http.post(f"/records/{record_id}/issue").status_code == 409


def test_a_write_that_cannot_commit_is_an_error_response_not_a_201(app, client):
    """A transaction the database refuses only at COMMIT (a deferred constraint here; a concurrent writer or a lost
    connection in life): the client must not be told it was written."""
    from fastapi import Depends
    from sqlalchemy.orm import Session

    from base.http import get_session

    def write_refused_at_commit(session: Session = Depends(get_session)):
        session.execute(
            text(
                "CREATE TEMPORARY TABLE refused_at_commit (id INTEGER PRIMARY KEY, parent INTEGER "
                "REFERENCES refused_at_commit (id) DEFERRABLE INITIALLY DEFERRED)"
            )
        )
        session.execute(text("INSERT INTO refused_at_commit (id, parent) VALUES (1, 2)"))
        return {"written": True}

    app.add_api_route("/tests/refused-at-commit", write_refused_at_commit, methods=["POST"], status_code=201)
    response = client.post("/tests/refused-at-commit", headers={"Accept-Language": "en"})
    assert response.status_code == 409, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "request.conflict"


def test_migration_0008_makes_a_second_live_credential_of_a_record_impossible(
    make_org, session_factory, settings, database_url
):
    # No TestClient here: its batch runner would query the tables this test changes.
    from base.db import transaction
    from base.errors import UserError
    from credentials import service
    from credentials.records import service as records_service
    from credentials.records.records import RecordInput, VolunteerInput
    from issuers.service import IssuerContext
    from issuers.store import OrganisationRow
    from volcred.cli import Runtime
    from volcred.db import downgrade, upgrade

    org = make_org("legacy-twice")
    ctx = IssuerContext(settings.public_base_url, settings.encryption_key)
    with transaction(session_factory) as session:
        record = records_service.create_record(
            session,
            Runtime.operator,
            ctx,
            session.get(OrganisationRow, org.org_id),
            RecordInput(
                volunteer=VolunteerInput(name="Ilze", email="ilze@example.lv"),
                mission_type="event-support",
                municipality="Rīga",
                start_date="2026-03-01",
                end_date="2026-03-02",
                hours=8,
            ),
        ).record
        first = service.issue_record(session, Runtime.operator, ctx, record.id).credential.id
    table = CredentialRow.__table__
    engine = create_engine(database_url)
    try:
        downgrade(database_url, "0008-1")
        with engine.begin() as connection:  # what concurrent issuance used to make on PostgreSQL
            original = connection.execute(select(table).where(table.c.id == first)).mappings().one()
            connection.execute(table.insert().values({**original, "id": "d" * 32}))
        with pytest.raises(UserError) as refused:
            upgrade(database_url)
        assert refused.value.key == "migration.duplicate_credentials"
        assert refused.value.params == {"count": 1, "record_id": record.id}
        # The organisation revokes the one it does not keep (with the version before); then the upgrade goes on.
        # Directly in the table: today's revocation also recounts recognition levels, whose tables come after 0008.
        with engine.begin() as connection:
            connection.execute(table.update().where(table.c.id == "d" * 32).values(status="revoked"))
    finally:
        upgrade(database_url)
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(table.insert().values({**original, "id": "e" * 32}))
    engine.dispose()
