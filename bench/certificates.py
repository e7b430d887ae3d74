"""Certificate rendering throughput: one process, and a process pool over all cores.

    .venv/bin/python bench/certificates.py [--runs 5] [--batch 60]    (or: python -m bench certificates)

Prints medians over the runs; on a machine shared with other work, the CPU time per certificate is the steadier
figure. The batch mixes what organisations issue: Latvian, English and bilingual certificates,
named and pseudonymous volunteers, with and without a logo (PNG or SVG) and a signature image; one kind in seven
runs to a second page (twenty competences). The renderer sets what it can itself and leaves the rest to WeasyPrint;
the two paths are also timed apart on the same batch (the typesetter on what it sets, WeasyPrint on everything).
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

from credentials.certificate import CertificateRenderer, render_many, shutdown_shared_pools  # noqa: E402
from credentials.certificate_typeset import NotTypesettable  # noqa: E402
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
        samples.long_certificate("lv", organisation_logo=logo),
    ]
    return [replace(kinds[i % len(kinds)], credential_id=f"urn:uuid:00000000-0000-4000-8000-{i:012d}",
                    verify_url=f"https://apliecinajumi.example.lv/v/00000000-0000-4000-8000-{i:012d}")
            for i in range(size)]


def measure(items: list, runs: int) -> dict:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
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

    typeset, weasyprint = _paths_apart(renderer, items, runs)

    single_s, pooled_s, cpu_s = statistics.median(single), statistics.median(pooled), statistics.median(cpu)
    print(f"batch: {len(items)} certificates, {pages} pages; {cores} cores; median of {runs} runs; "
          f"{typeset['count']} set by the typesetter, {len(items) - typeset['count']} by WeasyPrint")
    print(f"single process: {len(items) / single_s:6.1f} certificates/s  {single_s / len(items) * 1000:6.1f} ms each"
          f"  ({pages / single_s:.1f} pages/s; CPU {cpu_s / len(items) * 1000:.1f} ms each, "
          f"{pages / cpu_s:.1f} pages per CPU-second)", flush=True)
    print(f"pool of {cores}:      {len(items) / pooled_s:6.1f} certificates/s  {pooled_s / len(items) * 1000:6.1f} ms each"
          f"  ({pages / pooled_s / cores:.1f} pages/s per core, the shared pool already started)")
    print(f"pool start-up (workers, import, first render each; once per process): {startup:.2f} s", flush=True)
    print(f"paths apart, one process: typesetter {typeset['cpu_ms']:.1f} ms CPU per certificate "
          f"({1000 / typeset['cpu_ms']:.1f} per CPU-second, the {typeset['count']} certificates it sets); "
          f"WeasyPrint {weasyprint['cpu_ms']:.1f} ms ({1000 / weasyprint['cpu_ms']:.1f} per CPU-second, all "
          f"{weasyprint['count']})", flush=True)
    return {"certificates": len(items), "pages": pages, "single_per_s": len(items) / single_s,
            "single_cpu_ms": cpu_s / len(items) * 1000, "pages_per_cpu_s": pages / cpu_s,
            "pool_per_s": len(items) / pooled_s, "pool_processes": cores, "pool_startup_s": startup,
            "typeset_cpu_ms": typeset["cpu_ms"], "typeset_count": typeset["count"],
            "weasyprint_cpu_ms": weasyprint["cpu_ms"]}


def _paths_apart(renderer: CertificateRenderer, items: list, runs: int) -> tuple[dict, dict]:
    """CPU time per certificate of each path: the typesetter on the items it sets, WeasyPrint on all."""
    typesettable = []
    for item in items:
        try:
            renderer.typeset(item)
            typesettable.append(item)
        except NotTypesettable:
            pass
    figures = []
    for render, chosen in ((renderer.typeset, typesettable), (renderer.render_with_weasyprint, items)):
        cpu = []
        for _ in range(runs):
            start = time.process_time()
            for item in chosen:
                render(item)
            cpu.append(time.process_time() - start)
        figures.append({"count": len(chosen), "cpu_ms": statistics.median(cpu) / max(1, len(chosen)) * 1000})
    return figures[0], figures[1]


# where WeasyPrint spends a render, by the module that does the work
PHASES = (("html parse", ("html5lib", "tinyhtml5", "cssselect2")), ("style cascade", ("weasyprint/css",)),
          ("layout", ("weasyprint/layout", "weasyprint/formatting_structure")),
          ("text shaping (Pango)", ("weasyprint/text",)), ("drawing", ("weasyprint/draw",)),
          ("PDF write, fonts, images", ("weasyprint/pdf", "pydyf", "fontTools", "weasyprint/images", "PIL")),
          ("template, QR", ("jinja2", "qrcode", "segno", "credentials/certificate")))


def profile(items: list) -> dict:
    """Own (tottime) CPU time per WeasyPrint render (the path for what the typesetter leaves), grouped by what
    WeasyPrint is doing."""
    import cProfile
    import pstats

    renderer = CertificateRenderer(typeset=False)
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
    print("profile of a WeasyPrint render (own CPU time by phase, under cProfile): " + ", ".join(
        f"{name} {value / len(items) * 1000:.0f} ms ({value / whole:.0%})"
        for name, value in sorted(totals.items(), key=lambda kv: -kv[1])))
    return {name: value / len(items) * 1000 for name, value in totals.items()}


def run(quick: bool = False) -> dict:
    from bench.common import section

    section("certificates: A4 PDF/A-3b certificates with QR and the embedded credential")
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
