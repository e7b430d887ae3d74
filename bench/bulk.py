"""Bulk issuance end to end, the way an organisation does it: a 10,000-row file uploaded as a batch and run by the
batch runner (each row: record, signed credential, two status entries, stored), and every certificate PDF rendered
into the batch's ZIP of certificates, on SQLite and on PostgreSQL. Reports the wall time from upload to the ZIP
written whole (target, issue 19: 10,000 rows within 10 minutes on 2 cores).

The batch runs in a thread as it does in the service; meanwhile this process picks up the rows already issued and
hands their certificates to a process pool over all cores (first renders: no cache), so issuing and rendering
overlap; the PDFs go into the ZIP as they come back, named as `GET /batches/{id}/certificates.zip` names them.
"""

from __future__ import annotations

import csv
import io
import os
import threading
import time
import zipfile
from concurrent.futures import Future
from pathlib import Path

from bench.common import bench_organisation, bench_runtime, cores, record_input, section

RENDER_CHUNK = 50  # certificates per pool task


def upload_file(count: int) -> bytes:
    """The batch template's columns, one row per `bench.common.record_input` (named and pseudonymous volunteers)."""
    from credentials.batches.spreadsheet import COLUMNS

    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\r\n", extrasaction="ignore")
    writer.writeheader()
    for i in range(count):
        data = record_input(i)
        volunteer = data.volunteer
        writer.writerow(
            {
                "volunteer_name": volunteer.name or "",
                "volunteer_email": volunteer.email or "",
                "volunteer_pseudonym": volunteer.pseudonym or "",
                "mission_type": data.mission_type,
                "title": data.title,
                "municipality": data.municipality,
                "start_date": data.start_date,
                "end_date": data.end_date,
                "hours": data.hours,
                "role": data.role,
                "competences": "",
                "narrative": data.narrative,
            }
        )
    return buffer.getvalue().encode("utf-8")


def issue_all(runtime, organisation_id: str, count: int, pdfs: bool, directory: Path) -> dict:
    from credentials.batches import service as batch_service
    from credentials.certificates.render import certificate_filename, certificate_pool
    from issuers.store import OrganisationRow

    content = upload_file(count)
    pool = certificate_pool(cores()) if pdfs else None
    archive = zipfile.ZipFile(directory / "certificates.zip", "w", compression=zipfile.ZIP_DEFLATED) if pdfs else None
    pending: list[tuple[list[str], Future]] = []
    written = 0
    start = time.perf_counter()
    try:
        with runtime.transaction() as session:
            org = session.get(OrganisationRow, organisation_id)
            batch = batch_service.create_batch(
                session, runtime.operator, runtime.issuer_context, org, content, "bench.csv"
            )
            batch_id = batch.id
            batch_service.claim_batch(session, runtime.settings.batch_lease_seconds, batch_id=batch_id)
        finished: dict = {}
        runner = threading.Thread(
            target=lambda: finished.update(
                status=batch_service.run_claimed(
                    runtime.transaction, runtime.issuer_context, batch_id, pause=runtime.settings.batch_row_pause
                )
            )
        )
        runner.start()
        last_line = 0
        while True:
            running = runner.is_alive()
            if pool is not None:
                items, last_line = _issued_since(runtime, batch_id, last_line)
                for first in range(0, len(items), RENDER_CHUNK):
                    chunk = items[first : first + RENDER_CHUNK]
                    pending.append(
                        (
                            [certificate_filename(data) for _, data in chunk],
                            pool.submit(_render_chunk, [data for _, data in chunk]),
                        )
                    )
                written += _drain(pending, archive, wait=len(pending) > 4 * cores())
            if not running:
                break
            time.sleep(0.2)
        runner.join()
        issue_seconds = time.perf_counter() - start
        written += _drain(pending, archive, wait=True, everything=True)
        if archive is not None:
            archive.close()  # the ZIP is whole on disk: the clock stops after this
    finally:
        if pool is not None:
            pool.shutdown()
    with runtime.transaction() as session:
        report = batch_service.progress_counts(session, session.get(batch_service.BatchRow, batch_id))
    if finished.get("status") != "done" or report["issued"] != count:
        raise RuntimeError(f"the batch did not issue every row: {finished}, {report}")
    return {"records": count, "wall_s": time.perf_counter() - start, "issue_s": issue_seconds, "pdfs": written}


def _issued_since(runtime, batch_id: str, last_line: int) -> tuple[list, int]:
    """(credential id, certificate data) of the rows issued after `last_line`, read without taking SQLite's write
    lock (groups commit in line order, so the line is a cursor)."""
    from sqlalchemy import select

    from base.db import READ_MOSTLY
    from credentials.batches.store import BatchItemRow
    from credentials.certificates.service import certificate_data
    from credentials.store import CredentialRow

    with runtime.session_factory() as session:
        session.connection(execution_options={READ_MOSTLY: True})
        rows = session.execute(
            select(BatchItemRow.line, CredentialRow)
            .join(CredentialRow, CredentialRow.id == BatchItemRow.credential_id)
            .where(BatchItemRow.batch_id == batch_id, BatchItemRow.status == "issued", BatchItemRow.line > last_line)
            .order_by(BatchItemRow.line)
        ).all()
        items = [
            (credential.id, certificate_data(session, runtime.issuer_context, credential, "lv"))
            for _, credential in rows
        ]
    return items, (rows[-1][0] if rows else last_line)


def _render_chunk(items: list) -> list[bytes]:
    from credentials.certificates.render import render_certificate

    return [render_certificate(item) for item in items]


def _drain(pending: list, archive: zipfile.ZipFile, wait: bool, everything: bool = False) -> int:
    """Writes finished chunks' PDFs into the ZIP (the oldest first, waiting for it when asked)."""
    written = 0
    while pending and (pending[0][1].done() or wait):
        names, future = pending.pop(0)
        for name, pdf in zip(names, future.result()):
            archive.writestr(name, pdf)
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
    print(
        f"{label:10} {count} rows {what}: {result['wall_s']:7.1f} s wall  "
        f"({count / result['wall_s']:.1f} rows/s; the batch itself {result['issue_s']:.1f} s"
        f"{'; ' + str(result['pdfs']) + ' PDFs in the ZIP' if pdfs else ''})",
        flush=True,
    )
    return result


def run(quick: bool = False, postgres: str | None = None, count: int | None = None) -> dict:
    postgres = postgres or os.environ.get("BENCH_DATABASE_URL")
    count = count or (60 if quick else 10_000)
    section(
        f"bulk: a {count}-row file uploaded and run as a batch (each row: record, signed credential, 2 status "
        f"entries, stored), and every PDF certificate rendered into its ZIP, {cores()} cores"
    )
    results = {}
    databases = [("SQLite", None)] + ([("PostgreSQL", postgres)] if postgres else [])
    if not postgres:
        print("(no PostgreSQL: pass --postgres URL or set BENCH_DATABASE_URL)")
    for label, url in databases:
        results[label] = {
            "no_pdf": one_database(label, url, count, pdfs=False),
            "pdf": one_database(label, url, count, pdfs=True),
        }
    return results
