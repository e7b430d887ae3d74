"""What every connection of the service is set up with, on the database under test."""

from __future__ import annotations

from sqlalchemy import text

from base.db import make_engine


def test_each_connection_is_set_up_for_its_database(database_url):
    """SQLite: foreign keys enforced and every commit on disk before it returns. PostgreSQL: the planner costs a
    random read as on solid-state storage, so an organisation's counts read their covering indexes, unless the
    operator's URL gives options of its own."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "sqlite":
                assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
                assert connection.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
                assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            else:
                assert connection.execute(text("SHOW random_page_cost")).scalar() == "1.1"
    finally:
        engine.dispose()
    if engine.dialect.name == "postgresql":
        separator = "&" if "?" in database_url else "?"
        operators = make_engine(f"{database_url}{separator}options=-c%20random_page_cost%3D2")
        try:
            with operators.connect() as connection:
                assert connection.execute(text("SHOW random_page_cost")).scalar() == "2"
        finally:
            operators.dispose()
