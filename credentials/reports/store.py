"""The reports' queries: every figure is aggregated in SQL (GROUP BY over the records, their live credential and
their organisation); only the aggregated rows come back to Python.

What a query counts ("counted records"): a record the organisation has confirmed, once:
- an issued record whose credential is not revoked (a revoked credential withdraws the record's hours), or
- an approved record not yet issued that is not a correction (a correction counts once issued, when the record it
  corrects is superseded; a superseded record never counts).
Drafts, submitted and returned statements are not counted. Credentials counted are the live ones that are active
(revoked and suspended credentials are not counted).

Hours are split over calendar periods pro rata by days (credentials.reports.periods): the same formula in SQL on day
numbers, `hours × overlap days ÷ record days`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Integer,
    String,
    and_,
    case,
    distinct,
    func,
    literal,
    literal_column,
    or_,
    select,
    tuple_,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from catalogue import load_catalogue
from credentials.holders.store import HeldCredentialRow
from credentials.missions.store import MissionRow, ParticipationRow
from credentials.reports.periods import Period
from credentials.reports.tables import Aggregate
from credentials.store import CredentialRow, RecordRow, VolunteerRow
from issuers.store import OrganisationRow

# --- portable SQL: day numbers, greatest and least ------------------------------------------------------------------


class day_number(FunctionElement[int]):  # noqa: N801 - used like a SQL function
    """Days since 1970-01-01 of a date column (an integer on both databases)."""

    type = Integer()
    inherit_cache = True


@compiles(day_number, "postgresql")
def _day_number_pg(element: Any, compiler: Any, **kw: Any) -> str:
    return f"({compiler.process(element.clauses, **kw)} - DATE '1970-01-01')"


@compiles(day_number)
def _day_number_sqlite(element: Any, compiler: Any, **kw: Any) -> str:
    return f"CAST(julianday({compiler.process(element.clauses, **kw)}) - 2440587.5 AS INTEGER)"


class greatest(FunctionElement[int]):  # noqa: N801
    type = Integer()
    inherit_cache = True


class least(FunctionElement[int]):  # noqa: N801
    type = Integer()
    inherit_cache = True


@compiles(greatest, "postgresql")
@compiles(least, "postgresql")
def _extreme_pg(element: Any, compiler: Any, **kw: Any) -> str:
    name = "GREATEST" if isinstance(element, greatest) else "LEAST"
    return f"{name}({compiler.process(element.clauses, **kw)})"


@compiles(greatest)
@compiles(least)
def _extreme_sqlite(element: Any, compiler: Any, **kw: Any) -> str:
    name = "max" if isinstance(element, greatest) else "min"  # SQLite's scalar max/min take several arguments
    return f"{name}({compiler.process(element.clauses, **kw)})"


# --- what is counted --------------------------------------------------------------------------------------------------

records = RecordRow.__table__
credentials = CredentialRow.__table__
organisations = OrganisationRow.__table__
volunteers = VolunteerRow.__table__

# The record's live credential (at most one: ux_credentials_live_record).
live_credential = credentials.alias("live_credential")
LIVE_JOIN = and_(live_credential.c.record_id == records.c.id, live_credential.c.status != "revoked")
held = HeldCredentialRow.__table__
HELD_JOIN = held.c.credential_id == live_credential.c.id
# The person a counted record counts for: the holder of its live credential (the same person across organisations),
# else the organisation's volunteer row (credentials.reports.summary.person_key writes the same keys).
PERSON = func.coalesce(literal("h:", String) + held.c.holder_id, literal("v:", String) + records.c.volunteer_id)
COUNTED = or_(
    and_(records.c.status == "issued", live_credential.c.id.is_not(None)),
    and_(records.c.status == "approved", records.c.revises_id.is_(None)),
)


@dataclass(frozen=True)
class Scope:
    """Whose records: one organisation's, a territory's (records of any organisation in a municipality), or all."""

    organisation_id: str | None = None
    municipality: str | None = None

    def where(self) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = []
        if self.organisation_id is not None:
            found.append(records.c.organisation_id == self.organisation_id)
        if self.municipality is not None:
            found.append(records.c.municipality == self.municipality)
        return found


@lru_cache(maxsize=1)
def domains_of_mission_types() -> dict[str, str]:
    """The catalogue's domain of each mission type."""
    return {m.code: m.domain for m in load_catalogue().content.mission_types}


def dimension_column(name: str | None, domains: dict[str, str]) -> ColumnElement[Any]:
    """The column a table is cut by: mission_type, domain (from the catalogue's mission types), municipality,
    organisation_type (the organisation's legal form), mission (the record's title); None: no cut."""
    if name is None:
        return literal_column("''", String)
    if name == "domain":
        return case(domains, value=records.c.mission_type, else_=literal_column("'other'", String))
    if name == "organisation_type":
        return organisations.c.legal_form
    if name == "mission":
        return records.c.title
    if name in ("mission_type", "municipality"):
        return records.c[name]
    raise ValueError(f"unknown dimension {name!r}")


def hours_value(value: object) -> Decimal:
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


def _periods(over: Sequence[Period]) -> Any:
    """The periods as a derived table (key, first, last, first_day, last_day): a UNION ALL of one-row SELECTs,
    which both databases accept."""
    return union_all(
        *(
            select(
                literal(p.key, String).label("key"),
                literal(p.first, Date).label("first"),
                literal(p.last, Date).label("last"),
                literal(p.first_day, Integer).label("first_day"),
                literal(p.last_day, Integer).label("last_day"),
            )
            for p in over
        )
    ).subquery("periods")


def _share(span: Any) -> ColumnElement[Any]:
    """The record's hours inside the period: hours × overlap days ÷ record days (see periods.py)."""
    start, end = day_number(records.c.start_date), day_number(records.c.end_date)
    inside = least(end, span.c.last_day) - greatest(start, span.c.first_day) + 1
    return records.c.hours * inside * literal_column("1.0") / (end - start + 1)


def _ended_here(span: Any) -> ColumnElement[bool]:
    return and_(records.c.end_date >= span.c.first, records.c.end_date <= span.c.last)


def _counted(span: Any, scope: Scope, columns: list[Any], with_organisations: bool) -> Any:
    """SELECT `columns` and the measures (hours inside the period, distinct volunteers, active credentials whose
    volunteering ended in the period) over the scope's counted records joined to the periods they overlap."""
    query = (
        select(
            *columns,
            func.sum(_share(span)),
            func.count(distinct(PERSON)),
            func.sum(case((and_(live_credential.c.status == "active", _ended_here(span)), 1), else_=0)),
        )
        .select_from(records)
        .join(span, and_(records.c.start_date <= span.c.last, records.c.end_date >= span.c.first))
        .outerjoin(live_credential, LIVE_JOIN)
        .outerjoin(held, HELD_JOIN)
        .where(COUNTED, *scope.where())
    )
    if with_organisations:
        query = query.join(organisations, organisations.c.id == records.c.organisation_id)
    return query


def aggregate(
    session: Session,
    scope: Scope,
    over: Sequence[Period],
    dimension: str | None,
    domains: dict[str, str],
) -> list[Aggregate]:
    """Hours (pro rata), distinct volunteers and active credentials per period and per value of
    `dimension`. A volunteer counts in each period (and value) in which they volunteered; a credential in the period
    in which its volunteering ended."""
    if not over:
        return []
    span = _periods(over)
    dim = dimension_column(dimension, domains).label("value")
    grouped = [span.c.key] if dimension is None else [span.c.key, dim]
    query = _counted(span, scope, [span.c.key, dim], dimension == "organisation_type").group_by(*grouped)
    return [
        Aggregate(key, value or "", hours_value(hours), int(vols), int(creds or 0))
        for key, value, hours, vols, creds in session.execute(query)
    ]


def cuts(
    session: Session, scope: Scope, months: Sequence[Period], by: Sequence[str], domains: dict[str, str]
) -> dict[str, list[Aggregate]]:
    """The figures of a year (its `months`) by month (cut "month", value ""), by each cut of `by` (period "") and in
    total (cut "total"). On PostgreSQL one scan answers them all (GROUP BY GROUPING SETS over the records joined to
    the months: a year's hours are the sum of its months' shares, a volunteer is counted once per group, a credential
    only in the month its volunteering ended); elsewhere one query per cut."""
    if session.get_bind().dialect.name != "postgresql":
        year = Period(months[0].key[:4], months[0].first, months[-1].last)
        found = {"month": aggregate(session, scope, months, None, domains)}
        found |= {cut: aggregate(session, scope, [year], cut, domains) for cut in by}
        found["total"] = aggregate(session, scope, [year], None, domains)
        return found
    span = _periods(months)
    columns = {cut: dimension_column(cut, domains) for cut in by}
    sets = [tuple_(span.c.key), *(tuple_(column) for column in columns.values()), literal_column("()")]
    flags = [func.grouping(span.c.key), *(func.grouping(column) for column in columns.values())]
    query = _counted(span, scope, [span.c.key, *columns.values(), *flags], "organisation_type" in columns)
    query = query.group_by(func.grouping_sets(*sets))
    found = {name: [] for name in ("month", *by, "total")}
    names = ["month", *by]
    for row in session.execute(query):
        values, flags = row[: len(names)], row[len(names) : 2 * len(names)]
        hours, volunteers, credentials_count = row[2 * len(names) :]
        grouped = [name for name, flag in zip(names, flags) if flag == 0]
        name = grouped[0] if grouped else "total"
        value = "" if name in ("month", "total") else values[names.index(name)] or ""
        period = values[0] if name == "month" else ""
        found[name].append(Aggregate(period, value, hours_value(hours), int(volunteers), int(credentials_count or 0)))
    return found


@dataclass(frozen=True)
class Activity:
    new: int
    active: int
    finished: int


def activity(session: Session, scope: Scope, period: Period) -> Activity:
    """Volunteers of the scope: new (their first counted volunteering started in the period), active (volunteered in
    the period), finished (their last counted volunteering ended in the period)."""
    per_volunteer = (
        select(
            records.c.volunteer_id,
            func.min(records.c.start_date).label("first"),
            func.max(records.c.end_date).label("last"),
            func.max(
                case((and_(records.c.start_date <= period.last, records.c.end_date >= period.first), 1), else_=0)
            ).label("active"),
        )
        .select_from(records)
        .outerjoin(live_credential, LIVE_JOIN)
        .where(COUNTED, *scope.where())
        .group_by(records.c.volunteer_id)
        .subquery()
    )
    row = session.execute(
        select(
            func.sum(case((per_volunteer.c.first.between(period.first, period.last), 1), else_=0)),
            func.sum(per_volunteer.c.active),
            func.sum(case((per_volunteer.c.last.between(period.first, period.last), 1), else_=0)),
        )
    ).one()
    return Activity(*(int(v or 0) for v in row))


@dataclass(frozen=True)
class Statements:
    submitted: int
    approved: int
    returned: int
    waiting: int


def statements(session: Session, organisation_id: str, period: Period) -> Statements:
    """Volunteers' statements submitted in the period, by where they are now: approved (approved, issued or
    superseded since), returned to the volunteer, waiting for review."""
    status = records.c.status
    query = select(
        func.count(records.c.id),
        func.sum(case((status.in_(("approved", "issued", "superseded")), 1), else_=0)),
        func.sum(case((status.in_(("returned", "draft")), 1), else_=0)),
        func.sum(case((status == "submitted", 1), else_=0)),
    ).where(
        records.c.organisation_id == organisation_id,
        records.c.source == "volunteer",
        records.c.submitted_at >= datetime.combine(period.first, time(), UTC),
        records.c.submitted_at < datetime.combine(period.last + timedelta(days=1), time(), UTC),
    )
    return Statements(*(int(v or 0) for v in session.execute(query).one()))


def volunteer_places(session: Session, scope: Scope, period: Period) -> int:
    """Distinct missions (title, mission type and municipality) with counted volunteering in the period: the
    volunteer places of the law's annual report until missions are recorded as such."""
    places = (
        select(records.c.title, records.c.mission_type, records.c.municipality)
        .select_from(records)
        .outerjoin(live_credential, LIVE_JOIN)
        .where(COUNTED, *scope.where(), records.c.start_date <= period.last, records.c.end_date >= period.first)
        .distinct()
        .subquery()
    )
    return int(session.execute(select(func.count()).select_from(places)).scalar_one())


def years_with_records(session: Session, scope: Scope) -> list[int]:
    """The calendar years the scope's counted records span (first to last)."""
    row = session.execute(
        select(func.min(records.c.start_date), func.max(records.c.end_date))
        .select_from(records)
        .outerjoin(live_credential, LIVE_JOIN)
        .where(COUNTED, *scope.where())
    ).one()
    first, last = (date.fromisoformat(str(v)) if v is not None else None for v in row)
    if first is None or last is None:
        return []
    return list(range(first.year, last.year + 1))


@dataclass(frozen=True)
class MissionFigures:
    key: str
    title: str
    planned: int | None
    taking_part: int
    finished: int
    hours: Decimal


def missions_planned_actual(session: Session, organisation_id: str, period: Period) -> list[MissionFigures]:
    """The organisation's missions that run in the period: planned volunteers against volunteers taking part
    (approved, active or finished), finished, and the hours recorded on the mission (its participants' hours)."""
    missions = MissionRow.__table__
    participations = ParticipationRow.__table__
    taking_part = participations.c.status.in_(("approved", "active", "finished"))
    query = (
        select(
            missions.c.id,
            missions.c.title,
            missions.c.planned_volunteers,
            func.count(distinct(case((taking_part, participations.c.volunteer_id)))),
            func.count(distinct(case((participations.c.status == "finished", participations.c.volunteer_id)))),
            func.sum(case((taking_part, participations.c.hours), else_=0)),
        )
        .select_from(missions)
        .outerjoin(participations, participations.c.mission_id == missions.c.id)
        .where(
            missions.c.organisation_id == organisation_id,
            missions.c.start_date <= period.last,
            or_(missions.c.end_date.is_(None), missions.c.end_date >= period.first),
        )
        .group_by(missions.c.id, missions.c.title, missions.c.planned_volunteers, missions.c.start_date)
        .order_by(missions.c.start_date, missions.c.title)
    )
    return [
        MissionFigures(key, title, planned, int(part), int(done), hours_value(hours))
        for key, title, planned, part, done, hours in session.execute(query)
    ]
