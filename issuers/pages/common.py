"""What the issuers' pages share: their templates, and the form's values and errors after a refused write."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from fastapi import APIRouter
from jinja2 import pass_context

from base.csrf import CSRF_PROTECTED
from base.errors import UserError
from base.web import error_message, field_errors, template_environment

templates = template_environment([Path(__file__).resolve().parent.parent / "templates"])


def page_router() -> APIRouter:
    """An HTML router: left out of the OpenAPI description, every unsafe request CSRF-checked."""
    return APIRouter(include_in_schema=False, dependencies=[CSRF_PROTECTED])


def require_same_passwords(password: str, again: str) -> None:
    """The new password typed twice the same (a typo would lock the person out)."""
    if password != again:
        raise UserError("account.passwords_differ", errors=[{"field": "password_again"}])


def form_problem(error: UserError, lang: str) -> tuple[str | None, dict[str, str]]:
    """A refused form's sentence for the summary (when no field says it) and its messages by field."""
    errors = field_errors(error, lang)
    return (None if errors else error_message(error, lang)), errors


RIGA = ZoneInfo("Europe/Riga")


@pass_context
def _format_datetime(context, value: datetime | None) -> str:
    """A moment as people in Latvia read it (Riga time), written the page language's way."""
    if value is None:
        return ""
    return format_datetime(value, format="medium", tzinfo=RIGA, locale=context["lang"])


templates.globals["format_datetime"] = _format_datetime
