"""The durable issuing path over HTTP against the JavaScript libraries' in-process signing, in the same run.

`POST /credentials/issue` (VC-API) on the real service under uvicorn (one worker), one client on loopback sending
one request after another (keep-alive), each answered only once its credential, status entries and audit entry are
committed. The documents are the service's own OB 3.0 credentials as a client would send them (no id, status or
proof: the service adds them). The JavaScript reference signs those same credentials as issued (with id and status
entries) in process, with no storage at all. Rounds alternate the two sides; the ratio is the median of the paired
per-round ratios (our requests/s over their signatures/s). Run on SQLite, and on PostgreSQL when a URL is given.
"""

from __future__ import annotations

import statistics
import time

import httpx

from bench.common import bench_organisation, bench_runtime, issue_records, section


def _client_documents(issued: list) -> tuple[list[dict], list[dict]]:
    """(what a VC-API client sends, what the service signs) for each issued credential."""
    from credentials.proofs.dataintegrity import without_proof

    signed_shape = [without_proof(item.document) for item in issued]
    sent = [
        {key: value for key, value in document.items() if key not in ("id", "credentialStatus")}
        for document in signed_shape
    ]
    return sent, signed_shape


def _post_all(client: httpx.Client, url: str, token: str, documents: list[dict]) -> tuple[float, float]:
    """Posts each document in turn, each after the answer to the one before; returns (wall, client CPU) seconds."""
    headers = {"authorization": f"Bearer {token}"}
    start, start_cpu = time.perf_counter(), time.process_time()
    for document in documents:
        response = client.post(url + "/credentials/issue", json={"credential": document}, headers=headers)
        if response.status_code != 201:
            raise RuntimeError(f"issue refused: {response.status_code} {response.text[:500]}")
    return time.perf_counter() - start, time.process_time() - start_cpu


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
        name = "PostgreSQL" if database_url else "SQLite"
        section(
            f"issue: POST /credentials/issue, uvicorn with 1 worker on {name}, one client on loopback, "
            f"{count} requests per round, against JavaScript in-process signing of the same credentials"
        )
        try:
            js_rates, js_cpu_rates, http_rates, cpu_ms, client_ms, ratios, cpu_ratios = [], [], [], [], [], [], []
            with httpx.Client(timeout=60) as client:
                _post_all(client, url, token, sent[: max(5, count // 5)])  # warm up the worker
                for _ in range(rounds):
                    js_sign, _, _ = node_side(case, [], 3)
                    before = server_cpu_seconds(process)
                    wall, client_cpu = _post_all(client, url, token, sent)
                    server_cpu = server_cpu_seconds(process) - before
                    http_rate = count / wall
                    js_rates.append(js_sign.rate), js_cpu_rates.append(js_sign.cpu_rate), http_rates.append(http_rate)
                    cpu_ms.append(server_cpu / count * 1000), client_ms.append(client_cpu / count * 1000)
                    ratios.append(http_rate / js_sign.rate)
                    # by CPU time: requests per server CPU-second against signatures per CPU-second (steadier when
                    # neighbours load the machine; the client's own CPU is shown apart)
                    cpu_ratios.append(count / max(server_cpu, 1e-9) / js_sign.cpu_rate)
            median = statistics.median
            result = {
                "js_sign_per_s": median(js_rates),
                "js_sign_per_cpu_s": median(js_cpu_rates),
                "http_issue_per_s": median(http_rates),
                "server_cpu_ms": median(cpu_ms),
                "client_cpu_ms": median(client_ms),
                "ratio_wall": median(ratios),
                "ratio_cpu": median(cpu_ratios),
            }
            print(
                f"{name:10} javascript in-process sign {result['js_sign_per_s']:6.1f}/s "
                f"({result['js_sign_per_cpu_s']:.1f}/CPU-s)   our HTTP issue, one client "
                f"{result['http_issue_per_s']:6.1f}/s ({1000 / result['http_issue_per_s']:.2f} ms each; server CPU "
                f"{result['server_cpu_ms']:.2f} ms, client {result['client_cpu_ms']:.2f} ms)   "
                f"ratio x{result['ratio_wall']:.2f} wall, x{result['ratio_cpu']:.2f} CPU",
                flush=True,
            )
            return result
        finally:
            process.terminate()
            process.wait(timeout=30)


def run(quick: bool = False, postgres: str | None = None) -> dict:
    count, rounds = (20, 1) if quick else (200, 3)
    results = {"sqlite": measure_database(None, count, rounds)}
    if postgres:
        results["postgresql"] = measure_database(postgres, count, rounds)
    return results
