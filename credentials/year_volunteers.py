"""The organisation's volunteers of each year, maintained: one row per organisation, year and volunteer who counts in
that year, with their hours. The dashboard reads its year's figures from these rows instead of going through a year
of records and mission volunteers on every view.

A volunteer counts in a year when one of their records counts there (issued, or approved and not a correction; by
the year its work ended) or when they are on a mission running in that year. Their hours there are those of the
year's records plus those of their missions whose record is not made yet.

The rows are exact at every commit: every flush that writes a record, a mission volunteer or a mission's dates
recomputes, in the same transaction, the rows of the volunteers it touched from their records and missions (a few
rows each). Missions without a planned end run in every year from their start: their volunteers are not kept here
but added when the figures are read (`open_missions_figures`). Rows written around the ORM (the bench's bulk load,
a migration) are brought in line with `rebuild`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Connection,
    ForeignKey,
    Integer,
    Numeric,
    delete,
    event,
    exists,
    func,
    insert,
    inspect,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from base.db import Base
from credentials.missions.store import MissionRow, ParticipationRow
from credentials.store import RecordRow, VolunteerRow

Pair = tuple[str, str]  # (organisation id, volunteer id)

CHUNK = 500  # volunteers recomputed per statement


class YearVolunteerRow(Base):
    __tablename__ = "year_volunteers"

    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    volunteer_id: Mapped[str] = mapped_column(ForeignKey("volunteers.id"), primary_key=True)
    hours: Mapped[Decimal] = mapped_column(Numeric(12, 2))


def counted_record():
    """A record whose volunteer and hours count in the year its work ended."""
    return (RecordRow.status == "issued") | ((RecordRow.status == "approved") & RecordRow.revises_id.is_(None))


def refresh(connection: Connection, pairs: Iterable[Pair]) -> None:
    """Recomputes the rows of these volunteers from their records and missions."""
    by_organisation: dict[str, set[str]] = defaultdict(set)
    for organisation_id, volunteer_id in pairs:
        if organisation_id and volunteer_id:
            by_organisation[organisation_id].add(volunteer_id)
    for organisation_id, volunteer_ids in by_organisation.items():
        ordered = sorted(volunteer_ids)
        for first in range(0, len(ordered), CHUNK):
            _refresh(connection, organisation_id, ordered[first : first + CHUNK])


def _refresh(connection: Connection, organisation_id: str, volunteer_ids: list[str]) -> None:
    # Two transactions touching one volunteer take turns (on PostgreSQL; SQLite has one writer at a time): the second
    # recomputes from what the first committed, and never inserts a row the first made meanwhile.
    connection.execute(
        select(VolunteerRow.id).where(VolunteerRow.id.in_(volunteer_ids)).order_by(VolunteerRow.id).with_for_update()
    )
    hours: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    records = select(RecordRow.volunteer_id, RecordRow.end_date, RecordRow.hours).where(
        RecordRow.organisation_id == organisation_id, RecordRow.volunteer_id.in_(volunteer_ids), counted_record()
    )
    for volunteer_id, end_date, record_hours in connection.execute(records):
        hours[end_date.year, volunteer_id] += Decimal(record_hours or 0)
    participations = (
        select(
            ParticipationRow.volunteer_id,
            ParticipationRow.hours,
            ParticipationRow.record_id,
            MissionRow.start_date,
            MissionRow.end_date,
        )
        .join(MissionRow, MissionRow.id == ParticipationRow.mission_id)
        .where(
            ParticipationRow.organisation_id == organisation_id,
            ParticipationRow.volunteer_id.in_(volunteer_ids),
            MissionRow.end_date.is_not(None),
        )
    )
    for volunteer_id, mission_hours, record_id, start_date, end_date in connection.execute(participations):
        for year in range(start_date.year, end_date.year + 1):
            hours[year, volunteer_id] += Decimal(mission_hours or 0) if record_id is None else Decimal(0)
    connection.execute(
        delete(YearVolunteerRow).where(
            YearVolunteerRow.organisation_id == organisation_id, YearVolunteerRow.volunteer_id.in_(volunteer_ids)
        )
    )
    if hours:
        connection.execute(
            insert(YearVolunteerRow),
            [
                {"organisation_id": organisation_id, "year": year, "volunteer_id": volunteer_id, "hours": value}
                for (year, volunteer_id), value in sorted(hours.items())
            ],
        )


def rebuild(connection: Connection, organisation_id: str) -> None:
    """Recomputes every row of an organisation (after rows were written around the ORM)."""
    volunteers = (
        select(RecordRow.volunteer_id)
        .where(RecordRow.organisation_id == organisation_id)
        .union(
            select(ParticipationRow.volunteer_id).where(ParticipationRow.organisation_id == organisation_id),
            select(YearVolunteerRow.volunteer_id).where(YearVolunteerRow.organisation_id == organisation_id),
        )
    )
    refresh(connection, ((organisation_id, volunteer_id) for (volunteer_id,) in connection.execute(volunteers)))


@dataclass
class YearFigures:
    volunteers: int
    hours: Decimal


def year_figures(session: Session, organisation_id: str, year: int) -> YearFigures:
    """The year's volunteers and hours: the rows kept here, and the volunteers of missions without a planned end
    running in the year (few) who have no row of their own."""
    kept_volunteers, kept_hours = session.execute(
        select(func.count(), func.coalesce(func.sum(YearVolunteerRow.hours), 0)).where(
            YearVolunteerRow.organisation_id == organisation_id, YearVolunteerRow.year == year
        )
    ).one()
    open_ended = (
        select(ParticipationRow.volunteer_id, ParticipationRow.hours, ParticipationRow.record_id)
        .join(MissionRow, MissionRow.id == ParticipationRow.mission_id)
        .where(
            MissionRow.organisation_id == organisation_id,
            MissionRow.end_date.is_(None),
            MissionRow.start_date <= date(year, 12, 31),
        )
        .subquery()
    )
    has_row = exists().where(
        YearVolunteerRow.organisation_id == organisation_id,
        YearVolunteerRow.year == year,
        YearVolunteerRow.volunteer_id == open_ended.c.volunteer_id,
    )
    more_volunteers, more_hours = session.execute(
        select(
            func.count(func.distinct(open_ended.c.volunteer_id)).filter(~has_row),
            func.coalesce(func.sum(open_ended.c.hours).filter(open_ended.c.record_id.is_(None)), 0),
        )
    ).one()
    return YearFigures(
        volunteers=(kept_volunteers or 0) + (more_volunteers or 0),
        hours=Decimal(kept_hours or 0) + Decimal(more_hours or 0),
    )


# --- kept in line on every flush ------------------------------------------------------------------------------------

PENDING = "year_volunteers.pending"
DATES = ("start_date", "end_date")


def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    pairs: set[Pair] = session.info.setdefault(PENDING, (set(), set()))[0]
    missions: set[str] = session.info[PENDING][1]
    for row in (*session.new, *session.dirty, *session.deleted):
        if isinstance(row, RecordRow | ParticipationRow):
            before = None if row in session.new else _state(row, before=True)
            after = None if row in session.deleted else _state(row, before=False)
            if before != after:
                for state in (before, after):
                    if state is not None:
                        pairs.add((state[0], state[1]))
        elif isinstance(row, MissionRow) and row not in session.new:
            if row in session.deleted or any(_changed(row, name) for name in DATES):
                missions.add(row.id)


UNKNOWN = object()  # an attribute's earlier value, not loaded


def _state(row: RecordRow | ParticipationRow, *, before: bool) -> tuple | None:
    """What the row adds to the year's figures, before this flush or after it: (organisation, volunteer, ...) or None
    for a record that does not count. Rows whose contribution stays the same need no recomputing (issuing an
    approved record, a mission volunteer's status)."""
    names = RECORD_FIELDS if isinstance(row, RecordRow) else PARTICIPATION_FIELDS
    values = dict(zip(names, (_value(row, name, before) for name in names)))
    if isinstance(row, RecordRow) and UNKNOWN not in values.values():
        counted = values["status"] == "issued" or (values["status"] == "approved" and values["revises_id"] is None)
        if not counted:
            return None
        return values["organisation_id"], values["volunteer_id"], values["end_date"], values["hours"]
    return tuple(values.values())


RECORD_FIELDS = ("organisation_id", "volunteer_id", "status", "revises_id", "end_date", "hours")
PARTICIPATION_FIELDS = ("organisation_id", "volunteer_id", "mission_id", "hours", "record_id")


def _value(row: Any, name: str, before: bool) -> Any:
    history = inspect(row).attrs[name].history
    if not before:
        return getattr(row, name)
    if history.deleted:
        return history.deleted[0]
    if history.unchanged:
        return history.unchanged[0]
    return UNKNOWN if history.added else None


def _changed(row: Any, name: str) -> bool:
    history = inspect(row).attrs[name].history
    return bool(history.added or history.deleted)


def _after_flush(session: Session, _context: Any) -> None:
    pairs, missions = session.info.pop(PENDING, (set(), set()))
    if not pairs and not missions:
        return
    connection = session.connection()
    if missions:
        on_missions = select(ParticipationRow.organisation_id, ParticipationRow.volunteer_id).where(
            ParticipationRow.mission_id.in_(sorted(missions))
        )
        pairs |= {(organisation_id, volunteer_id) for organisation_id, volunteer_id in connection.execute(on_missions)}
    refresh(connection, pairs)


event.listen(Session, "before_flush", _before_flush)
event.listen(Session, "after_flush", _after_flush)
