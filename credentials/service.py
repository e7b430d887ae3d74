"""The credentials service layer: records in, signed credentials out, status bits flipped. Runs inside the
caller's transaction; every function that writes is one unit of work with the caller's commit."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timezone
from functools import lru_cache
from typing import Callable
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, object_session, undefer

from catalogue import catalogue_version, load_catalogue
from catalogue.i18n import UserError
from catalogue.model import key_competence_uri, mission_type_uri
from credentials import vcdm
from credentials.dataintegrity import Ed25519Signature, format_created, sign
from credentials.document import (CatalogueCitation, CompetenceLine, IssuerProfile, KeyCompetenceLine, SubjectIdentity,
                                  build_credential, new_salt)
from credentials.jsonld import DocumentLoader, DocumentLoaderError, StrictExpansionError
from credentials.rdfc import CanonicalizationError
from credentials.records import (CompetenceClaim, RecordChanges, RecordInput, ValidRecord, VolunteerInput,
                                 merge_competences, validate_record)
from credentials.statuslist import (MIN_LIST_SIZE, PURPOSES, StatusEntry, empty_bits, get_bit, random_free_index,
                                    set_bit, signed_by_untrusted_key, status_list_credential)
from issuers import service as issuers
from issuers.audit_store import append_audit
from issuers.auth import Principal, hash_token
from issuers.db import utcnow
from issuers.service import IssuerContext
from issuers.store import OrganisationRow
from credentials.store import CredentialRow, RecordRow, StatusListRow, VolunteerRow

RIGA = ZoneInfo("Europe/Riga")


def today_in_latvia() -> date:
    return datetime.now(RIGA).date()


@lru_cache(maxsize=1)
def credential_loader() -> DocumentLoader:
    """The offline loader for signing: the bundled contexts, the project's own among them."""
    return DocumentLoader()


def credential_url(base_url: str, credential_id: str) -> str:
    return f"{base_url}/credentials/{credential_id}"


def verify_page_url(base_url: str, credential_id: str) -> str:
    return f"{base_url}/v/{credential_id}"


def status_list_url(base_url: str, slug: str, purpose: str, number: int) -> str:
    return f"{base_url}/status/{slug}/{purpose}/{number}"


# --- volunteers ---------------------------------------------------------------------------------------------------

def pseudonym_lookup(kek: bytes, organisation_id: str, pseudonym: str) -> str:
    """A keyed hash: recognises a returning pseudonymous volunteer without storing what they keep."""
    return hmac.new(kek, f"pseudonym\x00{organisation_id}\x00{pseudonym}".encode(), hashlib.sha256).hexdigest()


@dataclass
class VolunteerResult:
    row: VolunteerRow
    access_token: str | None  # only when the volunteer is new: their personal link is shown once


def find_volunteer(session: Session, ctx: IssuerContext, org: OrganisationRow, volunteer: VolunteerInput,
                   match_name: bool = False) -> VolunteerRow | None:
    """The organisation's known volunteer: by pseudonym, by e-mail, or (with `match_name`, for bulk uploads, where a
    row without e-mail must still find its earlier self) by the name of a named volunteer without e-mail."""
    if volunteer.pseudonymous:
        lookup = pseudonym_lookup(ctx.kek, org.id, volunteer.pseudonym)
        return session.scalar(select(VolunteerRow).where(VolunteerRow.organisation_id == org.id,
                                                         VolunteerRow.pseudonym_lookup == lookup))
    if volunteer.email:
        return session.scalar(select(VolunteerRow).where(VolunteerRow.organisation_id == org.id,
                                                         VolunteerRow.email == volunteer.email))
    if match_name:
        return session.scalar(select(VolunteerRow).where(
            VolunteerRow.organisation_id == org.id, VolunteerRow.kind == "named", VolunteerRow.email.is_(None),
            VolunteerRow.name == volunteer.name).order_by(VolunteerRow.created_at).limit(1))
    return None


def find_or_create_volunteer(session: Session, ctx: IssuerContext, org: OrganisationRow,
                             volunteer: VolunteerInput, rename: bool = True) -> VolunteerResult:
    """The organisation's volunteer with this e-mail or pseudonym, or a new one. `rename=False` (self-service
    drafts) leaves a known volunteer's name as the organisation has it."""
    row = find_volunteer(session, ctx, org, volunteer)
    if row is not None:
        if rename and not volunteer.pseudonymous:
            row.name = volunteer.name
        return VolunteerResult(row, None)
    return create_volunteer(session, ctx, org, volunteer)


def create_volunteer(session: Session, ctx: IssuerContext, org: OrganisationRow,
                     volunteer: VolunteerInput) -> VolunteerResult:
    """A volunteer new to the organisation, with their personal link (shown once: only its hash is stored)."""
    if volunteer.pseudonymous:
        row = VolunteerRow(organisation_id=org.id, kind="pseudonymous",
                           pseudonym_lookup=pseudonym_lookup(ctx.kek, org.id, volunteer.pseudonym))
    else:
        row = VolunteerRow(organisation_id=org.id, kind="named", name=volunteer.name, email=volunteer.email)
    token = secrets.token_urlsafe(24)
    row.access_token_hash = hash_token(token)
    session.add(row)
    session.flush()
    return VolunteerResult(row, token)


# --- records ------------------------------------------------------------------------------------------------------

def natural_key(organisation_id: str, volunteer_id: str, record: ValidRecord) -> str:
    parts = [organisation_id, volunteer_id, record.mission_type, record.start_date.isoformat(),
             record.end_date.isoformat()]
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()


@dataclass
class CreatedRecord:
    record: RecordRow
    volunteer: VolunteerResult


def create_record(session: Session, principal: Principal, ctx: IssuerContext, org: OrganisationRow,
                  data: RecordInput, source: str = "organiser") -> CreatedRecord:
    """An organiser's record: validated against the current catalogue and approved at once."""
    principal.require("records.write", org.id)
    created = new_record(session, ctx, org, data, status="approved", source=source,
                         created_by=principal.user_id or principal.token_id)
    approved_as_made(session, principal, created.record)
    return created


def approved_as_made(session: Session, principal: Principal, record: RecordRow) -> None:
    """The organiser's own record is approved as it is made: that is an approval for the audit log too."""
    record.approved_at, record.approved_by = record.created_at, principal.user_id or principal.token_id
    session.flush()
    append_audit(session, "record.approve", organisation_id=record.organisation_id, subject_id=record.id,
                 principal=principal, details={"created": True})


def new_record(session: Session, ctx: IssuerContext, org: OrganisationRow, data: RecordInput, *, status: str,
               source: str, created_by: str | None, rename_volunteer: bool = True) -> CreatedRecord:
    """Validates a new record (volunteer included) and stores it with its volunteer and subject salt."""
    catalogue = load_catalogue()
    valid = validate_record(data, catalogue, today_in_latvia())
    volunteer = find_or_create_volunteer(session, ctx, org, valid.volunteer, rename=rename_volunteer)
    return store_record(session, org, valid, catalogue.version, volunteer, status=status, source=source,
                        created_by=created_by)


def live_record(session: Session, organisation_id: str, key: str) -> RecordRow | None:
    """A record (not superseded) holding a natural key in an organisation: the original, or a correction of it."""
    return session.scalar(select(RecordRow).where(RecordRow.organisation_id == organisation_id,
                                                  RecordRow.natural_key == key, RecordRow.status != "superseded")
                          .order_by(RecordRow.created_at).limit(1))


def store_record(session: Session, org: OrganisationRow, valid: ValidRecord, catalogue_version: str,
                 volunteer: VolunteerResult, *, status: str, source: str, created_by: str | None) -> CreatedRecord:
    """Stores a validated record; a second record of the same volunteer, mission type and period in the organisation
    is a conflict (the unique natural key backs this check against concurrent writers)."""
    key = natural_key(org.id, volunteer.row.id, valid)
    # A volunteer new to the organisation (they got an access token just now) has no records to collide with.
    if volunteer.access_token is None and live_record(session, org.id, key) is not None:
        raise UserError("record.duplicate", kind="conflict")
    salt = new_salt()
    subject_hash = (SubjectIdentity.pseudonymous(valid.volunteer.pseudonym, salt).pseudonym_hash
                    if valid.volunteer.pseudonymous else None)
    row = RecordRow(
        organisation_id=org.id, volunteer_id=volunteer.row.id, mission_type=valid.mission_type,
        catalogue_version=catalogue_version, title=valid.title, municipality=valid.municipality,
        start_date=valid.start_date, end_date=valid.end_date, hours=valid.hours, role=valid.role,
        narrative=valid.narrative, competences=[claim_json(c) for c in valid.competences],
        evidence=list(valid.evidence), language=valid.language, subject_salt=salt, subject_hash=subject_hash,
        status=status, source=source, natural_key=key, created_by=created_by, created_at=utcnow(),
    )
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        # A concurrent writer made the same record first; the caller's transaction is rolled back.
        raise UserError("record.duplicate", kind="conflict") from None
    return CreatedRecord(row, volunteer)


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
    row = (session.get(RecordRow, record_id, with_for_update=True, populate_existing=True) if lock
           else session.get(RecordRow, record_id))
    return _visible_record(principal, row)


def _visible_record(principal: Principal, row: RecordRow | None) -> RecordRow:
    if row is None or not principal.acts_for(row.organisation_id):
        raise UserError("record.not_found", kind="not_found")
    return row


def stored_claims(row: RecordRow) -> list[CompetenceClaim]:
    return [CompetenceClaim(item["uri"], item.get("attested_by", "organiser"), item.get("note"))
            for item in row.competences]


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
    valid = validate_record(RecordInput(
        volunteer=None, mission_type=row.mission_type, title=given.get("title", row.title),
        municipality=given.get("municipality", row.municipality), start_date=given.get("start_date", row.start_date),
        end_date=given.get("end_date", row.end_date), hours=given.get("hours", row.hours),
        role=given.get("role", row.role), competences=competences, narrative=given.get("narrative", row.narrative),
        evidence=given.get("evidence", row.evidence), language=row.language), catalogue, today_in_latvia())
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
APPROVABLE = {"organiser": ("draft", "submitted"), "batch": ("draft", "submitted"), "volunteer": ("submitted",)}


def approve_record(session: Session, principal: Principal, record_id: str,
                   changes: RecordChanges | None = None) -> RecordRow:
    """Approves a record, optionally with the organiser's edits first; only an approved record can be issued."""
    row = get_record(session, principal, record_id, lock=True)
    principal.require("records.write", row.organisation_id)
    edited = bool(changes and changes.given())
    if row.status in ("approved", "issued") and not edited:
        return row
    # Edits to an approved, not yet issued record are a fresh approval of the edited record.
    if row.status not in APPROVABLE.get(row.source, ("draft", "submitted")) + (("approved",) if edited else ()):
        raise UserError("record.cannot_approve", kind="conflict", status=row.status)
    apply_changes(row, changes)
    row.status, row.approved_at = "approved", utcnow()
    row.approved_by = principal.user_id or principal.token_id
    append_audit(session, "record.approve", organisation_id=row.organisation_id, subject_id=row.id,
                 principal=principal, details={"edited": edited})
    return row


def return_record(session: Session, principal: Principal, record_id: str, comment: str) -> RecordRow:
    """Sends a submitted statement back to the volunteer with the organiser's comment."""
    row = get_record(session, principal, record_id, lock=True)
    principal.require("records.write", row.organisation_id)
    comment = (comment or "").strip()
    if not comment:
        raise UserError("record.comment_required", errors=[{"field": "comment"}])
    if len(comment) > 4000:
        raise UserError("record.comment_too_long", errors=[{"field": "comment"}])
    if row.status != "submitted":
        raise UserError("record.cannot_return", kind="conflict", status=row.status)
    row.status, row.review_comment = "returned", comment
    append_audit(session, "record.return", organisation_id=row.organisation_id, subject_id=row.id,
                 principal=principal)
    return row


def revise_record(session: Session, principal: Principal, record_id: str, changes: RecordChanges | None) -> RecordRow:
    """A corrected copy of an issued record, approved by the organiser who makes it; issuing it supersedes the
    old credential."""
    old = get_record(session, principal, record_id, lock=True)  # concurrent corrections: one, the rest see it
    principal.require("records.write", old.organisation_id)
    if old.status != "issued":
        raise UserError("record.cannot_revise", kind="conflict", status=old.status)
    pending = session.scalar(select(RecordRow.id).where(RecordRow.revises_id == old.id,
                                                        RecordRow.status != "issued").limit(1))
    if pending is not None:
        # One correction at a time: two issued corrections of one record would both stand.
        raise UserError("record.revision_pending", kind="conflict", record_id=pending)
    now = utcnow()
    row = RecordRow(
        organisation_id=old.organisation_id, volunteer_id=old.volunteer_id, mission_type=old.mission_type,
        catalogue_version=old.catalogue_version, title=old.title, municipality=old.municipality,
        start_date=old.start_date, end_date=old.end_date, hours=old.hours, role=old.role, narrative=old.narrative,
        competences=list(old.competences), evidence=list(old.evidence), language=old.language,
        subject_salt=old.subject_salt, subject_hash=old.subject_hash, status="approved", source=old.source,
        natural_key=old.natural_key, created_by=principal.user_id or principal.token_id, approved_at=now,
        approved_by=principal.user_id or principal.token_id, revises_id=old.id)
    apply_changes(row, changes)
    session.add(row)
    session.flush()
    append_audit(session, "record.revise", organisation_id=row.organisation_id, subject_id=row.id,
                 principal=principal, details={"revises": old.id})
    return row


# --- status lists -------------------------------------------------------------------------------------------------

def allocate_status_index(session: Session, org: OrganisationRow, purpose: str) -> tuple[StatusListRow, int]:
    """A random, never reused index in the organisation's current list for `purpose`; a new list when it fills."""
    return allocate_status_indices(session, org, purpose, 1)[0]


def allocate_status_indices(session: Session, org: OrganisationRow, purpose: str,
                            count: int, current: StatusListRow | None = None) -> list[tuple[StatusListRow, int]]:
    """`count` random, never reused indices in the organisation's current lists for `purpose` (new lists as they
    fill). Each list touched is read and written once however many indices it gives out (16 KiB of allocation bits:
    on PostgreSQL a rewrite per index was most of the cost of bulk issuance).

    The list row is locked (SELECT ... FOR UPDATE on PostgreSQL; SQLite serialises writers) so concurrent issuance
    never hands out the same index twice. `current`: the purpose's current list, already read so and locked by the
    caller (see `_current_status_lists`). The rows changed are left to the caller's next flush.
    """
    taken: list[tuple[StatusListRow, int]] = []
    failures = 0
    while len(taken) < count:
        if failures >= 5:
            raise UserError("status.allocation_failed", kind="conflict")
        if current is None:
            current = session.scalar(
                select(StatusListRow)
                .where(StatusListRow.organisation_id == org.id, StatusListRow.purpose == purpose,
                       StatusListRow.is_full.is_(False))
                .order_by(StatusListRow.number).limit(1).options(undefer(StatusListRow.allocated)).with_for_update())
        if current is None:
            current = _new_status_list(session, org, purpose)
            if current is None:
                failures += 1
                continue  # another transaction created it first: read it again
        allocated = bytearray(current.allocated)
        given = 0
        while len(taken) < count:
            index = random_free_index(allocated)
            if index is None:
                break
            set_bit(allocated, index, True)
            taken.append((current, index))
            given += 1
        if given:
            current.allocated = bytes(allocated)
            current.allocated_count += given
        current.is_full = current.allocated_count >= current.size or len(taken) < count
        if not given:
            failures += 1
        if len(taken) < count:
            session.flush()  # the next list is read without this one
        current = None
    return taken


# Built once: each issuance runs it, and building a statement costs about what executing this one does on SQLite.
_CURRENT_STATUS_LISTS = (
    select(StatusListRow)
    .where(StatusListRow.organisation_id == bindparam("organisation_id"), StatusListRow.purpose.in_(PURPOSES),
           StatusListRow.is_full.is_(False))
    .order_by(StatusListRow.purpose, StatusListRow.number).options(undefer(StatusListRow.allocated))
    .with_for_update())


def _current_status_lists(session: Session, org: OrganisationRow) -> dict[str, StatusListRow]:
    """Each purpose's current list (its lowest-numbered list not full), read and locked in one statement."""
    rows = session.scalars(_CURRENT_STATUS_LISTS, {"organisation_id": org.id})
    current: dict[str, StatusListRow] = {}
    for row in rows:
        current.setdefault(row.purpose, row)
    return current


def _new_status_list(session: Session, org: OrganisationRow, purpose: str) -> StatusListRow | None:
    number = 1 + (session.scalar(select(func.max(StatusListRow.number)).where(
        StatusListRow.organisation_id == org.id, StatusListRow.purpose == purpose)) or 0)
    row = StatusListRow(organisation_id=org.id, purpose=purpose, number=number, size=MIN_LIST_SIZE,
                        bits=bytes(empty_bits()), allocated=bytes(empty_bits()), allocated_count=0, is_full=False,
                        version=1, signed_version=0)
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return None
    return session.scalar(select(StatusListRow).where(StatusListRow.id == row.id).with_for_update())


def _set_status_bit(session: Session, list_id: str, index: int, value: bool) -> None:
    row = session.scalar(select(StatusListRow).where(StatusListRow.id == list_id)
                         .options(undefer(StatusListRow.bits)).with_for_update())
    bits = bytearray(row.bits)
    if get_bit(bits, index) == value:
        return
    set_bit(bits, index, value)
    row.bits, row.version, row.updated_at = bytes(bits), row.version + 1, utcnow()
    session.flush()


def signed_status_list(session: Session, ctx: IssuerContext, slug: str, purpose: str, number: int) -> StatusListRow:
    """The status list with an up-to-date signed credential (re-signed only when a bit changed since)."""
    if purpose not in PURPOSES:
        raise UserError("status.list_not_found", kind="not_found")
    org = issuers.get_organisation(session, slug)
    row = session.scalar(select(StatusListRow).where(StatusListRow.organisation_id == org.id,
                                                     StatusListRow.purpose == purpose,
                                                     StatusListRow.number == number))
    if row is None:
        raise UserError("status.list_not_found", kind="not_found")
    if row.signed_version < row.version or row.signed_credential is None or signed_by_untrusted_key(
            json.loads(row.signed_credential), _key_status(session, ctx)):
        identity = issuers.signing_identity(session, ctx, org, maintenance=True)
        url = status_list_url(ctx.base_url, slug, purpose, number)
        now = format_created(datetime.now(timezone.utc))
        document = status_list_credential(url, identity.issuer_did, purpose, row.bits, now)
        signed = sign(document, suite=Ed25519Signature(identity.private_key),
                      verification_method=identity.verification_method, created=now, loader=credential_loader())
        row.signed_credential = json.dumps(signed, ensure_ascii=False, separators=(",", ":"))
        row.signed_version = row.version
        session.flush()
    return row


def _key_status(session: Session, ctx: IssuerContext) -> Callable[[str], str | None]:
    def status(method_id: str) -> str | None:
        found = issuers.find_key_by_verification_method(session, ctx.base_url, method_id)
        return found.key.status if found is not None else None

    return status


# --- issuance -----------------------------------------------------------------------------------------------------

@dataclass
class StatusAllocation:
    """A new credential's place in its organisation's revocation and suspension lists."""

    lists: dict[str, tuple[StatusListRow, int]]
    entries: list[dict]


def allocate_status_entries(session: Session, ctx: IssuerContext, org: OrganisationRow,
                            count: int = 1) -> list[StatusAllocation]:
    """Places for `count` new credentials in the organisation's revocation and suspension lists."""
    current = _current_status_lists(session, org)
    by_purpose = {purpose: allocate_status_indices(session, org, purpose, count, current.get(purpose))
                  for purpose in PURPOSES}
    allocations = []
    for i in range(count):
        lists, entries = {}, []
        for purpose in PURPOSES:
            status_list, index = by_purpose[purpose][i]
            lists[purpose] = (status_list, index)
            entries.append(StatusEntry(purpose, index, status_list_url(ctx.base_url, org.slug, purpose,
                                                                       status_list.number)).as_json())
        allocations.append(StatusAllocation(lists, entries))
    return allocations


def store_credential(session: Session, credential_id: str, org: OrganisationRow, identity, signed: dict,
                     allocation: StatusAllocation, **fields) -> CredentialRow:
    """Keeps the signed JSON exactly as issued, with where its status bits live."""
    (revocation_list, revocation_index), (suspension_list, suspension_index) = (
        allocation.lists["revocation"], allocation.lists["suspension"])
    row = CredentialRow(id=credential_id, organisation_id=org.id,
                        document=json.dumps(signed, ensure_ascii=False, separators=(",", ":")),
                        signing_key_id=identity.key_row_id, revocation_list_id=revocation_list.id,
                        revocation_index=revocation_index, suspension_list_id=suspension_list.id,
                        suspension_index=suspension_index, **fields)
    session.add(row)
    return row


@dataclass
class Issued:
    credential: CredentialRow
    document: dict


def issue_record(session: Session, principal: Principal, ctx: IssuerContext, record_id: str) -> Issued:
    """Signs the approved record's credential and allocates its two status entries."""
    return issue_records(session, principal, ctx, [record_id])[0]


def issue_records(session: Session, principal: Principal, ctx: IssuerContext, record_ids: list[str]) -> list[Issued]:
    """Signs the credentials of approved records of one organisation, in the caller's transaction (all or
    nothing); their status entries are allocated together, each list read and written once."""
    if len(set(record_ids)) != len(record_ids):
        raise ValueError("issue_records was given the same record twice")
    # Locked and read fresh, in one order: concurrent issuers of a record take turns and all but the first find it
    # issued (see get_record).
    locked = {row.id: row for row in session.scalars(
        select(RecordRow).where(RecordRow.id.in_(record_ids)).order_by(RecordRow.id).with_for_update()
        .execution_options(populate_existing=True))}
    records = [_visible_record(principal, locked.get(record_id)) for record_id in record_ids]
    if not records:
        return []
    organisation_ids = {record.organisation_id for record in records}
    if len(organisation_ids) != 1:
        raise ValueError("issue_records issues for one organisation at a time")
    for record in records:
        principal.require("credentials.issue", record.organisation_id)
        if record.status == "issued":
            raise UserError("record.already_issued", kind="conflict")
        if record.status != "approved":
            raise UserError("record.not_approved", kind="conflict", status=record.status)
    org = session.get(OrganisationRow, records[0].organisation_id)
    identity = issuers.signing_identity(session, ctx, org)
    allocations = allocate_status_entries(session, ctx, org, len(records))
    issued = [_issue(session, principal, ctx, org, identity, record, allocation)
              for record, allocation in zip(records, allocations)]
    session.flush()  # once for all: the credentials go in as one multi-row INSERT (a round trip each on PostgreSQL)
    return issued


def _issue(session: Session, principal: Principal, ctx: IssuerContext, org: OrganisationRow, identity,
           record: RecordRow, allocation: StatusAllocation) -> Issued:
    volunteer = session.get(VolunteerRow, record.volunteer_id)
    catalogue = load_catalogue()
    if record.catalogue_version != catalogue.version:
        catalogue = catalogue_version(record.catalogue_version)

    credential_id = new_credential_id()
    url = credential_url(ctx.base_url, credential_id)
    mission = catalogue.mission_type(record.mission_type)
    lang = record.language
    lines, key_lines = [], {}
    for item in record.competences:
        competence = catalogue.competence(item["uri"])
        lines.append(CompetenceLine(CompetenceClaim(item["uri"], item.get("attested_by", "organiser"), item.get("note")),
                                    competence.label.lv, competence.label.en, tuple(competence.key_competences)))
        for code in competence.key_competences:
            key_lines.setdefault(code, KeyCompetenceLine(code, catalogue.key_competence(code).name.in_language(lang)))
    if volunteer.kind == "pseudonymous":
        subject = SubjectIdentity(salt=record.subject_salt, pseudonym_hash=record.subject_hash)
    else:
        subject = SubjectIdentity(salt=record.subject_salt, name=volunteer.name, email=volunteer.email)
    valid = ValidRecord(
        volunteer=VolunteerInput(name=volunteer.name, email=volunteer.email),
        mission_type=record.mission_type, title=record.title, municipality=record.municipality,
        start_date=record.start_date, end_date=record.end_date, hours=record.hours, role=record.role,
        competences=tuple(line.claim for line in lines), narrative=record.narrative, evidence=tuple(record.evidence),
        language=lang)
    now = format_created(datetime.now(timezone.utc))
    document = build_credential(
        credential_url=url,
        issuer=IssuerProfile(id=identity.issuer_did, name=org.legal_name,
                             registration_number=org.registration_number, url=org.website),
        record=valid, mission_name=mission.name.in_language(lang),
        mission_description=mission.description.in_language(lang),
        mission_tasks=[task.in_language(lang) for task in mission.tasks], competences=lines,
        key_competences=list(key_lines.values()), catalogue=CatalogueCitation(
            version=catalogue.version, hash=catalogue.hash, title=catalogue.title.in_language(lang),
            mission_type_url=mission_type_uri(ctx.base_url, mission.code),
            key_competence_urls={code: key_competence_uri(ctx.base_url, code) for code in key_lines}),
        status_entries=allocation.entries, valid_from=now,
        subject_identity=subject)
    signed = sign_document(document, identity, now)
    row = store_credential(session, credential_id, org, identity, signed, allocation, record_id=record.id,
                           volunteer_id=volunteer.id, language=lang)
    record.status = "issued"
    append_audit(session, "credential.issue", organisation_id=org.id, subject_id=credential_id, principal=principal,
                 details={"record": record.id, "key": identity.key_row_id})
    if record.revises_id:
        _supersede(session, principal, record.revises_id, credential_id)
    return Issued(row, signed)


SUPERSEDED = "superseded"


def _supersede(session: Session, principal: Principal, old_record_id: str, new_credential_id: str) -> None:
    """The corrected record's credential replaces the old record's: revoked with reason "superseded", linked."""
    old_record = session.get(RecordRow, old_record_id)
    old_record.status = "superseded"
    for old in session.scalars(select(CredentialRow).where(CredentialRow.record_id == old_record_id)):
        if old.status != "revoked":
            _apply_status(session, principal, old, "revoke", SUPERSEDED,
                          extra={"superseded_by": new_credential_id})
            old.superseded_by = new_credential_id


def new_credential_id() -> str:
    # 128 random bits: the id is also the capability to read the credential and its public page.
    return secrets.token_hex(16)


def get_credential(session: Session, credential_id: str) -> CredentialRow:
    row = session.get(CredentialRow, credential_id)
    if row is None:
        raise UserError("credential.not_found", kind="not_found")
    return row


STATUS_ACTIONS = {
    "revoke": ("revocation", True, "revoked"),
    "suspend": ("suspension", True, "suspended"),
    "unsuspend": ("suspension", False, "active"),
}


def change_credential_status(session: Session, principal: Principal, credential_id: str, action: str,
                             reason: str | None) -> CredentialRow:
    """Revoke (final), suspend or unsuspend: one bit in one list; the next fetch of that list shows it."""
    row = session.get(CredentialRow, credential_id)
    if row is None or not principal.acts_for(row.organisation_id):
        raise UserError("credential.not_found", kind="not_found")
    principal.require("credentials.status", row.organisation_id)
    reason = (reason or "").strip()
    if action in ("revoke", "suspend") and not reason:
        raise UserError("credential.reason_required", errors=[{"field": "reason"}])
    if row.status == "revoked":
        raise UserError("credential.already_revoked", kind="conflict")
    if action == "unsuspend" and row.status != "suspended":
        raise UserError("credential.not_suspended", kind="conflict")
    return _apply_status(session, principal, row, action, reason or None)


def _apply_status(session: Session, principal: Principal, row: CredentialRow, action: str, reason: str | None,
                  extra: dict | None = None) -> CredentialRow:
    purpose, value, new_status = STATUS_ACTIONS[action]
    if purpose == "revocation":
        _set_status_bit(session, row.revocation_list_id, row.revocation_index, True)
        # A revoked credential is not also left suspended: revocation is the final word.
        _set_status_bit(session, row.suspension_list_id, row.suspension_index, False)
    else:
        _set_status_bit(session, row.suspension_list_id, row.suspension_index, value)
    row.status, row.status_reason, row.status_changed_at = new_status, reason, utcnow()
    # The reason is the organiser's free text and could name a person: the audit entry records only that one was
    # given (and the fixed "superseded" reason, which is a code).
    details = {"reason": SUPERSEDED if reason == SUPERSEDED else ("given" if reason else None), **(extra or {})}
    append_audit(session, f"credential.{action}", organisation_id=row.organisation_id, subject_id=row.id,
                 principal=principal, details=details)
    return row


@dataclass(frozen=True)
class CredentialStatusSummary:
    """What anyone may learn about a credential's status (the public verification page shows this)."""

    credential_id: str
    status: str  # active, suspended or revoked
    reason: str | None
    changed_at: datetime | None
    superseded_by: str | None

    def as_json(self, base_url: str) -> dict:
        return {
            "credential_id": self.credential_id, "status": self.status, "reason": self.reason,
            "changed_at": self.changed_at.isoformat() if self.changed_at else None,
            "superseded_by": self.superseded_by,
            "superseded_by_url": credential_url(base_url, self.superseded_by) if self.superseded_by else None,
        }


def credential_status_summary(session: Session, credential_id: str) -> CredentialStatusSummary:
    row = get_credential(session, credential_id)
    return CredentialStatusSummary(row.id, row.status, row.status_reason, row.status_changed_at, row.superseded_by)


# --- VC-API: organisations' own credential bodies ------------------------------------------------------------------

def issue_document(session: Session, principal: Principal, ctx: IssuerContext, org: OrganisationRow,
                   credential: dict) -> Issued:
    """Signs a VC 2.0 credential an organisation sends (VC-API `/credentials/issue`): its issuer must be the
    organisation's own DID; the service adds an id, validFrom and the two status entries when absent.

    Nothing VC Data Model 2.0 forbids is signed (credentials/vcdm.py), nor anything strict JSON-LD expansion
    refuses. Ids: without one the credential gets `{base_url}/credentials/{id}`, the URL it is stored under; a
    client's own id must be a URL outside the service's URL space (`urn:uuid:…`, its own https URL), so that no
    credential can claim another's place here (the verification pages link exports by that URL)."""
    principal.require("credentials.issue", org.id)
    issuer = _issuer_of(credential)
    identity = issuers.signing_identity(session, ctx, org)
    # Only a URL other than the organisation's own signing DID (the usual issuer) is looked up: no NUL or other
    # control character reaches the database (the rest is refused below), and the usual request makes no lookup.
    if issuer != identity.issuer_did and vcdm.is_url(issuer):
        claimed = issuers.registry_lookup(session, ctx.base_url, issuer)
        if claimed is not None and claimed["slug"] != org.slug:
            raise UserError("auth.forbidden", kind="forbidden")  # another organisation's DID: never sign for it
    credential_id = new_credential_id()
    document = dict(credential)
    document.setdefault("id", credential_url(ctx.base_url, credential_id))
    now = format_created(datetime.now(timezone.utc))
    document.setdefault("validFrom", now)
    errors = _check_issue_body(credential, document, identity.issuer_did, ctx.base_url)
    if errors:
        raise UserError("credential.issue_invalid", errors=errors)
    # The status entries go in before the one strict expansion, done by signing itself: a document refused there
    # rolls the request's transaction back, allocation included, so nothing is expanded twice.
    allocation = allocate_status_entries(session, ctx, org)[0]
    document["credentialStatus"] = allocation.entries
    signed = _sign_client_document(document, identity, now)
    row = store_credential(session, credential_id, org, identity, signed, allocation, origin="vc-api")
    append_audit(session, "credential.issue", organisation_id=org.id, subject_id=credential_id, principal=principal,
                 details={"origin": "vc-api", "key": identity.key_row_id})
    session.flush()
    return Issued(row, signed)


def sign_document(document: dict, identity, created: str) -> dict:
    """Signs with eddsa-rdfc-2022; a context we do not bundle or a term no context defines is the sender's error."""
    try:
        return sign(document, suite=Ed25519Signature(identity.private_key),
                    verification_method=identity.verification_method, created=created, loader=credential_loader())
    except StrictExpansionError as error:
        raise UserError("credential.undefined_term", detail=str(error)) from None
    except DocumentLoaderError as error:
        raise UserError("credential.unknown_context", detail=str(error)) from None
    except CanonicalizationError:
        raise UserError("credential.too_complex") from None  # a "poison" graph of alike blank nodes


def _issuer_of(credential: dict) -> str | None:
    issuer = credential.get("issuer")
    value = issuer.get("id") if isinstance(issuer, dict) else issuer
    return value if isinstance(value, str) else None


def _check_issue_body(credential: dict, document: dict, issuer_did: str, base_url: str) -> list[dict]:
    """The service's own conditions on what the client sent, then the VC DM 2.0 rules over the document as it
    will be signed (with the id and validFrom the service adds)."""
    from catalogue.i18n import messages

    def error(field: str, key: str, **params) -> dict:
        return {"field": field, "message": messages().text(key, **params)}

    errors = []
    if "proof" in credential:
        errors.append(error("proof", "credential.already_signed"))
    if "credentialStatus" in credential:
        errors.append(error("credentialStatus", "credential.status_added_by_service"))
    if isinstance(credential.get("id"), str) and vcdm.in_url_space(credential["id"], base_url):
        errors.append(error("id", "credential.id_in_service_space", base_url=base_url))
    unsigned = {key: value for key, value in document.items() if key not in ("proof", "credentialStatus")}
    violations = vcdm.credential_violations(unsigned)
    errors.extend(error(v.field, v.key, **v.params) for v in violations)
    if not any(v.field.startswith("issuer") for v in violations) and _issuer_of(credential) != issuer_did:
        errors.append(error("issuer", "credential.issuer_not_yours", did=issuer_did))
    return errors


# JSON-LD 1.1 API error codes -> the field a client should look at
_JSON_LD_ERROR_FIELDS = {"invalid @id value": "id", "invalid type value": "type", "invalid typed value": "type",
                         "colliding keywords": "id", **{code: "@context" for code in (
                             "invalid local context", "invalid remote context", "invalid context entry",
                             "invalid context nullification", "protected term redefinition", "keyword redefinition",
                             "invalid term definition", "invalid IRI mapping", "invalid vocab mapping",
                             "invalid base IRI", "invalid default language", "invalid version value",
                             "invalid container mapping", "invalid type mapping", "invalid reverse property",
                             "invalid scoped context", "cyclic IRI mapping", "invalid keyword alias",
                             "invalid language mapping", "invalid @propagate value", "invalid @protected value",
                             "invalid @import value", "invalid base direction", "processing mode conflict",
                             "loading remote context failed", "invalid @nest value", "invalid @prefix value")}}


def _sign_client_document(document: dict, identity, created: str) -> dict:
    """`sign_document` for a document a client sent: what the JSON-LD processor refuses while signing expands it
    (malformed or unknown contexts, protected terms redefined, ids that are not IRIs) is the client's error."""
    from pyld.jsonld import JsonLdError

    from catalogue.i18n import messages

    try:
        return sign_document(document, identity, created)
    except JsonLdError as error:
        while isinstance(error.__cause__, JsonLdError):  # the innermost error names the problem
            error = error.__cause__
        code = error.code or error.type
        detail = error.args[0] if error.args else code
        field = _JSON_LD_ERROR_FIELDS.get(code)
        errors = [{"field": field, "code": code, "message": messages().text("credential.jsonld_invalid", code=code,
                                                                            detail=detail)}] if field else []
        raise UserError("credential.jsonld_invalid", errors=errors, code=code, detail=detail) from None
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, RecursionError):
        # PyLD fails with these on some malformed input (e.g. {"@vocab": null} in a context): the input's fault
        raise UserError("credential.jsonld_unreadable") from None
