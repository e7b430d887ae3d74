"""A write the service reported is on disk: SQLite commits wait for the disk (WAL, synchronous=FULL)."""

from __future__ import annotations

from sqlalchemy import text

from base.db import make_engine


def test_sqlite_commits_are_durable_across_a_power_cut(tmp_path):
    # synchronous=NORMAL in WAL mode would let the last commits roll back after an OS crash or power cut, and a
    # status index already in a client's credential be given out again; FULL (2) syncs the WAL at every commit.
    engine = make_engine(f"sqlite:///{tmp_path / 'volcred.db'}")
    try:
        with engine.connect() as connection:
            assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert connection.execute(text("PRAGMA synchronous")).scalar() == 2
    finally:
        engine.dispose()
