"""Use cases of missions: create, edit, copy, close and reopen a mission; add volunteers (one, or a list), enter
their hours, move them through their statuses; invite volunteers (by e-mail or a link) to draft their own statement;
issue a finished volunteer's credential, or everyone's at once through the batch runner. Shared by the JSON API and the pages.

Reading a mission is for anyone of its organisation; every change needs `records.write` (issuing also
`credentials.issue`) and leaves an audit entry. Another organisation's missions do not exist for the caller.
A closed mission takes no new volunteers; hours, statuses and issuing go on (a festival is closed, then issued).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from base.db import utcnow
from base.errors import UserError
from base.i18n import messages
from base.mail import queue_email
from base.mail.outbox import checked_address
from catalogue import load_catalogue
from credentials import service as credentials_service
from credentials.batches import service as batches_service
from credentials.batches.spreadsheet import read_upload
from credentials.batches.store import BatchItemRow, BatchRow
from credentials.common import RIGA, today_in_latvia
from credentials.missions import lifecycle
from credentials.missions.missions import (
    CLOSED,
    OPEN,
    CheckedList,
    HoursInput,
    ListedVolunteer,
    MissionInput,
    ValidMission,
    check_list,
    checked_role,
    list_header,
    not_issuable,
    pasted_rows,
    record_period,
    validate_hours,
    validate_mission,
)
from credentials.missions.store import HoursSessionRow, MissionBatchRow, MissionRow, ParticipationRow
from credentials.records import drafts
from credentials.records import service as records_service
from credentials.records.drafts import InvitationInput
from credentials.records.records import (
    RecordChanges,
    RecordInput,
    VolunteerInput,
    check_volunteer,
    field_error,
    validate_record,
)
from credentials.store import CredentialRow, InvitationRow, RecordRow, VolunteerRow
from credentials.year_volunteers import year_figures
from issuers.auth import Principal
from issuers.service import IssuerContext
from issuers.store import OrganisationRow, append_audit

PAGE_SIZE = 50
MAX_PAGE_SIZE = 500


def _actor(principal: Principal) -> str | None:
    return principal.user_id or principal.token_id


# --- missions -----------------------------------------------------------------------------------------------------


def create_mission(session: Session, principal: Principal, org: OrganisationRow, data: MissionInput) -> MissionRow:
    principal.require("records.write", org.id)
    catalogue = load_catalogue()
    valid = validate_mission(data, catalogue)
    row = MissionRow(organisation_id=org.id, catalogue_version=catalogue.version, created_by=_actor(principal))
    _write_mission(row, valid)
    session.add(row)
    session.flush()
    append_audit(session, "mission.create", organisation_id=org.id, subject_id=row.id, principal=principal)
    return row


def _write_mission(row: MissionRow, valid: ValidMission) -> None:
    row.mission_type, row.title, row.municipality = valid.mission_type, valid.title, valid.municipality
    row.start_date, row.end_date, row.planned_volunteers = valid.start_date, valid.end_date, valid.planned_volunteers
    row.visibility, row.competences, row.language = valid.visibility, list(valid.competences), valid.language
    row.updated_at = utcnow()


def mission_input(row: MissionRow, **changes) -> MissionInput:
    """The mission as an input, with `changes` (only the fields given) applied: what an edit or a copy checks."""
    current = MissionInput(
        mission_type=row.mission_type,
        title=row.title,
        municipality=row.municipality,
        start_date=row.start_date,
        end_date=row.end_date,
        planned_volunteers=row.planned_volunteers,
        visibility=row.visibility,
        competences=list(row.competences),
        language=row.language,
    )
    for name, value in changes.items():
        setattr(current, name, value)
    if "mission_type" in changes and "competences" not in changes and changes["mission_type"] != row.mission_type:
        current.competences = None  # a new mission type brings its own core competences
    return current


def get_mission(session: Session, principal: Principal, mission_id: str, *, lock: bool = False) -> MissionRow:
    """A mission of the caller's organisation; others' do not exist for the caller."""
    row = (
        session.get(MissionRow, mission_id, with_for_update=True, populate_existing=True)
        if lock
        else session.get(MissionRow, mission_id)
    )
    if row is None or not principal.acts_for(row.organisation_id):
        raise UserError("mission.not_found", kind="not_found")
    return row


def update_mission(session: Session, principal: Principal, mission_id: str, changes: dict) -> MissionRow:
    """Edits the fields given (`MissionInput` names); the whole mission is checked again."""
    row = get_mission(session, principal, mission_id, lock=True)
    principal.require("records.write", row.organisation_id)
    catalogue = load_catalogue()
    valid = validate_mission(mission_input(row, **changes), catalogue)
    _write_mission(row, valid)
    row.catalogue_version = catalogue.version
    append_audit(
        session,
        "mission.update",
        organisation_id=row.organisation_id,
        subject_id=row.id,
        principal=principal,
        details={"fields": sorted(changes)},
    )
    return row


def copy_mission(session: Session, principal: Principal, mission_id: str, changes: dict) -> MissionRow:
    """A new, open mission made from an existing one (its volunteers stay behind), with `changes` applied."""
    source = get_mission(session, principal, mission_id)
    org = session.get(OrganisationRow, source.organisation_id)
    copy = create_mission(session, principal, org, mission_input(source, **changes))
    copy.copied_from = source.id
    return copy


def close_mission(session: Session, principal: Principal, mission_id: str) -> MissionRow:
    return _set_status(session, principal, mission_id, CLOSED)


def reopen_mission(session: Session, principal: Principal, mission_id: str) -> MissionRow:
    return _set_status(session, principal, mission_id, OPEN)


def _set_status(session: Session, principal: Principal, mission_id: str, status: str) -> MissionRow:
    row = get_mission(session, principal, mission_id, lock=True)
    principal.require("records.write", row.organisation_id)
    if row.status == status:
        raise UserError("mission.already_closed" if status == CLOSED else "mission.already_open", kind="conflict")
    row.status, row.updated_at = status, utcnow()
    row.closed_at = utcnow() if status == CLOSED else None
    append_audit(
        session,
        "mission.close" if status == CLOSED else "mission.reopen",
        organisation_id=row.organisation_id,
        subject_id=row.id,
        principal=principal,
    )
    return row


@dataclass
class MissionCounts:
    volunteers: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    hours: Decimal = Decimal(0)
    issued: int = 0


def list_missions(
    session: Session,
    principal: Principal,
    org: OrganisationRow,
    status: str | None = None,
    limit: int = PAGE_SIZE,
    offset: int = 0,
) -> tuple[list[tuple[MissionRow, MissionCounts]], int]:
    """A page of the organisation's missions (newest start first) with their counts, and how many there are."""
    if not principal.acts_for(org.id):
        raise UserError("auth.forbidden", kind="forbidden")
    where = [MissionRow.organisation_id == org.id]
    if status in (OPEN, CLOSED):
        where.append(MissionRow.status == status)
    total = session.scalar(select(func.count()).select_from(MissionRow).where(*where)) or 0
    rows = list(
        session.scalars(
            select(MissionRow)
            .where(*where)
            .order_by(MissionRow.start_date.desc(), MissionRow.id)
            .limit(min(max(limit, 1), MAX_PAGE_SIZE))
            .offset(max(offset, 0))
        )
    )
    counts = mission_counts(session, [row.id for row in rows])
    return [(row, counts.get(row.id, MissionCounts())) for row in rows], total


def mission_counts(session: Session, mission_ids: list[str]) -> dict[str, MissionCounts]:
    """Volunteers per status, hours and issued credentials of missions, in one grouped query."""
    if not mission_ids:
        return {}
    counts: dict[str, MissionCounts] = {}
    query = (
        select(
            ParticipationRow.mission_id,
            ParticipationRow.status,
            func.count(),
            func.coalesce(func.sum(ParticipationRow.hours), 0),
            func.count(case((RecordRow.status.in_(("issued", "superseded")), 1))),
        )
        .outerjoin(RecordRow, RecordRow.id == ParticipationRow.record_id)
        .where(ParticipationRow.mission_id.in_(mission_ids))
        .group_by(ParticipationRow.mission_id, ParticipationRow.status)
    )
    for mission_id, status, number, hours, issued in session.execute(query):
        item = counts.setdefault(mission_id, MissionCounts())
        item.volunteers += number
        item.by_status[status] = number
        item.hours += Decimal(hours)
        item.issued += issued
    return counts


# --- volunteers on a mission --------------------------------------------------------------------------------------


@dataclass
class AddedVolunteer:
    participation: ParticipationRow
    added: bool  # False: they were on the mission already
    access_token: str | None = None  # a volunteer new to the organisation: their personal link, shown once
    pseudonym: str | None = None  # an identifier made for them here, shown once


def _writable_mission(session: Session, principal: Principal, mission_id: str, *, adding: bool = False) -> MissionRow:
    mission = get_mission(session, principal, mission_id, lock=True)
    principal.require("records.write", mission.organisation_id)
    if adding and mission.status == CLOSED:
        raise UserError("mission.closed", kind="conflict")
    return mission


def add_volunteer(
    session: Session,
    principal: Principal,
    ctx: IssuerContext,
    mission_id: str,
    volunteer: VolunteerInput | None,
    role: str | None = None,
) -> AddedVolunteer:
    """Adds one volunteer: named, pseudonymous with the identifier they keep, or (`volunteer` None) pseudonymous
    with a new identifier made here. The same person again is not added twice."""
    mission = _writable_mission(session, principal, mission_id, adding=True)
    made = None
    if volunteer is None:
        made = secrets.token_urlsafe(12)
        volunteer = VolunteerInput(pseudonym=made)
    errors: list[dict] = []
    volunteer = check_volunteer(volunteer, errors)
    role = checked_role(role, errors)
    if errors:
        raise UserError("record.invalid", errors=errors)
    added = _add(session, principal, ctx, mission, ListedVolunteer(1, volunteer, role))
    added.pseudonym = made
    return added


def _add(
    session: Session, principal: Principal, ctx: IssuerContext, mission: MissionRow, listed: ListedVolunteer
) -> AddedVolunteer:
    org = session.get(OrganisationRow, mission.organisation_id)
    volunteer = listed.volunteer
    found = records_service.find_volunteer(session, ctx, org, volunteer, match_name=True)
    token = None
    if found is None:
        created = records_service.create_volunteer(session, ctx, org, volunteer)
        found, token = created.row, created.access_token
    else:
        existing = session.scalar(
            select(ParticipationRow).where(
                ParticipationRow.mission_id == mission.id, ParticipationRow.volunteer_id == found.id
            )
        )
        if existing is not None:
            return AddedVolunteer(existing, False)
    salt, subject_hash = records_service.new_subject(volunteer) if volunteer.pseudonymous else (None, None)
    row = ParticipationRow(
        mission_id=mission.id,
        organisation_id=mission.organisation_id,
        volunteer_id=found.id,
        status=lifecycle.NEW,
        role=listed.role,
        subject_salt=salt,
        subject_hash=subject_hash,
    )
    session.add(row)
    session.flush()
    append_audit(
        session,
        "participation.add",
        organisation_id=mission.organisation_id,
        subject_id=row.id,
        principal=principal,
        details={"mission": mission.id},
    )
    return AddedVolunteer(row, True, token)


@dataclass
class AddedList:
    lines: int
    added: list[AddedVolunteer] = field(default_factory=list)
    already: int = 0  # on the mission before, or twice in the list


def add_volunteer_list(
    session: Session,
    principal: Principal,
    ctx: IssuerContext,
    mission_id: str,
    text: str | None = None,
    content: bytes | None = None,
    filename: str | None = None,
) -> AddedList:
    """Adds a pasted list (one volunteer a line) or an uploaded CSV/XLSX (columns volunteer_name, volunteer_email,
    volunteer_pseudonym, role). Every line is checked first: if any is wrong nothing is added and every wrong
    line is reported (`mission.list_invalid`, errors with line, column and message). Idempotent: someone already
    on the mission, or named twice, is added once."""
    mission = _writable_mission(session, principal, mission_id, adding=True)
    checked = read_volunteer_list(text, content, filename)
    if checked.errors:
        raise UserError(
            "mission.list_invalid", errors=[{**error, "field": error["column"]} for error in checked.errors]
        )
    result = AddedList(lines=checked.lines, already=checked.lines - len(checked.volunteers))
    for listed in checked.volunteers:
        added = _add(session, principal, ctx, mission, listed)
        if added.added:
            result.added.append(added)
        else:
            result.already += 1
    return result


def read_volunteer_list(text: str | None, content: bytes | None, filename: str | None) -> CheckedList:
    if content:
        rows = [(row.line, row.cells) for row in read_upload(content, filename, header=list_header)]
    elif text and text.strip():
        first = next((line for line in text.splitlines() if line.strip()), "")
        if first.strip().lower().startswith(("volunteer_", "name")) and any(sep in first for sep in ",;\t"):
            rows = [(row.line, row.cells) for row in read_upload(text.encode(), "list.csv", header=list_header)]
        else:
            rows = pasted_rows(text)
    else:
        raise UserError(
            "mission.list_source", errors=[{"field": "text", "message": messages().text("mission.list_source")}]
        )
    return check_list(rows)


def get_participation(
    session: Session, principal: Principal, mission_id: str, participation_id: str, *, lock: bool = False
) -> ParticipationRow:
    mission = get_mission(session, principal, mission_id)
    row = (
        session.get(ParticipationRow, participation_id, with_for_update=True, populate_existing=True)
        if lock
        else session.get(ParticipationRow, participation_id)
    )
    if row is None or row.mission_id != mission.id:
        raise UserError("participation.not_found", kind="not_found")
    return row


def _writable_participation(
    session: Session, principal: Principal, mission_id: str, participation_id: str
) -> tuple[MissionRow, ParticipationRow]:
    mission = _writable_mission(session, principal, mission_id)
    row = get_participation(session, principal, mission_id, participation_id, lock=True)
    if row.record_id is not None and _record_status(session, row) != "approved":
        raise UserError("participation.issued", kind="conflict")
    return mission, row


def _record_status(session: Session, row: ParticipationRow) -> str | None:
    return session.scalar(select(RecordRow.status).where(RecordRow.id == row.record_id)) if row.record_id else None


def set_hours(
    session: Session, principal: Principal, mission_id: str, participation_id: str, data: HoursInput
) -> ParticipationRow:
    """A total, or sessions that add up (replacing what was there); checked with the records' rules."""
    mission, row = _writable_participation(session, principal, mission_id, participation_id)
    valid = validate_hours(data, mission.start_date, mission.end_date, today_in_latvia())
    for old in session.scalars(select(HoursSessionRow).where(HoursSessionRow.participation_id == row.id)):
        session.delete(old)
    session.add_all(
        HoursSessionRow(participation_id=row.id, day=item.day, hours=item.hours, note=item.note)
        for item in valid.sessions
    )
    row.hours, row.by_sessions, row.updated_at = valid.total, bool(valid.sessions), utcnow()
    session.flush()
    append_audit(
        session,
        "participation.update",
        organisation_id=row.organisation_id,
        subject_id=row.id,
        principal=principal,
        details={"hours": True, "sessions": len(valid.sessions)},
    )
    return row


def hours_sessions(session: Session, participation_id: str) -> list[HoursSessionRow]:
    return list(
        session.scalars(
            select(HoursSessionRow)
            .where(HoursSessionRow.participation_id == participation_id)
            .order_by(HoursSessionRow.day, HoursSessionRow.id)
        )
    )


def set_role(
    session: Session, principal: Principal, mission_id: str, participation_id: str, role: str | None
) -> ParticipationRow:
    _, row = _writable_participation(session, principal, mission_id, participation_id)
    errors: list[dict] = []
    role = checked_role(role, errors)
    if errors:
        raise UserError("record.invalid", errors=errors)
    row.role, row.updated_at = role, utcnow()
    append_audit(
        session, "participation.update", organisation_id=row.organisation_id, subject_id=row.id, principal=principal
    )
    return row


def _check_action(action: str) -> None:
    if action not in lifecycle.ACTIONS:
        raise UserError("participation.action_unknown", action=action, allowed=", ".join(lifecycle.ACTIONS))


def _apply(session: Session, principal: Principal, row: ParticipationRow, action: str) -> None:
    if not lifecycle.allows(row.status, action):
        raise UserError("participation.cannot", kind="conflict", status=row.status, action=action)
    if action == "finish" and not row.hours:
        raise UserError(
            "participation.hours_missing",
            kind="conflict",
            errors=[{"field": "hours", "message": messages().text("participation.hours_missing")}],
        )
    before = row.status
    row.status, row.updated_at = lifecycle.next_status(row.status, action), utcnow()
    row.finished_on = today_in_latvia() if row.status == lifecycle.FINISHED else None
    append_audit(
        session,
        "participation.status",
        organisation_id=row.organisation_id,
        subject_id=row.id,
        principal=principal,
        details={"from": before, "to": row.status},
    )


def change_status(
    session: Session, principal: Principal, mission_id: str, participation_id: str, action: str
) -> ParticipationRow:
    """One step of the life cycle (`approve`, `start`, `finish`, `reopen`); finishing needs hours."""
    _check_action(action)
    _, row = _writable_participation(session, principal, mission_id, participation_id)
    _apply(session, principal, row, action)
    return row


@dataclass
class StatusChanges:
    changed: int = 0
    skipped: int = 0  # could not take the step (e.g. finishing without hours): left as they were


def change_statuses(
    session: Session, principal: Principal, mission_id: str, action: str, participation_ids: list[str] | None = None
) -> StatusChanges:
    """The same step for everyone on the mission who can take it (or for those named); the others stay."""
    _check_action(action)
    mission = _writable_mission(session, principal, mission_id)
    query = (
        select(ParticipationRow)
        .where(
            ParticipationRow.mission_id == mission.id,
            ParticipationRow.status.in_(lifecycle.from_statuses(action)),
        )
        .order_by(ParticipationRow.id)
        .with_for_update()
    )
    if participation_ids is not None:
        query = query.where(ParticipationRow.id.in_(participation_ids))
    if action == "reopen":
        query = query.outerjoin(RecordRow, RecordRow.id == ParticipationRow.record_id).where(
            (RecordRow.id.is_(None)) | (RecordRow.status == "approved")
        )
    result = StatusChanges()
    for row in session.scalars(query):
        if action == "finish" and not row.hours:
            result.skipped += 1
            continue
        _apply(session, principal, row, action)
        result.changed += 1
    session.flush()
    return result


def remove_participation(session: Session, principal: Principal, mission_id: str, participation_id: str) -> None:
    """Takes someone not yet finished off the mission (the volunteer stays known to the organisation)."""
    _, row = _writable_participation(session, principal, mission_id, participation_id)
    if row.status not in lifecycle.REMOVABLE or row.record_id is not None:
        raise UserError("participation.cannot", kind="conflict", status=row.status, action="remove")
    for old in session.scalars(select(HoursSessionRow).where(HoursSessionRow.participation_id == row.id)):
        session.delete(old)
    session.delete(row)
    append_audit(
        session,
        "participation.remove",
        organisation_id=row.organisation_id,
        subject_id=row.id,
        principal=principal,
        details={"mission": mission_id},
    )


@dataclass
class ParticipantView:
    """A row of the mission's volunteer list, read in one query."""

    participation: ParticipationRow
    kind: str
    name: str | None
    email: str | None
    record_status: str | None
    credential_id: str | None


def list_participants(
    session: Session,
    principal: Principal,
    mission_id: str,
    status: str | None = None,
    limit: int = PAGE_SIZE,
    offset: int = 0,
    participation_id: str | None = None,
) -> tuple[list[ParticipantView], int]:
    """A page of the mission's volunteers (in the order they were added), with their credential if issued
    (or the one volunteer `participation_id`)."""
    mission = get_mission(session, principal, mission_id)
    where = [ParticipationRow.mission_id == mission.id]
    if status in lifecycle.STATUSES:
        where.append(ParticipationRow.status == status)
    if participation_id is not None:
        where.append(ParticipationRow.id == participation_id)
    total = session.scalar(select(func.count()).select_from(ParticipationRow).where(*where)) or 0
    live = (
        select(CredentialRow.id)
        .where(CredentialRow.record_id == ParticipationRow.record_id, CredentialRow.status != "revoked")
        .order_by(CredentialRow.issued_at.desc())
        .limit(1)
        .correlate(ParticipationRow)
        .scalar_subquery()
    )
    query = (
        select(ParticipationRow, VolunteerRow.kind, VolunteerRow.name, VolunteerRow.email, RecordRow.status, live)
        .join(VolunteerRow, VolunteerRow.id == ParticipationRow.volunteer_id)
        .outerjoin(RecordRow, RecordRow.id == ParticipationRow.record_id)
        .where(*where)
        .order_by(ParticipationRow.created_at, ParticipationRow.id)
        .limit(min(max(limit, 1), MAX_PAGE_SIZE))
        .offset(max(offset, 0))
    )
    return [ParticipantView(*row) for row in session.execute(query)], total


# --- issuing ------------------------------------------------------------------------------------------------------


def _participation_record(
    session: Session, principal: Principal, mission: MissionRow, row: ParticipationRow
) -> RecordRow:
    """The approved record a finished participant becomes (made once; the records' validation and natural key
    apply): the mission's type, title, municipality and competences, the participant's period, hours and role."""
    if row.status != lifecycle.FINISHED:
        raise UserError("participation.not_finished", kind="conflict")
    days = [item.day for item in hours_sessions(session, row.id)] if row.by_sessions else []
    start, end = record_period(mission.start_date, mission.end_date, days, row.finished_on)
    if row.record_id is not None:
        # Made by an earlier issue-all that was cancelled: brought up to date with the participation first.
        record = session.get(RecordRow, row.record_id)
        if record.status != "approved":
            return record  # issued already: the issue path says so
        records_service.apply_changes(
            record,
            RecordChanges(
                title=mission.title,
                municipality=mission.municipality,
                start_date=start,
                end_date=end,
                hours=row.hours,
                role=row.role,
                competences=list(mission.competences),
            ),
        )
        return record
    org = session.get(OrganisationRow, mission.organisation_id)
    catalogue = load_catalogue()
    valid = validate_record(
        RecordInput(
            volunteer=None,
            mission_type=mission.mission_type,
            title=mission.title,
            municipality=mission.municipality,
            start_date=start,
            end_date=end,
            hours=row.hours,
            role=row.role,
            competences=list(mission.competences),
            language=mission.language,
        ),
        catalogue,
        today_in_latvia(),
    )
    volunteer = records_service.VolunteerResult(session.get(VolunteerRow, row.volunteer_id), None)
    created = records_service.store_record(
        session,
        org,
        valid,
        catalogue.version,
        volunteer,
        status="approved",
        source="organiser",
        created_by=_actor(principal),
        subject=(row.subject_salt, row.subject_hash) if row.subject_hash else None,
    )
    records_service.approved_as_made(session, principal, created.record)
    row.record_id = created.record.id
    session.flush()
    return created.record


def issue_participation(
    session: Session, principal: Principal, ctx: IssuerContext, mission_id: str, participation_id: str
) -> credentials_service.Issued:
    """One finished volunteer's credential, now (the records' issue path)."""
    mission = _writable_mission(session, principal, mission_id)
    principal.require("credentials.issue", mission.organisation_id)
    row = get_participation(session, principal, mission_id, participation_id, lock=True)
    record = _participation_record(session, principal, mission, row)
    return credentials_service.issue_record(session, principal, ctx, record.id)


def issue_all(session: Session, principal: Principal, mission_id: str) -> BatchRow:
    """Everyone finished and not yet issued, as one batch for the runner (its progress is the progress bar).
    A participant whose record cannot be made (the records' rules) is reported in the batch's errors, by line,
    and the others go on. Idempotent: a second run finds nobody left and issues nothing twice."""
    mission = _writable_mission(session, principal, mission_id)
    principal.require("credentials.issue", mission.organisation_id)
    org = session.get(OrganisationRow, mission.organisation_id)
    waiting = session.scalars(
        select(ParticipationRow)
        .outerjoin(RecordRow, RecordRow.id == ParticipationRow.record_id)
        .where(
            ParticipationRow.mission_id == mission.id,
            ParticipationRow.status == lifecycle.FINISHED,
            (ParticipationRow.record_id.is_(None)) | (RecordRow.status == "approved"),
        )
        .order_by(ParticipationRow.created_at, ParticipationRow.id)
        .with_for_update(of=ParticipationRow)
    ).all()
    records: list[tuple[int, str]] = []
    errors: list[dict] = []
    for line, row in enumerate(waiting, start=1):
        try:
            with session.begin_nested():
                records.append((line, _participation_record(session, principal, mission, row).id))
        except UserError as error:
            errors.extend(
                {
                    "line": line,
                    "column": item["field"],
                    "message_lv": item["message"].lv,
                    "message_en": item["message"].en,
                    "participation_id": row.id,
                }
                for item in not_issuable(error)
            )
    batch = batches_service.create_record_batch(session, principal, org, records, errors, label=mission.title)
    session.add(MissionBatchRow(mission_id=mission.id, batch_id=batch.id))
    append_audit(
        session,
        "mission.issue",
        organisation_id=org.id,
        subject_id=mission.id,
        principal=principal,
        details={"batch": batch.id, "records": len(records), "refused": len({e["line"] for e in errors})},
    )
    session.flush()
    return batch


def mission_batch(session: Session, principal: Principal, mission_id: str, batch_id: str) -> BatchRow:
    """A batch that issued this mission's volunteers."""
    mission = get_mission(session, principal, mission_id)
    link = session.get(MissionBatchRow, (mission.id, batch_id))
    if link is None:
        raise UserError("batch.not_found", kind="not_found")
    return batches_service.get_batch(session, principal, batch_id)


def latest_batch(session: Session, mission_id: str) -> str | None:
    return session.scalar(
        select(MissionBatchRow.batch_id)
        .where(MissionBatchRow.mission_id == mission_id)
        .order_by(MissionBatchRow.created_at.desc())
        .limit(1)
    )


# --- the organisation's dashboard ---------------------------------------------------------------------------------


@dataclass
class Dashboard:
    """The organisation's year at a glance, and what waits for someone to act."""

    year: int
    volunteers: int  # on the year's records or on missions running in the year
    hours: Decimal  # of the year's records, and of mission volunteers whose record is not made yet
    credentials: int  # issued this year
    statements_waiting: int  # volunteers' statements submitted for review
    missions_running: int
    waiting_approval: int  # volunteers new on a mission
    finished_not_issued: int
    missions_to_close: int  # open, their end passed


def dashboard(session: Session, principal: Principal, org: OrganisationRow, today: date) -> Dashboard:
    """A handful of small, indexed queries, whatever the organisation's size."""
    if not principal.acts_for(org.id):
        raise UserError("auth.forbidden", kind="forbidden")
    # The year's volunteers and hours are kept, exact at every commit, by credentials.year_volunteers.
    year = year_figures(session, org.id, today.year)
    credentials = session.scalar(
        select(func.count())
        .select_from(CredentialRow)
        .where(CredentialRow.organisation_id == org.id, CredentialRow.issued_at >= _year_start(today.year))
    )
    statements = session.scalar(
        select(func.count())
        .select_from(RecordRow)
        .where(RecordRow.organisation_id == org.id, RecordRow.status == "submitted")
    )
    running = (MissionRow.start_date <= today) & (MissionRow.end_date.is_(None) | (MissionRow.end_date >= today))
    missions_running, missions_to_close = session.execute(
        select(
            func.count(case((running, 1))),
            func.count(case((MissionRow.end_date < today, 1))),
        ).where(MissionRow.organisation_id == org.id, MissionRow.status == OPEN)
    ).one()
    waiting_approval = session.scalar(
        select(func.count())
        .select_from(ParticipationRow)
        .where(ParticipationRow.organisation_id == org.id, ParticipationRow.status == lifecycle.NEW)
    )
    # Finished without a record yet, or with a record approved but not issued: counted from the approved records
    # (few) rather than by looking up every finished volunteer's record (most of them, issued long ago).
    finished = (ParticipationRow.organisation_id == org.id, ParticipationRow.status == lifecycle.FINISHED)
    finished_not_issued = session.scalar(
        select(
            select(func.count())
            .select_from(ParticipationRow)
            .where(*finished, ParticipationRow.record_id.is_(None))
            .scalar_subquery()
            + select(func.count())
            .select_from(RecordRow)
            .join(ParticipationRow, ParticipationRow.record_id == RecordRow.id)
            .where(RecordRow.organisation_id == org.id, RecordRow.status == "approved", *finished)
            .scalar_subquery()
        )
    )
    return Dashboard(
        year=today.year,
        volunteers=year.volunteers,
        hours=year.hours,
        credentials=credentials or 0,
        statements_waiting=statements or 0,
        missions_running=missions_running or 0,
        waiting_approval=waiting_approval or 0,
        finished_not_issued=finished_not_issued or 0,
        missions_to_close=missions_to_close or 0,
    )


def _year_start(year: int) -> datetime:
    return datetime(year, 1, 1, tzinfo=RIGA)


@dataclass
class IssuedItem:
    credential_id: str
    name: str | None
    kind: str


def batch_credentials(session: Session, batch: BatchRow, limit: int = PAGE_SIZE, offset: int = 0) -> list[IssuedItem]:
    """A page of the credentials a batch issued, with whom each is for (the verification links' list)."""
    query = (
        select(CredentialRow.id, VolunteerRow.name, VolunteerRow.kind)
        .join(BatchItemRow, BatchItemRow.credential_id == CredentialRow.id)
        .join(VolunteerRow, VolunteerRow.id == CredentialRow.volunteer_id)
        .where(BatchItemRow.batch_id == batch.id, BatchItemRow.status == "issued")
        .order_by(BatchItemRow.line)
        .limit(limit)
        .offset(offset)
    )
    return [IssuedItem(*row) for row in session.execute(query)]


# --- invitations to draft a statement ------------------------------------------------------------------------------

MAX_INVITATIONS = 500
STATEMENT_INVITATION = "statement_invitation"
ADDRESS_SEPARATORS = re.compile(r"[,;]")


@dataclass
class Invited:
    invitation: InvitationRow
    token: str | None  # a link to copy: its token, shown once (None: e-mailed)


@dataclass
class Invitations:
    made: list[Invited] = field(default_factory=list)
    already: int = 0  # addresses this mission had invited before (not invited again)


def read_addresses(text: str) -> list[str]:
    """The addresses in `text` (one a line, or separated by commas or semicolons), each checked; all or nothing:
    `mission.addresses_invalid` with each wrong one's line, or `mission.addresses_too_many`."""
    found: list[tuple[int, str]] = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        found += [(number, part.strip()) for part in ADDRESS_SEPARATORS.split(line) if part.strip()]
    if not found:
        raise UserError("mission.addresses_none", errors=[field_error("emails", "mission.addresses_none")])
    if len(found) > MAX_INVITATIONS:
        raise UserError(
            "mission.addresses_too_many",
            errors=[field_error("emails", "mission.addresses_too_many", limit=MAX_INVITATIONS, count=len(found))],
        )
    addresses, errors = [], []
    for number, value in found:
        try:
            addresses.append(checked_address(value).lower())
        except UserError:
            message = messages().text("mission.address_invalid", value=value)
            errors.append({"line": number, "column": "e-mail", "field": "emails", "message": message})
    if errors:
        raise UserError("mission.addresses_invalid", errors=errors)
    return list(dict.fromkeys(addresses))


def invite_volunteers(
    session: Session,
    principal: Principal,
    mission_id: str,
    *,
    base_url: str,
    language: str,
    emails: str | None = None,
) -> Invitations:
    """Invitations to draft a statement for the mission (its type, title, municipality and period): one e-mailed to
    each address in `emails` (see read_addresses), in `language`, in this transaction; or, `emails` None, one link
    to copy. An address this mission invited before is not invited again (nor e-mailed twice)."""
    mission = _writable_mission(session, principal, mission_id, adding=True)
    org = session.get_one(OrganisationRow, mission.organisation_id)
    suggestion = InvitationInput(
        mission_type=mission.mission_type,
        title=mission.title,
        municipality=mission.municipality,
        start_date=mission.start_date.isoformat(),
        end_date=mission.end_date.isoformat() if mission.end_date else None,
        language=mission.language,
    )
    result = Invitations()
    if emails is None:
        row, token = drafts.create_invitation(session, principal, org, suggestion, mission_id=mission.id)
        result.made.append(Invited(row, token))
        return result
    addresses = read_addresses(emails)
    invited = set(
        session.scalars(
            select(InvitationRow.sent_to).where(
                InvitationRow.mission_id == mission.id, InvitationRow.sent_to.in_(addresses)
            )
        )
    )
    result.already = len(invited)
    for address in addresses:
        if address in invited:
            continue
        row, token = drafts.create_invitation(
            session, principal, org, suggestion, mission_id=mission.id, sent_to=address
        )
        queue_email(
            session,
            to=address,
            template=f"credentials.missions/{STATEMENT_INVITATION}",
            language=language,
            context={
                "organisation": org.legal_name,
                "mission": mission.title,
                "link": drafts.invitation_url(base_url, token),
                "expires": row.expires_at.astimezone(RIGA).date(),
            },
            kind=STATEMENT_INVITATION,
            dedupe_key=f"{STATEMENT_INVITATION}:{mission.id}:{address}",
        )
        result.made.append(Invited(row, None))
    return result


@dataclass
class InvitationView:
    invitation: InvitationRow
    status: str  # sent (or link, not e-mailed), draft, submitted, returned, approved, issued..., expired
    volunteer: str | None  # the name the volunteer gave, once they saved a draft


def mission_invitations(
    session: Session, principal: Principal, mission_id: str, limit: int = PAGE_SIZE, offset: int = 0
) -> tuple[list[InvitationView], int]:
    """The mission's invitations, newest first, with how far each got: who answered."""
    mission = get_mission(session, principal, mission_id)
    where = InvitationRow.mission_id == mission.id
    total = session.scalar(select(func.count()).select_from(InvitationRow).where(where)) or 0
    rows = session.execute(
        select(InvitationRow, RecordRow.status, VolunteerRow.name)
        .outerjoin(RecordRow, RecordRow.id == InvitationRow.record_id)
        .outerjoin(VolunteerRow, VolunteerRow.id == RecordRow.volunteer_id)
        .where(where)
        .order_by(InvitationRow.created_at.desc(), InvitationRow.id)
        .limit(limit)
        .offset(offset)
    ).all()
    now = utcnow()
    views = []
    for invitation, record_status, name in rows:
        if record_status is not None:
            status = record_status
        elif drafts.invitation_expired(invitation, now):
            status = "expired"
        else:
            status = "sent" if invitation.sent_to else "link"
        views.append(InvitationView(invitation, status, name))
    return views, total
