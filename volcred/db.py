"""Database engine, sessions and migrations."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from issuers.db import READ_MOSTLY

MIGRATIONS = Path(__file__).parent / "migrations"


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
        from catalogue.i18n import UserError

        raise UserError("request.nul_character")


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
            # rare one that must write retries as a writer (see verify.ports).
            if connection.get_execution_options().get(READ_MOSTLY):
                connection.exec_driver_sql("BEGIN")
            else:
                connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
    event.listen(engine, "before_cursor_execute", refuse_nul_parameters)
    return engine


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    ensure_sqlite_directory(url)
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(url), revision)
