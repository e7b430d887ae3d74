"""The hours log's rules, pure: what a logged session must hold, and how a set of sessions becomes one statement.

A session is one day's work: hours above zero with at most two decimals, and at most 24 on one day across all the
volunteer's sessions of that day (a day has no more); a date from EARLIEST_DATE up to today (no future work); what
they did (required, bounded); competences known to the catalogue; a registered organisation or a free-text name.
A statement gathers sessions of one registered organisation not yet sent: its period runs from the first to the last
session, its hours are their sum, its competences their union (attested by the volunteer: `self`), its narrative
the sessions' notes, one line each.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from base.errors import UserError
from credentials.records.records import EARLIEST_DATE, MAX_TEXT, check_hours, field_error, format_hours, parse_date

MAX_ACTIVITY = 1000
MAX_ORGANISATION_NAME = 300
MAX_COMPETENCES = 50
HOURS_PER_DAY = Decimal(24)
FREE_TEXT = "free"  # the organisation choice that keeps the typed name as free text


@dataclass(frozen=True)
class SessionInput:
    """What the volunteer typed. `organisation_id`: a registered organisation chosen, or None (then the name)."""

    organisation_id: str | None
    organisation_name: str | None
    worked_on: str | None
    hours: str | None
    activity: str | None
    competences: Sequence[str] = ()


@dataclass(frozen=True)
class ValidSession:
    organisation_id: str | None
    organisation_name: str | None
    worked_on: date
    hours: Decimal
    activity: str
    competences: tuple[str, ...]


def validate_session(
    data: SessionInput,
    known_competences: Collection[str],
    today: date,
    other_hours_that_day: Decimal = Decimal(0),
) -> ValidSession:
    """Checks a session; every problem at once (UserError `log.invalid`, field errors under the form's names).
    `other_hours_that_day`: the volunteer's other sessions on the same date, which count towards its 24 hours."""
    errors: list[dict[str, Any]] = []
    organisation_id = (data.organisation_id or "").strip() or None
    name = " ".join((data.organisation_name or "").split()) or None
    if organisation_id is None and name is None:
        errors.append(field_error("organisation_name", "log.organisation_missing"))
    elif organisation_id is None and name is not None and len(name) > MAX_ORGANISATION_NAME:
        errors.append(field_error("organisation_name", "record.text_too_long", limit=MAX_ORGANISATION_NAME))

    worked_on = parse_date(data.worked_on)
    if worked_on is None:
        errors.append(field_error("worked_on", "record.date_format"))
    elif worked_on < EARLIEST_DATE:
        errors.append(field_error("worked_on", "record.date_too_early", earliest=EARLIEST_DATE.isoformat()))
    elif worked_on > today:
        errors.append(field_error("worked_on", "record.date_in_future"))

    hours = check_hours(data.hours, worked_on, worked_on, errors)
    if hours is not None and other_hours_that_day + hours > HOURS_PER_DAY:
        errors.append(
            field_error(
                "hours",
                "log.day_over_24",
                logged=format_hours(other_hours_that_day),
                left=format_hours(max(HOURS_PER_DAY - other_hours_that_day, Decimal(0))),
            )
        )
        hours = None

    activity = (data.activity or "").strip()
    if not activity:
        errors.append(field_error("activity", "log.activity_missing"))
    elif len(activity) > MAX_ACTIVITY:
        errors.append(field_error("activity", "record.text_too_long", limit=MAX_ACTIVITY))

    competences = tuple(dict.fromkeys(uri.strip() for uri in data.competences if uri and uri.strip()))
    unknown = [uri for uri in competences if uri not in known_competences]
    if unknown:
        errors.append(field_error("competences", "record.competence_unknown", uri=unknown[0]))
    elif len(competences) > MAX_COMPETENCES:
        errors.append(field_error("competences", "log.too_many_competences", limit=MAX_COMPETENCES))

    if errors or worked_on is None or hours is None:
        raise UserError("log.invalid", errors=errors)
    return ValidSession(
        organisation_id=organisation_id,
        organisation_name=None if organisation_id else name,
        worked_on=worked_on,
        hours=hours,
        activity=activity,
        competences=competences,
    )


@dataclass(frozen=True)
class LoggedSession:
    """A stored session as the statement needs it."""

    id: str
    organisation_id: str | None
    worked_on: date
    hours: Decimal
    activity: str
    competences: tuple[str, ...]
    statement_record_id: str | None


@dataclass(frozen=True)
class StatementPlan:
    organisation_id: str
    start_date: date
    end_date: date
    hours: Decimal
    competences: tuple[str, ...]  # in the order the sessions (oldest first) name them
    narrative: str


def plan_statement(sessions: Sequence[LoggedSession], line: Callable[[LoggedSession], str]) -> StatementPlan:
    """One statement of the chosen sessions: all of one registered organisation, none sent before. `line`: a
    session's line of the narrative, in the statement's language."""
    if not sessions:
        raise UserError("log.invalid", errors=[field_error("sessions", "log.no_sessions")])
    if any(item.organisation_id is None for item in sessions):
        raise UserError("log.invalid", errors=[field_error("sessions", "log.free_text_not_sendable")])
    if len({item.organisation_id for item in sessions}) > 1:
        raise UserError("log.invalid", errors=[field_error("sessions", "log.one_organisation")])
    if any(item.statement_record_id for item in sessions):
        raise UserError("log.already_sent", kind="conflict")
    ordered = sorted(sessions, key=lambda item: (item.worked_on, item.id))
    competences = tuple(dict.fromkeys(uri for item in ordered for uri in item.competences))
    if not competences:
        raise UserError("log.invalid", errors=[field_error("sessions", "log.no_competences")])
    narrative = "\n".join(line(item) for item in ordered)
    if len(narrative) > MAX_TEXT:
        raise UserError("log.invalid", errors=[field_error("sessions", "log.notes_too_long", limit=MAX_TEXT)])
    organisation_id = ordered[0].organisation_id
    assert organisation_id is not None
    return StatementPlan(
        organisation_id=organisation_id,
        start_date=ordered[0].worked_on,
        end_date=ordered[-1].worked_on,
        hours=sum((item.hours for item in ordered), Decimal(0)),
        competences=competences,
        narrative=narrative,
    )
