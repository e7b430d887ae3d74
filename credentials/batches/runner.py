"""The background runner of bulk issuance: a thread the service starts with the app. It runs queued batches, and
takes over batches whose runner went silent (a killed process) once their lease has passed, so an interrupted
batch resumes when the service starts again."""

from __future__ import annotations

import logging
import threading

from credentials.batches.service import UnitOfWork, run_pending
from issuers.service import IssuerContext

log = logging.getLogger(__name__)


class BatchRunner:
    def __init__(
        self,
        transaction: UnitOfWork,
        ctx: IssuerContext,
        lease_seconds: float,
        pause: float = 0.0,
        poll_seconds: float = 2.0,
    ):
        self.transaction, self.ctx, self.pause = transaction, ctx, pause
        self.lease_seconds, self.poll_seconds = lease_seconds, poll_seconds
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="batch-runner", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """A batch was queued: look now rather than at the next poll."""
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        """Stops after the row in progress; the rest of a running batch is resumed by the next runner."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                run_pending(
                    self.transaction, self.ctx, self.lease_seconds, should_stop=self._stop.is_set, pause=self.pause
                )
            except Exception as error:  # a database hiccup must not end the thread; the batch is retried
                # The error's type only: a database error's text may quote a row's personal data.
                log.error("batch runner: %s; the batch is taken up again after its lease", type(error).__name__)
            self._wake.wait(self.poll_seconds)
