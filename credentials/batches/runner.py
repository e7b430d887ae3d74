"""The background runner of bulk issuance: a thread the service starts with the app. It runs queued batches, and
takes over batches whose runner went silent (a killed process) once their lease has passed, so an interrupted
batch resumes when the service starts again."""

from __future__ import annotations

from base.worker import PollingWorker
from credentials.batches.service import UnitOfWork, run_pending
from issuers.service import IssuerContext


class BatchRunner(PollingWorker):
    name = "batch-runner"
    retry_note = "the batch is taken up again after its lease"

    def __init__(
        self,
        transaction: UnitOfWork,
        ctx: IssuerContext,
        lease_seconds: float,
        pause: float = 0.0,
        poll_seconds: float = 2.0,
    ):
        super().__init__(poll_seconds)
        self.transaction, self.ctx, self.pause = transaction, ctx, pause
        self.lease_seconds = lease_seconds

    def work(self) -> None:
        run_pending(self.transaction, self.ctx, self.lease_seconds, should_stop=self.stopping, pause=self.pause)
