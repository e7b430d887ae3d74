"""SQLAlchemy tables of missions: the mission, its volunteers (participations), their hours sessions, and the
batches that issued their credentials."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from base.db import Base, UTCDateTime, new_id, utcnow


class MissionRow(Base):
    __tablename__ = "missions"
    __table_args__ = (Index("ix_missions_org_status_start", "organisation_id", "status", "start_date"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"))
    mission_type: Mapped[str] = mapped_column(String(80))
    catalogue_version: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(4000))
    municipality: Mapped[str] = mapped_column(String(40))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)  # None: a regular activity without a planned end
    planned_volunteers: Mapped[int | None] = mapped_column(Integer)
    visibility: Mapped[str] = mapped_column(String(10), default="closed")  # public or closed
    competences: Mapped[list] = mapped_column(JSON, default=list)  # ESCO URIs
    language: Mapped[str] = mapped_column(String(2), default="lv")
    status: Mapped[str] = mapped_column(String(10), default="open")  # open or closed
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    copied_from: Mapped[str | None] = mapped_column(String(32))


class ParticipationRow(Base):
    """A volunteer on a mission. A pseudonymous volunteer's subject salt and hash are made when they are added
    (the identifier they keep is at hand only then), for the record they become once finished."""

    __tablename__ = "mission_participations"
    __table_args__ = (
        UniqueConstraint("mission_id", "volunteer_id"),
        # The mission page's list, in the order people were added, all of them or by status.
        Index("ix_participations_mission_added", "mission_id", "created_at", "id"),
        Index("ix_participations_mission_status", "mission_id", "status", "created_at", "id"),
        # The dashboard's counts by status; finished volunteers whose record is not made yet.
        Index("ix_participations_org_status_record", "organisation_id", "status", "record_id"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    mission_id: Mapped[str] = mapped_column(ForeignKey("missions.id"))
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"))
    volunteer_id: Mapped[str] = mapped_column(ForeignKey("volunteers.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="new")
    role: Mapped[str | None] = mapped_column(String(4000))
    hours: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    by_sessions: Mapped[bool] = mapped_column(default=False)  # the hours are the sum of the sessions
    subject_salt: Mapped[str | None] = mapped_column(String(64))
    subject_hash: Mapped[str | None] = mapped_column(String(80))
    finished_on: Mapped[date | None] = mapped_column(Date)
    record_id: Mapped[str | None] = mapped_column(ForeignKey("records.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class HoursSessionRow(Base):
    __tablename__ = "participation_sessions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    participation_id: Mapped[str] = mapped_column(ForeignKey("mission_participations.id"), index=True)
    day: Mapped[date] = mapped_column(Date)
    hours: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    note: Mapped[str | None] = mapped_column(String(500))


class MissionBatchRow(Base):
    """A batch that issued a mission's finished volunteers ("issue all finished")."""

    __tablename__ = "mission_batches"

    mission_id: Mapped[str] = mapped_column(ForeignKey("missions.id"), primary_key=True)
    batch_id: Mapped[str] = mapped_column(ForeignKey("batches.id"), primary_key=True, unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
