"""The reports' pure core against hand-computed figures: the pro-rata split and cell suppression."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from credentials.reports.disclosure import (
    COMPLEMENTARY,
    PRIMARY,
    TOTAL,
    Cell,
    one_way_lines,
    suppress,
    two_way_lines,
)
from credentials.reports.periods import periods, split_hours, year_periods


def test_split_across_a_year_boundary_by_days():
    # 30 hours over 4 days (30 Dec - 2 Jan): 2 days in each year, 7.5 hours a day
    months = periods("month", date(2025, 12, 1), date(2026, 1, 31))
    assert split_hours(Decimal(30), date(2025, 12, 30), date(2026, 1, 2), months) == {
        "2025-12": Decimal(15),
        "2026-01": Decimal(15),
    }
    years = periods("year", date(2025, 1, 1), date(2026, 12, 31))
    assert split_hours(Decimal(30), date(2025, 12, 30), date(2026, 1, 2), years) == {"2025": 15, "2026": 15}


def test_split_across_months_and_within_a_quarter():
    # 60 hours from 31 Jan to 1 Mar 2026: 30 days (1 + 28 + 1), 2 hours a day
    split = split_hours(Decimal(60), date(2026, 1, 31), date(2026, 3, 1), year_periods(2026, "month"))
    assert split == {"2026-01": 2, "2026-02": 56, "2026-03": 2}
    assert split_hours(Decimal(60), date(2026, 1, 31), date(2026, 3, 1), year_periods(2026, "quarter")) == {
        "2026-Q1": 60
    }


def test_quarters_and_months_of_a_year():
    assert [p.key for p in year_periods(2026, "quarter")] == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
    q1 = year_periods(2026, "quarter")[0]
    assert (q1.first, q1.last, q1.days) == (date(2026, 1, 1), date(2026, 3, 31), 90)
    assert year_periods(2024, "month")[1].days == 29  # a leap year's February


def test_one_way_primary_and_complementary():
    # A:10, B:3 (< 5: primary), C:7, D:6, E:0 (empty: shown), total 26. B alone hidden in the line would be
    # total - the rest, so the smallest other non-empty cell, D, is hidden too.
    cells = {
        "A": Cell(10, Decimal(100)),
        "B": Cell(3, Decimal(20)),
        "C": Cell(7, Decimal(50)),
        "D": Cell(6, Decimal(40)),
        "E": Cell(0),
        TOTAL: Cell(26, Decimal(210)),
    }
    assert suppress(cells, one_way_lines(["A", "B", "C", "D", "E"])) == {"B": PRIMARY, "D": COMPLEMENTARY}


def test_one_way_nothing_below_the_threshold_hides_nothing():
    cells = {"A": Cell(5), "B": Cell(9), TOTAL: Cell(14)}
    assert suppress(cells, one_way_lines(["A", "B"])) == {}


def test_two_way_to_a_fixed_point():
    # volunteers (hours) by row r and column c; the margins are all >= 5.
    #        c1       c2      c3
    # r1   8 (80)  2 (10)  9 (50)      (r1,c2) < 5: primary
    # r2   6 (30)  7 (40) 12 (90)
    # r3  10 (60)  5 (20)  3 (15)      (r3,c3) < 5: primary
    # Pass 1: row r1 hides (r1,c1) (8 < 9); row r3 hides (r3,c2) (5 < 10); column c1 then has (r1,c1) alone and
    # hides (r2,c1) (6 < 10); column c2 has two; column c3 has (r3,c3) alone and hides (r1,c3) (9 < 12).
    # Pass 2: row r2 has (r2,c1) alone and hides (r2,c2) (7 < 12). Pass 3 changes nothing.
    grid = {
        ("r1", "c1"): (8, 80),
        ("r1", "c2"): (2, 10),
        ("r1", "c3"): (9, 50),
        ("r2", "c1"): (6, 30),
        ("r2", "c2"): (7, 40),
        ("r2", "c3"): (12, 90),
        ("r3", "c1"): (10, 60),
        ("r3", "c2"): (5, 20),
        ("r3", "c3"): (3, 15),
    }
    cells = {key: Cell(v, Decimal(h)) for key, (v, h) in grid.items()}
    rows, cols = ["r1", "r2", "r3"], ["c1", "c2", "c3"]
    for r in rows:
        cells[(r, TOTAL)] = Cell(sum(grid[(r, c)][0] for c in cols))
    for c in cols:
        cells[(TOTAL, c)] = Cell(sum(grid[(r, c)][0] for r in rows))
    cells[(TOTAL, TOTAL)] = Cell(sum(v for v, _ in grid.values()))
    hidden = suppress(cells, two_way_lines(rows, cols))
    assert hidden == {
        ("r1", "c2"): PRIMARY,
        ("r3", "c3"): PRIMARY,
        ("r1", "c1"): COMPLEMENTARY,
        ("r3", "c2"): COMPLEMENTARY,
        ("r2", "c1"): COMPLEMENTARY,
        ("r1", "c3"): COMPLEMENTARY,
        ("r2", "c2"): COMPLEMENTARY,
    }
    # and no line gives a hidden cell away: each hides none or at least two of its members
    for line in two_way_lines(rows, cols):
        assert sum(1 for key in [*line.cells, line.total] if key in hidden) != 1


def test_a_hidden_total_with_one_cell_left_hides_another():
    # a line whose total is primary-suppressed (4) and whose cells are shown: the smallest cell is hidden so the total
    # cannot be added up
    cells = {"A": Cell(0), "B": Cell(0), TOTAL: Cell(0)}
    assert suppress(cells, one_way_lines(["A", "B"])) == {}
    cells = {"A": Cell(6), "B": Cell(7), TOTAL: Cell(4)}  # (distinct counts need not add up)
    assert suppress(cells, one_way_lines(["A", "B"])) == {TOTAL: PRIMARY, "A": COMPLEMENTARY}
