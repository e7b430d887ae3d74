"""An organisation's verification version: one number that changes whenever anything a verifier reads about the
organisation changes — its registry entry, its keys, the bits of its status lists.

Verifiers keep what they have read (DID document, registry entry, key histories, signed status lists) per
organisation and version, and check the version with one small query per verification instead of reading it all
again. The version is raised at flush time by the ORM itself, so no write path can forget to: every change to an
organisation row or a key row counts, and each table registered with `track` adds its own (a status list's bits).
The increment is one atomic UPDATE in the writing transaction, so concurrent writers never lose a bump and the new
version becomes visible exactly when the change does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import chain

from sqlalchemy import event, inspect, select, update
from sqlalchemy.orm import Session

from issuers.store import OrganisationRow, SigningKeyRow


@dataclass(frozen=True)
class _Tracked:
    organisation_id: Callable[[object], str]
    on_insert: bool
    attributes: tuple[str, ...] | None  # None: a change to any attribute counts


_TRACKED: dict[type, _Tracked] = {}


def track(
    row_type: type,
    organisation_id: Callable[[object], str],
    *,
    on_insert: bool = False,
    attributes: tuple[str, ...] | None = None,
) -> None:
    """Rows of `row_type` raise their organisation's version when inserted (if `on_insert`), deleted, or when one of
    `attributes` (any attribute when None) changes."""
    _TRACKED[row_type] = _Tracked(organisation_id, on_insert, attributes)


# A new organisation starts at 0; nobody can have read it before it existed.
track(OrganisationRow, lambda row: row.id, attributes=None)
track(SigningKeyRow, lambda row: row.organisation_id, on_insert=True)


def _changed(row: object, attributes: tuple[str, ...] | None) -> bool:
    state = inspect(row)
    names = attributes or tuple(attribute.key for attribute in state.attrs if attribute.key != "verification_version")
    return any(state.attrs[name].history.has_changes() for name in names)


@event.listens_for(Session, "after_flush")
def _raise_versions(session: Session, _flush_context) -> None:
    # After the flush the session still shows what it flushed (new, dirty, deleted) with each attribute's history.
    organisations: set[str] = set()
    for row in chain(session.new, session.dirty, session.deleted):
        tracked = _TRACKED.get(type(row))
        if tracked is None:
            continue
        if row in session.new and not tracked.on_insert:
            continue
        if row in session.dirty and not _changed(row, tracked.attributes):
            continue
        organisations.add(tracked.organisation_id(row))
    if organisations:
        table = OrganisationRow.__table__
        session.connection().execute(
            update(table)
            .where(table.c.id.in_(sorted(organisations)))
            .values(verification_version=table.c.verification_version + 1)
        )


def current_version(session: Session, slug: str) -> tuple[str, int] | None:
    """(organisation id, verification version) for a slug; a Core query, the cheapest read there is."""
    table = OrganisationRow.__table__
    row = (
        session.connection()
        .execute(select(table.c.id, table.c.verification_version).where(table.c.slug == slug))
        .first()
    )
    return (row[0], row[1]) if row is not None else None
