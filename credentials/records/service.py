"""Use cases of records: finding or creating the volunteer, creating, listing, approving, returning and revising
records (a correction of an issued record starts a new record that supersedes it on issuance)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, object_session

from base.db import utcnow
from base.errors import UserError
from catalogue import catalogue_version, load_catalogue
from credentials import notices
from credentials.common import today_in_latvia
from credentials.document import SubjectIdentity, new_salt
from credentials.records import lifecycle
from credentials.records.records import (
    CompetenceClaim,
    RecordChanges,
    RecordInput,
    ValidRecord,
    VolunteerInput,
    format_hours,
    merge_competences,
    validate_record,
)
from credentials.store import RecordRow, VolunteerRow
from issuers.auth import Principal, hash_token
from issuers.service import IssuerContext
from issuers.store import OrganisationRow, append_audit


def pseudonym_lookup(kek: bytes, organisation_id: str, pseudonym: str) -> str:
    """A keyed hash: recognises a returning pseudonymous volunteer without storing what they keep."""
    return hmac.new(kek, f"pseudonym\x00{organisation_id}\x00{pseudonym}".encode(), hashlib.sha256).hexdigest()


@dataclass
class VolunteerResult:
    row: VolunteerRow
    access_token: str | None  # only when the volunteer is new: their personal link is shown once


def find_volunteer(
    session: Session, ctx: IssuerContext, org: OrganisationRow, volunteer: VolunteerInput, match_name: bool = False
) -> VolunteerRow | None:
    """The organisation's known volunteer: by pseudonym, by e-mail, or (with `match_name`, for bulk uploads, where a
    row without e-mail must still find its earlier self) by the name of a named volunteer without e-mail."""
    if volunteer.pseudonymous:
        lookup = pseudonym_lookup(ctx.kek, org.id, volunteer.pseudonym)
        return session.scalar(
            select(VolunteerRow).where(VolunteerRow.organisation_id == org.id, VolunteerRow.pseudonym_lookup == lookup)
        )
    if volunteer.email:
        return session.scalar(
            select(VolunteerRow).where(VolunteerRow.organisation_id == org.id, VolunteerRow.email == volunteer.email)
        )
    if match_name:
        return session.scalar(
            select(VolunteerRow)
            .where(
                VolunteerRow.organisation_id == org.id,
                VolunteerRow.kind == "named",
                VolunteerRow.email.is_(None),
                VolunteerRow.name == volunteer.name,
            )
            .order_by(VolunteerRow.created_at)
            .limit(1)
        )
    return None


def find_or_create_volunteer(
    session: Session, ctx: IssuerContext, org: OrganisationRow, volunteer: VolunteerInput, rename: bool = True
) -> VolunteerResult:
    """The organisation's volunteer with this e-mail or pseudonym, or a new one. `rename=False` (self-service
    drafts) leaves a known volunteer's name as the organisation has it."""
    row = find_volunteer(session, ctx, org, volunteer)
    if row is not None:
        if rename and not volunteer.pseudonymous:
            row.name = volunteer.name
        return VolunteerResult(row, None)
    return create_volunteer(session, ctx, org, volunteer)


def create_volunteer(
    session: Session, ctx: IssuerContext, org: OrganisationRow, volunteer: VolunteerInput
) -> VolunteerResult:
    """A volunteer new to the organisation, with their personal link (shown once: only its hash is stored)."""
    if volunteer.pseudonymous:
        row = VolunteerRow(
            organisation_id=org.id,
            kind="pseudonymous",
            pseudonym_lookup=pseudonym_lookup(ctx.kek, org.id, volunteer.pseudonym),
        )
    else:
        row = VolunteerRow(organisation_id=org.id, kind="named", name=volunteer.name, email=volunteer.email)
    token = secrets.token_urlsafe(24)
    row.access_token_hash = hash_token(token)
    session.add(row)
    session.flush()
    return VolunteerResult(row, token)


def natural_key(organisation_id: str, volunteer_id: str, record: ValidRecord) -> str:
    parts = [
        organisation_id,
        volunteer_id,
        record.mission_type,
        record.start_date.isoformat(),
        record.end_date.isoformat(),
    ]
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()


@dataclass
class CreatedRecord:
    record: RecordRow
    volunteer: VolunteerResult


def create_record(
    session: Session,
    principal: Principal,
    ctx: IssuerContext,
    org: OrganisationRow,
    data: RecordInput,
    source: str = "organiser",
) -> CreatedRecord:
    """An organiser's record: validated against the current catalogue and approved at once."""
    principal.require("records.write", org.id)
    created = new_record(
        session, ctx, org, data, status="approved", source=source, created_by=principal.user_id or principal.token_id
    )
    approved_as_made(session, principal, created.record)
    return created


def approved_as_made(session: Session, principal: Principal, record: RecordRow) -> None:
    """The organiser's own record is approved as it is made: that is an approval for the audit log too."""
    record.approved_at, record.approved_by = record.created_at, principal.user_id or principal.token_id
    session.flush()
    append_audit(
        session,
        "record.approve",
        organisation_id=record.organisation_id,
        subject_id=record.id,
        principal=principal,
        details={"created": True},
    )


def new_record(
    session: Session,
    ctx: IssuerContext,
    org: OrganisationRow,
    data: RecordInput,
    *,
    status: str,
    source: str,
    created_by: str | None,
    rename_volunteer: bool = True,
) -> CreatedRecord:
    """Validates a new record (volunteer included) and stores it with its volunteer and subject salt."""
    catalogue = load_catalogue()
    valid = validate_record(data, catalogue, today_in_latvia())
    volunteer = find_or_create_volunteer(session, ctx, org, valid.volunteer, rename=rename_volunteer)
    return store_record(
        session, org, valid, catalogue.version, volunteer, status=status, source=source, created_by=created_by
    )


def live_record(session: Session, organisation_id: str, key: str) -> RecordRow | None:
    """A record (not superseded) holding a natural key in an organisation: the original, or a correction of it."""
    return session.scalar(
        select(RecordRow)
        .where(
            RecordRow.organisation_id == organisation_id, RecordRow.natural_key == key, RecordRow.status != "superseded"
        )
        .order_by(RecordRow.created_at)
        .limit(1)
    )


def store_record(
    session: Session,
    org: OrganisationRow,
    valid: ValidRecord,
    catalogue_version: str,
    volunteer: VolunteerResult,
    *,
    status: str,
    source: str,
    created_by: str | None,
    subject: tuple[str, str | None] | None = None,
) -> CreatedRecord:
    """Stores a validated record; a second record of the same volunteer, mission type and period in the organisation
    is a conflict (the unique natural key backs this check against concurrent writers)."""
    key = natural_key(org.id, volunteer.row.id, valid)
    # A volunteer new to the organisation (they got an access token just now) has no records to collide with.
    if volunteer.access_token is None and live_record(session, org.id, key) is not None:
        raise UserError("record.duplicate", kind="conflict")
    salt, subject_hash = subject or new_subject(valid.volunteer)
    row = RecordRow(
        organisation_id=org.id,
        volunteer_id=volunteer.row.id,
        mission_type=valid.mission_type,
        catalogue_version=catalogue_version,
        title=valid.title,
        municipality=valid.municipality,
        start_date=valid.start_date,
        end_date=valid.end_date,
        hours=valid.hours,
        role=valid.role,
        narrative=valid.narrative,
        competences=[claim_json(c) for c in valid.competences],
        evidence=list(valid.evidence),
        language=valid.language,
        subject_salt=salt,
        subject_hash=subject_hash,
        status=status,
        source=source,
        natural_key=key,
        created_by=created_by,
        created_at=utcnow(),
    )
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        # A concurrent writer made the same record first; the caller's transaction is rolled back.
        raise UserError("record.duplicate", kind="conflict") from None
    return CreatedRecord(row, volunteer)


def new_subject(volunteer: VolunteerInput | None) -> tuple[str, str | None]:
    """A record's subject salt, and for a pseudonymous volunteer the salted hash of the identifier they keep: made
    while the identifier is at hand (it is never stored). `store_record` takes one made earlier as `subject`, for a
    record made later from a stored volunteer (a mission's participant)."""
    salt = new_salt()
    if volunteer is not None and volunteer.pseudonymous:
        return salt, SubjectIdentity.pseudonymous(volunteer.pseudonym, salt).pseudonym_hash
    return salt, None


def claim_json(claim: CompetenceClaim) -> dict:
    item = {"uri": claim.uri, "attested_by": claim.attested_by}
    if claim.note:
        item["note"] = claim.note
    return item


def get_record(session: Session, principal: Principal, record_id: str, *, lock: bool = False) -> RecordRow:
    """A record of the caller's organisation; another organisation's records do not exist for the caller.

    With `lock`, for a change that depends on the record's status: the row is read fresh and locked until the
    transaction ends, so that concurrent changes of one record take turns and each sees the one before
    (SELECT ... FOR UPDATE on PostgreSQL; on SQLite the write transaction holds the whole database already)."""
    row = (
        session.get(RecordRow, record_id, with_for_update=True, populate_existing=True)
        if lock
        else session.get(RecordRow, record_id)
    )
    return _visible_record(principal, row)


def _visible_record(principal: Principal, row: RecordRow | None) -> RecordRow:
    if row is None or not principal.acts_for(row.organisation_id):
        raise UserError("record.not_found", kind="not_found")
    return row


def stored_claims(row: RecordRow) -> list[CompetenceClaim]:
    return [
        CompetenceClaim(item["uri"], item.get("attested_by", "organiser"), item.get("note")) for item in row.competences
    ]


def apply_changes(row: RecordRow, changes: RecordChanges | None) -> None:
    """Validates the record as it would be after `changes` (all of it, against its catalogue version) and writes
    the changed fields; the volunteer is never changed here."""
    given = changes.given() if changes else {}
    if not given:
        return
    catalogue = load_catalogue()
    if row.catalogue_version != catalogue.version:
        catalogue = catalogue_version(row.catalogue_version)
    competences = stored_claims(row)
    if "competences" in given:
        competences = merge_competences(competences, given["competences"])
    valid = validate_record(
        RecordInput(
            volunteer=None,
            mission_type=row.mission_type,
            title=given.get("title", row.title),
            municipality=given.get("municipality", row.municipality),
            start_date=given.get("start_date", row.start_date),
            end_date=given.get("end_date", row.end_date),
            hours=given.get("hours", row.hours),
            role=given.get("role", row.role),
            competences=competences,
            narrative=given.get("narrative", row.narrative),
            evidence=given.get("evidence", row.evidence),
            language=row.language,
        ),
        catalogue,
        today_in_latvia(),
    )
    row.title, row.municipality, row.role, row.narrative = valid.title, valid.municipality, valid.role, valid.narrative
    row.start_date, row.end_date, row.hours = valid.start_date, valid.end_date, valid.hours
    row.competences, row.evidence = [claim_json(c) for c in valid.competences], list(valid.evidence)
    key = natural_key(row.organisation_id, row.volunteer_id, valid)
    session = object_session(row)
    if key != row.natural_key and row.revises_id is None and session is not None:
        # New dates may be another record's period: a clear conflict rather than the unique index failing later.
        other = live_record(session, row.organisation_id, key)
        if other is not None and other.id != row.id:
            raise UserError("record.duplicate", kind="conflict")
    row.natural_key = key


def list_records(session: Session, principal: Principal, org: OrganisationRow, status: str | None) -> list[RecordRow]:
    if not principal.acts_for(org.id):
        raise UserError("auth.forbidden", kind="forbidden")
    query = select(RecordRow).where(RecordRow.organisation_id == org.id).order_by(RecordRow.created_at, RecordRow.id)
    if status:
        query = query.where(RecordRow.status == status)
    return list(session.scalars(query))


# A volunteer's statement is reviewed only once they submit it; an organiser's own draft any time.


def approve_record(
    session: Session, principal: Principal, record_id: str, changes: RecordChanges | None = None, *, base_url: str
) -> RecordRow:
    """Approves a record, optionally with the organiser's edits first; only an approved record can be issued. A
    volunteer's statement: the volunteer is told by e-mail (credentials.notices)."""
    row = get_record(session, principal, record_id, lock=True)
    principal.require("records.write", row.organisation_id)
    edited = bool(changes and changes.given())
    if row.status in (lifecycle.APPROVED, lifecycle.ISSUED) and not edited:
        return row
    # Edits to an approved, not yet issued record are a fresh approval of the edited record.
    action = "approve_edited" if edited and row.status == lifecycle.APPROVED else "approve"
    if not lifecycle.allows(row.status, action, row.source):
        raise UserError("record.cannot_approve", kind="conflict", status=row.status)
    before = _reviewed_fields(row)
    apply_changes(row, changes)
    if row.source == "volunteer":
        _keep_volunteer_words(row, before)
    row.status, row.approved_at = lifecycle.next_status(row.status, action, row.source), utcnow()
    row.approved_by = principal.user_id or principal.token_id
    append_audit(
        session,
        "record.approve",
        organisation_id=row.organisation_id,
        subject_id=row.id,
        principal=principal,
        details={"edited": edited},
    )
    notices.statement_reviewed(session, base_url, row, notices.STATEMENT_APPROVED)
    return row


REVIEWED_FIELDS = ("title", "municipality", "start_date", "end_date", "hours", "role", "narrative")


def _reviewed_fields(row: RecordRow) -> dict:
    values = {name: getattr(row, name) for name in REVIEWED_FIELDS}
    values["hours"] = format_hours(row.hours)
    values["start_date"], values["end_date"] = row.start_date.isoformat(), row.end_date.isoformat()
    values["competences"] = [item["uri"] for item in row.competences]
    return values


def _keep_volunteer_words(row: RecordRow, before: dict) -> None:
    """Keeps what the volunteer wrote in each field the organiser changed (the first version they wrote: a second
    review's edits are still the organiser's)."""
    after = _reviewed_fields(row)
    kept = dict(row.volunteer_wrote or {})
    for name, value in before.items():
        if after[name] != value and name not in kept:
            kept[name] = value
    row.volunteer_wrote = kept or None


# The workspace's statements: waiting for review (newest submitted first), and approved but not yet issued.
REVIEW_LISTS = {lifecycle.SUBMITTED: RecordRow.submitted_at, lifecycle.APPROVED: RecordRow.approved_at}


def review_counts(session: Session, principal: Principal, org: OrganisationRow) -> dict[str, int]:
    """How many of the organisation's records wait in each review list."""
    principal.require("records.read", org.id)
    counted = session.execute(
        select(RecordRow.status, func.count())
        .where(RecordRow.organisation_id == org.id, RecordRow.status.in_(list(REVIEW_LISTS)))
        .group_by(RecordRow.status)
    )
    return {status: 0 for status in REVIEW_LISTS} | {status: count for status, count in counted}


def records_to_review(
    session: Session, principal: Principal, org: OrganisationRow, status: str, offset: int, limit: int
) -> list[tuple[RecordRow, VolunteerRow]]:
    """A page of the organisation's records in one review list (`REVIEW_LISTS`), newest first, with their
    volunteers."""
    principal.require("records.read", org.id)
    rows = session.execute(
        select(RecordRow, VolunteerRow)
        .join(VolunteerRow, VolunteerRow.id == RecordRow.volunteer_id)
        .where(RecordRow.organisation_id == org.id, RecordRow.status == status)
        .order_by(REVIEW_LISTS[status].desc(), RecordRow.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return [(record, volunteer) for record, volunteer in rows]


def return_record(session: Session, principal: Principal, record_id: str, comment: str, *, base_url: str) -> RecordRow:
    """Sends a submitted statement back to the volunteer with the organiser's comment (by e-mail, too)."""
    row = get_record(session, principal, record_id, lock=True)
    principal.require("records.write", row.organisation_id)
    comment = (comment or "").strip()
    if not comment:
        raise UserError("record.comment_required", errors=[{"field": "comment"}])
    if len(comment) > 4000:
        raise UserError("record.comment_too_long", errors=[{"field": "comment"}])
    if not lifecycle.allows(row.status, "return"):
        raise UserError("record.cannot_return", kind="conflict", status=row.status)
    row.status, row.review_comment = lifecycle.next_status(row.status, "return"), comment
    append_audit(session, "record.return", organisation_id=row.organisation_id, subject_id=row.id, principal=principal)
    notices.statement_reviewed(session, base_url, row, notices.STATEMENT_RETURNED)
    return row


def revise_record(session: Session, principal: Principal, record_id: str, changes: RecordChanges | None) -> RecordRow:
    """A corrected copy of an issued record, approved by the organiser who makes it; issuing it supersedes the
    old credential."""
    old = get_record(session, principal, record_id, lock=True)  # concurrent corrections: one, the rest see it
    principal.require("records.write", old.organisation_id)
    if not lifecycle.allows(old.status, "revise"):
        raise UserError("record.cannot_revise", kind="conflict", status=old.status)
    pending = session.scalar(
        select(RecordRow.id).where(RecordRow.revises_id == old.id, RecordRow.status != lifecycle.ISSUED).limit(1)
    )
    if pending is not None:
        # One correction at a time: two issued corrections of one record would both stand.
        raise UserError("record.revision_pending", kind="conflict", record_id=pending)
    now = utcnow()
    row = RecordRow(
        organisation_id=old.organisation_id,
        volunteer_id=old.volunteer_id,
        mission_type=old.mission_type,
        catalogue_version=old.catalogue_version,
        title=old.title,
        municipality=old.municipality,
        start_date=old.start_date,
        end_date=old.end_date,
        hours=old.hours,
        role=old.role,
        narrative=old.narrative,
        competences=list(old.competences),
        evidence=list(old.evidence),
        language=old.language,
        subject_salt=old.subject_salt,
        subject_hash=old.subject_hash,
        status=lifecycle.APPROVED,
        source=old.source,
        natural_key=old.natural_key,
        created_by=principal.user_id or principal.token_id,
        approved_at=now,
        approved_by=principal.user_id or principal.token_id,
        revises_id=old.id,
    )
    apply_changes(row, changes)
    session.add(row)
    session.flush()
    append_audit(
        session,
        "record.revise",
        organisation_id=row.organisation_id,
        subject_id=row.id,
        principal=principal,
        details={"revises": old.id},
    )
    return row
