"""The durable issuing path over HTTP against the JavaScript libraries' in-process signing, in the same run.

`POST /credentials/issue` (VC-API) on the real service under uvicorn (one worker), one client on loopback sending
one request after another (keep-alive), each answered only once its credential, status entries and audit entry are
committed. The client is the standard library's `http.client`: with one request at a time the client's own time adds
to every request's, and httpx took about 1.2 ms of CPU a request where `http.client` takes about 0.35. The documents
are the service's own OB 3.0 credentials as a client would send them (no id, status or proof: the service adds them).
The JavaScript reference signs those same credentials as issued (with id and status entries) in process, with no
storage at all. Rounds alternate the sides; the ratio is the median of the paired per-round ratios (our requests/s
over their signatures/s). Run on SQLite, and on PostgreSQL when a URL is given.

In the same rounds, `bench/issue_floor.py` is measured the same way: the least a durable issue over HTTP can do on
this machine (token lookup, the same signer, two inserts, commit; no middleware, status entries or audit chain).
"""

from __future__ import annotations

import http.client
import json
import os
import statistics
import subprocess
import sys
import time
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization

from bench.common import REPO, bench_organisation, bench_runtime, issue_records, section


def _client_documents(issued: list) -> tuple[list[dict], list[dict]]:
    """(what a VC-API client sends, what the service signs) for each issued credential."""
    from credentials.proofs.dataintegrity import without_proof

    signed_shape = [without_proof(item.document) for item in issued]
    sent = [
        {key: value for key, value in document.items() if key not in ("id", "credentialStatus")}
        for document in signed_shape
    ]
    return sent, signed_shape


def _post_all(url: str, token: str, documents: list[dict]) -> tuple[float, float]:
    """Posts each document in turn on one keep-alive connection, each after the answer to the one before; returns
    (wall, client CPU) seconds."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}
    try:
        start, start_cpu = time.perf_counter(), time.process_time()
        for document in documents:
            connection.request("POST", "/credentials/issue", json.dumps({"credential": document}).encode(), headers)
            response = connection.getresponse()
            body = response.read()
            if response.status != 201:
                raise RuntimeError(f"issue refused: {response.status} {body[:500]!r}")
        return time.perf_counter() - start, time.process_time() - start_cpu
    finally:
        connection.close()


def _start_floor(database_url: str, token: str, identity) -> tuple[subprocess.Popen, str]:
    """`bench/issue_floor.py` under uvicorn on a free port, on `database_url`, signing with `identity`'s key."""
    from bench.http import free_port, wait_until_serving

    port = free_port()
    key = identity.private_key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    env = {
        **os.environ,
        "FLOOR_DATABASE_URL": database_url,
        "FLOOR_TOKEN": token,
        "FLOOR_KEY": key.hex(),
        "FLOOR_METHOD": identity.verification_method,
    }
    command = [sys.executable, "-m", "uvicorn", "bench.issue_floor:app", "--port", str(port)]
    process = subprocess.Popen(
        [*command, "--log-level", "warning", "--no-access-log"], cwd=REPO, env=env, stderr=subprocess.PIPE
    )
    url = f"http://127.0.0.1:{port}"
    wait_until_serving(process, url + "/openapi.json", "the floor app")
    return process, url


def measure_database(database_url: str | None, count: int, rounds: int) -> dict:
    from bench.crypto import Case, node_side
    from bench.http import server_cpu_seconds, start_server
    from issuers import service as issuers
    from issuers.multikey import encode_ed25519_secret, encode_public_multikey
    from issuers.store import OrganisationRow

    with bench_runtime(database_url) as runtime:
        organisation_id, token = bench_organisation(runtime)
        issued = issue_records(runtime, organisation_id, count)
        sent, signed_shape = _client_documents(issued)
        with runtime.transaction() as session:
            org = session.get(OrganisationRow, organisation_id)
            identity = issuers.signing_identity(session, runtime.issuer_context, org)
            did_document = issuers.organisation_did_document(session, org, runtime.issuer_context.base_url)
        key = {
            "secretKeyMultibase": encode_ed25519_secret(identity.private_key),
            "publicKeyMultibase": encode_public_multikey(identity.private_key.public_key()),
            "verificationMethod": identity.verification_method,
        }
        case = Case("issue", signed_shape, key, {identity.issuer_did: did_document}, "vc")
        runtime.session_factory.kw["bind"].dispose()
        process, url = start_server(runtime.directory, database_url, workers=1)
        floor, floor_url = _start_floor(
            database_url or f"sqlite:///{runtime.directory / 'floor.sqlite3'}", token, identity
        )
        name = "PostgreSQL" if database_url else "SQLite"
        section(
            f"issue: POST /credentials/issue, uvicorn with 1 worker on {name}, one client on loopback, "
            f"{count} requests per round, against JavaScript in-process signing of the same credentials"
        )
        try:
            js_rates, js_cpu_rates, http_rates, cpu_ms, client_ms, ratios, cpu_ratios = [], [], [], [], [], [], []
            floor_rates, floor_ratios = [], []
            _post_all(url, token, sent[: max(5, count // 5)])  # warm up the workers
            _post_all(floor_url, token, sent[: max(5, count // 5)])
            for _ in range(rounds):
                js_sign, _, _ = node_side(case, [], 3)
                before = server_cpu_seconds(process)
                wall, client_cpu = _post_all(url, token, sent)
                server_cpu = server_cpu_seconds(process) - before
                floor_wall, _ = _post_all(floor_url, token, sent)
                http_rate = count / wall
                js_rates.append(js_sign.rate), js_cpu_rates.append(js_sign.cpu_rate), http_rates.append(http_rate)
                cpu_ms.append(server_cpu / count * 1000), client_ms.append(client_cpu / count * 1000)
                ratios.append(http_rate / js_sign.rate)
                # by CPU time: requests per server CPU-second against signatures per CPU-second (steadier when
                # neighbours load the machine; the client's own CPU is shown apart)
                cpu_ratios.append(count / max(server_cpu, 1e-9) / js_sign.cpu_rate)
                floor_rates.append(count / floor_wall), floor_ratios.append(count / floor_wall / js_sign.rate)
            median = statistics.median
            result = {
                "js_sign_per_s": median(js_rates),
                "js_sign_per_cpu_s": median(js_cpu_rates),
                "http_issue_per_s": median(http_rates),
                "server_cpu_ms": median(cpu_ms),
                "client_cpu_ms": median(client_ms),
                "ratio_wall": median(ratios),
                "ratio_cpu": median(cpu_ratios),
                "floor_issue_per_s": median(floor_rates),
                "floor_ratio_wall": median(floor_ratios),
            }
            print(
                f"{name:10} javascript in-process sign {result['js_sign_per_s']:6.1f}/s "
                f"({result['js_sign_per_cpu_s']:.1f}/CPU-s)   our HTTP issue, one client "
                f"{result['http_issue_per_s']:6.1f}/s ({1000 / result['http_issue_per_s']:.2f} ms each; server CPU "
                f"{result['server_cpu_ms']:.2f} ms, client {result['client_cpu_ms']:.2f} ms)   "
                f"ratio x{result['ratio_wall']:.2f} wall, x{result['ratio_cpu']:.2f} CPU\n"
                f"{'':10} the floor (bench/issue_floor.py: token lookup, signing, two inserts, commit) "
                f"{result['floor_issue_per_s']:6.1f}/s ({1000 / result['floor_issue_per_s']:.2f} ms each)   "
                f"ratio x{result['floor_ratio_wall']:.2f} wall",
                flush=True,
            )
            return result
        finally:
            for server in (process, floor):
                server.terminate()
                server.wait(timeout=30)


def run(quick: bool = False, postgres: str | None = None) -> dict:
    count, rounds = (20, 1) if quick else (200, 3)
    results = {"sqlite": measure_database(None, count, rounds)}
    if postgres:
        results["postgresql"] = measure_database(postgres, count, rounds)
    return results
