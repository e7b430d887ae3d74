"""python -m bench [--quick] [crypto|certificates|bulk|http|issue|pages|reports ...]: runs the benchmarks named (default:
all)."""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time

from bench.common import cores

BENCHMARKS = ("crypto", "certificates", "bulk", "http", "issue", "pages", "reports")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split(":")[0])
    parser.add_argument(
        "benchmarks",
        nargs="*",
        choices=[*BENCHMARKS, []],
        metavar="BENCHMARK",
        help=f"any of {', '.join(BENCHMARKS)} (default: all)",
    )
    parser.add_argument("--quick", action="store_true", help="small sizes and few runs: checks the bench works")
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="PostgreSQL URL for the bulk and issue runs "
        "(default: $BENCH_DATABASE_URL; without one, they run on SQLite only)",
    )
    parser.add_argument(
        "--bulk-rows", type=int, default=None, help="rows of the bulk run (default 10,000; 60 with --quick)"
    )
    parser.add_argument(
        "--http-path",
        default=None,
        help="the GET path benchmarked besides POST "
        "/credentials/verify, with {id} for a credential id (default /v/{id} if served, else "
        "/credentials/{id}/status)",
    )
    parser.add_argument("--rate", type=float, default=None, help="the offered request rate for http (per second)")
    parser.add_argument(
        "--http-database",
        metavar="URL",
        default=None,
        help="serve the http run from this "
        "PostgreSQL database, which is emptied first (default: a temporary SQLite database)",
    )
    parser.add_argument(
        "--pages-database",
        metavar="URL",
        default=None,
        help="also time the pages on this PostgreSQL database, which is emptied first (default: SQLite only)",
    )
    parser.add_argument(
        "--pages-size",
        metavar="VOLUNTEERS,RECORDS",
        default=None,
        help="the organisation of the pages run (default 10000,50000; 500,2500 with --quick)",
    )
    parser.add_argument("--pages-requests", type=int, default=None, help="requests per page (default 200)")
    parser.add_argument(
        "--reports-database",
        metavar="URL",
        default=None,
        help="the PostgreSQL database the reports run loads its simulated year into (emptied first; default "
        "$BENCH_DATABASE_URL)",
    )
    parser.add_argument(
        "--reports-cache",
        action="store_true",
        help="serve the published figures of the reports run through the service's statistics cache (default: none, "
        "every request fresh)",
    )
    parser.add_argument("--json", metavar="FILE", help="also write every figure to FILE as JSON")
    args = parser.parse_args(argv)
    chosen = args.benchmarks or list(BENCHMARKS)
    print(
        f"volunteer-credentials bench: {platform.python_implementation()} {platform.python_version()}, "
        f"{cores()} cores, {'quick' if args.quick else 'full'} run; medians over runs; the machine may be shared, "
        f"so CPU-time rates and paired ratios are steadier than wall-clock ones",
        flush=True,
    )
    results: dict = {}
    started = time.perf_counter()
    for name in chosen:
        if name == "crypto":
            from bench import crypto

            results[name] = crypto.run(args.quick)
        elif name == "certificates":
            from bench import certificates

            results[name] = certificates.run(args.quick)
        elif name == "bulk":
            from bench import bulk

            results[name] = bulk.run(args.quick, args.postgres, args.bulk_rows)
        elif name == "http":
            from bench import http

            results[name] = http.run(args.quick, path=args.http_path, rate=args.rate, database_url=args.http_database)
        elif name == "issue":
            from bench import issue

            results[name] = issue.run(args.quick, args.postgres or os.environ.get("BENCH_DATABASE_URL"))
        elif name == "pages":
            from bench import pages

            volunteers, records = map(int, args.pages_size.split(",")) if args.pages_size else (None, None)
            results[name] = pages.run(args.quick, args.pages_database, volunteers, records, args.pages_requests)
        elif name == "reports":
            from bench import reports

            results[name] = reports.run(
                args.quick, args.reports_database or os.environ.get("BENCH_DATABASE_URL"), args.reports_cache
            )
    print(f"\nbench done in {time.perf_counter() - started:.0f} s")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(results, handle, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
