"""Running the service under uvicorn, with one or several worker processes.

Several workers each listen on a socket of their own, bound to the same address with SO_REUSEPORT, so that the
kernel spreads new connections over them. With one socket shared by all workers (uvicorn's own way), the worker
that wakes first accepts every connection waiting at that moment: clients that open their connections together and
keep them alive (a load balancer, a reverse proxy's keep-alive pool) all land on one worker while the others idle.
Measured with 32 keep-alive connections on 2 cores: one worker did all the work.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import socket
import time
from multiprocessing.connection import wait

log = logging.getLogger(__name__)

APP = "volcred.app:create_app"
RESTART_PAUSE_SECONDS = 1.0
STOP_TIMEOUT_SECONDS = 15.0


def serve(host: str, port: int, workers: int, log_level: str) -> None:
    import uvicorn

    if workers <= 1 or not hasattr(socket, "SO_REUSEPORT"):
        uvicorn.run(APP, factory=True, host=host, port=port, workers=workers, access_log=False, log_config=None)
        return
    # Bound, not listening: fails now, clearly, if the address is taken, and takes no connections itself.
    with _socket(host, port):
        context = multiprocessing.get_context("spawn")
        processes = [_start(context, host, port, log_level) for _ in range(workers)]
    _supervise(context, processes, host, port, log_level)


def _socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


def _worker(host: str, port: int, log_level: str) -> None:
    import uvicorn

    from volcred.logs import configure_logging

    configure_logging(log_level)
    sock = _socket(host, port)
    sock.listen(2048)
    config = uvicorn.Config(APP, factory=True, access_log=False, log_config=None)
    uvicorn.Server(config).run(sockets=[sock])


def _start(context, host: str, port: int, log_level: str):
    process = context.Process(target=_worker, args=(host, port, log_level), name="volcred-worker")
    process.start()
    return process


def _supervise(context, processes: list, host: str, port: int, log_level: str) -> None:
    """Restarts a worker that dies; on SIGINT or SIGTERM stops them all (each finishes its requests in flight)."""
    stopping = False

    def stop(*_args) -> None:
        nonlocal stopping
        stopping = True

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        while not stopping:
            wait([process.sentinel for process in processes], timeout=0.5)
            for index, process in enumerate(processes):
                if not process.is_alive() and not stopping:
                    log.error("worker %s exited with %s; starting another", process.pid, process.exitcode)
                    time.sleep(RESTART_PAUSE_SECONDS)  # a worker that cannot start must not spin
                    processes[index] = _start(context, host, port, log_level)
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()  # SIGTERM: uvicorn's graceful shutdown
        deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
        for process in processes:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
