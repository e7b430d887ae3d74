"""The bulk issuance service: an upload becomes a batch of rows, each row issued in its own transaction.

A row is all-or-nothing (record, credential and status entries in one transaction, with the row's own state), and
idempotent through the records' natural key (organisation, volunteer, mission type, period): a row whose record
already exists is skipped, so uploading the same file again, or resuming a run that was killed, issues nothing twice.
Runs outside any request: `run_claimed` opens a transaction per row through the unit of work it is given.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import timedelta

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, defer

from base.db import new_id, utcnow
from base.errors import UserError
from base.i18n import messages, per_language
from catalogue import load_catalogue
from credentials import common as credentials_common
from credentials import service
from credentials.batches.spreadsheet import CheckedUpload, SheetRow, check_rows, read_upload, record_input
from credentials.batches.store import BatchItemRow, BatchRow
from credentials.records import service as records_service
from credentials.records.records import validate_record
from credentials.store import CredentialRow, RecordRow, VolunteerRow
from issuers.auth import Principal
from issuers.service import IssuerContext
from issuers.store import OrganisationRow, append_audit

log = logging.getLogger(__name__)

NONCE_BYTES = 12
DEFAULT_LEASE_SECONDS = 30


def check_upload(content: bytes, filename: str | None) -> CheckedUpload:
    """Reads and checks an upload against the current catalogue; writes nothing (the dry run)."""
    return check_rows(read_upload(content, filename), load_catalogue(), credentials_common.today_in_latvia())


def _require_issuer(principal: Principal, organisation_id: str) -> None:
    principal.require("records.write", organisation_id)
    principal.require("credentials.issue", organisation_id)


def dry_run(principal: Principal, org: OrganisationRow, content: bytes, filename: str | None) -> CheckedUpload:
    _require_issuer(principal, org.id)
    return check_upload(content, filename)


def create_batch(
    session: Session,
    principal: Principal,
    ctx: IssuerContext,
    org: OrganisationRow,
    content: bytes,
    filename: str | None,
    hold: bool = False,
) -> BatchRow:
    """Stores the checked upload as a queued batch: the bad rows in its report, the valid ones as pending items.
    With `hold` it waits, "checked", until the organiser has read the check and starts it (`start_batch`)."""
    _require_issuer(principal, org.id)
    checked = check_upload(content, filename)
    batch = BatchRow(
        organisation_id=org.id,
        status=("checked" if hold else "queued") if checked.valid else "done",
        filename=(filename or "")[:255] or None,
        rows=checked.rows,
        valid=len(checked.valid),
        errors=[error.as_json() for error in checked.errors],
        created_by=principal.user_id or principal.token_id,
        finished_at=None if checked.valid else utcnow(),
    )
    session.add(batch)
    session.flush()
    for row, _ in checked.valid:
        item = BatchItemRow(id=new_id(), batch_id=batch.id, line=row.line, status="pending")
        item.payload = _seal(ctx.kek, item.id, row.cells)
        session.add(item)
    session.flush()
    _audit(session, principal, batch, "batch.create", rows=batch.rows, valid=batch.valid)
    return batch


def _audit(session: Session, principal: Principal, batch: BatchRow, action: str, **details: object) -> None:
    append_audit(
        session,
        action,
        organisation_id=batch.organisation_id,
        subject_id=batch.id,
        principal=principal,
        details=details,
    )


def create_record_batch(
    session: Session,
    principal: Principal,
    org: OrganisationRow,
    records: list[tuple[int, str]],
    errors: list[dict],
    label: str | None = None,
) -> BatchRow:
    """A batch of records made before it (a mission's finished participants, `(line, record id)`), with the lines
    that could not become records in its report: the same runner issues them, with the same progress, cancel and
    idempotency (a record issued meanwhile is skipped) as an upload's rows."""
    _require_issuer(principal, org.id)
    batch = BatchRow(
        organisation_id=org.id,
        status="queued" if records else "done",
        filename=(label or "")[:255] or None,
        rows=len(records) + len({error["line"] for error in errors}),
        valid=len(records),
        errors=errors,
        created_by=principal.user_id or principal.token_id,
        finished_at=None if records else utcnow(),
    )
    session.add(batch)
    session.flush()
    session.add_all(
        BatchItemRow(id=new_id(), batch_id=batch.id, line=line, status="pending", record_id=record_id)
        for line, record_id in records
    )
    session.flush()
    return batch


# The row's cells may name a volunteer or carry the pseudonym they keep: sealed at rest, erased once the row is done.
def _seal(kek: bytes, item_id: str, cells: dict) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    plain = json.dumps(cells, ensure_ascii=False).encode()
    return nonce + AESGCM(kek).encrypt(nonce, plain, b"batch-item\x00" + item_id.encode())


def _unseal(kek: bytes, item_id: str, blob: bytes) -> dict:
    plain = AESGCM(kek).decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], b"batch-item\x00" + item_id.encode())
    return json.loads(plain)


# --- reading and managing batches ---------------------------------------------------------------------------------


def get_batch(session: Session, principal: Principal, batch_id: str) -> BatchRow:
    """A batch of the caller's organisation; another organisation's batches do not exist for the caller."""
    batch = session.get(BatchRow, batch_id)
    if batch is None or not principal.acts_for(batch.organisation_id):
        raise UserError("batch.not_found", kind="not_found")
    return batch


def failures(session: Session, batch: BatchRow) -> list[dict]:
    rows = session.scalars(
        select(BatchItemRow)
        .where(BatchItemRow.batch_id == batch.id, BatchItemRow.status == "failed")
        .order_by(BatchItemRow.line)
    )
    return [{"line": row.line, **(row.error or {})} for row in rows]


def cancel_batch(session: Session, principal: Principal, batch_id: str) -> BatchRow:
    """Stops a queued or running batch before its next row; rows already issued stay issued."""
    batch = get_batch(session, principal, batch_id)
    _require_issuer(principal, batch.organisation_id)
    batch = session.scalar(select(BatchRow).where(BatchRow.id == batch_id).with_for_update())
    if batch.status not in ("checked", "queued", "running"):
        raise UserError("batch.not_cancellable", kind="conflict", status=batch.status)
    batch.status, batch.finished_at = "cancelled", utcnow()
    _erase_pending_payloads(session, batch.id)
    session.flush()
    _audit(session, principal, batch, "batch.cancel")
    return batch


def start_batch(session: Session, principal: Principal, batch_id: str) -> BatchRow:
    """Queues a checked batch for the runner (the organiser has read the check's report)."""
    batch = get_batch(session, principal, batch_id)
    _require_issuer(principal, batch.organisation_id)
    batch = session.scalar(select(BatchRow).where(BatchRow.id == batch_id).with_for_update())
    if batch.status != "checked":
        raise UserError("batch.not_startable", kind="conflict", status=batch.status)
    batch.status = "queued"
    session.flush()
    _audit(session, principal, batch, "batch.start")
    return batch


def list_batches(
    session: Session, principal: Principal, org: OrganisationRow, offset: int, limit: int
) -> tuple[list[BatchRow], int]:
    """The organisation's batches, newest first, and how many there are."""
    principal.require("credentials.read", org.id)
    total = session.scalar(select(func.count()).select_from(BatchRow).where(BatchRow.organisation_id == org.id))
    rows = session.scalars(
        select(BatchRow)
        .where(BatchRow.organisation_id == org.id)
        .order_by(BatchRow.created_at.desc(), BatchRow.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return list(rows), total or 0


def certificates_zip(session: Session, ctx: IssuerContext, batch: BatchRow, language: str) -> bytes:
    """The PDF certificates of the credentials the batch issued, in one ZIP."""
    from credentials.certificates.render import zip_certificates  # WeasyPrint: loaded by the first download only
    from credentials.certificates.service import certificate_data

    credentials = issued_credentials(session, batch)
    if not credentials:
        raise UserError("batch.no_certificates", kind="not_found")
    # The organiser hands these to the volunteers: each carries its claim code, as the volunteer's own copy does.
    return zip_certificates([certificate_data(session, ctx, row, language, claim_code=True) for row in credentials])


def _erase_pending_payloads(session: Session, batch_id: str) -> None:
    for item in session.scalars(
        select(BatchItemRow).where(BatchItemRow.batch_id == batch_id, BatchItemRow.payload.is_not(None))
    ):
        item.payload = None


def issued_credentials(session: Session, batch: BatchRow) -> list[CredentialRow]:
    """The credentials this batch issued (not those of rows it skipped as issued before), in upload order."""
    return list(
        session.scalars(
            select(CredentialRow)
            .join(BatchItemRow, BatchItemRow.credential_id == CredentialRow.id)
            .where(BatchItemRow.batch_id == batch.id, BatchItemRow.status == "issued")
            .order_by(BatchItemRow.line)
        )
    )


def issued_with_volunteers(
    session: Session, batch: BatchRow, limit: int
) -> list[tuple[CredentialRow, VolunteerRow, RecordRow]]:
    """The first `limit` credentials the batch issued, in upload order, each with its volunteer and record."""
    rows = session.execute(
        select(CredentialRow, VolunteerRow, RecordRow)
        .join(BatchItemRow, BatchItemRow.credential_id == CredentialRow.id)
        .join(VolunteerRow, VolunteerRow.id == CredentialRow.volunteer_id)
        .join(RecordRow, RecordRow.id == CredentialRow.record_id)
        .where(BatchItemRow.batch_id == batch.id, BatchItemRow.status == "issued")
        .options(defer(CredentialRow.document))
        .order_by(BatchItemRow.line)
        .limit(limit)
    )
    return [(credential, volunteer, record) for credential, volunteer, record in rows]


def revoke_batch(session: Session, principal: Principal, batch_id: str, reason: str | None) -> BatchRow:
    """Revokes every credential the batch issued, with one reason, in one transaction."""
    batch = get_batch(session, principal, batch_id)
    principal.require("credentials.status", batch.organisation_id)
    reason = (reason or "").strip()
    if not reason:
        raise UserError(
            "batch.reason_required", errors=[{"field": "reason", "message": messages().text("batch.reason_required")}]
        )
    if batch.status in ("queued", "running"):
        raise UserError("batch.still_running", kind="conflict")
    for credential in issued_credentials(session, batch):
        if credential.status != "revoked":
            service.change_credential_status(session, principal, credential.id, "revoke", reason)
    batch.revoked_at, batch.revocation_reason = utcnow(), reason
    session.flush()
    return batch


# --- running ------------------------------------------------------------------------------------------------------


def claim_batch(
    session: Session, lease_seconds: float, batch_id: str | None = None, force: bool = False
) -> BatchRow | None:
    """Takes a batch to run: a queued one, or a running one whose runner has been silent for longer than the lease
    (its process was killed). `force` takes running batches at once (the operator knows their runner is gone)."""
    stale = utcnow() - timedelta(seconds=lease_seconds)
    runnable = or_(
        BatchRow.status == "queued",
        and_(
            BatchRow.status == "running",
            or_(BatchRow.heartbeat_at.is_(None), BatchRow.heartbeat_at < stale) if not force else True,
        ),
    )
    query = select(BatchRow).where(runnable).order_by(BatchRow.created_at).limit(1)
    if batch_id:
        query = query.where(BatchRow.id == batch_id)
    batch = session.scalar(query.with_for_update(skip_locked=True))
    if batch is None:
        return None
    batch.status, batch.heartbeat_at = "running", utcnow()
    session.flush()
    return batch


@dataclass
class RowOutcome:
    status: str  # issued or skipped
    record_id: str
    credential_id: str | None


def batch_principal(batch: BatchRow) -> Principal:
    """Who a batch acts as when it runs: its organisation, with the rights the uploader proved at upload."""
    return Principal(
        kind="token",
        token_id=batch.created_by,
        organisation_id=batch.organisation_id,
        scopes=("records:write", "credentials:issue"),
    )


def prepare_row(
    session: Session, ctx: IssuerContext, batch: BatchRow, cells: dict, line: int
) -> RowOutcome | RecordRow:
    """One row up to its signature: the approved record to issue (made now, or approved and never issued before),
    or the outcome when a live record of the same natural key exists already (the row is skipped)."""
    principal = batch_principal(batch)
    org = session.get(OrganisationRow, batch.organisation_id)
    catalogue = load_catalogue()
    valid = validate_record(record_input(SheetRow(line, cells)), catalogue, credentials_common.today_in_latvia())
    found = records_service.find_volunteer(session, ctx, org, valid.volunteer, match_name=True)
    record = (
        records_service.live_record(session, org.id, records_service.natural_key(org.id, found.id, valid))
        if found is not None
        else None
    )
    # Issued, a volunteer's draft, or a correction waiting to be issued: the row's record exists, nothing to do.
    if record is not None and (record.status != "approved" or record.revises_id is not None):
        return RowOutcome("skipped", record.id, _credential_of(session, record.id))
    if record is None:
        # `found` already looked the volunteer up: a new one is created without asking again.
        volunteer = (
            records_service.VolunteerResult(found, None)
            if found is not None
            else records_service.create_volunteer(session, ctx, org, valid.volunteer)
        )
        record = records_service.store_record(
            session,
            org,
            valid,
            catalogue.version,
            volunteer,
            status="approved",
            source="batch",
            created_by=principal.token_id,
        ).record
        records_service.approved_as_made(session, principal, record)
    return record


def _credential_of(session: Session, record_id: str) -> str | None:
    return session.scalar(
        select(CredentialRow.id)
        .where(CredentialRow.record_id == record_id)
        .order_by(CredentialRow.issued_at.desc())
        .limit(1)
    )


def prepare_record(session: Session, batch: BatchRow, record_id: str) -> RowOutcome | RecordRow:
    """An item made from a record (`create_record_batch`): the record to issue, or skipped when it is not waiting
    to be issued any more (issued meanwhile, one by one or by another batch)."""
    record = session.get(RecordRow, record_id)
    if record is None or record.organisation_id != batch.organisation_id:
        raise UserError("record.not_found", kind="not_found")
    if record.status != "approved":
        return RowOutcome("skipped", record.id, _credential_of(session, record.id))
    return record


def prepare_item(session: Session, ctx: IssuerContext, batch: BatchRow, item: BatchItemRow) -> RowOutcome | RecordRow:
    """An item up to its signature: an upload's row (its sealed cells) or a record made before the batch."""
    if item.payload is None and item.record_id is not None:
        return prepare_record(session, batch, item.record_id)
    return prepare_row(session, ctx, batch, _unseal(ctx.kek, item.id, item.payload), item.line)


def issue_item(session: Session, ctx: IssuerContext, batch: BatchRow, item: BatchItemRow) -> RowOutcome:
    """One item: its record and credential, unless a live record of the same natural key exists (then skipped, or
    issued if it was approved and never issued)."""
    prepared = prepare_item(session, ctx, batch, item)
    if isinstance(prepared, RowOutcome):
        return prepared
    issued = service.issue_record(session, batch_principal(batch), ctx, prepared.id)
    return RowOutcome("issued", prepared.id, issued.credential.id)


def _locked_pending_item(
    session: Session, batch_id: str, item_id: str | None
) -> tuple[BatchRow | None, BatchItemRow | None]:
    """The batch (locked: a cancel waits for the row in progress) and the item; no batch when it stopped running."""
    batch = session.scalar(select(BatchRow).where(BatchRow.id == batch_id).with_for_update())
    item = session.get(BatchItemRow, item_id) if item_id else None
    return (batch if batch.status == "running" else None), item


def _finish_item(batch: BatchRow, item: BatchItemRow, status: str) -> None:
    item.status, item.payload = status, None
    setattr(batch, status, getattr(batch, status) + 1)
    batch.heartbeat_at = utcnow()


def run_item(session: Session, ctx: IssuerContext, batch_id: str, item_id: str) -> bool:
    """Issues one pending row in the caller's transaction, with the batch's progress; False when the batch was
    cancelled meanwhile (the row is left alone). A row that cannot be issued raises `UserError`: the caller rolls
    the transaction back and records the failure with `fail_item`."""
    batch, item = _locked_pending_item(session, batch_id, item_id)
    if batch is None:
        return False
    if item.status == "pending":
        outcome = issue_item(session, ctx, batch, item)
        item.record_id, item.credential_id = outcome.record_id, outcome.credential_id
        _finish_item(batch, item, outcome.status)
        session.flush()
    return True


def fail_item(session: Session, batch_id: str, item_id: str, error: UserError) -> bool:
    batch, item = _locked_pending_item(session, batch_id, item_id)
    if batch is None:
        return False
    if item.status == "pending":
        detail = messages().text(error.key, **error.params)
        item.error = {**per_language(messages().text("batch.row_failed", detail=detail)), "code": error.key}
        _finish_item(batch, item, "failed")
        session.flush()
    return True


def skip_known_rows(session: Session, ctx: IssuerContext, batch_id: str) -> int:
    """Marks, in one transaction, the pending rows whose record exists already (the same rows uploaded before):
    re-uploading a corrected file then costs one transaction per new row only. Rows this misses (a record that is
    approved but not issued, a row that no longer validates) go the per-row way."""
    batch, _ = _locked_pending_item(session, batch_id, None)
    if batch is None:
        return 0
    org = session.get(OrganisationRow, batch.organisation_id)
    catalogue, today = load_catalogue(), credentials_common.today_in_latvia()
    by_key: dict[str, BatchItemRow] = {}
    for item in session.scalars(
        select(BatchItemRow).where(
            BatchItemRow.batch_id == batch_id, BatchItemRow.status == "pending", BatchItemRow.payload.is_not(None)
        )
    ):
        try:
            valid = validate_record(
                record_input(SheetRow(item.line, _unseal(ctx.kek, item.id, item.payload))), catalogue, today
            )
        except (UserError, InvalidTag):  # left for the row's own run, which reports it
            continue
        volunteer = records_service.find_volunteer(session, ctx, org, valid.volunteer, match_name=True)
        if volunteer is not None:
            by_key[records_service.natural_key(org.id, volunteer.id, valid)] = item
    keys = list(by_key)
    skipped = 0
    for start in range(0, len(keys), 500):
        records = session.execute(
            select(RecordRow.id, RecordRow.natural_key, CredentialRow.id)
            .outerjoin(CredentialRow, CredentialRow.record_id == RecordRow.id)
            .where(
                RecordRow.organisation_id == org.id,
                RecordRow.natural_key.in_(keys[start : start + 500]),
                RecordRow.status.not_in(("approved", "superseded")),
            )
        )
        for record_id, key, credential_id in records:
            item = by_key[key]
            if item.status == "pending":
                item.record_id, item.credential_id = record_id, credential_id
                _finish_item(batch, item, "skipped")
                skipped += 1
    session.flush()
    return skipped


def pending_items(session: Session, batch_id: str) -> list[str]:
    return list(
        session.scalars(
            select(BatchItemRow.id)
            .where(BatchItemRow.batch_id == batch_id, BatchItemRow.status == "pending")
            .order_by(BatchItemRow.line)
        )
    )


# How the runner opens a transaction: a callable giving a context manager that commits on success and rolls back on
# error (the wiring's `base.db.transaction` over its session factory).
UnitOfWork = Callable[[], AbstractContextManager[Session]]


# Rows go in transactions of up to GROUP_ROWS rows or about GROUP_SECONDS (see _run_group): a row is still all or
# nothing, and a commit (a disk flush) and the status lists' rewrite are shared by a group instead of paid per row.
# The bound keeps what waits on the group short: a cancel, another issuer of the organisation.
GROUP_ROWS = 50
GROUP_SECONDS = 0.5


def run_claimed(
    transaction: UnitOfWork,
    ctx: IssuerContext,
    batch_id: str,
    should_stop: Callable[[], bool] = lambda: False,
    pause: float = 0.0,
) -> str:
    """Runs a claimed batch to its end, a group of rows per transaction; returns the batch's final status
    (`running` when `should_stop` asked to stop early: the batch is then resumed later, by this or another
    process). A killed run loses at most its group in progress, which the next runner issues again."""
    with transaction() as session:
        skip_known_rows(session, ctx, batch_id)
    with transaction() as session:
        items = pending_items(session, batch_id)
    position, running = 0, True
    while running and position < len(items):
        if should_stop():
            with transaction() as session:
                # Stopped on purpose (shutdown): release the batch so the next runner takes it without waiting.
                session.get(BatchRow, batch_id).heartbeat_at = None
            return "running"
        with transaction() as session:
            done, running = _run_group(session, ctx, batch_id, items[position : position + GROUP_ROWS])
        position += done
        if pause:
            time.sleep(pause)  # room for other writers between groups
    with transaction() as session:
        batch = session.scalar(select(BatchRow).where(BatchRow.id == batch_id).with_for_update())
        if batch.status == "running":
            batch.status, batch.finished_at = "done", utcnow()
        return batch.status


def _run_group(session: Session, ctx: IssuerContext, batch_id: str, item_ids: list[str]) -> tuple[int, bool]:
    """Rows in the caller's transaction until the group is full or old enough; returns (rows done, still running).

    First the whole group at once: records made row by row, then signed together, so that the status lists are
    read and written once per group rather than once per row. If any row fails, that attempt is rolled back and the
    group goes again row by row, each in its own savepoint, so that a failure is its row's alone."""
    try:
        with session.begin_nested():
            return _run_group_at_once(session, ctx, batch_id, item_ids)
    except Exception:  # noqa: BLE001 - whatever it was, the row-by-row pass meets it again and reports it per row
        pass
    return _run_group_row_by_row(session, ctx, batch_id, item_ids)


def _run_group_at_once(session: Session, ctx: IssuerContext, batch_id: str, item_ids: list[str]) -> tuple[int, bool]:
    batch, _ = _locked_pending_item(session, batch_id, None)
    if batch is None:
        return 0, False
    started = time.monotonic()
    prepared: list[tuple[BatchItemRow, RowOutcome | RecordRow]] = []
    done = 0
    for item_id in item_ids:
        item = session.get(BatchItemRow, item_id)
        if item.status == "pending":
            prepared.append((item, prepare_item(session, ctx, batch, item)))
        done += 1
        if time.monotonic() - started >= GROUP_SECONDS:
            break
    records = [outcome.id for _, outcome in prepared if isinstance(outcome, RecordRow)]
    issued = {
        item.credential.record_id: item.credential.id
        for item in service.issue_records(session, batch_principal(batch), ctx, records)
    }
    for item, outcome in prepared:
        if isinstance(outcome, RecordRow):
            outcome = RowOutcome("issued", outcome.id, issued[outcome.id])
        item.record_id, item.credential_id = outcome.record_id, outcome.credential_id
        _finish_item(batch, item, outcome.status)
    session.flush()
    return done, True


def _run_group_row_by_row(session: Session, ctx: IssuerContext, batch_id: str, item_ids: list[str]) -> tuple[int, bool]:
    started = time.monotonic()
    done = 0
    for item_id in item_ids:
        try:
            with session.begin_nested():
                running = run_item(session, ctx, batch_id, item_id)
        except UserError as error:  # the row's savepoint was rolled back: nothing of it remains
            running = fail_item(session, batch_id, item_id, error)
        except Exception as error:
            # Not the row's data (e.g. its sealed input no longer opens): retrying it after every lease would never
            # end, so the row fails with a plain reason and the rest of the batch goes on. A database outage makes
            # fail_item raise too, and then the runner retries the whole batch later, as it should.
            log.error("batch %s: a row failed unexpectedly: %s", batch_id, type(error).__name__)
            running = fail_item(session, batch_id, item_id, UserError("batch.row_unexpected_error"))
        done += 1
        if not running or time.monotonic() - started >= GROUP_SECONDS:
            break
    return done, running


def run_pending(
    transaction: UnitOfWork,
    ctx: IssuerContext,
    lease_seconds: float = DEFAULT_LEASE_SECONDS,
    force: bool = False,
    should_stop: Callable[[], bool] = lambda: False,
    pause: float = 0.0,
) -> list[str]:
    """Claims and runs batches until none is left to run; returns the ids it ran."""
    ran: list[str] = []
    while not should_stop():
        with transaction() as session:
            batch = claim_batch(session, lease_seconds, force=force)
            batch_id = batch.id if batch is not None else None
        if batch_id is None or batch_id in ran:
            break
        log.info("batch %s: running", batch_id)
        status = run_claimed(transaction, ctx, batch_id, should_stop, pause)
        log.info("batch %s: %s", batch_id, status)
        ran.append(batch_id)
    return ran


def progress_counts(session: Session, batch: BatchRow) -> dict:
    pending = session.scalar(
        select(func.count())
        .select_from(BatchItemRow)
        .where(BatchItemRow.batch_id == batch.id, BatchItemRow.status == "pending")
    )
    return {"issued": batch.issued, "skipped": batch.skipped, "failed": batch.failed, "pending": pending}
