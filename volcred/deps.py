"""FastAPI dependencies shared by every router: settings, database session, language."""

from __future__ import annotations

from typing import Iterator

from fastapi import Request
from sqlalchemy.orm import Session

from catalogue.i18n import normalise_language
from volcred.settings import Settings


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_session(request: Request) -> Iterator[Session]:
    """One transaction per request: committed when the endpoint returns, rolled back when it raises."""
    session: Session = request.app.state.session_factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def get_language(request: Request) -> str:
    return normalise_language(request.query_params.get("lang") or request.headers.get("accept-language"))
