"""Missions (events and regular activities) and the volunteers on them: what a mission must contain, how hours are
entered, what a list of volunteers looks like. Pure: no HTTP, no SQL.

A mission has a start date and, for an event, an end date; a regular activity may leave the end open. Hours are
checked with the records' own rules (`credentials.records.records`): a participant's total within the mission's
period, or sessions (date, hours, note) that add up, each day at most 24 hours, none in the future nor outside the
mission's period. The record a finished participant becomes covers the days of their sessions, or else the
mission's period (an open-ended mission's up to the day the participant finished).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from base.errors import UserError
from base.i18n import messages
from credentials.records.records import (
    MAX_TEXT,
    VolunteerInput,
    check_competences,
    check_hours,
    check_period,
    check_volunteer,
    field_error,
    parse_date,
)
from issuers.municipalities import find_municipality

VISIBILITIES = ("public", "closed")
OPEN, CLOSED = "open", "closed"
MAX_PLANNED = 100_000
MAX_SESSIONS = 1_000
MAX_NOTE = 500
MAX_LIST_ROWS = 5_000  # volunteers in one pasted or uploaded list
# Column names a list of volunteers may use (the first ones are the batch template's).
LIST_COLUMNS = {
    "volunteer_name": "name",
    "volunteer_email": "email",
    "volunteer_pseudonym": "pseudonym",
    "role": "role",
    "name": "name",
    "email": "email",
    "pseudonym": "pseudonym",
}
SPLIT = re.compile(r"\t|;|,")


@dataclass
class MissionInput:
    mission_type: str
    start_date: Any
    municipality: str
    end_date: Any = None  # None: a regular activity without a planned end
    title: str | None = None
    planned_volunteers: Any = None
    visibility: str = "closed"
    competences: list[str] | None = None  # None: the mission type's core competences
    language: str = "lv"


@dataclass(frozen=True)
class ValidMission:
    mission_type: str
    title: str
    municipality: str
    start_date: date
    end_date: date | None
    planned_volunteers: int | None
    visibility: str
    competences: tuple[str, ...]
    language: str


def validate_mission(data: MissionInput, catalogue) -> ValidMission:
    """Checks a mission against the catalogue; reports every problem at once. A mission may lie in the future."""
    errors: list[dict] = []
    mission = catalogue.mission_types_by_code.get(data.mission_type or "")
    if mission is None:
        errors.append(field_error("mission_type", "record.mission_type_unknown", code=data.mission_type or ""))
    open_ended = data.end_date is None or (isinstance(data.end_date, str) and not data.end_date.strip())
    if open_ended:
        period_errors: list[dict] = []  # the start alone: its errors only
        start, _ = check_period(data.start_date, data.start_date, period_errors, None)
        errors.extend(error for error in period_errors if error["field"] == "start_date")
        end = None
    else:
        start, end = check_period(data.start_date, data.end_date, errors, None)
    municipality = find_municipality(data.municipality)
    if municipality is None:
        errors.append(field_error("municipality", "record.municipality_unknown", value=data.municipality or ""))
    planned = _planned(data.planned_volunteers, errors)
    if data.visibility not in VISIBILITIES:
        errors.append(field_error("visibility", "mission.visibility_unknown"))
    claims = check_competences(data.competences, mission, catalogue, errors)
    if data.language not in ("lv", "en"):
        errors.append(field_error("language", "record.language_unknown"))
    title = (data.title or "").strip()
    if not title and mission is not None:
        title = mission.name.in_language(data.language if data.language in ("lv", "en") else "lv")
    if len(title) > MAX_TEXT:
        errors.append(field_error("title", "record.text_too_long", limit=MAX_TEXT))
    if errors:
        raise UserError("mission.invalid", errors=errors)
    return ValidMission(
        mission_type=mission.code,
        title=title,
        municipality=municipality.code,
        start_date=start,
        end_date=end,
        planned_volunteers=planned,
        visibility=data.visibility,
        competences=tuple(claim.uri for claim in claims),
        language=data.language,
    )


def _planned(value: Any, errors: list[dict]) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        number = 0
    if isinstance(value, bool) or not 1 <= number <= MAX_PLANNED:
        errors.append(field_error("planned_volunteers", "mission.planned_format", maximum=MAX_PLANNED))
        return None
    return number


# --- hours --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionInput:
    day: Any
    hours: Any
    note: str | None = None


@dataclass(frozen=True)
class HoursInput:
    """A participant's hours: a total, or sessions that add up (then the total is their sum). Neither: cleared."""

    hours: Any = None
    sessions: list[SessionInput] | None = None


@dataclass(frozen=True)
class ValidSession:
    day: date
    hours: Decimal
    note: str | None


@dataclass(frozen=True)
class ValidHours:
    total: Decimal | None
    sessions: tuple[ValidSession, ...] = ()


def validate_hours(data: HoursInput, start: date, end: date | None, today: date) -> ValidHours:
    """Hours against the mission's period (an open-ended one's runs to today), with the records' messages."""
    errors: list[dict] = []
    last = end or max(today, start)
    if data.sessions:
        if data.hours is not None and str(data.hours).strip():
            errors.append(field_error("hours", "mission.hours_or_sessions"))
        if len(data.sessions) > MAX_SESSIONS:
            errors.append(field_error("sessions", "mission.sessions_too_many", limit=MAX_SESSIONS))
            raise UserError("mission.hours_invalid", errors=errors)
        sessions = _check_sessions(data.sessions, start, last, today, errors)
        if errors:
            raise UserError("mission.hours_invalid", errors=errors)
        return ValidHours(sum((s.hours for s in sessions), Decimal(0)), sessions)
    if data.hours is None or (isinstance(data.hours, str) and not data.hours.strip()):
        return ValidHours(None)
    total = check_hours(data.hours, start, last, errors)
    if errors:
        raise UserError("mission.hours_invalid", errors=errors)
    return ValidHours(total)


def _check_sessions(
    given: list[SessionInput], start: date, last: date, today: date, errors: list[dict]
) -> tuple[ValidSession, ...]:
    sessions: list[ValidSession] = []
    per_day: dict[date, Decimal] = defaultdict(Decimal)
    for position, item in enumerate(given):
        where = f"sessions[{position}]"
        day = parse_date(item.day)
        if day is None:
            errors.append(field_error(f"{where}.date", "record.date_format"))
        elif day > today:
            errors.append(field_error(f"{where}.date", "record.date_in_future"))
        elif not start <= day <= last:
            errors.append(
                field_error(
                    f"{where}.date", "mission.session_outside_period", start=start.isoformat(), end=last.isoformat()
                )
            )
        hours = check_hours(item.hours, day, day, errors, f"{where}.hours")
        note = (item.note or "").strip() or None
        if note and len(note) > MAX_NOTE:
            errors.append(field_error(f"{where}.note", "record.text_too_long", limit=MAX_NOTE))
        if day is None or hours is None:
            continue
        per_day[day] += hours
        if per_day[day] > 24:
            errors.append(field_error(f"{where}.hours", "record.hours_exceed_period", days=1, maximum=24))
            continue
        sessions.append(ValidSession(day, hours, note))
    return tuple(sorted(sessions, key=lambda s: s.day))


def record_period(
    start: date, end: date | None, session_days: list[date], finished_on: date | None
) -> tuple[date, date | None]:
    """The period of the record a participant becomes: the days of their sessions, else the mission's (an
    open-ended mission's up to the day the participant finished)."""
    if session_days:
        return min(session_days), max(session_days)
    return start, end or finished_on


# --- lists of volunteers ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ListedVolunteer:
    line: int
    volunteer: VolunteerInput
    role: str | None = None


@dataclass
class CheckedList:
    """A list after checking: the volunteers to add, once each, and every problem of the other lines."""

    lines: int
    volunteers: list[ListedVolunteer] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)  # {"line", "column", "message": Text}


def list_header(cells: list[str]) -> list[str]:
    """The columns of an uploaded list of volunteers (names as in the batch template, or short ones)."""
    names = [(cell or "").strip().lower() for cell in cells]
    unknown = [name for name in names if name and name not in LIST_COLUMNS]
    if unknown:
        raise UserError(
            "mission.list_columns",
            columns=", ".join(unknown),
            expected="volunteer_name, volunteer_email, volunteer_pseudonym, role",
        )
    columns = [LIST_COLUMNS.get(name, "") for name in names]
    if "name" not in columns and "pseudonym" not in columns:
        raise UserError("mission.list_columns_missing")
    return columns


def pasted_rows(text: str) -> list[tuple[int, dict[str, str]]]:
    """A pasted list: one volunteer a line, "name", "name, e-mail" or "name, e-mail, role" (separated by tabs,
    semicolons or commas, as spreadsheets copy them); blank lines and lines starting with # are skipped."""
    rows = []
    for line, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        cells = [cell.strip() for cell in SPLIT.split(stripped)]
        email = next((cell for cell in cells[1:] if "@" in cell), "")
        rest = [cell for cell in cells[1:] if cell and cell != email]
        rows.append((line, {"name": cells[0], "email": email, "role": ", ".join(rest)}))
        if len(rows) > MAX_LIST_ROWS:
            raise UserError("mission.list_too_long", limit=MAX_LIST_ROWS)
    return rows


def check_list(rows: list[tuple[int, dict[str, str]]]) -> CheckedList:
    """Every line through the records' volunteer check (all or nothing per line); the same person twice is once."""
    if not rows:
        raise UserError("mission.list_empty")
    if len(rows) > MAX_LIST_ROWS:
        raise UserError("mission.list_too_long", limit=MAX_LIST_ROWS)
    checked = CheckedList(lines=len(rows))
    seen: set[str] = set()
    for line, cells in rows:
        pseudonym = cells.get("pseudonym") or None
        given = (
            VolunteerInput(name=cells.get("name") or None, email=cells.get("email") or None, pseudonym=pseudonym)
            if pseudonym
            else VolunteerInput(name=cells.get("name") or None, email=cells.get("email") or None)
        )
        errors: list[dict] = []
        volunteer = check_volunteer(given, errors)
        role = checked_role(cells.get("role"), errors)
        if errors:
            checked.errors.extend(
                {"line": line, "column": _column(e["field"]), "message": e["message"]} for e in errors
            )
            continue
        key = volunteer_key(volunteer)
        if key in seen:
            continue
        seen.add(key)
        checked.volunteers.append(ListedVolunteer(line, volunteer, role))
    return checked


def checked_role(role: str | None, errors: list[dict]) -> str | None:
    """A participant's role: optional, tidied, as long as a record's text may be."""
    role = (role or "").strip() or None
    if role and len(role) > MAX_TEXT:
        errors.append(field_error("role", "record.text_too_long", limit=MAX_TEXT))
    return role


def volunteer_key(volunteer: VolunteerInput) -> str:
    if volunteer.pseudonym:
        return "p:" + volunteer.pseudonym
    return "e:" + volunteer.email if volunteer.email else "n:" + (volunteer.name or "").casefold()


def _column(field_name: str) -> str:
    return {"volunteer": "pseudonym", "volunteer.name": "name", "volunteer.email": "email"}.get(
        field_name, field_name.removeprefix("volunteer.")
    )


def not_issuable(error: UserError) -> list[dict]:
    """A participant's record problems as field errors (a refusal without fields becomes one without a field)."""
    if error.errors:
        return [
            {"field": item.get("field", ""), "message": item.get("message") or messages().text(error.key)}
            for item in error.errors
        ]
    return [{"field": "", "message": messages().text(error.key, **error.params)}]
