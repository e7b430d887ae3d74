"""SQLAlchemy tables of the credentials package: volunteers, records, credentials and status lists."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    Row,
    String,
    Text,
    UniqueConstraint,
    bindparam,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from base.db import Base, UTCDateTime, new_id, utcnow
from issuers.verification_version import track


class VolunteerRow(Base):
    """A volunteer as one organisation knows them. A pseudonymous one has no personal data: only a keyed hash of
    the identifier they keep, so the same person can be recognised again without storing the identifier."""

    __tablename__ = "volunteers"
    __table_args__ = (
        UniqueConstraint("organisation_id", "email"),
        UniqueConstraint("organisation_id", "pseudonym_lookup"),
        # The credentials' search by volunteer reads this index alone (a part of a name, an e-mail, a pseudonym).
        Index("ix_volunteers_org_search", "organisation_id", "name", "email", "pseudonym_lookup", "id"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # "named" or "pseudonymous"
    name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    pseudonym_lookup: Mapped[str | None] = mapped_column(String(64))
    # Hash of the volunteer's personal access link token (their credentials page); the token itself is shown once.
    access_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


LIVE_ORIGINAL = "status <> 'superseded' AND revises_id IS NULL"


class RecordRow(Base):
    __tablename__ = "records"
    __table_args__ = (
        # One live record per organisation, volunteer, mission type and period: what makes bulk uploads idempotent.
        # Corrections share their original's key and are left out, as is a superseded record.
        Index(
            "ux_records_natural_key",
            "organisation_id",
            "natural_key",
            unique=True,
            sqlite_where=text(LIVE_ORIGINAL),
            postgresql_where=text(LIVE_ORIGINAL),
        ),
        # The statements waiting for review, newest first (the workspace's inbox).
        Index("ix_records_org_status_submitted", "organisation_id", "status", "submitted_at"),
        # The reports' periods (credentials.reports.store): one organisation's, one territory's, everyone's.
        Index("ix_records_organisation_period", "organisation_id", "end_date", "start_date"),
        Index("ix_records_municipality_period", "municipality", "end_date", "start_date"),
        Index("ix_records_period", "end_date", "start_date"),
        # The dashboard's year (credentials.missions.service.dashboard): the records of a period, read from the index
        # alone (it holds every column the year's figures need).
        Index("ix_records_org_end", "organisation_id", "end_date", "status", "revises_id", "volunteer_id", "hours"),
        # Statements waiting, records by status; the dashboard's approved records not issued yet, from the index alone.
        Index("ix_records_org_status", "organisation_id", "status", "id"),
        # The credentials' filter by period.
        Index("ix_records_org_period", "organisation_id", "start_date", "end_date"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    volunteer_id: Mapped[str] = mapped_column(ForeignKey("volunteers.id"), index=True)
    mission_type: Mapped[str] = mapped_column(String(80))
    catalogue_version: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(4000))
    municipality: Mapped[str] = mapped_column(String(40))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    hours: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    role: Mapped[str | None] = mapped_column(String(4000))
    narrative: Mapped[str | None] = mapped_column(Text)
    # [{"uri": ..., "attested_by": "organiser"|"self", "note": ...}]
    competences: Mapped[list] = mapped_column(JSON, default=list)
    evidence: Mapped[list] = mapped_column(JSON, default=list)
    language: Mapped[str] = mapped_column(String(2), default="lv")
    # The subject's salt, and for a pseudonymous volunteer the salted hash of their identifier, computed when the
    # record is made: the identifier itself is never stored, yet the credential can be issued later.
    subject_salt: Mapped[str] = mapped_column(String(64))
    subject_hash: Mapped[str | None] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(20), default="draft")
    source: Mapped[str] = mapped_column(String(20), default="organiser")  # organiser, volunteer or batch
    # Organisation + volunteer + mission + period: what makes a bulk upload idempotent.
    natural_key: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(32))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    approved_by: Mapped[str | None] = mapped_column(String(32))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The organiser's comment when returning a volunteer's draft; kept until the next review.
    review_comment: Mapped[str | None] = mapped_column(Text)
    # A correction: the issued record this one replaces (its credential is superseded when this one is issued).
    revises_id: Mapped[str | None] = mapped_column(ForeignKey("records.id"), index=True)
    # A volunteer's statement the organiser changed at review: what the volunteer had written in each changed field
    # ({"hours": "12", "competences": [uri, ...]}), so the record shows whose words are whose.
    volunteer_wrote: Mapped[dict | None] = mapped_column(JSON)


class InvitationRow(Base):
    """An organiser's invitation to draft a statement for a mission. The link's token is stored only as a hash;
    one invitation leads to one draft (`record_id`, set when the volunteer first saves)."""

    __tablename__ = "invitations"
    __table_args__ = (Index("ix_invitations_mission_created", "mission_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    mission_type: Mapped[str] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(String(4000))
    municipality: Mapped[str | None] = mapped_column(String(40))
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    language: Mapped[str] = mapped_column(String(2), default="lv")
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(32))
    record_id: Mapped[str | None] = mapped_column(ForeignKey("records.id"), unique=True)
    # Made from a mission's page: the mission, and the address the link was e-mailed to (None: a link to copy).
    mission_id: Mapped[str | None] = mapped_column(ForeignKey("missions.id"))
    sent_to: Mapped[str | None] = mapped_column(String(320))


class StatusListRow(Base):
    __tablename__ = "status_lists"
    __table_args__ = (UniqueConstraint("organisation_id", "purpose", "number"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))
    number: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(Integer)
    # 16 KiB, so loaded only where used (reading a list's signed form needs it, allocating does not)
    bits: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)  # the published status bits
    # The n-th credential of the list gets index shuffled_index(order_key, n, size); n counts on in allocated_count.
    order_key: Mapped[bytes] = mapped_column(LargeBinary(16))
    allocated_count: Mapped[int] = mapped_column(Integer, default=0)
    is_full: Mapped[bool] = mapped_column(default=False)
    # Bumped on every bit change; the signed credential is re-signed lazily when it lags behind.
    version: Mapped[int] = mapped_column(Integer, default=1)
    signed_version: Mapped[int] = mapped_column(Integer, default=0)
    signed_credential: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


# Verifiers keep signed status lists per organisation version: a change of bits (not of allocation, nor a re-signing
# of the same bits) must raise it.
track(StatusListRow, lambda row: row.organisation_id, attributes=("version",))


LIVE_OF_RECORD = "record_id IS NOT NULL AND status <> 'revoked'"


class CredentialRow(Base):
    __tablename__ = "credentials"
    __table_args__ = (
        # A record is issued once: what backs the record's lock (see credentials.service.get_record) should a path
        # ever issue without it.
        Index(
            "ux_credentials_live_record",
            "record_id",
            unique=True,
            sqlite_where=text(LIVE_OF_RECORD),
            postgresql_where=text(LIVE_OF_RECORD),
        ),
        # The workspace's credential list: newest first, by status or not (and the dashboard's year).
        Index("ix_credentials_org_issued", "organisation_id", "issued_at", "id"),
        Index("ix_credentials_org_status_issued", "organisation_id", "status", "issued_at", "id"),
        # A volunteer's credentials (the search by volunteer): counted and paged from this index alone.
        Index("ix_credentials_volunteer_issued", "volunteer_id", "organisation_id", "issued_at", "id", "status"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    record_id: Mapped[str | None] = mapped_column(ForeignKey("records.id"), index=True)
    volunteer_id: Mapped[str | None] = mapped_column(ForeignKey("volunteers.id"), index=True)
    # The signed JSON exactly as issued: served byte for byte.
    document: Mapped[str] = mapped_column(Text)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    signing_key_id: Mapped[str] = mapped_column(ForeignKey("signing_keys.id"))
    revocation_list_id: Mapped[str] = mapped_column(ForeignKey("status_lists.id"))
    revocation_index: Mapped[int] = mapped_column(Integer)
    suspension_list_id: Mapped[str] = mapped_column(ForeignKey("status_lists.id"))
    suspension_index: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="active")  # active, suspended, revoked
    status_reason: Mapped[str | None] = mapped_column(Text)
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    superseded_by: Mapped[str | None] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(2), default="lv")
    # "records" for credentials built from records; "vc-api" for bodies organisations sent to /credentials/issue.
    origin: Mapped[str] = mapped_column(String(20), default="records")


# --- the issuing path's statements ----------------------------------------------------------------------------------
# Core statements, built once: issuing writes a credential and advances two status lists' allocation, and reads none
# of these rows back as objects in its transaction, so the ORM's unit of work (about a third of the request's
# database time) is not needed.

_LISTS = StatusListRow.__table__.c  # the table's columns: selecting the mapped attributes would go through the ORM
_STATUS_LIST_PLACES = select(
    _LISTS.id, _LISTS.purpose, _LISTS.number, _LISTS.size, _LISTS.order_key, _LISTS.allocated_count
)
_CURRENT_STATUS_LISTS = (
    _STATUS_LIST_PLACES.where(
        _LISTS.organisation_id == bindparam("organisation_id"),
        _LISTS.purpose.in_(bindparam("purposes", expanding=True)),
        _LISTS.is_full.is_(False),
    )
    .order_by(_LISTS.purpose, _LISTS.number)
    .with_for_update()
)
_STATUS_LIST_BY_ID = _STATUS_LIST_PLACES.where(_LISTS.id == bindparam("list_id")).with_for_update()
_SAVE_ALLOCATION = (
    update(StatusListRow.__table__)
    .where(_LISTS.id == bindparam("list_id"))
    .values(allocated_count=bindparam("taken"), is_full=bindparam("full"))
)
_INSERT_CREDENTIAL = insert(CredentialRow.__table__)


def lock_current_status_lists(session: Session, organisation_id: str, purposes: Sequence[str]) -> Sequence[Row[Any]]:
    """The organisation's lists not yet full for these purposes (by purpose, then number), locked for allocation:
    rows of id, purpose, number, size, order_key and allocated_count."""
    return session.execute(_CURRENT_STATUS_LISTS, {"organisation_id": organisation_id, "purposes": purposes}).all()


def lock_status_list(session: Session, list_id: str) -> Row[Any]:
    """One list's allocation row (as `lock_current_status_lists` gives it), locked."""
    return session.execute(_STATUS_LIST_BY_ID, {"list_id": list_id}).one()


def save_allocations(session: Session, changes: Sequence[dict[str, Any]]) -> None:
    """Writes lists' allocation: each change has list_id, taken (allocated_count) and full (is_full)."""
    session.execute(_SAVE_ALLOCATION, list(changes))


def insert_credentials(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Stores issued credentials, in one statement (each row: columns of `CredentialRow`; those left out take their
    defaults; all rows must name the same columns)."""
    session.execute(_INSERT_CREDENTIAL, list(rows))


# The year's volunteers, kept in line with the records on every flush (its module imports this one's tables).
import credentials.year_volunteers  # noqa: E402, F401
