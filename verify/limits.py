"""Bounds on a document anyone may post for verification, checked on the parsed JSON before any JSON-LD work.

JSON-LD expansion (PyLD) costs about 0.2 ms of CPU per JSON object and more per entry of `type` or `@context`
(each may bring a scoped context): a 1.8 MB credential whose alignment array was repeated cost ~8 s of CPU, and a
thread cannot be stopped once it runs. So:

- Shape bounds refuse outright what no real credential needs (real ones are under 20 KB, a few levels deep, with a
  few dozen alignments): `check_document`.
- Work bounds: a document small in objects and values (`SMALL_OBJECTS`, `SMALL_VALUES`; our own credentials have
  ~40 objects) costs at most ~0.1 s however it is built, and is verified in the request's thread. A bigger one is
  first expanded and canonicalised in a separate process that is killed at `WORK_BUDGET_SECONDS`: refused if it does
  not finish, verified as usual if it does (the work is deterministic, so the thread then does about as much).
"""

from __future__ import annotations

import json
import math
import multiprocessing
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from base.errors import UserError
from base.i18n import Text, messages

MAX_DOCUMENT_BYTES = 256 * 1024
MAX_PRESENTATION_BYTES = 1024 * 1024
MAX_DEPTH = 32
MAX_ARRAY_ITEMS = 256
MAX_TERM_LIST_ITEMS = 16  # `type` and `@context`: each entry can bring a context of its own to process
MAX_VALUES = 20_000
SMALL_OBJECTS = 300
SMALL_VALUES = 3_000
WORK_BUDGET_SECONDS = 1.5
WORKER_START_SECONDS = 30
MAX_WORKERS = 2  # per server process
_TERM_LISTS = ("type", "@type", "@context")


class OutOfBounds(UserError):
    """The document is bigger, deeper or more costly to verify than a credential can be."""

    def __init__(self, key: str, kind: str = "too_large", **params: object):
        super().__init__(key, kind=kind, **params)

    @property
    def text(self) -> Text:
        return messages().text(self.key, **self.params)


@dataclass(frozen=True)
class Measure:
    objects: int
    values: int  # every JSON value: objects, arrays, strings, numbers, booleans, nulls


def check_document(document: Any, max_bytes: int = MAX_DOCUMENT_BYTES) -> Measure:
    """Refuses (`OutOfBounds`) a document out of the shape bounds; returns its size in objects and values.

    Iterative, so any depth is safe to look at (the JSON parser has its own recursion limit)."""
    objects = values = 0
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        values += 1
        if values > MAX_VALUES:
            raise OutOfBounds("verify.bounds.too_many_values", limit=MAX_VALUES)
        if depth > MAX_DEPTH:
            raise OutOfBounds("verify.bounds.too_deep", limit=MAX_DEPTH)
        if isinstance(value, dict):
            objects += 1
            for key, item in value.items():
                if key in _TERM_LISTS and isinstance(item, list) and len(item) > MAX_TERM_LIST_ITEMS:
                    raise OutOfBounds("verify.bounds.too_many_terms", name=key, limit=MAX_TERM_LIST_ITEMS)
                stack.append((item, depth + 1))
        elif isinstance(value, list):
            if len(value) > MAX_ARRAY_ITEMS:
                raise OutOfBounds("verify.bounds.too_many_items", limit=MAX_ARRAY_ITEMS)
            stack.extend((item, depth + 1) for item in value)
    if len(json.dumps(document, ensure_ascii=False).encode()) > max_bytes:
        raise OutOfBounds("verify.bounds.too_large", kilobytes=max_bytes // 1024)
    return Measure(objects, values)


def admit(document: Any, max_bytes: int = MAX_DOCUMENT_BYTES) -> None:
    """Both bounds: the shape, then the work (in a killable process when the document is not small)."""
    measure = check_document(document, max_bytes)
    if measure.objects <= SMALL_OBJECTS and measure.values <= SMALL_VALUES:
        return
    with worker_slot():
        within = expands_within(document, WORK_BUDGET_SECONDS)
    if not within:
        raise OutOfBounds("verify.bounds.too_complex", kind="invalid", seconds=WORK_BUDGET_SECONDS)


@contextmanager
def worker_slot() -> Iterator[None]:
    """One of `MAX_WORKERS` places to expand a big document: few at a time, whoever sends them (such documents are
    not credentials, and each may cost the full budget). Refuses when none frees up within the budget."""
    if not _worker_slots.acquire(timeout=WORK_BUDGET_SECONDS):
        raise OutOfBounds("verify.bounds.busy", kind="too_many_requests", seconds=math.ceil(WORK_BUDGET_SECONDS))
    try:
        yield
    finally:
        _worker_slots.release()


# forkserver: a clean process (never a fork of the threaded server) that has imported PyLD and the bundled contexts
# once; each check forks from it.
_processes = multiprocessing.get_context("forkserver")
_processes.set_forkserver_preload(
    ["verify.limits", "credentials.proofs.shapes", "credentials.proofs.rdfc", "credentials.proofs.jsonld"]
)
_worker_slots = threading.BoundedSemaphore(MAX_WORKERS)


def expands_within(document: Any, seconds: float) -> bool:
    """Whether expanding and canonicalising `document` (with its proofs) finishes within `seconds` of wall time;
    the process doing it is killed at the deadline."""
    receiver, sender = _processes.Pipe(duplex=False)
    worker = _processes.Process(target=_expand, args=(document, sender), daemon=True)
    worker.start()
    sender.close()
    try:
        # The clock starts when the worker has the document (the first start of the fork server takes a while).
        if not receiver.poll(WORKER_START_SECONDS) or receiver.recv() != "started":
            return False
        return receiver.poll(seconds)
    except EOFError:  # the worker died (out of memory)
        return False
    finally:
        worker.kill()
        worker.join()
        receiver.close()


def _expand(document: Any, sender) -> None:
    from credentials.proofs import shapes
    from credentials.proofs.jsonld import default_loader
    from credentials.proofs.rdfc import canonicalize_quads

    sender.send("started")
    try:
        canonicalize_quads(shapes.quads(document, loader=default_loader()))
    except Exception:  # noqa: BLE001 - errors are the verifier's to report; only the time matters here
        pass
    sender.send(True)
