"""Certificate rendering throughput: the first render of a certificate (one process, and a process pool over all
cores) and a certificate served from the cache of rendered PDFs.

    .venv/bin/python bench/certificates.py [--runs 5] [--batch 70]    (or: python -m bench certificates)

Prints medians over the runs; on a machine shared with other work, the CPU time per certificate is the steadier
figure. The batch mixes what organisations issue: Latvian, English and bilingual certificates,
named and pseudonymous volunteers, with and without a logo (PNG or SVG) and a signature image, one revoked; one kind
in seven runs to a second page (twenty competences). Targets (issue 19): a first render at 12 or more certificates per
second per core, a cached one at 500 or more per second.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

if __name__ == "__main__":  # run as a script: the repository, not bench/ (whose http.py would shadow the stdlib's)
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from pypdf import PdfReader  # noqa: E402

from credentials.certificates.render import (  # noqa: E402
    CertificateCache,
    CertificateRenderer,
    render_certificate,
    render_many,
    shutdown_shared_pools,
    use_certificate_cache,
)
from tests.credentials import samples  # noqa: E402

FIRST_RENDER_TARGET = 12  # certificates per second per core
CACHED_TARGET = 500  # certificates per second


def batch(size: int):
    logo, signature = samples.png_logo(), samples.png_signature()
    kinds = [
        samples.named("lv", organisation_logo=logo, signature_image=signature),
        samples.named("en", organisation_logo=samples.SVG_LOGO),
        samples.named("bilingual", organisation_logo=logo, signature_image=signature),
        samples.pseudonymous("lv"),
        samples.pseudonymous("bilingual", organisation_logo=logo),
        samples.named("lv", competences=samples.competences(9), signature_image=signature),
        samples.long_certificate("lv", organisation_logo=logo, status="revoked"),
    ]
    return [
        replace(
            kinds[i % len(kinds)],
            credential_id=f"urn:uuid:00000000-0000-4000-8000-{i:012d}",
            verify_url=f"https://apliecinajumi.example.lv/v/00000000-0000-4000-8000-{i:012d}",
        )
        for i in range(size)
    ]


def measure(items: list, runs: int) -> dict:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    use_certificate_cache(None)
    renderer = CertificateRenderer()
    pages = sum(len(PdfReader(io.BytesIO(renderer.render(item))).pages) for item in items)  # also warms up

    single, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        for item in items:
            renderer.render(item)
        single.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)

    # The shared pool's first batch starts it: workers, imports, one first render each.
    shutdown_shared_pools()
    start = time.perf_counter()
    render_many(items[:cores], processes=cores)
    startup = time.perf_counter() - start
    pooled = []
    for _ in range(runs):
        start = time.perf_counter()
        render_many(items, processes=cores)
        pooled.append(time.perf_counter() - start)
    shutdown_shared_pools()

    cached = _cached(items, runs)

    single_s, pooled_s, cpu_s = statistics.median(single), statistics.median(pooled), statistics.median(cpu)
    per_core = len(items) / cpu_s
    print(f"batch: {len(items)} certificates, {pages} pages; {cores} cores; median of {runs} runs")
    print(
        f"first render, one process: {len(items) / single_s:6.1f} certificates/s  "
        f"{single_s / len(items) * 1000:6.1f} ms each; CPU {cpu_s / len(items) * 1000:.1f} ms each = "
        f"{per_core:.1f} certificates/s per core (target >= {FIRST_RENDER_TARGET}: "
        f"{'met' if per_core >= FIRST_RENDER_TARGET else 'NOT met'})",
        flush=True,
    )
    print(
        f"first render, pool of {cores}: {len(items) / pooled_s:6.1f} certificates/s  "
        f"({len(items) / pooled_s / cores:.1f} per core by wall clock, the shared pool already started; "
        f"start-up once per process {startup:.2f} s)",
        flush=True,
    )
    print(
        f"cached, one process: {cached['per_s']:8.0f} certificates/s  {1000 / cached['per_s']:.2f} ms each "
        f"(key from the data, PDF read from disk; target >= {CACHED_TARGET}: "
        f"{'met' if cached['per_s'] >= CACHED_TARGET else 'NOT met'})",
        flush=True,
    )
    return {
        "certificates": len(items),
        "pages": pages,
        "single_per_s": len(items) / single_s,
        "single_cpu_ms": cpu_s / len(items) * 1000,
        "first_render_per_core_s": per_core,
        "pool_per_s": len(items) / pooled_s,
        "pool_processes": cores,
        "pool_startup_s": startup,
        "cached_per_s": cached["per_s"],
    }


def _cached(items: list, runs: int) -> dict:
    """Certificates per second served by `render_certificate` from a filled on-disk cache."""
    with tempfile.TemporaryDirectory(prefix="bench-certificates-") as directory:
        use_certificate_cache(CertificateCache(directory))
        try:
            for item in items:
                render_certificate(item)  # fills the cache
            rounds = max(1, 2000 // len(items))
            times = []
            for _ in range(runs):
                start = time.perf_counter()
                for _ in range(rounds):
                    for item in items:
                        render_certificate(item)
                times.append(time.perf_counter() - start)
        finally:
            use_certificate_cache(None)
    return {"per_s": rounds * len(items) / statistics.median(times)}


# where WeasyPrint spends a render, by the module that does the work
PHASES = (
    ("html parse", ("html5lib", "tinyhtml5", "cssselect2")),
    ("style cascade", ("weasyprint/css",)),
    ("layout", ("weasyprint/layout", "weasyprint/formatting_structure")),
    ("text shaping (Pango)", ("weasyprint/text",)),
    ("drawing", ("weasyprint/draw",)),
    ("PDF write, fonts, images", ("weasyprint/pdf", "pydyf", "fontTools", "weasyprint/images", "PIL")),
    ("template, QR", ("jinja2", "qrcode", "segno", "credentials/certificates/render")),
)


def profile(items: list) -> dict:
    """Own (tottime) CPU time per first render, grouped by what WeasyPrint is doing."""
    import cProfile
    import pstats

    renderer = CertificateRenderer()
    renderer.render(items[0])
    profiler = cProfile.Profile()
    profiler.enable()
    for item in items:
        renderer.render(item)
    profiler.disable()
    stats = pstats.Stats(profiler).stats
    totals: dict[str, float] = {}
    for (filename, _, _), (_, _, tottime, _, _) in stats.items():
        phase = next((name for name, parts in PHASES if any(part in filename for part in parts)), "other")
        totals[phase] = totals.get(phase, 0.0) + tottime
    whole = sum(totals.values())
    print(
        "profile of a first render (own CPU time by phase, under cProfile): "
        + ", ".join(
            f"{name} {value / len(items) * 1000:.0f} ms ({value / whole:.0%})"
            for name, value in sorted(totals.items(), key=lambda kv: -kv[1])
        )
    )
    return {name: value / len(items) * 1000 for name, value in totals.items()}


def run(quick: bool = False) -> dict:
    from bench.common import section

    section("certificates: A4 tagged PDF/A-3a certificates with QR and the embedded credential, first and cached")
    items = batch(7 if quick else 70)
    result = measure(items, 1 if quick else 5)
    result["profile_ms"] = profile(items[:7] if quick else items[:14])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--batch", type=int, default=70)
    args = parser.parse_args()
    measure(batch(args.batch), args.runs)


if __name__ == "__main__":
    main()
