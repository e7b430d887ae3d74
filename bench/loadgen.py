"""A small open-loop HTTP/1.1 load generator (wrk2-style): requests are sent at a fixed offered rate, whatever
the server's pace, and each latency is measured from the moment its request was due, so a slow server shows in
the tail instead of silently lowering the rate (no coordinated omission).

    python -m bench.loadgen --url http://127.0.0.1:8000/credentials/verify --rate 300 --duration 20 \\
        [--bodies FILE.jsonl] [--paths FILE] [--connections 32] [--closed]

`--bodies` gives JSON bodies to POST (one per line, used in turn); `--paths` gives paths to GET in turn.
`--closed` measures the maximum instead: every connection sends its next request as soon as it has an answer.
Prints one JSON object: sent, ok, errors, statuses, duration_s, requests_per_s, p50_ms, p90_ms, p99_ms, max_ms,
client_cpu_ms (the load generator's own CPU time per request).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import statistics
import sys
import time
from urllib.parse import urlsplit


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def _request(reader, writer, raw: bytes) -> int:
    writer.write(raw)
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length = 0
    chunked = False
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.lower() == "content-length":
            length = int(value)
        elif name.lower() == "transfer-encoding" and "chunked" in value.lower():
            chunked = True
    if chunked:
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length:
        await reader.readexactly(length)
    return status


async def run(url: str, requests: list[bytes], rate: float, duration: float, connections: int, closed: bool) -> dict:
    parts = urlsplit(url)
    host, port = parts.hostname, parts.port or 80
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors = 0
    queue: asyncio.Queue = asyncio.Queue()
    total = int(rate * duration) if not closed else None
    start = time.perf_counter() + 0.2
    deadline = start + duration

    async def worker(number: int) -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection(host, port)
        turn = number
        try:
            while True:
                if closed:
                    due = time.perf_counter()
                    if due >= deadline:
                        return
                else:
                    due = await queue.get()
                    if due is None:
                        return
                raw = requests[turn % len(requests)]
                turn += connections
                try:
                    status = await _request(reader, writer, raw)
                except (OSError, asyncio.IncompleteReadError, ValueError):
                    errors += 1
                    writer.close()
                    reader, writer = await asyncio.open_connection(host, port)
                    continue
                latencies.append(time.perf_counter() - due)
                statuses[status] = statuses.get(status, 0) + 1
        finally:
            writer.close()

    workers = [asyncio.create_task(worker(i)) for i in range(connections)]
    if not closed:
        for i in range(total):
            due = start + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            queue.put_nowait(due)
        for _ in workers:
            queue.put_nowait(None)
    await asyncio.gather(*workers)
    elapsed = time.perf_counter() - start
    ok = sum(count for status, count in statuses.items() if status < 500)
    return {
        "sent": len(latencies) + errors,
        "ok": ok,
        "errors": errors,
        "statuses": statuses,
        "duration_s": elapsed,
        "requests_per_s": len(latencies) / elapsed,
        "offered_per_s": None if closed else rate,
        "p50_ms": percentile(latencies, 0.50) * 1000,
        "p90_ms": percentile(latencies, 0.90) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "max_ms": max(latencies, default=float("nan")) * 1000,
        "mean_ms": statistics.fmean(latencies) * 1000 if latencies else float("nan"),
    }


def build_requests(url: str, bodies: str | None, paths: str | None) -> list[bytes]:
    parts = urlsplit(url)
    host = parts.netloc
    if bodies:
        with open(bodies, encoding="utf-8") as handle:
            payloads = [line.strip().encode("utf-8") for line in handle if line.strip()]
        return [
            (
                f"POST {parts.path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
                f"Accept: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
            ).encode()
            + body
            for body in payloads
        ]
    targets = [parts.path or "/"]
    if paths:
        with open(paths, encoding="utf-8") as handle:
            targets = [line.strip() for line in handle if line.strip()]
    return [f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept: */*\r\n\r\n".encode() for path in targets]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--bodies")
    parser.add_argument("--paths")
    parser.add_argument("--closed", action="store_true")
    args = parser.parse_args()
    requests = build_requests(args.url, args.bodies, args.paths)
    try:  # the load generator shares the machine's cores with the server: the cheaper its loop, the fairer the test
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    before = resource.getrusage(resource.RUSAGE_SELF)
    result = asyncio.run(run(args.url, requests, args.rate, args.duration, args.connections, args.closed))
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    result["client_cpu_ms"] = cpu / max(1, result["sent"]) * 1000
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
