"""Bulk issuance end to end: records in, signed credentials with status entries stored, PDF certificates rendered
and written, on SQLite and on PostgreSQL. Reports the wall time (the figure an organiser waits for).

The issuing process signs and stores in transactions of CHUNK records; a process pool over all cores renders each
chunk's certificates meanwhile, so signing and rendering overlap.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import Future
from pathlib import Path

from bench.common import bench_organisation, bench_runtime, cores, record_input, section

CHUNK = 100


def issue_all(runtime, organisation_id: str, count: int, pdfs: bool, directory: Path) -> dict:
    from credentials import service as credentials
    from credentials.certificate import certificate_pool
    from credentials.certificates import certificate_data
    from issuers.store import OrganisationRow

    pool = certificate_pool(cores()) if pdfs else None
    pending: list[tuple[list[str], Future]] = []
    written = 0
    start = time.perf_counter()
    issue_seconds = 0.0
    try:
        for first in range(0, count, CHUNK):
            began = time.perf_counter()
            with runtime.transaction() as session:
                org = session.get(OrganisationRow, organisation_id)
                inputs = [record_input(i) for i in range(first, min(count, first + CHUNK))]
                records = [credentials.create_record(session, runtime.operator, runtime.issuer_context, org, data)
                           for data in inputs]
                issued = credentials.issue_records(session, runtime.operator, runtime.issuer_context,
                                                   [created.record.id for created in records])
                items = [certificate_data(session, runtime.issuer_context, item.credential, "lv")
                         for item in issued] if pdfs else []
            issue_seconds += time.perf_counter() - began
            if pool is not None:
                pending.append(([item.credential.id for item in issued],
                                pool.submit(_render_chunk, items)))
                written += _drain(pending, directory, wait=len(pending) > 2 * cores())
        written += _drain(pending, directory, wait=True, everything=True)
    finally:
        if pool is not None:
            pool.shutdown()
    return {"records": count, "wall_s": time.perf_counter() - start, "issue_s": issue_seconds, "pdfs": written}


def _render_chunk(items: list) -> list[bytes]:
    from credentials.certificate import render_certificate

    return [render_certificate(item) for item in items]


def _drain(pending: list, directory: Path, wait: bool, everything: bool = False) -> int:
    """Writes finished chunks' PDFs to disk (the oldest first, waiting for it when asked)."""
    written = 0
    while pending and (pending[0][1].done() or wait):
        ids, future = pending.pop(0)
        for credential_id, pdf in zip(ids, future.result()):
            (directory / f"{credential_id}.pdf").write_bytes(pdf)
            written += 1
        if not everything:
            wait = False
    return written


def one_database(label: str, url: str | None, count: int, pdfs: bool) -> dict:
    with bench_runtime(url) as runtime:
        organisation_id, _ = bench_organisation(runtime)
        directory = runtime.directory / "pdf"
        directory.mkdir()
        result = issue_all(runtime, organisation_id, count, pdfs, directory)
    what = "with PDFs" if pdfs else "without PDFs"
    print(f"{label:10} {count} records {what}: {result['wall_s']:7.1f} s wall  "
          f"({count / result['wall_s']:.1f} records/s; signing and storing {result['issue_s']:.1f} s"
          f"{'; ' + str(result['pdfs']) + ' PDFs written' if pdfs else ''})", flush=True)
    return result


def run(quick: bool = False, postgres: str | None = None, count: int | None = None) -> dict:
    postgres = postgres or os.environ.get("BENCH_DATABASE_URL")
    count = count or (60 if quick else 10_000)
    section(f"bulk: {count} records issued end to end (record, signed credential, 2 status entries, stored; "
            f"then the PDF certificate rendered and written), {cores()} cores")
    results = {}
    databases = [("SQLite", None)] + ([("PostgreSQL", postgres)] if postgres else [])
    if not postgres:
        print("(no PostgreSQL: pass --postgres URL or set BENCH_DATABASE_URL)")
    for label, url in databases:
        results[label] = {"no_pdf": one_database(label, url, count, pdfs=False),
                          "pdf": one_database(label, url, count, pdfs=True)}
    return results
