"""Use cases of the hours log: a holder's sessions (list, add, change, delete while not sent), registered
organisations to choose from, and sending sessions as one statement into an organisation's inbox (through the same
path as an invitation's statement: `drafts.volunteer_statement`).

Only the holder ever reaches their sessions: another holder's session does not exist for them (not found), and no
organisation's page or API reads this table. What an organisation sees is the statement sent to it, nothing more.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from base.errors import UserError
from base.i18n import format_date, format_number, messages
from catalogue import load_catalogue
from credentials.common import today_in_latvia
from credentials.holders.service import hold
from credentials.holders.store import HolderRow
from credentials.hourslog.log import (
    LoggedSession,
    SessionInput,
    ValidSession,
    plan_statement,
    validate_session,
)
from credentials.hourslog.store import LogSessionRow
from credentials.records import drafts, lifecycle
from credentials.records.records import CompetenceClaim, RecordInput, VolunteerInput, field_error, parse_date
from credentials.service import latest_credential_of_record
from credentials.store import CredentialRow, RecordRow
from issuers.auth import Principal
from issuers.service import IssuerContext
from issuers.store import OrganisationRow, UserRow, append_audit

VERIFIED = "verified"
ORGANISATION_MATCHES = 10


# --- registered organisations -----------------------------------------------------------------------------------


def find_organisations(session: Session, query: str, limit: int = ORGANISATION_MATCHES) -> list[OrganisationRow]:
    """Verified organisations whose name holds what was typed (case aside), shortest names first."""
    words = " ".join((query or "").split()).lower()
    if len(words) < 2:
        return []
    escaped = words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return list(
        session.scalars(
            select(OrganisationRow)
            .where(
                OrganisationRow.status == VERIFIED,
                func.lower(OrganisationRow.legal_name).like(f"%{escaped}%", escape="\\"),
            )
            .order_by(func.length(OrganisationRow.legal_name), OrganisationRow.legal_name, OrganisationRow.id)
            .limit(limit)
        )
    )


def registered_organisation(session: Session, organisation_id: str) -> OrganisationRow:
    """A verified organisation the volunteer chose; any other id is a mistake in the form."""
    org = session.get(OrganisationRow, organisation_id)
    if org is None or org.status != VERIFIED:
        raise UserError("log.invalid", errors=[field_error("organisation_id", "log.organisation_unknown")])
    return org


# --- sessions -----------------------------------------------------------------------------------------------------


@dataclass
class LogPage:
    rows: list[LogSessionRow]
    total: int
    total_hours: Decimal
    organisations: dict[str, OrganisationRow]


def log_page(session: Session, holder: HolderRow, offset: int, limit: int) -> LogPage:
    """A page of the holder's sessions, newest first, with the count and hours of them all."""
    total, hours = session.execute(
        select(func.count(), func.coalesce(func.sum(LogSessionRow.hours), 0)).where(
            LogSessionRow.holder_id == holder.id
        )
    ).one()
    rows = list(
        session.scalars(
            select(LogSessionRow)
            .where(LogSessionRow.holder_id == holder.id)
            .order_by(LogSessionRow.worked_on.desc(), LogSessionRow.created_at.desc(), LogSessionRow.id.desc())
            .offset(offset)
            .limit(limit)
        )
    )
    return LogPage(rows, int(total), Decimal(hours), _organisations(session, rows))


def _organisations(session: Session, rows: list[LogSessionRow]) -> dict[str, OrganisationRow]:
    ids = {row.organisation_id for row in rows if row.organisation_id}
    if not ids:
        return {}
    return {org.id: org for org in session.scalars(select(OrganisationRow).where(OrganisationRow.id.in_(ids)))}


def get_session(session: Session, holder: HolderRow, session_id: str, *, lock: bool = False) -> LogSessionRow:
    """One of the holder's sessions; anyone else's is not found."""
    row = (
        session.get(LogSessionRow, session_id, with_for_update=True, populate_existing=True)
        if lock
        else session.get(LogSessionRow, session_id)
    )
    if row is None or row.holder_id != holder.id:
        raise UserError("log.not_found", kind="not_found")
    return row


def _valid(session: Session, holder: HolderRow, data: SessionInput, except_id: str | None = None) -> ValidSession:
    catalogue = load_catalogue()
    today = today_in_latvia()
    # The day's other sessions count towards its 24 hours (read for the date as typed; validation judges it).
    worked_on = parse_date(data.worked_on)
    other = Decimal(0)
    if worked_on is not None:
        query = select(func.coalesce(func.sum(LogSessionRow.hours), 0)).where(
            LogSessionRow.holder_id == holder.id, LogSessionRow.worked_on == worked_on
        )
        if except_id:
            query = query.where(LogSessionRow.id != except_id)
        other = Decimal(session.scalar(query) or 0)
    valid = validate_session(data, catalogue.competences_by_uri, today, other)
    if valid.organisation_id is not None:
        registered_organisation(session, valid.organisation_id)
    return valid


def _write(row: LogSessionRow, valid: ValidSession) -> None:
    row.organisation_id, row.organisation_name = valid.organisation_id, valid.organisation_name
    row.worked_on, row.hours, row.activity = valid.worked_on, valid.hours, valid.activity
    row.competences = list(valid.competences)


def add_session(session: Session, holder: HolderRow, data: SessionInput) -> LogSessionRow:
    valid = _valid(session, holder, data)
    row = LogSessionRow(holder_id=holder.id)
    _write(row, valid)
    session.add(row)
    session.flush()
    return row


def _editable(session: Session, holder: HolderRow, session_id: str) -> LogSessionRow:
    row = get_session(session, holder, session_id, lock=True)
    if row.statement_record_id is not None:
        raise UserError("log.session_sent", kind="conflict")
    return row


def update_session(session: Session, holder: HolderRow, session_id: str, data: SessionInput) -> LogSessionRow:
    """Changes a session not yet sent (a sent one is part of a statement the organisation has)."""
    row = _editable(session, holder, session_id)
    _write(row, _valid(session, holder, data, except_id=row.id))
    session.flush()
    return row


def delete_session(session: Session, holder: HolderRow, session_id: str) -> None:
    session.delete(_editable(session, holder, session_id))
    session.flush()


# --- sending a statement --------------------------------------------------------------------------------------------


@dataclass
class Sendable:
    """A registered organisation and the holder's sessions with it not sent yet, oldest first."""

    organisation: OrganisationRow
    sessions: list[LogSessionRow]

    @property
    def hours(self) -> Decimal:
        return sum((row.hours for row in self.sessions), Decimal(0))


def sendable(session: Session, holder: HolderRow) -> list[Sendable]:
    """The registered organisations the holder has unsent sessions with (verified ones: a suspended organisation
    takes no statements), by name."""
    rows = list(
        session.scalars(
            select(LogSessionRow)
            .where(
                LogSessionRow.holder_id == holder.id,
                LogSessionRow.organisation_id.is_not(None),
                LogSessionRow.statement_record_id.is_(None),
            )
            .order_by(LogSessionRow.worked_on, LogSessionRow.created_at, LogSessionRow.id)
        )
    )
    organisations = _organisations(session, rows)
    groups: dict[str, Sendable] = {}
    for row in rows:
        org = organisations[row.organisation_id or ""]
        if org.status == VERIFIED:
            groups.setdefault(org.id, Sendable(org, [])).sessions.append(row)
    return sorted(groups.values(), key=lambda group: group.organisation.legal_name.casefold())


MAX_NAME = 200  # users.name


@dataclass(frozen=True)
class StatementRequest:
    session_ids: list[str]
    mission_type: str
    title: str
    municipality: str
    language: str  # the statement's (and so the credential's) language: lv or en
    volunteer_name: str = ""  # as the credential will name the volunteer; the account's name when empty


def send_statement(
    session: Session,
    ctx: IssuerContext,
    principal: Principal,
    holder: HolderRow,
    user: UserRow,
    request: StatementRequest,
) -> RecordRow:
    """One statement of the chosen sessions, submitted into their organisation's inbox, in one transaction with the
    sessions marked sent. Sending the same sessions again (a double click, a reload) finds the statement they are in
    and makes no other."""
    ids = sorted(set(request.session_ids))
    if not ids:
        raise UserError("log.invalid", errors=[field_error("sessions", "log.no_sessions")])
    # An account made by a sign-in link has no name yet; the organisation's record of the work needs one.
    name = " ".join(request.volunteer_name.split()) or user.name
    if not name or len(name) > MAX_NAME:
        raise UserError("log.invalid", errors=[field_error("volunteer_name", "log.name_required", maximum=MAX_NAME)])
    rows = [get_session(session, holder, session_id, lock=True) for session_id in ids]
    sent_in = {row.statement_record_id for row in rows}
    if len(sent_in) == 1 and None not in sent_in:
        found = session.get(RecordRow, sent_in.pop())
        if found is not None:
            return found
    language = request.language if request.language in ("lv", "en") else "lv"
    plan = plan_statement(
        [
            LoggedSession(
                row.id,
                row.organisation_id,
                row.worked_on,
                row.hours,
                row.activity,
                tuple(row.competences),
                row.statement_record_id,
            )
            for row in rows
        ],
        lambda item: messages().get(
            "log.narrative_line",
            language,
            date=format_date(item.worked_on, language, "medium"),
            hours=format_number(item.hours.normalize(), language),
            activity=item.activity,
        ),
    )
    org = session.get(OrganisationRow, plan.organisation_id)
    if org is None or org.status != VERIFIED:
        raise UserError("log.invalid", errors=[field_error("sessions", "log.organisation_unknown")])
    created = drafts.volunteer_statement(
        session,
        ctx,
        org,
        RecordInput(
            volunteer=VolunteerInput(name=name, email=user.email),
            mission_type=request.mission_type,
            title=request.title,
            municipality=request.municipality,
            start_date=plan.start_date,
            end_date=plan.end_date,
            hours=plan.hours,
            competences=[CompetenceClaim(uri, "self") for uri in plan.competences],
            narrative=plan.narrative,
            language=language,
        ),
        submit=True,
    )
    user.name = name  # offered again next time; erased with the account
    for row in rows:
        row.statement_record_id = created.record.id
    session.flush()
    append_audit(
        session,
        "statement.send",
        organisation_id=org.id,
        subject_id=created.record.id,
        principal=principal,
        details={"sessions": len(rows), "source": "hours_log"},
    )
    return created.record


# --- what became of the statements ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatementState:
    record_id: str
    status: str  # submitted, returned, approved, issued, draft
    comment: str | None  # the organiser's, when returned
    credential_id: str | None  # when issued
    held: bool  # the credential is in this holder's place


def _current(session: Session, record: RecordRow) -> RecordRow:
    """The record as it stands now: an issued correction replaces the original."""
    seen = {record.id}
    while record.status == lifecycle.SUPERSEDED:
        newer = session.scalar(
            select(RecordRow).where(RecordRow.revises_id == record.id).order_by(RecordRow.created_at.desc()).limit(1)
        )
        if newer is None or newer.id in seen:
            break
        seen.add(newer.id)
        record = newer
    return record


def statement_states(session: Session, holder: HolderRow, record_ids: set[str]) -> dict[str, StatementState]:
    """Where each statement sent from the log stands. An issued one's credential goes into the holder's place (held
    via e-mail: the statement came from this account), unless someone else holds it already."""
    states: dict[str, StatementState] = {}
    for record_id in sorted(record_ids):
        sent = session.get(RecordRow, record_id)
        if sent is None:
            continue
        record = _current(session, sent)
        credential: CredentialRow | None = None
        held = False
        if record.status in (lifecycle.ISSUED, lifecycle.SUPERSEDED):
            credential = latest_credential_of_record(session, record.id)
            if credential is not None:
                try:
                    hold(session, holder, credential.id, "email")
                    held = True
                except UserError:
                    held = False
        states[record_id] = StatementState(
            record_id=record_id,
            status=record.status,
            comment=record.review_comment if record.status == lifecycle.RETURNED else None,
            credential_id=credential.id if credential else None,
            held=held,
        )
    return states
