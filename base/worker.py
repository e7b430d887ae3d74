"""A background worker of the service: a daemon thread that does one round of work whenever it is woken and every
`poll_seconds`, until stopped (the batch runner, the e-mail outbox's sender). An error in a round is logged by its
type only (a database error's text may quote personal data) and the work is taken up again at the next round."""

from __future__ import annotations

import logging
import threading

log = logging.getLogger(__name__)


class PollingWorker:
    name = "worker"
    # Logged, with the error's type, when a round fails.
    retry_note = "taken up again at the next round"

    def __init__(self, poll_seconds: float):
        self.poll_seconds = poll_seconds
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def work(self) -> None:
        """One round; it may check `stopping()` between its steps."""
        raise NotImplementedError

    def stopping(self) -> bool:
        return self._stop.is_set()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Work was queued: look now rather than at the next poll."""
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        """Stops after the step in progress; what is left is taken up by the next worker."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                self.work()
            except Exception as error:  # a database hiccup must not end the thread
                log.error("%s: %s; %s", self.name, type(error).__name__, self.retry_note)
            self._wake.wait(self.poll_seconds)
