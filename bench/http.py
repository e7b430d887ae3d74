"""HTTP under load: `POST /credentials/verify` and a public GET (the verification page `/v/{id}`, or the credential
JSON where that page is not served) against the real service under uvicorn, from a second process on loopback
(bench/loadgen.py, wrk2-style: a fixed offered rate, latency measured from when each request was due).

Reports, per endpoint: requests/s and p50/p99 latency at the offered rate, and the saturation throughput
(closed loop, every connection busy).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from bench.common import BENCH_KEK, REPO, bench_organisation, bench_runtime, cores, issue_records, section

BASE_URL = "https://apliecinajumi.example.lv"  # what the credentials carry; the server answers on loopback


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(
    directory: Path, database_url: str | None, workers: int, extra_env: dict[str, str] | None = None
) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {
        **os.environ,
        "VOLCRED_DATA_DIR": str(directory),
        "KEY_ENCRYPTION_KEY": BENCH_KEK,
        "BASE_URL": BASE_URL,
        "LOG_LEVEL": "WARNING",
        "VOLCRED_RATE_LIMITS": "off",
        **(extra_env or {}),
    }  # one load generator offers hundreds a second
    if database_url:
        env["DATABASE_URL"] = database_url
    else:
        env.pop("DATABASE_URL", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "volcred.cli", "serve", "--port", str(port), "--workers", str(workers)],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    wait_until_serving(process, url + "/health", "the server")
    return process, url


def wait_until_serving(process: subprocess.Popen, probe: str, name: str) -> None:
    """Waits (up to 30 s) until `probe` answers 200; `process` (its stderr piped) exiting first is an error."""
    for _ in range(300):
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited: {process.stderr.read().decode()[-2000:]}")
        try:
            if httpx.get(probe, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    process.terminate()
    raise RuntimeError(f"{name} did not start in 30 s")


def load(
    url: str,
    *,
    rate: float,
    duration: float,
    closed: bool = False,
    bodies: Path | None = None,
    paths: Path | None = None,
    connections: int = 32,
) -> dict:
    command = [
        sys.executable,
        "-m",
        "bench.loadgen",
        "--url",
        url,
        "--rate",
        str(rate),
        "--duration",
        str(duration),
        "--connections",
        str(connections),
    ]
    if bodies:
        command += ["--bodies", str(bodies)]
    if paths:
        command += ["--paths", str(paths)]
    if closed:
        command.append("--closed")
    completed = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise RuntimeError(f"loadgen failed: {completed.stderr[-2000:]}")
    return json.loads(completed.stdout)


def server_cpu_seconds(process: subprocess.Popen) -> float:
    """CPU time (user + system) of the server process and its workers so far, from /proc (Linux)."""
    ticks = os.sysconf("SC_CLK_TCK")
    pids = [process.pid]
    try:
        children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
        pids += [int(pid) for pid in children]
    except OSError:
        pass
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def _report(name: str, result: dict) -> None:
    statuses = ", ".join(f"{status}: {count}" for status, count in sorted(result["statuses"].items()))
    offered = f"offered {result['offered_per_s']:.0f}/s" if result["offered_per_s"] else "saturation (closed loop)"
    print(
        f"{name:30} {offered:26} {result['requests_per_s']:6.1f} req/s  p50 {result['p50_ms']:6.1f} ms  "
        f"p99 {result['p99_ms']:6.1f} ms  max {result['max_ms']:6.1f} ms  server CPU {result['server_cpu_ms']:.2f} ms"
        f"/request (load generator {result['client_cpu_ms']:.2f} ms)  [{statuses}; errors {result['errors']}]",
        flush=True,
    )


def measured(process: subprocess.Popen, url: str, **options) -> dict:
    """`load`, with the server's CPU time per request (steadier than wall-clock figures on a shared machine)."""
    before = server_cpu_seconds(process)
    result = load(url, **options)
    served = max(1, sum(result["statuses"].values()))
    result["server_cpu_ms"] = (server_cpu_seconds(process) - before) / served * 1000
    return result


def run(
    quick: bool = False,
    path: str | None = None,
    rate: float | None = None,
    workers: int | None = None,
    database_url: str | None = None,
) -> dict:
    rate = rate or (50.0 if quick else 300.0)
    duration = 3.0 if quick else 20.0
    workers = workers or cores()
    count = 20 if quick else 200
    with bench_runtime(database_url) as runtime:
        organisation_id, _ = bench_organisation(runtime)
        issued = issue_records(runtime, organisation_id, count)
        bodies = runtime.directory / "verify-bodies.jsonl"
        bodies.write_text(
            "".join(json.dumps({"verifiableCredential": item.document}, ensure_ascii=False) + "\n" for item in issued),
            encoding="utf-8",
        )
        runtime.session_factory.kw["bind"].dispose()
        process, url = start_server(runtime.directory, database_url, workers)
        try:
            ids = [item.credential.id for item in issued]
            if path is None:
                path = "/v/{id}" if httpx.get(url + f"/v/{ids[0]}").status_code == 200 else "/credentials/{id}"
            paths = runtime.directory / "paths.txt"
            paths.write_text("".join(path.format(id=i) + "\n" for i in ids), encoding="utf-8")
            section(
                f"http: uvicorn with {workers} workers on {'PostgreSQL' if database_url else 'SQLite'}, "
                f"load from a second process on loopback; {len(ids)} distinct credentials"
            )
            check = httpx.post(url + "/credentials/verify", json={"verifiableCredential": issued[0].document})
            if check.status_code != 200 or not check.json()["verified"]:
                raise RuntimeError(f"verify does not verify: {check.status_code} {check.text[:500]}")
            results = {}
            for name, target, kind in (
                ("POST /credentials/verify", url + "/credentials/verify", "bodies"),
                (f"GET {path}", url + path.format(id=ids[0]), "paths"),
            ):
                files = {kind: bodies if kind == "bodies" else paths}
                load(target, rate=rate, duration=min(2.0, duration), **files)  # warm every worker up
                fixed = measured(process, target, rate=rate, duration=duration, **files)
                _report(name, fixed)
                saturated = measured(
                    process, target, rate=rate, duration=min(10.0, duration), closed=True, connections=16, **files
                )
                _report(name, saturated)
                results[name] = {"fixed_rate": fixed, "saturation": saturated}
            return results
        finally:
            process.terminate()
            process.wait(timeout=30)
