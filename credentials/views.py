"""How records, volunteers and credentials read on the workspace's pages: names from the catalogue, numbers and
dates the language's way. Shared by the statements, credentials and batches pages."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from base.i18n import format_date, format_number, messages
from catalogue import catalogue_version
from credentials.store import RecordRow, VolunteerRow
from issuers.municipalities import find_municipality


def volunteer_label(volunteer: VolunteerRow | None, lang: str) -> str:
    """A named volunteer's name; a pseudonymous one is never named (the service does not know the pseudonym)."""
    if volunteer is None or volunteer.kind == "pseudonymous" or not volunteer.name:
        return messages().get("ws.volunteer_pseudonymous", lang)
    return volunteer.name


def mission_name(record: RecordRow, lang: str) -> str:
    return catalogue_version(record.catalogue_version).mission_type(record.mission_type).name.in_language(lang)


def competence_label(record: RecordRow, uri: str, lang: str) -> str:
    return catalogue_version(record.catalogue_version).competence(uri).label.in_language(lang)


def hours_text(hours: Decimal, lang: str) -> str:
    return format_number(hours.normalize(), lang)


def date_text(value: date | None, lang: str) -> str:
    return format_date(value, lang, "medium") if value else ""


def period_text(record: RecordRow, lang: str) -> str:
    start, end = date_text(record.start_date, lang), date_text(record.end_date, lang)
    return start if start == end else f"{start} – {end}"


def municipality_name(code: str | None, lang: str) -> str:
    found = find_municipality(code)
    return found.name(lang) if found else (code or "")


def record_summary(record: RecordRow, volunteer: VolunteerRow | None, lang: str) -> dict:
    """One line of a list: who, what, when, how long."""
    return {
        "id": record.id,
        "volunteer": volunteer_label(volunteer, lang),
        "title": record.title,
        "mission": mission_name(record, lang),
        "period": period_text(record, lang),
        "hours": hours_text(record.hours, lang),
        "municipality": municipality_name(record.municipality, lang),
        "status": record.status,
    }


def status_label(status: str, lang: str) -> str:
    """A credential's status: active, suspended or revoked."""
    return messages().get(f"ws.credential.status.{status}", lang)
