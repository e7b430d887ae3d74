"""Volunteer-drafted statements: an organiser's invitation, the volunteer's draft, its submission.

The invitation link (`/invite/{token}`) is the volunteer's only credential here: no account. The token is random,
stored as a hash, and reaches exactly one draft. It expires for starting a draft; once a statement exists the link
keeps showing it (and lets the volunteer fix a returned one), because the volunteer must be able to see the outcome.
A draft is a record with source "volunteer" in status draft, submitted or returned; the review (approve, edit,
return) and issuance are the records' own (credentials.service).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from base.db import utcnow
from base.errors import UserError
from catalogue import load_catalogue
from credentials.records import lifecycle
from credentials.records.records import (
    EARLIEST_DATE,
    CompetenceClaim,
    RecordChanges,
    RecordInput,
    VolunteerInput,
    field_error,
    parse_date,
)
from credentials.records.service import CreatedRecord, apply_changes, new_record
from credentials.store import InvitationRow, RecordRow
from issuers.auth import Principal, hash_token
from issuers.municipalities import find_municipality
from issuers.service import IssuerContext
from issuers.store import OrganisationRow, append_audit

DEFAULT_VALID_DAYS = 30
MAX_VALID_DAYS = 365
EDITABLE = lifecycle.EDITABLE
LATEST_DAYS_AHEAD = 2 * 366  # an invitation may name a period still to come, but not one in another era


class InvitationInput(BaseModel):
    """What an organiser fixes for the statement: the mission, and optionally the place and period. Unknown fields
    (a volunteer's name, say) are refused: the volunteer gives those themselves."""

    model_config = ConfigDict(extra="forbid")

    mission_type: str
    title: str | None = None
    municipality: str | None = None
    start_date: str | None = None
    end_date: str | None = None
    language: str = "lv"
    valid_days: int = Field(DEFAULT_VALID_DAYS, description="Days the link may be used to start a draft.")


def create_invitation(
    session: Session,
    principal: Principal,
    org: OrganisationRow,
    data: InvitationInput,
    *,
    mission_id: str | None = None,
    sent_to: str | None = None,
) -> tuple[InvitationRow, str]:
    """A new invitation and its link token (returned once; only its hash is stored). `mission_id` and `sent_to`:
    made from a mission's page, and the address its link is e-mailed to (the caller queues that e-mail)."""
    principal.require("records.write", org.id)
    catalogue = load_catalogue()
    errors = []
    mission = catalogue.mission_types_by_code.get(data.mission_type or "")
    if mission is None:
        errors.append(field_error("mission_type", "record.mission_type_unknown", code=data.mission_type or ""))
    municipality = None
    if data.municipality:
        municipality = find_municipality(data.municipality)
        if municipality is None:
            errors.append(field_error("municipality", "record.municipality_unknown", value=data.municipality))
    start, end = (
        parse_date(data.start_date) if data.start_date else None,
        parse_date(data.end_date) if data.end_date else None,
    )
    if data.start_date and start is None:
        errors.append(field_error("start_date", "record.date_format"))
    if data.end_date and end is None:
        errors.append(field_error("end_date", "record.date_format"))
    latest = utcnow().date() + timedelta(days=LATEST_DAYS_AHEAD)
    for name, value in (("start_date", start), ("end_date", end)):
        if value is not None and value < EARLIEST_DATE:
            errors.append(field_error(name, "record.date_too_early", earliest=EARLIEST_DATE.isoformat()))
        elif value is not None and value > latest:
            errors.append(field_error(name, "record.date_too_late", latest=latest.isoformat()))
    if start and end and end < start:
        errors.append(field_error("end_date", "record.end_before_start"))
    if data.language not in ("lv", "en"):
        errors.append(field_error("language", "record.language_unknown"))
    if not 1 <= data.valid_days <= MAX_VALID_DAYS:
        errors.append(field_error("valid_days", "invitation.valid_days", maximum=MAX_VALID_DAYS))
    title = (data.title or "").strip()
    if len(title) > 4000:
        errors.append(field_error("title", "record.text_too_long", limit=4000))
    if errors:
        raise UserError("invitation.invalid", errors=errors)
    token = secrets.token_urlsafe(32)
    row = InvitationRow(
        organisation_id=org.id,
        token_hash=hash_token(token),
        mission_type=mission.code,
        title=title or mission.name.in_language(data.language),
        municipality=municipality.code if municipality else None,
        start_date=start,
        end_date=end,
        language=data.language,
        expires_at=utcnow() + timedelta(days=data.valid_days),
        created_by=principal.user_id or principal.token_id,
        mission_id=mission_id,
        sent_to=sent_to,
    )
    session.add(row)
    session.flush()
    details = {"mission_type": row.mission_type, **({"mission_id": mission_id} if mission_id else {})}
    append_audit(
        session, "invitation.create", organisation_id=org.id, subject_id=row.id, principal=principal, details=details
    )
    return row, token


def invitation_url(base_url: str, token: str) -> str:
    return f"{base_url}/invite/{token}"


def invitation_by_token(session: Session, token: str, lock: bool = False) -> InvitationRow:
    """`lock` for writers: two first saves of one invitation at once must not make two drafts."""
    query = select(InvitationRow).where(InvitationRow.token_hash == hash_token(token or ""))
    row = session.scalar(query.with_for_update() if lock else query)
    if row is None:
        raise UserError("invitation.not_found", kind="not_found")
    return row


def invitation_expired(row: InvitationRow, now: datetime | None = None) -> bool:
    return (now or utcnow()) >= row.expires_at


def draft_of(session: Session, invitation: InvitationRow) -> RecordRow | None:
    return session.get(RecordRow, invitation.record_id) if invitation.record_id else None


@dataclass
class DraftInput:
    """What the volunteer writes. The volunteer_* fields and `pseudonymous` count only on the first save."""

    start_date: str | None
    end_date: str | None
    hours: str | None
    municipality: str | None
    role: str | None = None
    narrative: str | None = None
    competences: list[CompetenceClaim] = field(default_factory=list)  # attested_by "self"
    volunteer_name: str | None = None
    volunteer_email: str | None = None
    pseudonymous: bool = False


@dataclass
class SavedDraft:
    invitation: InvitationRow
    record: RecordRow
    access_token: str | None = None  # a new volunteer's personal link token, shown once
    pseudonym: str | None = None  # a new pseudonymous volunteer's identifier, shown once


def save_draft(session: Session, ctx: IssuerContext, token: str, data: DraftInput, submit: bool) -> SavedDraft:
    """Creates or updates the invitation's draft; `submit` hands it to the organiser for review."""
    invitation = invitation_by_token(session, token, lock=True)
    record = draft_of(session, invitation)
    claims = [CompetenceClaim(c.uri, "self", (c.note or "").strip() or None) for c in data.competences]
    if record is None:
        if invitation_expired(invitation):
            raise UserError("invitation.expired", kind="gone")
        saved = _first_save(session, ctx, invitation, data, claims)
    else:
        if record.status not in EDITABLE:
            raise UserError("draft.locked", kind="conflict", status=record.status)
        apply_changes(
            record,
            RecordChanges(
                municipality=data.municipality or "",
                start_date=data.start_date or "",
                end_date=data.end_date or "",
                hours=data.hours or "",
                role=data.role or "",
                narrative=data.narrative or "",
                competences=claims,
            ),
        )
        record.status = lifecycle.next_status(record.status, "save")
        saved = SavedDraft(invitation, record)
    if submit:
        _submit(saved.record)
    session.flush()
    return saved


def _first_save(
    session: Session, ctx: IssuerContext, invitation: InvitationRow, data: DraftInput, claims: list[CompetenceClaim]
) -> SavedDraft:
    org = session.get(OrganisationRow, invitation.organisation_id)
    pseudonym = None
    if data.pseudonymous:
        if data.volunteer_name or data.volunteer_email:
            raise UserError("record.invalid", errors=[field_error("volunteer", "record.pseudonym_with_personal_data")])
        # The volunteer keeps this identifier; only its keyed and salted hashes are stored.
        pseudonym = secrets.token_urlsafe(12)
        volunteer = VolunteerInput(pseudonym=pseudonym)
    else:
        volunteer = VolunteerInput(name=data.volunteer_name, email=data.volunteer_email)
    created = volunteer_statement(
        session,
        ctx,
        org,
        RecordInput(
            volunteer=volunteer,
            mission_type=invitation.mission_type,
            title=invitation.title,
            municipality=data.municipality or invitation.municipality or "",
            start_date=data.start_date,
            end_date=data.end_date,
            hours=data.hours,
            role=data.role,
            competences=claims,
            narrative=data.narrative,
            language=invitation.language,
        ),
    )
    invitation.record_id = created.record.id
    return SavedDraft(invitation, created.record, created.volunteer.access_token, pseudonym)


def volunteer_statement(
    session: Session, ctx: IssuerContext, org: OrganisationRow, data: RecordInput, *, submit: bool = False
) -> CreatedRecord:
    """A statement the volunteer drafted, as a record of the organisation in draft (or, with `submit`, handed to
    the organiser at once): validated like any record, the organisation's volunteer found by e-mail or pseudonym or
    made, and named as the organisation already has them. Both an invitation's first save and a volunteer's own
    hours log (credentials.hourslog) make their statements here."""
    created = new_record(
        session, ctx, org, data, status=lifecycle.DRAFT, source="volunteer", created_by=None, rename_volunteer=False
    )
    if submit:
        _submit(created.record)
        session.flush()
    return created


def submit_draft(session: Session, token: str) -> RecordRow:
    """Hands the saved draft, unchanged, to the organiser."""
    record = draft_of(session, invitation_by_token(session, token, lock=True))
    if record is None:
        raise UserError("draft.not_saved", kind="conflict")
    if record.status not in EDITABLE:
        raise UserError("draft.locked", kind="conflict", status=record.status)
    _submit(record)
    session.flush()
    return record


def _submit(record: RecordRow) -> None:
    record.status, record.submitted_at = lifecycle.next_status(record.status, "submit"), utcnow()
