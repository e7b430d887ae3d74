"""`volcred serve --workers N`: every worker takes a share of the connections, and stopping stops them all."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.conftest import TEST_KEK, free_port


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


def socket_inodes(pid: int) -> set[str]:
    inodes = set()
    try:
        descriptors = list(Path(f"/proc/{pid}/fd").iterdir())
    except OSError:  # the process has gone
        return inodes
    for fd in descriptors:
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    return inodes


def tcp_sockets(port: int, state: str) -> set[str]:
    """Inodes of IPv4 TCP sockets on local `port` in `state` (0A listening, 01 established), from /proc/net/tcp."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].split(":")[1], 16) == port and fields[3] == state:
            inodes.add(fields[9])
    return inodes


def test_connections_opened_together_are_spread_over_the_workers(database_url, tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "BASE_URL": f"http://127.0.0.1:{port}",
        "KEY_ENCRYPTION_KEY": TEST_KEK,
        "VOLCRED_DATA_DIR": str(tmp_path / "var"),
    }
    log = open(tmp_path / "server.log", "wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "volcred.cli", "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=tmp_path,
    )
    connections: list[socket.socket] = []
    try:
        deadline = time.monotonic() + 60
        workers: list[int] = []
        while len(workers) < 2 or len(tcp_sockets(port, "0A")) < 2:  # both workers listening
            assert server.poll() is None and time.monotonic() < deadline, (tmp_path / "server.log").read_text()
            listening = tcp_sockets(port, "0A")
            workers = [pid for pid in children(server.pid) if socket_inodes(pid) & listening]
            time.sleep(0.2)
        assert httpx.get(f"http://127.0.0.1:{port}/health", timeout=10).status_code == 200

        # Sixteen keep-alive connections at once, as a proxy's pool opens them.
        for _ in range(16):
            connections.append(socket.create_connection(("127.0.0.1", port)))
        for connection in connections:
            connection.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        for connection in connections:
            assert connection.recv(65536).startswith(b"HTTP/1.1 200")
        accepted = tcp_sockets(port, "01")
        shares = [len(socket_inodes(pid) & accepted) for pid in workers]
        assert sum(shares) == 16 and min(shares) > 0, shares
    finally:
        for connection in connections:
            connection.close()
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    for pid in workers:
        assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text().lower()
