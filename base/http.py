"""FastAPI dependencies every package's routers use: the request's transaction and CPU-bound work off the event loop.

They read what the wiring put on `app.state` (settings, session factory), so no package here imports the wiring.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, TypeVar

import anyio
from fastapi import Depends, Header, Query, Request
from sqlalchemy.orm import Session

from base.db import READ_MOSTLY, transaction
from base.i18n import normalise_language


def _request_transaction(request: Request, options: dict) -> Iterator[Session]:
    with transaction(request.app.state.session_factory, options, conflict_at_commit=True) as session:
        yield session


def _write_transaction(request: Request) -> Iterator[Session]:
    yield from _request_transaction(request, {})


def _read_transaction(request: Request) -> Iterator[Session]:
    yield from _request_transaction(request, {READ_MOSTLY: True})


# scope="function": FastAPI ends these when the endpoint returns, before the response is sent. With the default
# scope ("request") it ends them after the response has gone out, so a client could be told of a write that a crash,
# or a failing commit, then undid, and could ask for it again before it was committed. Routers and sub-dependencies
# (`optional_principal`) all depend on `get_session`, which holds the scope: FastAPI caches a dependency per scope,
# so one written with the scope and one without would give a request two transactions.
_WRITE = Depends(_write_transaction, scope="function")
_READ = Depends(_read_transaction, scope="function")


async def get_session(session: Session = _WRITE) -> Session:  # async: nothing here waits
    """One transaction per request: committed before the response is sent, rolled back when the endpoint raises."""
    return session


async def get_read_session(session: Session = _READ) -> Session:  # async: nothing here waits
    """A transaction for endpoints that only read: on SQLite it takes no write lock (see base.db.READ_MOSTLY),
    so such requests run side by side with each other and with one writer. Ended like `get_session`'s."""
    return session


@contextmanager
def read_transaction(request: Request) -> Iterator[Session]:
    """`get_read_session` for code that runs in `run_cpu_bound` rather than as a dependency."""
    yield from _request_transaction(request, {READ_MOSTLY: True})


@contextmanager
def write_transaction(request: Request) -> Iterator[Session]:
    """`get_session` for an endpoint that does its whole work in one worker thread rather than through the
    dependencies (each of which is a thread hop of its own): committed when the block ends, so before the endpoint
    returns its response; rolled back when the block raises."""
    yield from _request_transaction(request, {})


# Verification is CPU-bound Python. Run side by side in many worker threads it only passes the GIL around, and
# every request waits for all the others (at 300 requests/s, a median of ~50 ms for ~3 ms of work); a couple at a
# time per process keep each request's latency near its own cost. Two rather than one, so that one slow request
# (a document near the canonicalisation work limit) does not hold up every other.
CPU_BOUND_CONCURRENCY = 2
T = TypeVar("T")


async def run_cpu_bound(request: Request, function: Callable[..., T], *args) -> T:
    """Runs `function(*args)` in a worker thread, at most `CPU_BOUND_CONCURRENCY` at a time in this process."""
    state = request.app.state
    limiter = getattr(state, "cpu_bound_limiter", None)
    if limiter is None:  # made here: a limiter belongs to the running event loop
        limiter = state.cpu_bound_limiter = anyio.CapacityLimiter(CPU_BOUND_CONCURRENCY)
    return await anyio.to_thread.run_sync(function, *args, limiter=limiter)


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


# Annotated aliases: an endpoint writes `session: SessionDep` instead of repeating `Depends(get_session)`.
SessionDep = Annotated[Session, Depends(get_session)]
ReadSessionDep = Annotated[Session, Depends(get_read_session)]


async def page_language(  # async: a pure function needs no worker thread
    lang: str | None = Query(
        None, description="`lv`, `en`, `ru` or `uk`; else the first of Accept-Language we have; Latvian by default."
    ),
    accept_language: str | None = Header(None),
) -> str:
    return normalise_language(lang, accept_language)


def base_url(request: Request) -> str:
    """The public base URL from the service settings (URIs must not depend on how a request reached us)."""
    settings = getattr(request.app.state, "settings", None)
    return getattr(settings, "public_base_url", None) or str(request.base_url).rstrip("/")


LanguageDep = Annotated[str, Depends(page_language)]
