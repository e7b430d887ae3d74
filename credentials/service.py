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
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, undefer

from catalogue import catalogue_version, load_catalogue
from catalogue.i18n import UserError
from credentials.dataintegrity import Ed25519Signature, format_created, sign
from credentials.document import CompetenceLine, IssuerProfile, SubjectIdentity, build_credential, new_salt
from credentials.jsonld import DocumentLoader, DocumentLoaderError, StrictExpansionError
from credentials.records import (CompetenceClaim, RecordInput, ValidRecord, VolunteerInput, validate_record)
from credentials.statuslist import (MIN_LIST_SIZE, PURPOSES, StatusEntry, empty_bits, get_bit, random_free_index,
                                    set_bit, status_list_credential)
from issuers import service as issuers
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


def find_or_create_volunteer(session: Session, ctx: IssuerContext, org: OrganisationRow,
                             volunteer: VolunteerInput) -> VolunteerResult:
    if volunteer.pseudonymous:
        lookup = pseudonym_lookup(ctx.kek, org.id, volunteer.pseudonym)
        row = session.scalar(select(VolunteerRow).where(VolunteerRow.organisation_id == org.id,
                                                        VolunteerRow.pseudonym_lookup == lookup))
        if row is not None:
            return VolunteerResult(row, None)
        row = VolunteerRow(organisation_id=org.id, kind="pseudonymous", pseudonym_lookup=lookup)
    else:
        row = None
        if volunteer.email:
            row = session.scalar(select(VolunteerRow).where(VolunteerRow.organisation_id == org.id,
                                                            VolunteerRow.email == volunteer.email))
        if row is not None:
            row.name = volunteer.name
            return VolunteerResult(row, None)
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
    catalogue = load_catalogue()
    valid = validate_record(data, catalogue, today_in_latvia())
    volunteer = find_or_create_volunteer(session, ctx, org, valid.volunteer)
    salt = new_salt()
    subject_hash = (SubjectIdentity.pseudonymous(valid.volunteer.pseudonym, salt).pseudonym_hash
                    if valid.volunteer.pseudonymous else None)
    now = utcnow()
    row = RecordRow(
        organisation_id=org.id, volunteer_id=volunteer.row.id, mission_type=valid.mission_type,
        catalogue_version=catalogue.version, title=valid.title, municipality=valid.municipality,
        start_date=valid.start_date, end_date=valid.end_date, hours=valid.hours, role=valid.role,
        narrative=valid.narrative, competences=[_claim_json(c) for c in valid.competences],
        evidence=list(valid.evidence), language=valid.language, subject_salt=salt, subject_hash=subject_hash,
        status="approved", source=source,
        natural_key=natural_key(org.id, volunteer.row.id, valid), created_by=principal.user_id or principal.token_id,
        approved_at=now, approved_by=principal.user_id or principal.token_id,
    )
    session.add(row)
    session.flush()
    return CreatedRecord(row, volunteer)


def _claim_json(claim: CompetenceClaim) -> dict:
    item = {"uri": claim.uri, "attested_by": claim.attested_by}
    if claim.note:
        item["note"] = claim.note
    return item


def get_record(session: Session, principal: Principal, record_id: str) -> RecordRow:
    """A record of the caller's organisation; another organisation's records do not exist for the caller."""
    row = session.get(RecordRow, record_id)
    if row is None or not principal.acts_for(row.organisation_id):
        raise UserError("record.not_found", kind="not_found")
    return row


def approve_record(session: Session, principal: Principal, record_id: str) -> RecordRow:
    row = get_record(session, principal, record_id)
    principal.require("records.write", row.organisation_id)
    if row.status in ("approved", "issued"):
        return row
    if row.status not in ("draft", "submitted"):
        raise UserError("record.cannot_approve", kind="conflict", status=row.status)
    row.status, row.approved_at = "approved", utcnow()
    row.approved_by = principal.user_id or principal.token_id
    return row


# --- status lists -------------------------------------------------------------------------------------------------

def allocate_status_index(session: Session, org: OrganisationRow, purpose: str) -> tuple[StatusListRow, int]:
    """A random, never reused index in the organisation's current list for `purpose`; a new list when it fills."""
    return allocate_status_indices(session, org, purpose, 1)[0]


def allocate_status_indices(session: Session, org: OrganisationRow, purpose: str,
                            count: int) -> list[tuple[StatusListRow, int]]:
    """`count` random, never reused indices in the organisation's current lists for `purpose` (new lists as they
    fill). Each list touched is read and written once however many indices it gives out (16 KiB of allocation bits:
    on PostgreSQL a rewrite per index was most of the cost of bulk issuance).

    The list row is locked (SELECT ... FOR UPDATE on PostgreSQL; SQLite serialises writers) so concurrent issuance
    never hands out the same index twice.
    """
    taken: list[tuple[StatusListRow, int]] = []
    failures = 0
    while len(taken) < count:
        if failures >= 5:
            raise UserError("status.allocation_failed", kind="conflict")
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
        session.flush()
    return taken


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
    if row.signed_version < row.version or row.signed_credential is None:
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


# --- issuance -----------------------------------------------------------------------------------------------------

@dataclass
class StatusAllocation:
    """A new credential's place in its organisation's revocation and suspension lists."""

    lists: dict[str, tuple[StatusListRow, int]]
    entries: list[dict]


def allocate_status_entries(session: Session, ctx: IssuerContext, org: OrganisationRow,
                            count: int = 1) -> list[StatusAllocation]:
    """Places for `count` new credentials in the organisation's revocation and suspension lists."""
    by_purpose = {purpose: allocate_status_indices(session, org, purpose, count) for purpose in PURPOSES}
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
    records = [get_record(session, principal, record_id) for record_id in record_ids]
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
    issued = [_issue(session, ctx, org, identity, record, allocation)
              for record, allocation in zip(records, allocations)]
    session.flush()  # once for all: the credentials go in as one multi-row INSERT (a round trip each on PostgreSQL)
    return issued


def _issue(session: Session, ctx: IssuerContext, org: OrganisationRow, identity, record: RecordRow,
           allocation: StatusAllocation) -> Issued:
    volunteer = session.get(VolunteerRow, record.volunteer_id)
    catalogue = load_catalogue()
    if record.catalogue_version != catalogue.version:
        catalogue = catalogue_version(record.catalogue_version)

    credential_id = new_credential_id()
    url = credential_url(ctx.base_url, credential_id)
    mission = catalogue.mission_type(record.mission_type)
    lang = record.language
    lines = []
    for item in record.competences:
        competence = catalogue.competence(item["uri"])
        lines.append(CompetenceLine(CompetenceClaim(item["uri"], item.get("attested_by", "organiser"), item.get("note")),
                                    competence.label.lv, competence.label.en, tuple(competence.key_competences)))
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
        catalogue_citation=catalogue.citation(ctx.base_url), status_entries=allocation.entries, valid_from=now,
        subject_identity=subject)
    signed = sign_document(document, identity, now)
    row = store_credential(session, credential_id, org, identity, signed, allocation, record_id=record.id,
                           volunteer_id=volunteer.id, language=lang)
    record.status = "issued"
    return Issued(row, signed)


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
    purpose, value, new_status = STATUS_ACTIONS[action]
    reason = (reason or "").strip()
    if action in ("revoke", "suspend") and not reason:
        raise UserError("credential.reason_required", errors=[{"field": "reason"}])
    if row.status == "revoked":
        raise UserError("credential.already_revoked", kind="conflict")
    if action == "unsuspend" and row.status != "suspended":
        raise UserError("credential.not_suspended", kind="conflict")
    if purpose == "revocation":
        _set_status_bit(session, row.revocation_list_id, row.revocation_index, True)
        # A revoked credential is not also left suspended: revocation is the final word.
        _set_status_bit(session, row.suspension_list_id, row.suspension_index, False)
    else:
        _set_status_bit(session, row.suspension_list_id, row.suspension_index, value)
    row.status, row.status_reason, row.status_changed_at = new_status, reason or None, utcnow()
    return row


# --- VC-API: organisations' own credential bodies ------------------------------------------------------------------

def issue_document(session: Session, principal: Principal, ctx: IssuerContext, org: OrganisationRow,
                   credential: dict) -> Issued:
    """Signs a VC 2.0 credential an organisation sends (VC-API `/credentials/issue`): its issuer must be the
    organisation's own DID; the service adds an id, validFrom and the two status entries when absent."""
    principal.require("credentials.issue", org.id)
    claimed = issuers.registry_lookup(session, ctx.base_url, _issuer_of(credential) or "")
    if claimed is not None and claimed["slug"] != org.slug:
        raise UserError("auth.forbidden", kind="forbidden")  # another organisation's DID: never sign for it
    identity = issuers.signing_identity(session, ctx, org)
    errors = _check_issue_body(credential, identity.issuer_did)
    if errors:
        raise UserError("credential.issue_invalid", errors=errors)
    credential_id = new_credential_id()
    document = dict(credential)
    document.setdefault("id", credential_url(ctx.base_url, credential_id))
    now = format_created(datetime.now(timezone.utc))
    document.setdefault("validFrom", now)
    allocation = allocate_status_entries(session, ctx, org)[0]
    document["credentialStatus"] = allocation.entries
    signed = sign_document(document, identity, now)
    row = store_credential(session, credential_id, org, identity, signed, allocation, origin="vc-api")
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


def _issuer_of(credential: dict) -> str | None:
    issuer = credential.get("issuer")
    value = issuer.get("id") if isinstance(issuer, dict) else issuer
    return value if isinstance(value, str) else None


def _check_issue_body(credential: dict, issuer_did: str) -> list[dict]:
    from catalogue.i18n import messages

    def error(field: str, key: str, **params) -> dict:
        return {"field": field, "message": messages().text(key, **params)}

    errors = []
    contexts = credential.get("@context")
    if not isinstance(contexts, list) or not contexts or contexts[0] != "https://www.w3.org/ns/credentials/v2":
        errors.append(error("@context", "credential.context_first"))
    types = credential.get("type")
    if not isinstance(types, list) or "VerifiableCredential" not in types:
        errors.append(error("type", "credential.type_missing"))
    if _issuer_of(credential) != issuer_did:
        errors.append(error("issuer", "credential.issuer_not_yours", did=issuer_did))
    if "proof" in credential:
        errors.append(error("proof", "credential.already_signed"))
    if "credentialStatus" in credential:
        errors.append(error("credentialStatus", "credential.status_added_by_service"))
    if not isinstance(credential.get("credentialSubject"), (dict, list)):
        errors.append(error("credentialSubject", "credential.subject_missing"))
    return errors
