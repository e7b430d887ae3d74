"""Demo data, so that a new user sees a working service at once. It grows with every part of the service."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from volcred.settings import Settings


def load_demo(session_factory: sessionmaker[Session], settings: Settings) -> dict:
    """Load demo organisations, volunteers and records; idempotent. Returns a summary for the CLI."""
    return {}
