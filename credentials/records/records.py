"""Records of volunteer work: what one must contain and how it is checked against the catalogue. Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from base.errors import UserError
from base.i18n import messages
from issuers.municipalities import find_municipality

ATTESTATIONS = ("organiser", "self")
RECORD_STATUSES = ("draft", "submitted", "returned", "approved", "issued", "superseded")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PSEUDONYM_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
MAX_TEXT = 4000
MAX_EMAIL = 254  # the longest address SMTP carries, and the column's width
# Volunteer work is attested from living memory: an earlier date is a typo (0001-01-01), and far-off years break the
# date arithmetic of periods, exports and time zones.
EARLIEST_DATE = date(1900, 1, 1)


@dataclass(frozen=True)
class VolunteerInput:
    name: str | None = None
    email: str | None = None
    pseudonym: str | None = None

    @property
    def pseudonymous(self) -> bool:
        return self.pseudonym is not None


@dataclass(frozen=True)
class CompetenceClaim:
    """A competence in a record: who attests it, and optionally the volunteer's own words about it."""

    uri: str
    attested_by: str = "organiser"
    note: str | None = None


@dataclass
class RecordInput:
    volunteer: VolunteerInput | None  # None: a stored record's volunteer, already checked (reviews, revisions)
    mission_type: str
    start_date: Any
    end_date: Any
    hours: Any
    municipality: str
    title: str | None = None
    role: str | None = None
    competences: list[Any] | None = None  # ESCO URIs or CompetenceClaim; None = the mission type's core ones
    narrative: str | None = None
    evidence: list[str] = field(default_factory=list)
    language: str = "lv"


@dataclass(frozen=True)
class ValidRecord:
    volunteer: VolunteerInput | None
    mission_type: str
    title: str
    municipality: str
    start_date: date
    end_date: date
    hours: Decimal
    role: str | None
    competences: tuple[CompetenceClaim, ...]
    narrative: str | None
    evidence: tuple[str, ...]
    language: str


@dataclass(frozen=True)
class RecordChanges:
    """An organiser's edits to a record under review or in a correction: only the fields given change."""

    title: str | None = None
    municipality: str | None = None
    start_date: Any = None
    end_date: Any = None
    hours: Any = None
    role: str | None = None
    narrative: str | None = None
    competences: list[Any] | None = None
    evidence: list[str] | None = None

    def given(self) -> dict:
        return {name: value for name, value in self.__dict__.items() if value is not None}


def merge_competences(current: list[CompetenceClaim], given: list[Any]) -> list[CompetenceClaim]:
    """A reviewer's competence list: a bare URI keeps the provenance (and the volunteer's words) the record already
    has for it, or is the organiser's own; an explicit claim says what it says."""
    known = {claim.uri: claim for claim in current}
    merged = []
    for item in given:
        if isinstance(item, CompetenceClaim):
            merged.append(item)
        else:
            uri = str(item).strip()
            merged.append(known.get(uri, CompetenceClaim(uri)))
    return merged


def field_error(field_name: str, key: str, **params) -> dict:
    return {"field": field_name, "message": messages().text(key, **params)}


def parse_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def parse_hours(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        hours = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        return None
    if not hours.is_finite():
        return None
    return hours


def format_hours(hours: Decimal) -> str:
    """Hours as the credential carries them: a string ("42", "7.5"), never a JSON number (jsonld.js mangles some)."""
    text = format(hours.normalize(), "f")
    return text


def check_period(
    start_value: Any,
    end_value: Any,
    errors: list[dict],
    today: date | None,
    fields: tuple[str, str] = ("start_date", "end_date"),
) -> tuple[date | None, date | None]:
    """A period's two dates: their form, not before EARLIEST_DATE, the end not before the start, and (given `today`)
    neither in the future. Problems go to `errors` under `fields`; an unreadable date comes back as None."""
    start_field, end_field = fields
    start, end = parse_date(start_value), parse_date(end_value)
    if start is None:
        errors.append(field_error(start_field, "record.date_format"))
    if end is None:
        errors.append(field_error(end_field, "record.date_format"))
    for name, value in ((start_field, start), (end_field, end)):
        if value is not None and value < EARLIEST_DATE:
            errors.append(field_error(name, "record.date_too_early", earliest=EARLIEST_DATE.isoformat()))
    if start and end:
        if end < start:
            errors.append(field_error(end_field, "record.end_before_start"))
        if today is not None and start > today:
            errors.append(field_error(start_field, "record.date_in_future"))
        if today is not None and end > today:
            errors.append(field_error(end_field, "record.date_in_future"))
    return start, end


def check_hours(
    value: Any, start: date | None, end: date | None, errors: list[dict], field_name: str = "hours"
) -> Decimal | None:
    """Hours of work in a period: a number, above zero, at most two decimals, at most 24 a day of the period."""
    hours = parse_hours(value)
    if hours is None:
        errors.append(field_error(field_name, "record.hours_format"))
    elif hours <= 0:
        errors.append(field_error(field_name, "record.hours_not_positive"))
    elif hours.as_tuple().exponent < -2:
        errors.append(field_error(field_name, "record.hours_precision"))
    elif start and end and end >= start and hours > 24 * ((end - start).days + 1):
        errors.append(
            field_error(
                field_name,
                "record.hours_exceed_period",
                days=(end - start).days + 1,
                maximum=24 * ((end - start).days + 1),
            )
        )
    else:
        return hours
    return None


def validate_record(data: RecordInput, catalogue, today: date) -> ValidRecord:
    """Checks a record against the catalogue and common sense; reports every problem at once."""
    errors: list[dict] = []
    volunteer = None if data.volunteer is None else check_volunteer(data.volunteer, errors)

    mission = catalogue.mission_types_by_code.get(data.mission_type or "")
    if mission is None:
        errors.append(field_error("mission_type", "record.mission_type_unknown", code=data.mission_type or ""))

    start, end = check_period(data.start_date, data.end_date, errors, today)
    hours = check_hours(data.hours, start, end, errors)

    municipality = find_municipality(data.municipality)
    if municipality is None:
        errors.append(field_error("municipality", "record.municipality_unknown", value=data.municipality or ""))

    claims = check_competences(data.competences, mission, catalogue, errors)

    title = (data.title or "").strip()
    if not title and mission is not None:
        title = mission.name.in_language(data.language if data.language in ("lv", "en") else "lv")
    for name, value in (("title", title), ("role", data.role), ("narrative", data.narrative)):
        if value and len(value) > MAX_TEXT:
            errors.append(field_error(name, "record.text_too_long", limit=MAX_TEXT))
    evidence = tuple(link.strip() for link in data.evidence or () if link and link.strip())
    for position, link in enumerate(evidence):
        if not re.match(r"^https://\S+$", link):
            errors.append(field_error(f"evidence[{position}]", "record.evidence_url"))
    if data.language not in ("lv", "en"):
        errors.append(field_error("language", "record.language_unknown"))

    if errors:
        raise UserError("record.invalid", errors=errors)
    return ValidRecord(
        volunteer=volunteer,
        mission_type=mission.code,
        title=title,
        municipality=municipality.code,
        start_date=start,
        end_date=end,
        hours=hours,
        role=(data.role or "").strip() or None,
        competences=claims,
        narrative=(data.narrative or "").strip() or None,
        evidence=evidence,
        language=data.language,
    )


def check_volunteer(volunteer: VolunteerInput, errors: list[dict]) -> VolunteerInput:
    """A named volunteer (name, optional e-mail) or a pseudonymous one (the identifier alone), tidied."""
    if volunteer.pseudonym is not None:
        if volunteer.name or volunteer.email:
            # A pseudonymous volunteer leaves no personal data anywhere: refuse rather than silently drop it.
            errors.append(field_error("volunteer", "record.pseudonym_with_personal_data"))
        if not PSEUDONYM_RE.match(volunteer.pseudonym):
            errors.append(field_error("volunteer.pseudonym", "record.pseudonym_format"))
        return VolunteerInput(pseudonym=volunteer.pseudonym)
    name = (volunteer.name or "").strip()
    email = (volunteer.email or "").strip().lower() or None
    if not name:
        errors.append(field_error("volunteer.name", "record.volunteer_name_missing"))
    elif len(name) > 200:
        errors.append(field_error("volunteer.name", "record.text_too_long", limit=200))
    if email and len(email) > MAX_EMAIL:
        errors.append(field_error("volunteer.email", "record.text_too_long", limit=MAX_EMAIL))
    elif email and not EMAIL_RE.match(email):
        errors.append(field_error("volunteer.email", "record.email_format"))
    return VolunteerInput(name=name, email=email)


def check_competences(given, mission, catalogue, errors: list[dict]) -> tuple[CompetenceClaim, ...]:
    """The competences given (None: the mission type's core ones), each known to the catalogue, at least one."""
    if given is None:
        if mission is None:
            return ()
        return tuple(CompetenceClaim(uri) for uri in mission.core_competences)
    claims: list[CompetenceClaim] = []
    seen: set[str] = set()
    for position, item in enumerate(given):
        claim = item if isinstance(item, CompetenceClaim) else CompetenceClaim(str(item).strip())
        if claim.uri not in catalogue.competences_by_uri:
            errors.append(field_error(f"competences[{position}]", "record.competence_unknown", uri=claim.uri))
            continue
        if claim.attested_by not in ATTESTATIONS:
            errors.append(field_error(f"competences[{position}]", "record.attestation_unknown"))
            continue
        if claim.uri in seen:
            continue
        seen.add(claim.uri)
        claims.append(claim)
    if not claims and not any(e["field"].startswith("competences") for e in errors):
        errors.append(field_error("competences", "record.competences_empty"))
    return tuple(claims)
