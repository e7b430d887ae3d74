"""Use cases of status lists: allocating indices for new credentials, setting bits, and serving each list signed."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, undefer

from base.db import utcnow
from base.errors import UserError
from credentials import store
from credentials.common import credential_loader, status_list_url
from credentials.proofs.dataintegrity import Ed25519Signature, format_created, sign
from credentials.proofs.statuslist import (
    MIN_LIST_SIZE,
    PURPOSES,
    empty_bits,
    get_bit,
    new_order_key,
    set_bit,
    shuffled_index,
    signed_by_untrusted_key,
    status_list_credential,
)
from credentials.store import StatusListRow
from issuers import service as issuers
from issuers.service import IssuerContext
from issuers.store import OrganisationRow


@dataclass
class StatusListPlaces:
    """A status list as allocation sees it: how many of its indices are given, as this transaction leaves them."""

    id: str
    purpose: str
    number: int
    size: int
    order_key: bytes
    allocated_count: int
    is_full: bool = False

    @classmethod
    def of(cls, row: Row[Any]) -> StatusListPlaces:
        return cls(row.id, row.purpose, row.number, row.size, row.order_key, row.allocated_count)


def allocate_status_index(session: Session, org: OrganisationRow, purpose: str) -> tuple[StatusListPlaces, int]:
    """A random, never reused index in the organisation's current list for `purpose`; a new list when it fills."""
    return allocate_status_indices(session, org, purpose, 1)[0]


def allocate_status_indices(
    session: Session,
    org: OrganisationRow,
    purpose: str,
    count: int,
    current: StatusListPlaces | None = None,
    unsaved: list[StatusListPlaces] | None = None,
) -> list[tuple[StatusListPlaces, int]]:
    """`count` random, never reused indices in the organisation's current lists for `purpose` (new lists as they
    fill): the list's next places in its secret order (`shuffled_index`). Each list touched is read and written once
    however many indices it gives out.

    The list row is locked (SELECT ... FOR UPDATE on PostgreSQL; SQLite serialises writers) so concurrent issuance
    never hands out the same index twice. `current`: the purpose's current list, already read so and locked by the
    caller (see `current_status_lists`). The lists changed are written before it returns; with `unsaved`, the last
    one is added to it instead, for the caller to write together with others (`save_allocations`).
    """
    taken: list[tuple[StatusListPlaces, int]] = []
    failures = 0
    while len(taken) < count:
        if failures >= 5:
            raise UserError("status.allocation_failed", kind="conflict")
        if current is None:
            rows = store.lock_current_status_lists(session, org.id, (purpose,))
            current = StatusListPlaces.of(rows[0]) if rows else _new_status_list(session, org, purpose)
            if current is None:
                failures += 1
                continue  # another transaction created it first: read it again
        first = current.allocated_count
        given = min(count - len(taken), current.size - first)
        taken += [(current, shuffled_index(current.order_key, first + n, current.size)) for n in range(given)]
        current.allocated_count = first + given
        current.is_full = current.allocated_count >= current.size
        if unsaved is None or len(taken) < count:  # the next list is read with this one written
            save_allocations(session, [current])
        else:
            unsaved.append(current)
        if not given:
            failures += 1
        current = None
    return taken


def save_allocations(session: Session, lists: list[StatusListPlaces]) -> None:
    """Writes the lists' allocation as it was left, in one statement."""
    if not lists:
        return
    store.save_allocations(
        session,
        [
            {
                "list_id": places.id,
                "taken": places.allocated_count,
                "full": places.is_full,
            }
            for places in lists
        ],
    )


def current_status_lists(session: Session, org: OrganisationRow) -> dict[str, StatusListPlaces]:
    """Each purpose's current list (its lowest-numbered list not full), read and locked in one statement."""
    current: dict[str, StatusListPlaces] = {}
    for row in store.lock_current_status_lists(session, org.id, PURPOSES):
        if row.purpose not in current:
            current[row.purpose] = StatusListPlaces.of(row)
    return current


def _new_status_list(session: Session, org: OrganisationRow, purpose: str) -> StatusListPlaces | None:
    number = 1 + (
        session.scalar(
            select(func.max(StatusListRow.number)).where(
                StatusListRow.organisation_id == org.id, StatusListRow.purpose == purpose
            )
        )
        or 0
    )
    row = StatusListRow(
        organisation_id=org.id,
        purpose=purpose,
        number=number,
        size=MIN_LIST_SIZE,
        bits=bytes(empty_bits()),
        order_key=new_order_key(),
        allocated_count=0,
        is_full=False,
        version=1,
        signed_version=0,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return None
    return StatusListPlaces.of(store.lock_status_list(session, row.id))


def _set_status_bit(session: Session, list_id: str, index: int, value: bool) -> None:
    row = session.scalar(
        select(StatusListRow).where(StatusListRow.id == list_id).options(undefer(StatusListRow.bits)).with_for_update()
    )
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
    row = session.scalar(
        select(StatusListRow).where(
            StatusListRow.organisation_id == org.id, StatusListRow.purpose == purpose, StatusListRow.number == number
        )
    )
    if row is None:
        raise UserError("status.list_not_found", kind="not_found")
    if (
        row.signed_version < row.version
        or row.signed_credential is None
        or signed_by_untrusted_key(json.loads(row.signed_credential), _key_status(session, ctx))
    ):
        identity = issuers.signing_identity(session, ctx, org, maintenance=True)
        url = status_list_url(ctx.base_url, slug, purpose, number)
        now = format_created(datetime.now(UTC))
        document = status_list_credential(url, identity.issuer_did, purpose, row.bits, now)
        signed = sign(
            document,
            suite=Ed25519Signature(identity.private_key),
            verification_method=identity.verification_method,
            created=now,
            loader=credential_loader(),
        )
        row.signed_credential = json.dumps(signed, ensure_ascii=False, separators=(",", ":"))
        row.signed_version = row.version
        session.flush()
    return row


def _key_status(session: Session, ctx: IssuerContext) -> Callable[[str], str | None]:
    def status(method_id: str) -> str | None:
        found = issuers.find_key_by_verification_method(session, ctx.base_url, method_id)
        return found.key.status if found is not None else None

    return status


def signed_list_text_if_current(session: Session, slug: str, purpose: str, number: int) -> str | None:
    """The list's signed credential (JSON text) when it is signed and current: one query, no status bits loaded.
    None when there is no such list or it must be signed again (then `signed_status_list_text`)."""
    return session.execute(
        select(StatusListRow.signed_credential)
        .join(OrganisationRow, OrganisationRow.id == StatusListRow.organisation_id)
        .where(
            OrganisationRow.slug == slug,
            StatusListRow.purpose == purpose,
            StatusListRow.number == number,
            StatusListRow.signed_version >= StatusListRow.version,
        )
    ).scalar()


def signed_status_list_text(session: Session, ctx: IssuerContext, slug: str, purpose: str, number: int) -> str:
    """The list's up-to-date signed credential as JSON text, signed again first if a bit changed since."""
    signed = signed_status_list(session, ctx, slug, purpose, number).signed_credential
    assert signed is not None  # signed_status_list always leaves it signed
    return signed
