"""Certificate rendering throughput: one process, and a process pool over all cores.

    .venv/bin/python bench/certificates.py [--runs 5] [--batch 60]

Prints medians over the runs; on a machine shared with other work, the CPU time per certificate is the steadier
figure. The batch mixes what organisations issue: Latvian, English and bilingual certificates,
named and pseudonymous volunteers, with and without a logo and a signature image; all fit on one page.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pypdf import PdfReader  # noqa: E402

from credentials.certificate import CertificateRenderer, render_many  # noqa: E402
from tests.credentials import samples  # noqa: E402


def batch(size: int):
    logo, signature = samples.png_logo(), samples.png_signature()
    kinds = [
        samples.named("lv", organisation_logo=logo, signature_image=signature),
        samples.named("en", organisation_logo=samples.SVG_LOGO),
        samples.named("bilingual", organisation_logo=logo, signature_image=signature),
        samples.pseudonymous("lv"),
        samples.pseudonymous("bilingual", organisation_logo=logo),
        samples.named("lv", competences=samples.competences(9), signature_image=signature),
    ]
    return [replace(kinds[i % len(kinds)], credential_id=f"urn:uuid:00000000-0000-4000-8000-{i:012d}",
                    verify_url=f"https://apliecinajumi.example.lv/v/00000000-0000-4000-8000-{i:012d}")
            for i in range(size)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--batch", type=int, default=60)
    args = parser.parse_args()
    items = batch(args.batch)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1

    renderer = CertificateRenderer()
    pages = sum(len(PdfReader(io.BytesIO(renderer.render(item))).pages) for item in items)  # also warms up

    single, cpu = [], []
    for _ in range(args.runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        for item in items:
            renderer.render(item)
        single.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)

    pooled = []
    for _ in range(args.runs):
        start = time.perf_counter()
        render_many(items, processes=cores)
        pooled.append(time.perf_counter() - start)
    start = time.perf_counter()
    render_many(items[:cores], processes=cores)
    startup = time.perf_counter() - start

    single_s, pooled_s = statistics.median(single), statistics.median(pooled)
    print(f"batch: {len(items)} certificates, {pages} pages; {cores} cores; median of {args.runs} runs")
    print(f"single process: {len(items) / single_s:6.1f} certificates/s  {single_s / len(items) * 1000:6.1f} ms each"
          f"  ({pages / single_s:.1f} pages/s; CPU {statistics.median(cpu) / len(items) * 1000:.1f} ms each)")
    print(f"pool of {cores}:      {len(items) / pooled_s:6.1f} certificates/s  {pooled_s / len(items) * 1000:6.1f} ms each"
          f"  ({pages / pooled_s / cores:.1f} pages/s per core, pool start-up included)")
    print(f"pool start-up (spawn, import, first render per worker): {startup:.2f} s")


if __name__ == "__main__":
    main()
