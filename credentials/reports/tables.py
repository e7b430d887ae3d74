"""Report tables as plain data (what pages, the API and every export show), and how they are built from aggregated
figures, with suppression applied where a table is published beyond the organisation."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Final

from credentials.reports.disclosure import TOTAL, Cell, one_way_lines, suppress
from credentials.reports.periods import Period, rounded

Value = int | Decimal | str | None  # None: a suppressed figure


@dataclass(frozen=True)
class Aggregate:
    """The figures of one cell: a period and a value of the cut (both "" when not cut)."""

    period: str
    value: str
    hours: Decimal
    volunteers: int
    credentials: int


EMPTY: Final = Aggregate("", "", Decimal(0), 0, 0)


@dataclass
class Table:
    """One table: `columns` are (key, label); each row starts with its label. `counts` says what the table counts,
    `method` how hours are split (shown under the table). `chart` is the column a chart draws, if any."""

    key: str
    title: str
    counts: str
    columns: list[tuple[str, str]]
    rows: list[list[Value]]
    total: list[Value] | None = None
    method: str | None = None
    chart: str | None = None
    suppressed: bool = False  # whether suppression was applied (the legend is shown)
    row_keys: list[str] = field(default_factory=list)

    def records(self) -> list[dict[str, Value]]:
        """The rows (and the total) as dictionaries keyed by column key: what JSON and open data carry."""
        keys = [key for key, _ in self.columns]
        found = [dict(zip(keys, row)) for row in self.rows]
        if self.total is not None:
            found.append(dict(zip(keys, self.total)))
        return found


@dataclass
class Report:
    key: str
    title: str
    subtitle: str
    tables: list[Table]
    figures: list[tuple[str, str, Value]] = field(default_factory=list)  # (key, label, value): "ready to copy"


MEASURES: Final = ("volunteers", "hours", "credentials")


def one_way(
    key: str,
    title: str,
    counts: str,
    columns: list[tuple[str, str]],
    labelled: Sequence[tuple[str, str]],
    cells: Mapping[str, Aggregate],
    total: Aggregate,
    *,
    total_label: str,
    method: str | None = None,
    protect: bool = False,
    keep_empty: bool = True,
) -> Table:
    """A table of one cut: a row per (value, label) with volunteers, hours and credentials, and the total. With
    `protect`, cells of fewer than 5 volunteers and their complements are suppressed (None)."""
    shown = [(value, label) for value, label in labelled if keep_empty or value in cells]
    hidden: dict[Hashable, str] = {}
    if protect:
        cell_of: dict[Hashable, Cell] = {
            value: Cell(cells.get(value, EMPTY).volunteers, cells.get(value, EMPTY).hours) for value, _ in shown
        }
        cell_of[TOTAL] = Cell(total.volunteers, total.hours)
        hidden = suppress(cell_of, one_way_lines([value for value, _ in shown]))

    def row(label: str, figures: Aggregate, is_hidden: bool) -> list[Value]:
        if is_hidden:
            return [label, *([None] * (len(columns) - 1))]
        measure: dict[str, Value] = {
            "volunteers": figures.volunteers,
            "hours": rounded(figures.hours),
            "credentials": figures.credentials,
        }
        return [label, *(measure[k] for k, _ in columns[1:])]

    return Table(
        key=key,
        title=title,
        counts=counts,
        columns=columns,
        rows=[row(label, cells.get(value, EMPTY), value in hidden) for value, label in shown],
        total=row(total_label, total, TOTAL in hidden),
        method=method,
        chart="hours",
        suppressed=protect,
        row_keys=[value for value, _ in shown],
    )


def period_grid(
    key: str,
    title: str,
    counts: str,
    first_column: str,
    labelled: Sequence[tuple[str, str]],
    over: Sequence[Period],
    cells: Mapping[tuple[str, str], Aggregate],
    totals: Mapping[str, Aggregate],
    *,
    total_label: str,
    method: str,
) -> Table:
    """Hours by value (rows) and period (columns), with the total of each row and of each period."""
    columns = [("label", first_column), *((p.key, p.key) for p in over), ("total", total_label)]
    rows: list[list[Value]] = []
    for value, label in labelled:
        hours = [cells.get((p.key, value), EMPTY).hours for p in over]
        rows.append([label, *(rounded(h) for h in hours), rounded(sum(hours, Decimal(0)))])
    period_hours = [totals.get(p.key, EMPTY).hours for p in over]
    total: list[Value] = [total_label, *(rounded(h) for h in period_hours), rounded(sum(period_hours, Decimal(0)))]
    return Table(key, title, counts, columns, rows, total, method, chart="total", row_keys=[v for v, _ in labelled])
