"""Use cases of credentials: issuing approved records (signing, status entries, the audit log), reading a credential,
changing its status (revoke, suspend, reinstate) and summarising it for the pages."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, defer

from base.db import utcnow
from base.errors import UserError
from catalogue import catalogue_version, load_catalogue
from catalogue.model import key_competence_uri, mission_type_uri
from credentials import notices, store
from credentials.common import credential_loader, credential_url, status_list_url
from credentials.document import (
    CatalogueCitation,
    CompetenceLine,
    IssuerProfile,
    KeyCompetenceLine,
    SubjectIdentity,
    build_credential,
)
from credentials.issued import IssuedCredential, as_issued
from credentials.levels import service as levels
from credentials.proofs.dataintegrity import Ed25519Signature, format_created, sign
from credentials.proofs.jsonld import DocumentLoaderError, StrictExpansionError
from credentials.proofs.rdfc import CanonicalizationError
from credentials.proofs.statuslist import (
    PURPOSES,
    StatusEntry,
)
from credentials.records.records import (
    CompetenceClaim,
    ValidRecord,
    VolunteerInput,
)
from credentials.records.service import _visible_record, pseudonym_lookup
from credentials.status_lists import (
    StatusListPlaces,
    _set_status_bit,
    allocate_status_indices,
    current_status_lists,
    save_allocations,
)
from credentials.store import CredentialRow, RecordRow, VolunteerRow
from issuers import service as issuers
from issuers.auth import Principal, hash_token
from issuers.service import IssuerContext
from issuers.store import OrganisationRow, append_audit


@dataclass
class StatusAllocation:
    """A new credential's place in its organisation's revocation and suspension lists."""

    lists: dict[str, tuple[StatusListPlaces, int]]
    entries: list[dict]


def allocate_status_entries(
    session: Session, ctx: IssuerContext, org: OrganisationRow, count: int = 1
) -> list[StatusAllocation]:
    """Places for `count` new credentials in the organisation's revocation and suspension lists."""
    current, unsaved = current_status_lists(session, org), []
    by_purpose = {
        purpose: allocate_status_indices(session, org, purpose, count, current.get(purpose), unsaved)
        for purpose in PURPOSES
    }
    save_allocations(session, unsaved)  # both lists in one statement
    allocations = []
    for i in range(count):
        lists, entries = {}, []
        for purpose in PURPOSES:
            status_list, index = by_purpose[purpose][i]
            lists[purpose] = (status_list, index)
            entries.append(
                StatusEntry(
                    purpose, index, status_list_url(ctx.base_url, org.slug, purpose, status_list.number)
                ).as_json()
            )
        allocations.append(StatusAllocation(lists, entries))
    return allocations


def credential_to_store(
    credential_id: str,
    org: OrganisationRow,
    identity,
    signed: dict,
    allocation: StatusAllocation,
    **fields,
) -> tuple[StoredCredential, dict]:
    """The signed JSON exactly as issued, with where its status bits live: the credential and its row's values (to
    `store.insert_credentials`, all of a transaction's at once)."""
    (revocation_list, revocation_index), (suspension_list, suspension_index) = (
        allocation.lists["revocation"],
        allocation.lists["suspension"],
    )
    stored = StoredCredential(
        credential_id, fields.get("record_id"), json.dumps(signed, ensure_ascii=False, separators=(",", ":"))
    )
    values = {
        "id": credential_id,
        "organisation_id": org.id,
        "document": stored.document,
        "signing_key_id": identity.key_row_id,
        "revocation_list_id": revocation_list.id,
        "revocation_index": revocation_index,
        "suspension_list_id": suspension_list.id,
        "suspension_index": suspension_index,
        **fields,
    }
    return stored, values


@dataclass(frozen=True)
class StoredCredential:
    """A credential as issued and stored (read it with `get_credential` for the rest of its row)."""

    id: str
    record_id: str | None
    document: str  # the signed JSON text, served byte for byte


@dataclass
class Issued:
    credential: StoredCredential
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
    locked = {
        row.id: row
        for row in session.scalars(
            select(RecordRow)
            .where(RecordRow.id.in_(record_ids))
            .order_by(RecordRow.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    }
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
    issued, rows = [], []
    for record, allocation in zip(records, allocations):
        item, row = _issue(session, principal, ctx, org, identity, record, allocation)
        issued.append(item)
        rows.append(row)
    store.insert_credentials(session, rows)  # once for all: one multi-row INSERT (a round trip each on PostgreSQL)
    if any(record.revises_id for record in records):
        # Corrections: the levels that counted a superseded credential count it through its correction from now on.
        new_ids = [item.credential.id for item in issued]
        superseded = session.scalars(select(CredentialRow.id).where(CredentialRow.superseded_by.in_(new_ids)))
        levels.credentials_changed(session, principal, list(superseded))
    return issued


def _issue(
    session: Session,
    principal: Principal,
    ctx: IssuerContext,
    org: OrganisationRow,
    identity,
    record: RecordRow,
    allocation: StatusAllocation,
) -> tuple[Issued, dict]:
    """Signs one record's credential; returns it and its row, for the caller to store."""
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
        lines.append(
            CompetenceLine(
                CompetenceClaim(item["uri"], item.get("attested_by", "organiser"), item.get("note")),
                competence.label.lv,
                competence.label.en,
                tuple(competence.key_competences),
            )
        )
        for code in competence.key_competences:
            key_lines.setdefault(code, KeyCompetenceLine(code, catalogue.key_competence(code).name.in_language(lang)))
    if volunteer.kind == "pseudonymous":
        subject = SubjectIdentity(salt=record.subject_salt, pseudonym_hash=record.subject_hash)
    else:
        subject = SubjectIdentity(salt=record.subject_salt, name=volunteer.name, email=volunteer.email)
    valid = ValidRecord(
        volunteer=VolunteerInput(name=volunteer.name, email=volunteer.email),
        mission_type=record.mission_type,
        title=record.title,
        municipality=record.municipality,
        start_date=record.start_date,
        end_date=record.end_date,
        hours=record.hours,
        role=record.role,
        competences=tuple(line.claim for line in lines),
        narrative=record.narrative,
        evidence=tuple(record.evidence),
        language=lang,
    )
    now = format_created(datetime.now(UTC))
    document = build_credential(
        credential_url=url,
        issuer=IssuerProfile(
            id=identity.issuer_did, name=org.legal_name, registration_number=org.registration_number, url=org.website
        ),
        record=valid,
        mission_name=mission.name.in_language(lang),
        mission_description=mission.description.in_language(lang),
        mission_tasks=[task.in_language(lang) for task in mission.tasks],
        competences=lines,
        key_competences=list(key_lines.values()),
        catalogue=CatalogueCitation(
            version=catalogue.version,
            hash=catalogue.hash,
            title=catalogue.title.in_language(lang),
            mission_type_url=mission_type_uri(ctx.base_url, mission.code),
            key_competence_urls={code: key_competence_uri(ctx.base_url, code) for code in key_lines},
        ),
        status_entries=allocation.entries,
        valid_from=now,
        subject_identity=subject,
    )
    signed = sign_document(document, identity, now)
    stored, row = credential_to_store(
        credential_id,
        org,
        identity,
        signed,
        allocation,
        record_id=record.id,
        volunteer_id=volunteer.id,
        language=lang,
    )
    record.status = "issued"
    append_audit(
        session,
        "credential.issue",
        organisation_id=org.id,
        subject_id=credential_id,
        principal=principal,
        details={"record": record.id, "key": identity.key_row_id},
    )
    if record.revises_id:
        _supersede(session, principal, record.revises_id, credential_id)
    notices.credential_issued(session, ctx.base_url, org, record, volunteer, credential_id)
    return Issued(stored, signed), row


SUPERSEDED = "superseded"


def _supersede(session: Session, principal: Principal, old_record_id: str, new_credential_id: str) -> None:
    """The corrected record's credential replaces the old record's: revoked with reason "superseded", linked."""
    old_record = session.get(RecordRow, old_record_id)
    old_record.status = "superseded"
    for old in session.scalars(select(CredentialRow).where(CredentialRow.record_id == old_record_id)):
        if old.status != "revoked":
            _apply_status(session, principal, old, "revoke", SUPERSEDED, extra={"superseded_by": new_credential_id})
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


def change_credential_status(
    session: Session, principal: Principal, credential_id: str, action: str, reason: str | None
) -> CredentialRow:
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
    changed = _apply_status(session, principal, row, action, reason or None)
    levels.credentials_changed(session, principal, [changed.id])  # a level it counted may fall under its threshold
    return changed


def _apply_status(
    session: Session,
    principal: Principal,
    row: CredentialRow,
    action: str,
    reason: str | None,
    extra: dict | None = None,
) -> CredentialRow:
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
    append_audit(
        session,
        f"credential.{action}",
        organisation_id=row.organisation_id,
        subject_id=row.id,
        principal=principal,
        details=details,
    )
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
            "credential_id": self.credential_id,
            "status": self.status,
            "reason": self.reason,
            "changed_at": self.changed_at.isoformat() if self.changed_at else None,
            "superseded_by": self.superseded_by,
            "superseded_by_url": credential_url(base_url, self.superseded_by) if self.superseded_by else None,
        }


def credential_status_summary(session: Session, credential_id: str) -> CredentialStatusSummary:
    row = get_credential(session, credential_id)
    return CredentialStatusSummary(row.id, row.status, row.status_reason, row.status_changed_at, row.superseded_by)


def sign_document(document: dict, identity, created: str) -> dict:
    """Signs with eddsa-rdfc-2022; a context we do not bundle or a term no context defines is the sender's error."""
    try:
        return sign(
            document,
            suite=Ed25519Signature(identity.private_key),
            verification_method=identity.verification_method,
            created=created,
            loader=credential_loader(),
        )
    except StrictExpansionError as error:
        raise UserError("credential.undefined_term", detail=str(error)) from None
    except DocumentLoaderError as error:
        raise UserError("credential.unknown_context", detail=str(error)) from None
    except CanonicalizationError:
        raise UserError("credential.too_complex") from None  # a "poison" graph of alike blank nodes


# --- the workspace's list of credentials ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CredentialFilters:
    """What the organiser looks for: a volunteer (part of a name, or the whole pseudonym they keep), a mission (its
    type's code or part of its title), work in a period (overlapping it), a status."""

    volunteer: str = ""
    mission: str = ""
    start: date | None = None
    end: date | None = None
    status: str = ""


@dataclass
class CredentialLine:
    credential: CredentialRow
    record: RecordRow | None
    volunteer: VolunteerRow | None


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_credentials(
    session: Session,
    principal: Principal,
    ctx: IssuerContext,
    org: OrganisationRow,
    filters: CredentialFilters,
    offset: int,
    limit: int,
) -> tuple[list[CredentialLine], int]:
    """The organisation's credentials that match, newest first, with their records and volunteers (one query for
    the page, one for the count)."""
    principal.require("credentials.read", org.id)
    # Filters on the volunteer or the record are subqueries of the organisation's volunteers or records: the count
    # and the page read the credentials alone (by their index, newest first) and join only the page's rows.
    conditions = [CredentialRow.organisation_id == org.id]
    if filters.status:
        conditions.append(CredentialRow.status == filters.status)
    if filters.volunteer:
        wanted = filters.volunteer.strip()
        volunteers = select(VolunteerRow.id).where(
            VolunteerRow.organisation_id == org.id,
            or_(
                func.lower(VolunteerRow.name).like(_like(wanted.lower()), escape="\\"),
                VolunteerRow.email == wanted.lower(),
                VolunteerRow.pseudonym_lookup == pseudonym_lookup(ctx.kek, org.id, wanted),
            ),
        )
        conditions.append(CredentialRow.volunteer_id.in_(volunteers))
    record_conditions = []
    if filters.mission:
        wanted = filters.mission.strip()
        record_conditions.append(
            or_(RecordRow.mission_type == wanted, func.lower(RecordRow.title).like(_like(wanted.lower()), escape="\\"))
        )
    if filters.start:
        record_conditions.append(RecordRow.end_date >= filters.start)
    if filters.end:
        record_conditions.append(RecordRow.start_date <= filters.end)
    if record_conditions:
        records = select(RecordRow.id).where(RecordRow.organisation_id == org.id, *record_conditions)
        conditions.append(CredentialRow.record_id.in_(records))
    total = session.scalar(select(func.count()).select_from(CredentialRow).where(*conditions)) or 0
    newest_first = (CredentialRow.issued_at.desc(), CredentialRow.id.desc())
    # The page's ids first (narrow rows, sorted by the index), then those rows with their records and volunteers.
    page_ids = select(CredentialRow.id).where(*conditions).order_by(*newest_first).offset(offset).limit(limit)
    rows = session.execute(
        select(CredentialRow, RecordRow, VolunteerRow)
        .outerjoin(RecordRow, RecordRow.id == CredentialRow.record_id)
        .outerjoin(VolunteerRow, VolunteerRow.id == CredentialRow.volunteer_id)
        .where(CredentialRow.id.in_(page_ids))
        .options(defer(CredentialRow.document))
        .order_by(*newest_first)
    )
    return [CredentialLine(*row) for row in rows], total


def credential_of_organisation(session: Session, principal: Principal, org: OrganisationRow, credential_id: str):
    """One of the organisation's credentials, with its record and volunteer; another's does not exist here."""
    principal.require("credentials.read", org.id)
    row = session.get(CredentialRow, credential_id)
    if row is None or row.organisation_id != org.id:
        raise UserError("credential.not_found", kind="not_found")
    record = session.get(RecordRow, row.record_id) if row.record_id else None
    volunteer = session.get(VolunteerRow, row.volunteer_id) if row.volunteer_id else None
    return CredentialLine(row, record, volunteer)


def latest_credential_of_record(session: Session, record_id: str | None) -> CredentialRow | None:
    """The credential issued last from a record (a revoked one included), if any."""
    if record_id is None:
        return None
    return session.scalar(
        select(CredentialRow)
        .where(CredentialRow.record_id == record_id)
        .options(defer(CredentialRow.document))
        .order_by(CredentialRow.issued_at.desc())
        .limit(1)
    )


# --- issued credentials as the packages above read them (verification, exports) ------------------------------------


def issued_credential(session: Session, credential_id: str) -> IssuedCredential | None:
    if "\x00" in credential_id:  # PostgreSQL refuses a NUL in a query; no id has one
        return None
    row = session.get(CredentialRow, credential_id)
    return as_issued(row) if row is not None else None


def issued_credentials_of_organisation(
    session: Session, organisation_id: str, since: datetime | None = None, before: datetime | None = None
) -> list[IssuedCredential]:
    """Every credential the organisation issued, optionally from `since` and before `before`, oldest first."""
    query = select(CredentialRow).where(CredentialRow.organisation_id == organisation_id)
    if since is not None:
        query = query.where(CredentialRow.issued_at >= since)
    if before is not None:
        query = query.where(CredentialRow.issued_at < before)
    return [as_issued(row) for row in session.scalars(query.order_by(CredentialRow.issued_at, CredentialRow.id))]


def credentials_in_force_of_volunteer(session: Session, volunteer_id: str) -> list[IssuedCredential]:
    """The volunteer row's credentials in force, oldest first. Revoked and superseded ones are left out (their
    issuer withdrew or replaced them); a suspended one stays, and its status list says so."""
    rows = session.scalars(
        select(CredentialRow)
        .where(
            CredentialRow.volunteer_id == volunteer_id,
            CredentialRow.status != "revoked",
            CredentialRow.superseded_by.is_(None),
        )
        .order_by(CredentialRow.issued_at, CredentialRow.id)
    )
    return [as_issued(row) for row in rows]


@dataclass(frozen=True)
class VolunteerReference:
    """Which volunteer row, of which organisation: all a reader above needs to authorise and bundle."""

    id: str
    organisation_id: str


def volunteer_reference(session: Session, volunteer_id: str) -> VolunteerReference | None:
    row = session.get(VolunteerRow, volunteer_id)
    return VolunteerReference(row.id, row.organisation_id) if row is not None else None


def volunteer_of_link(session: Session, token: str) -> VolunteerReference | None:
    """The volunteer row a personal link (`/me/{token}`) opens, if any."""
    row = session.scalar(select(VolunteerRow).where(VolunteerRow.access_token_hash == hash_token(token)))
    return VolunteerReference(row.id, row.organisation_id) if row is not None else None


def credentials_of_link(session: Session, token: str) -> list[CredentialRow]:
    """Every credential of the volunteer row a personal link opens, newest first; `volunteer.link_unknown` when the
    link opens none."""
    volunteer = volunteer_of_link(session, token)
    if volunteer is None:
        raise UserError("volunteer.link_unknown", kind="not_found")
    return list(
        session.scalars(
            select(CredentialRow)
            .where(CredentialRow.volunteer_id == volunteer.id)
            .order_by(CredentialRow.issued_at.desc())
        )
    )
