"""Statistical disclosure control of published tables: primary and complementary cell suppression.

Primary suppression: a cell built from fewer than `THRESHOLD` (5) distinct volunteers is not shown. A cell of no
volunteers at all (an empty cell, 0) is shown: it says nothing about anyone.

Complementary suppression, so that a hidden cell cannot be recovered by subtraction from a published total: a table
is a set of lines, each a list of cells and the total they add up to (a row and its row total, a column and its column
total, the row totals and the grand total, the column totals and the grand total). A line with exactly one hidden
member (cell or total) gives that member away, so the smallest other shown cell of the line is hidden too (smallest
by volunteers, then by hours, then by position; empty cells are never chosen, and a line with no cell left to hide
hides its total). This repeats over all lines until nothing changes (a fixed point): then every line either hides
nothing or hides at least two members. This is the well-known simple heuristic of statistical offices for tables with
margins; it is not an optimal (least information lost) pattern.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

THRESHOLD: Final = 5
PRIMARY: Final = "primary"
COMPLEMENTARY: Final = "complementary"


@dataclass(frozen=True)
class Cell:
    """What suppression needs to know of a cell: how many distinct volunteers it is built from, and its size."""

    volunteers: int
    hours: Decimal = Decimal(0)


@dataclass(frozen=True)
class Line:
    """Cells that add up to a published total."""

    cells: Sequence[Hashable]
    total: Hashable


def suppress(cells: Mapping[Hashable, Cell], lines: Sequence[Line], threshold: int = THRESHOLD) -> dict[Hashable, str]:
    """The hidden cells (totals included) of a table, each with why: PRIMARY or COMPLEMENTARY."""
    hidden: dict[Hashable, str] = {key: PRIMARY for key, cell in cells.items() if 0 < cell.volunteers < threshold}
    order = {key: index for index, key in enumerate(cells)}
    changed = True
    while changed:
        changed = False
        for line in lines:
            members = [*line.cells, line.total]
            if sum(1 for key in members if key in hidden) != 1:
                continue
            candidates = [key for key in line.cells if key not in hidden and cells[key].volunteers > 0]
            if candidates:
                pick = min(candidates, key=lambda k: (cells[k].volunteers, cells[k].hours, order[k]))
            elif line.total not in hidden:
                pick = line.total
            else:  # the only hidden member is the total and every cell is empty: the total is 0, nothing to hide
                continue
            hidden[pick] = COMPLEMENTARY
            changed = True
    return hidden


TOTAL: Final = "total"


def one_way_lines(keys: Sequence[Hashable], total: Hashable = TOTAL) -> list[Line]:
    """A one-way table: its cells and their total."""
    return [Line(list(keys), total)]


def two_way_lines(rows: Sequence[Hashable], columns: Sequence[Hashable]) -> list[Line]:
    """A two-way table with margins. Cells are keyed (row, column); row totals (row, TOTAL); column totals
    (TOTAL, column); the grand total (TOTAL, TOTAL)."""
    lines = [Line([(r, c) for c in columns], (r, TOTAL)) for r in rows]
    lines += [Line([(r, c) for r in rows], (TOTAL, c)) for c in columns]
    lines.append(Line([(r, TOTAL) for r in rows], (TOTAL, TOTAL)))
    lines.append(Line([(TOTAL, c) for c in columns], (TOTAL, TOTAL)))
    return lines
