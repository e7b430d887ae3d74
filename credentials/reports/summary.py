"""The maintained summary of published figures (a territory's and the nation's): exact counters per cell, kept in
the same transaction as whatever changes what is counted, so that a year's figures are a read of a few hundred rows.

Three tables:
- report_slices: every counted record split into its calendar months. A slice carries the record's share of hours in
  the month (hours × days inside ÷ record days, the formula of credentials.reports.store, to 8 decimal places), its
  municipality, mission type, domain and organisation type, whether its credential is active and its volunteering
  ended in that month (a credential counts in the month its volunteering ended), and the person it counts for:
  the holder (credentials.holders) when the record's live credential is held, the same person across organisations;
  otherwise the organisation's volunteer row (a person who has not gathered their credentials in one account is
  counted once per organisation; the data dictionary says so).
- report_cell_people: for each published cell (year, territory or "" for the nation, cut, value) and person, how many
  slices put that person in the cell. Distinct counts cannot be summed, so they are kept exact this way: a person
  enters a cell when their count leaves 0 and leaves it when it returns to 0.
- report_cells: each cell's distinct people, hours and credentials.

Which records count is store.COUNTED (issued with a live credential, or approved and not a correction). Keeping it
current: every ORM flush that touches a record, a credential, a held credential or an organisation's type notes the
records concerned; before the transaction commits, the noted records' slices are computed again and the difference
from the stored ones is applied to the counters (cells in a fixed order, so concurrent writers never deadlock). So all
issuing paths (single, batch, a mission's issue-all, a correction's supersession), revocation, suspension,
reinstatement and a holder's claim keep the figures exact. Statements that bypass the ORM (the reports bench's bulk
load) are followed by `rebuild` (`volcred reports rebuild`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from decimal import Decimal
from itertools import chain, islice
from typing import Any

from sqlalchemy import (
    Date,
    ForeignKey,
    Integer,
    Numeric,
    String,
    delete,
    distinct,
    event,
    func,
    insert,
    inspect,
    literal,
    select,
    tuple_,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from base.db import Base
from credentials.holders.store import HeldCredentialRow
from credentials.reports.periods import periods
from credentials.reports.store import (
    COUNTED,
    HELD_JOIN,
    LIVE_JOIN,
    Scope,
    domains_of_mission_types,
    held,
    hours_value,
    live_credential,
    organisations,
    records,
)
from credentials.reports.tables import Aggregate
from credentials.store import CredentialRow, RecordRow
from issuers.store import OrganisationRow

CHUNK = 400
PENDING = "reports.summary.pending_records"
PENDING_CREDENTIALS = "reports.summary.pending_credentials"
PENDING_ORGANISATIONS = "reports.summary.pending_organisations"
NATION = ""
SHARE_PLACES = Decimal("0.00000001")
# The cuts of the published figures: the nation's, and a territory's (its municipality is the territory itself).
NATIONAL = ("month", "municipality", "domain", "mission_type", "organisation_type", "total")
TERRITORY = ("month", "domain", "mission_type", "organisation_type", "total")


class ReportSliceRow(Base):
    """One counted record's share of one calendar month."""

    __tablename__ = "report_slices"

    record_id: Mapped[str] = mapped_column(ForeignKey("records.id"), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)  # the month's first day
    year: Mapped[int] = mapped_column(Integer)
    period: Mapped[str] = mapped_column(String(7))  # "2026-01"
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    municipality: Mapped[str] = mapped_column(String(40))
    mission_type: Mapped[str] = mapped_column(String(80))
    domain: Mapped[str] = mapped_column(String(80))
    organisation_type: Mapped[str] = mapped_column(String(40))
    person: Mapped[str] = mapped_column(String(34))  # "h:" + holder id, or "v:" + volunteer id
    share: Mapped[Decimal] = mapped_column(Numeric(20, 8))  # the record's hours in the month
    credentials: Mapped[int] = mapped_column(Integer)  # 1: an active credential whose volunteering ended this month


class ReportCellPersonRow(Base):
    """How many slices put a person in a published cell (the row exists while that is more than 0)."""

    __tablename__ = "report_cell_people"

    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    territory: Mapped[str] = mapped_column(String(40), primary_key=True)  # a municipality, or "" for the nation
    cut: Mapped[str] = mapped_column(String(20), primary_key=True)
    value: Mapped[str] = mapped_column(String(80), primary_key=True)
    person: Mapped[str] = mapped_column(String(34), primary_key=True)
    slices: Mapped[int] = mapped_column(Integer)


class ReportCellRow(Base):
    """A published cell's figures: distinct people, hours and credentials."""

    __tablename__ = "report_cells"

    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    territory: Mapped[str] = mapped_column(String(40), primary_key=True)
    cut: Mapped[str] = mapped_column(String(20), primary_key=True)
    value: Mapped[str] = mapped_column(String(80), primary_key=True)
    volunteers: Mapped[int] = mapped_column(Integer)
    hours: Mapped[Decimal] = mapped_column(Numeric(24, 8))
    credentials: Mapped[int] = mapped_column(Integer)


slices = ReportSliceRow.__table__
people = ReportCellPersonRow.__table__
cells = ReportCellRow.__table__
SLICE_COLUMNS = (
    "record_id",
    "month",
    "year",
    "period",
    "organisation_id",
    "municipality",
    "mission_type",
    "domain",
    "organisation_type",
    "person",
    "share",
    "credentials",
)


def person_key(holder_id: str | None, volunteer_id: str) -> str:
    return f"h:{holder_id}" if holder_id else f"v:{volunteer_id}"


def cells_of(piece: dict[str, Any]) -> Iterator[tuple[int, str, str, str]]:
    """The published cells a slice falls in: (year, territory, cut, value)."""
    values = {
        "month": piece["period"],
        "municipality": piece["municipality"],
        "domain": piece["domain"],
        "mission_type": piece["mission_type"],
        "organisation_type": piece["organisation_type"],
        "total": "",
    }
    for cut in NATIONAL:
        yield piece["year"], NATION, cut, values[cut]
    for cut in TERRITORY:
        yield piece["year"], piece["municipality"], cut, values[cut]


# --- writing ---------------------------------------------------------------------------------------------------------


def _counted_records(record_ids: Sequence[str] | None) -> Any:
    query = (
        select(
            records.c.id,
            records.c.organisation_id,
            records.c.municipality,
            records.c.mission_type,
            records.c.volunteer_id,
            records.c.start_date,
            records.c.end_date,
            records.c.hours,
            live_credential.c.status,
            held.c.holder_id,
            organisations.c.legal_form,
        )
        .select_from(records)
        .join(organisations, organisations.c.id == records.c.organisation_id)
        .outerjoin(live_credential, LIVE_JOIN)
        .outerjoin(held, HELD_JOIN)
        .where(COUNTED)
    )
    return query if record_ids is None else query.where(records.c.id.in_(record_ids))


def _slices_of(row: Any, domains: dict[str, str]) -> Iterator[dict[str, Any]]:
    record_id, org_id, municipality, mission_type, volunteer_id, start, end, hours, status, holder_id, form = row
    start, end = _as_date(start), _as_date(end)
    record_days = (end - start).days + 1
    if record_days <= 0:
        return
    hours = Decimal(str(hours))
    for month in periods("month", start, end):
        days = (min(end, month.last) - max(start, month.first)).days + 1
        yield {
            "record_id": record_id,
            "month": month.first,
            "year": month.first.year,
            "period": month.key,
            "organisation_id": org_id,
            "municipality": municipality,
            "mission_type": mission_type,
            "domain": domains.get(mission_type, "other"),
            "organisation_type": form,
            "person": person_key(holder_id, volunteer_id),
            "share": (hours * days / record_days).quantize(SHARE_PLACES),
            "credentials": int(status == "active" and month.first <= end <= month.last),
        }


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _upsert(session: Session, table: Any, rows: list[dict[str, Any]], keys: Sequence[str], add: Sequence[str]) -> Any:
    """INSERT the rows, or add their `add` columns to the row with the same key; RETURNING the key and the sums."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table).values(rows)
    statement = statement.on_conflict_do_update(
        index_elements=list(keys), set_={name: table.c[name] + statement.excluded[name] for name in add}
    )
    return session.execute(statement.returning(*(table.c[k] for k in keys), *(table.c[a] for a in add)))


def _apply(session: Session, removed: list[dict[str, Any]], added: list[dict[str, Any]]) -> None:
    """Moves the counters from the `removed` slices to the `added` ones."""
    people_delta: Counter[tuple[Any, ...]] = Counter()
    hours_delta: dict[tuple[Any, ...], Decimal] = {}
    credentials_delta: Counter[tuple[Any, ...]] = Counter()
    for sign, pieces in ((-1, removed), (1, added)):
        for piece in pieces:
            for cell in cells_of(piece):
                people_delta[(*cell, piece["person"])] += sign
                hours_delta[cell] = hours_delta.get(cell, Decimal(0)) + sign * Decimal(piece["share"])
                credentials_delta[cell] += sign * piece["credentials"]
    volunteers_delta: Counter[tuple[Any, ...]] = Counter()
    changed = sorted(key for key, delta in people_delta.items() if delta)  # one order: no deadlock between writers
    names = ("year", "territory", "cut", "value", "person")
    gone = []
    for chunk in _chunks(changed, CHUNK):
        rows = [dict(zip(names, key), slices=people_delta[key]) for key in chunk]
        for *key, person, count in _upsert(session, people, rows, names, ("slices",)):
            delta = people_delta[(*key, person)]
            if count - delta == 0 and count > 0:
                volunteers_delta[tuple(key)] += 1
            elif count - delta > 0 and count == 0:
                volunteers_delta[tuple(key)] -= 1
            if count <= 0:
                gone.append((*key, person))
    for chunk in _chunks(gone, CHUNK):
        session.execute(delete(people).where(tuple_(*(people.c[n] for n in names)).in_(chunk)))
    touched = sorted(key for key in hours_delta if hours_delta[key] or credentials_delta[key] or volunteers_delta[key])
    cell_names = ("year", "territory", "cut", "value")
    for chunk in _chunks(touched, CHUNK):
        rows = [
            dict(
                zip(cell_names, key),
                volunteers=volunteers_delta[key],
                hours=hours_delta[key],
                credentials=credentials_delta[key],
            )
            for key in chunk
        ]
        emptied = [
            tuple(found[:4])
            for found in _upsert(session, cells, rows, cell_names, ("volunteers", "hours", "credentials"))
            if found[4] <= 0
        ]
        if emptied:
            session.execute(delete(cells).where(tuple_(*(cells.c[n] for n in cell_names)).in_(emptied)))


def _comparable(piece: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(
        Decimal(piece[c]).quantize(SHARE_PLACES) if c == "share" else _as_date(piece[c]) if c == "month" else piece[c]
        for c in SLICE_COLUMNS
    )


def refresh(session: Session, record_ids: Iterable[str]) -> None:
    """Writes the slices of these records again (none for a record no longer counted) and moves the counters."""
    domains = domains_of_mission_types()
    for chunk in _chunks(sorted(set(record_ids)), CHUNK):
        before = [
            dict(row._mapping)
            for row in session.execute(
                select(*(slices.c[c] for c in SLICE_COLUMNS)).where(slices.c.record_id.in_(chunk))
            )
        ]
        after = [s for row in session.execute(_counted_records(chunk)) for s in _slices_of(row, domains)]
        if sorted(map(_comparable, before)) == sorted(map(_comparable, after)):
            continue  # nothing that counts changed (the common case of a draft's edit)
        session.execute(delete(slices).where(slices.c.record_id.in_(chunk)))
        if after:
            session.execute(insert(slices), after)
        _apply(session, before, after)


def rebuild(session: Session) -> int:
    """Every slice and counter written again from the records (after a bulk load, or a catalogue whose mission types
    moved to other domains); returns how many slices there are."""
    domains = domains_of_mission_types()
    for table in (cells, people, slices):
        session.execute(delete(table))
    written = 0
    result = session.execute(_counted_records(None).execution_options(yield_per=5_000))
    for chunk in _chunks((s for row in result for s in _slices_of(row, domains)), 5_000):
        session.execute(insert(slices), chunk)
        written += len(chunk)
    columns = {
        "month": slices.c.period,
        "municipality": slices.c.municipality,
        "domain": slices.c.domain,
        "mission_type": slices.c.mission_type,
        "organisation_type": slices.c.organisation_type,
        "total": literal("", String),
    }
    for territory, cuts in ((None, NATIONAL), (slices.c.municipality, TERRITORY)):
        place = literal(NATION, String) if territory is None else territory
        for cut in cuts:
            grouped = [slices.c.year, place, columns[cut]]
            session.execute(
                insert(people).from_select(
                    ["year", "territory", "cut", "value", "person", "slices"],
                    select(
                        slices.c.year, place, literal(cut, String), columns[cut], slices.c.person, func.count()
                    ).group_by(*grouped, slices.c.person),
                )
            )
            session.execute(
                insert(cells).from_select(
                    ["year", "territory", "cut", "value", "volunteers", "hours", "credentials"],
                    select(
                        slices.c.year,
                        place,
                        literal(cut, String),
                        columns[cut],
                        func.count(distinct(slices.c.person)),
                        func.sum(slices.c.share),
                        func.sum(slices.c.credentials),
                    ).group_by(*grouped),
                )
            )
    return written


# --- keeping it current: the ORM's flushes note the records, the commit rewrites their slices -----------------------


@event.listens_for(Session, "after_flush")
def _note(session: Session, flush_context: Any) -> None:  # noqa: ARG001 - the event's signature
    noted = session.info.setdefault(PENDING, set())
    noted_credentials = session.info.setdefault(PENDING_CREDENTIALS, set())
    for item in chain(session.new, session.dirty, session.deleted):
        if isinstance(item, RecordRow):
            noted.add(item.id)
        elif isinstance(item, CredentialRow) and item.record_id:
            noted.add(item.record_id)
        elif isinstance(item, HeldCredentialRow):
            noted_credentials.add(item.credential_id)
        elif isinstance(item, OrganisationRow) and inspect(item).attrs.legal_form.history.has_changes():
            session.info.setdefault(PENDING_ORGANISATIONS, set()).add(item.id)


# Before the audit log's writer (issuers.store), whose head lock must stay the last lock a transaction takes.
# Records noted in a transaction that then rolls back stay noted: writing their slices again later reads what is
# there, so it is only work, never a wrong figure.
@event.listens_for(Session, "before_commit", insert=True)
def _write(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint's release: the outer commit writes
    session.flush()
    noted: set[str] = session.info.pop(PENDING, set())
    credential_ids: set[str] = session.info.pop(PENDING_CREDENTIALS, set())
    for org_id in session.info.pop(PENDING_ORGANISATIONS, set()):  # its type changed: every counted record moves
        noted.update(session.scalars(select(ReportSliceRow.record_id).where(ReportSliceRow.organisation_id == org_id)))
    for chunk in _chunks(sorted(credential_ids), CHUNK):
        noted.update(
            r
            for (r,) in session.execute(select(CredentialRow.record_id).where(CredentialRow.id.in_(chunk)))
            if r is not None
        )
    if noted:
        refresh(session, noted)


# --- reading -----------------------------------------------------------------------------------------------------------


def cuts(session: Session, scope: Scope, year: int, by: Sequence[str]) -> dict[str, list[Aggregate]]:
    """The same figures as store.cuts for a territory or the nation (a year by month, by each cut of `by`, in
    total), read from the counters."""
    if scope.organisation_id is not None:
        raise ValueError("the summary holds published figures: a territory's or the nation's")
    territory = NATION if scope.municipality is None else scope.municipality
    wanted = ("month", *by, "total")
    allowed = NATIONAL if territory == NATION else TERRITORY
    if unknown := [cut for cut in wanted if cut not in allowed]:
        raise ValueError(f"the summary has no cut {unknown[0]!r} here")
    found: dict[str, list[Aggregate]] = {name: [] for name in wanted}
    query = select(cells.c.cut, cells.c.value, cells.c.hours, cells.c.volunteers, cells.c.credentials).where(
        cells.c.year == year, cells.c.territory == territory, cells.c.cut.in_(wanted)
    )
    for cut, value, hours, volunteers, credentials in session.execute(query):
        period, value = (value, "") if cut == "month" else ("", value)
        found[cut].append(Aggregate(period, value, hours_value(hours), int(volunteers), int(credentials)))
    return found
