"""Calendar periods (month, quarter, year) and the pro-rata split of a record's hours over them.

The method, written under every table that uses it: a record's hours are spread evenly over the days of its
volunteering period (start and end date included); a calendar period gets the hours of the days it shares with the
record:

    share = hours × (days of the record inside the period) ÷ (days of the record)

So 30 hours from 30 January to 2 February (4 days) give January 15 hours (2 days) and February 15 hours (2 days); a
year's hours are the sum of its months' and nothing is counted twice. Periods are volunteering periods, never issue
dates. The queries (store.py) compute the same formula in SQL on day numbers; `split_hours` is its reference.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Final

GRAINS: Final = ("month", "quarter", "year")
EPOCH: Final = date(1970, 1, 1)


@dataclass(frozen=True)
class Period:
    """One calendar period: `key` is "2026", "2026-Q1" or "2026-01"; first and last day included."""

    key: str
    first: date
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def first_day(self) -> int:
        return day_number(self.first)

    @property
    def last_day(self) -> int:
        return day_number(self.last)


def day_number(value: date) -> int:
    """Days since 1970-01-01: what the queries compare, the same on SQLite and PostgreSQL."""
    return (value - EPOCH).days


def _month(year: int, month: int) -> Period:
    first = date(year, month, 1)
    following = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return Period(f"{year}-{month:02d}", first, following - timedelta(days=1))


def periods(grain: str, first: date, last: date) -> list[Period]:
    """The calendar periods of `grain` that touch the span first..last, in order."""
    if grain not in GRAINS:
        raise ValueError(f"unknown grain {grain!r}")
    found: list[Period] = []
    for year in range(first.year, last.year + 1):
        if grain == "year":
            found.append(Period(str(year), date(year, 1, 1), date(year, 12, 31)))
            continue
        for month in range(1, 13):
            if grain == "quarter" and month % 3 != 1:
                continue
            period = _month(year, month)
            if grain == "quarter":
                end = _month(year, month + 2)
                period = Period(f"{year}-Q{(month - 1) // 3 + 1}", period.first, end.last)
            if period.last >= first and period.first <= last:
                found.append(period)
    return found


def year_periods(year: int, grain: str) -> list[Period]:
    """The periods of `grain` in calendar year `year`."""
    return periods(grain, date(year, 1, 1), date(year, 12, 31))


def overlap_days(start: date, end: date, period: Period) -> int:
    """Days of start..end (both included) inside `period`; 0 when they do not meet."""
    return max(0, (min(end, period.last) - max(start, period.first)).days + 1)


def split_hours(hours: Decimal, start: date, end: date, over: list[Period]) -> dict[str, Decimal]:
    """The record's hours that fall in each period of `over` (pro rata by days; unrounded)."""
    days = (end - start).days + 1
    if days <= 0:
        raise ValueError("the end date is before the start date")
    return {p.key: hours * overlap_days(start, end, p) / days for p in over if overlap_days(start, end, p)}


def rounded(value: Decimal, places: int = 1) -> Decimal:
    """Hours as shown: one decimal place, halves up."""
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
