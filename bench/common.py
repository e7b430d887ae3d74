"""What every benchmark shares: medians over runs, wall and CPU time, and a throw-away service to measure."""

from __future__ import annotations

import base64
import os
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
REFERENCE = REPO.parent / "shared" / "reference"
INTEROP = REPO / "tests" / "interop"
BENCH_KEK = base64.urlsafe_b64encode(b"b" * 32).decode()


def cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@dataclass
class Timing:
    """Wall and CPU seconds of each run of `count` operations."""

    count: int
    wall: list[float]
    cpu: list[float]

    @property
    def rate(self) -> float:
        """Operations per wall-clock second (median run)."""
        return self.count / statistics.median(self.wall)

    @property
    def cpu_rate(self) -> float:
        """Operations per CPU second (median run): per core, and steadier on a shared machine."""
        return self.count / statistics.median(self.cpu)

    @property
    def ms(self) -> float:
        return statistics.median(self.wall) / self.count * 1000

    @property
    def cpu_ms(self) -> float:
        return statistics.median(self.cpu) / self.count * 1000


def timed(operation: Callable[[], object], count: int, runs: int) -> Timing:
    """Runs `operation` (which does `count` operations) `runs` times after one warm-up."""
    operation()
    wall, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        operation()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return Timing(count, wall, cpu)


def median_ratio(ours: list[float], theirs: list[float]) -> float:
    """The median of paired ratios theirs/ours (run i of each side was taken back to back)."""
    return statistics.median(t / o for o, t in zip(ours, theirs))


def section(title: str) -> None:
    print(f"\n== {title}", flush=True)


# --- a throw-away service -----------------------------------------------------------------------------------------


@contextmanager
def bench_runtime(database_url: str | None = None) -> Iterator[object]:
    """A migrated, empty service database (a temporary SQLite file unless `database_url` names a PostgreSQL
    database, which is emptied first) and a `volcred.cli.Runtime` over it."""
    from volcred.cli import Runtime
    from volcred.settings import Settings

    with tempfile.TemporaryDirectory(prefix="volcred-bench-") as directory:
        if database_url and database_url.startswith("postgresql"):
            reset_postgres(database_url)
        settings = Settings(
            data_dir=Path(directory),
            database_url=database_url,
            key_encryption_key=BENCH_KEK,
            base_url="https://apliecinajumi.example.lv",
        )
        runtime = Runtime(settings)
        runtime.directory = Path(directory)
        yield runtime
        runtime.session_factory.kw["bind"].dispose()


def reset_postgres(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def bench_organisation(runtime, slug: str = "bench-org"):
    """A verified organisation with a key, a logo and an API token; returns (organisation id, token)."""
    from issuers import service
    from issuers.organisations import OrganisationInput
    from volcred.demo import LOGO_SVG

    with runtime.transaction() as session:
        org = service.register_organisation(
            session,
            runtime.issuer_context,
            OrganisationInput(
                legal_name="Biedrība „Mēraukla”",
                registration_number="40001441955",
                slug=slug,
                legal_form="association-or-foundation",
                municipality="Rīga",
                website="https://meraukla.example.lv",
                contact_email="info@meraukla.example.lv",
                signatory_name="Ilze Kalniņa",
                signatory_position="Valdes priekšsēdētāja",
            ),
        )
        service.verify_now(session, org)
        service.set_organisation_image(session, runtime.operator, slug, "logo", LOGO_SVG.format(bg="#2f7d4f").encode())
        _, token = service.issue_organisation_token(session, org, "bench")
        return org.id, token


def record_input(i: int):
    """The i-th of a varied stream of records: named and pseudonymous volunteers, several mission types."""
    from credentials.records.records import RecordInput, VolunteerInput

    volunteer = (
        VolunteerInput(pseudonym=f"VOL-BENCH-{i:08d}")
        if i % 3 == 2
        else VolunteerInput(name=f"Brīvprātīgais Nr. {i}", email=f"v{i}@example.lv")
    )
    mission, title = [
        ("clean-up", "Gaujas krastu sakopšanas talka"),
        ("festival-support", "Rīgas svētku palīgs"),
        ("homework-tutoring", "Mājasdarbu atbalsts jauniešu centrā"),
    ][i % 3]
    return RecordInput(
        volunteer=volunteer,
        mission_type=mission,
        title=f"{title} {i}",
        municipality="Rīga",
        start_date="2026-04-25",
        end_date="2026-04-26",
        hours=str(8 + i % 40),
        role="Grupas vadītājs",
        narrative=f"Darbs Nr. {i}: vadīja grupu un rūpējās par drošību.",
    )


def issue_records(runtime, organisation_id: str, count: int, start: int = 0) -> list:
    """Issues `count` credentials through the real service path (record, status entries, signature, stored)."""
    from credentials import service as credentials
    from credentials.records import service as records_service
    from issuers.store import OrganisationRow

    issued = []
    with runtime.transaction() as session:
        org = session.get(OrganisationRow, organisation_id)
        for i in range(start, start + count):
            created = records_service.create_record(
                session, runtime.operator, runtime.issuer_context, org, record_input(i)
            )
            issued.append(
                credentials.issue_record(session, runtime.operator, runtime.issuer_context, created.record.id)
            )
    return issued
