"""FastAPI dependencies of the wiring; the shared ones live in the packages and are re-exported here."""

from __future__ import annotations

from fastapi import Request

from catalogue.i18n import normalise_language
from issuers.http import get_session  # noqa: F401  (re-exported for the wiring's own routes)


def get_language(request: Request) -> str:
    return normalise_language(request.query_params.get("lang") or request.headers.get("accept-language"))
