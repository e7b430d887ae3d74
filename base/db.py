"""The database every package shares: the declarative base of all tables (one Alembic history covers them all),
the engine, and the one unit-of-work helper that requests, the CLI and batch workers all go through.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, Engine, MetaData, TypeDecorator, create_engine, event, make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from base.errors import UserError

# Stable constraint names make migrations identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# A connection execution option for sessions that mostly read (verification): on SQLite they start a deferred
# transaction instead of taking the write lock at once (make_engine), and retry as writers if they must write.
READ_MOSTLY = "read_mostly"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on both engines (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def new_id() -> str:
    """A row id: 128 random bits as 32 hex digits."""
    return uuid.uuid4().hex


def utcnow() -> datetime:
    return datetime.now(UTC)


def ensure_sqlite_directory(url: str) -> None:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:" and "///" in url:
            Path(path).parent.mkdir(parents=True, exist_ok=True)


def _has_nul(parameters) -> bool:
    if isinstance(parameters, str):
        return "\x00" in parameters
    if isinstance(parameters, dict):
        return any(_has_nul(value) for value in parameters.values())
    if isinstance(parameters, (list, tuple)):
        return any(_has_nul(value) for value in parameters)
    return False


def refuse_nul_parameters(conn, cursor, statement, parameters, context, executemany) -> None:
    """No text with a NUL reaches the database, on any path: PostgreSQL cannot store it (and would answer with a
    driver error, a 500), SQLite would keep it. Request input is refused earlier with the field named
    (volcred.request_guard); this catches text from uploaded files and anything else."""
    if _has_nul(parameters):
        raise UserError("request.nul_character")


POSTGRES_SESSION_OPTIONS = "-c random_page_cost=1.1"


def make_engine(url: str) -> Engine:
    ensure_sqlite_directory(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "before_cursor_execute", refuse_nul_parameters)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            # FULL: each COMMIT is on disk before it returns, so a credential, status index or audit entry a client
            # was told of survives a power cut or OS crash too. (NORMAL, in WAL mode, is safe against a crash of
            # the service only: the last commits could roll back and a status index already given out be reused.)
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.close()
            # SQLAlchemy, not the driver, starts transactions (see _begin_immediate).
            dbapi_connection.isolation_level = None

        @event.listens_for(engine, "begin")
        def _begin_immediate(connection):
            # Take the write lock up front: a deferred transaction that reads, then writes after another writer
            # committed fails at once with "database is locked" instead of waiting its turn. Sessions that mostly
            # read (READ_MOSTLY, e.g. verification) start deferred, so readers never queue behind each other; the
            # rare one that must write retries as a writer (see verify.store).
            if connection.get_execution_options().get(READ_MOSTLY):
                connection.exec_driver_sql("BEGIN")
            else:
                connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    # A random page read costs the planner 1.1 sequential ones, as PostgreSQL's documentation suggests for
    # solid-state storage (its default, 4, models spinning disks). With 4, the workspace's counts over an
    # organisation's year scan whole tables instead of reading their covering indexes, at twice the time. Options
    # given in the URL (`?options=-c …`) are the operator's and are left as they are.
    connect_args = {} if "options" in make_url(url).query else {"options": POSTGRES_SESSION_OPTIONS}
    engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20, connect_args=connect_args)
    event.listen(engine, "before_cursor_execute", refuse_nul_parameters)
    return engine


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def transaction(
    factory: sessionmaker[Session], options: Mapping[str, Any] | None = None, *, conflict_at_commit: bool = False
) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error. `options` are the connection's execution options
    (e.g. READ_MOSTLY), set before the first statement. With `conflict_at_commit`, a write refused only at COMMIT
    (a deferred constraint, a concurrent writer) becomes a UserError(kind="conflict"): the write did not happen, so
    a client is told so rather than given the response the endpoint had made."""
    session = factory()
    try:
        if options:
            session.connection(execution_options=dict(options))
        yield session
        try:
            session.commit()
        except IntegrityError:
            if not conflict_at_commit:
                raise
            raise UserError("request.conflict", kind="conflict") from None
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
