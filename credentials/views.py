"""How records, volunteers and credentials read on the workspace's pages: names from the catalogue, numbers and
dates the language's way. Shared by the statements, credentials and batches pages."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from babel.dates import format_interval

from base.i18n import format_date, format_number, messages
from catalogue import catalogue_version
from credentials.certificates.service import pseudonymous_reference
from credentials.common import RIGA
from credentials.store import RecordRow, VolunteerRow
from issuers.municipalities import find_municipality


def volunteer_label(volunteer: VolunteerRow | None, lang: str, record: RecordRow | None = None) -> str:
    """A named volunteer's name; a pseudonymous one is never named (the service does not know the pseudonym): with
    a record, its certificate's reference (VK-XXXX-XXXX) tells them apart."""
    if volunteer is None or volunteer.kind == "pseudonymous" or not volunteer.name:
        label = messages().get("ws.volunteer_pseudonymous", lang)
        return f"{label} {pseudonymous_reference(record)}" if record is not None and record.subject_hash else label
    return volunteer.name


def mission_name(record: RecordRow, lang: str) -> str:
    return catalogue_version(record.catalogue_version).mission_type(record.mission_type).name.in_language(lang)


def competence_label(record: RecordRow, uri: str, lang: str) -> str:
    return catalogue_version(record.catalogue_version).competence(uri).label.in_language(lang)


def hours_text(hours: Decimal, lang: str) -> str:
    return format_number(hours.normalize(), lang)


def date_text(value: date | datetime | None, lang: str) -> str:
    """A date the language's way; a moment (stored in UTC) as its date in Latvia."""
    if isinstance(value, datetime):
        value = value.astimezone(RIGA).date()
    return format_date(value, lang, "medium") if value else ""


def period_text(record: RecordRow, lang: str) -> str:
    """The record's period as the language writes a range ("2026. gada 1.–5. okt.", "Oct 1 – 5, 2026")."""
    return format_interval(record.start_date, record.end_date, "yMMMd", locale=lang)


def municipality_name(code: str | None, lang: str) -> str:
    found = find_municipality(code)
    return found.name(lang) if found else (code or "")


def record_summary(record: RecordRow, volunteer: VolunteerRow | None, lang: str) -> dict:
    """One line of a list: who, what, when, how long."""
    return {
        "id": record.id,
        "volunteer": volunteer_label(volunteer, lang, record),
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


def competence_lines(record: RecordRow, lang: str) -> list[dict]:
    """The record's competences, each with whose it is (organiser or self) and the volunteer's note."""
    return [
        {
            "label": competence_label(record, item["uri"], lang),
            "attested_by": item.get("attested_by", "organiser"),
            "note": item.get("note"),
        }
        for item in record.competences
    ]
