"""Recognition levels, the pure rules: which of a volunteer's credentials count towards a scheme, their total in the
scheme's period, and the level that total reaches. No HTTP, no SQL: the store hands in plain facts.

The rules (issue 18, "Recognition levels"):
- only credentials that verify now count: a revoked, suspended or expired credential does not;
- a superseded credential counts through its correction only: it is followed to its last correction, which counts if
  it verifies now (with the correction's hours), and a correction reached twice (held, and through the credential it
  replaced) counts once: the same credential never twice;
- only credentials built from a record carry hours the platform can count (a body an organisation signed through the
  VC-API has none it vouches for);
- the period is the scheme's: its whole life, the calendar year of the day counted, or the 12 months ending that day;
  a credential belongs to the period its activity ended in (its end date), whole, never split;
- a scheme may count only some catalogue domains (the mission type's domain); none named: all count.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

PERIODS = ("lifetime", "calendar_year", "rolling_12_months")

# Why a credential does not count (message keys `levels.why.<reason>`).
REVOKED, SUSPENDED, EXPIRED, NO_HOURS, OUT_OF_PERIOD, OTHER_DOMAIN, COUNTED_ELSEWHERE = (
    "revoked",
    "suspended",
    "expired",
    "no_hours",
    "out_of_period",
    "other_domain",
    "counted_through_correction",
)


@dataclass(frozen=True)
class CredentialFacts:
    """What the rules need of one credential."""

    id: str
    status: str  # active, suspended or revoked
    hours: Decimal | None  # None: not built from a record
    end_date: date | None
    domain: str | None  # the mission type's catalogue domain
    valid_until: datetime | None = None
    superseded_by: str | None = None
    title: str = ""


@dataclass(frozen=True)
class Level:
    id: str
    threshold: Decimal
    name: Mapping[str, str]  # language -> name


@dataclass(frozen=True)
class Scheme:
    period: str
    domains: frozenset[str] = frozenset()  # empty: every domain
    levels: tuple[Level, ...] = ()

    def __post_init__(self) -> None:
        if self.period not in PERIODS:
            raise ValueError(f"unknown period {self.period!r}")


@dataclass(frozen=True)
class Window:
    """The period counted, both ends inclusive (`start` None: since ever)."""

    key: str  # "lifetime", "2026" or "2026-12-05" (the rolling window's last day)
    start: date | None
    end: date


def window(period: str, as_of: date) -> Window:
    if period == "lifetime":
        return Window("lifetime", None, as_of)
    if period == "calendar_year":
        return Window(str(as_of.year), date(as_of.year, 1, 1), date(as_of.year, 12, 31))
    if period == "rolling_12_months":
        # The 12 months ending on `as_of`: from the day after the same day a year before (29 February: 28 February).
        day = 28 if (as_of.month, as_of.day) == (2, 29) else as_of.day
        return Window(as_of.isoformat(), date(as_of.year - 1, as_of.month, day) + timedelta(days=1), as_of)
    raise ValueError(f"unknown period {period!r}")


@dataclass(frozen=True)
class Line:
    """One held credential and what the rules made of it: counted (the credential whose hours count: itself or
    its correction) or why not."""

    held: CredentialFacts
    counted: CredentialFacts | None
    reason: str | None = None


@dataclass
class Tally:
    window: Window
    lines: list[Line] = field(default_factory=list)

    @property
    def counted(self) -> list[CredentialFacts]:
        return [line.counted for line in self.lines if line.counted is not None]

    @property
    def total(self) -> Decimal:
        return sum((facts.hours or Decimal(0) for facts in self.counted), Decimal(0))


def final_version(facts: CredentialFacts, corrections: Mapping[str, CredentialFacts]) -> CredentialFacts:
    """The credential's last correction (itself if none): the one whose hours count."""
    seen = {facts.id}
    while facts.superseded_by and facts.superseded_by in corrections and facts.superseded_by not in seen:
        facts = corrections[facts.superseded_by]
        seen.add(facts.id)
    return facts


def exclusion(facts: CredentialFacts, scheme: Scheme, span: Window, now: datetime) -> str | None:
    """Why this credential (already its last correction) does not count; None when it does."""
    if facts.status == "revoked":
        return REVOKED
    if facts.status == "suspended":
        return SUSPENDED
    if facts.valid_until is not None and facts.valid_until <= now:
        return EXPIRED
    if facts.hours is None or facts.end_date is None:
        return NO_HOURS
    if (span.start is not None and facts.end_date < span.start) or facts.end_date > span.end:
        return OUT_OF_PERIOD
    if scheme.domains and facts.domain not in scheme.domains:
        return OTHER_DOMAIN
    return None


def tally(
    scheme: Scheme,
    held: Iterable[CredentialFacts],
    corrections: Mapping[str, CredentialFacts],
    as_of: date,
    now: datetime,
) -> Tally:
    """Each held credential counted once, through its last correction, in the scheme's period as of `as_of`."""
    span = window(scheme.period, as_of)
    result = Tally(span)
    counted_ids: set[str] = set()
    for facts in held:
        final = final_version(facts, corrections)
        reason = exclusion(final, scheme, span, now)
        if reason is None and final.id in counted_ids:
            reason = COUNTED_ELSEWHERE
        if reason is None:
            counted_ids.add(final.id)
            result.lines.append(Line(facts, final))
        else:
            result.lines.append(Line(facts, None, reason))
    return result


def levels_by_threshold(scheme: Scheme) -> list[Level]:
    return sorted(scheme.levels, key=lambda level: level.threshold)


def reached(scheme: Scheme, total: Decimal) -> list[Level]:
    """The levels the total reaches, lowest first."""
    return [level for level in levels_by_threshold(scheme) if level.threshold <= total]


def next_level(scheme: Scheme, total: Decimal) -> Level | None:
    return next((level for level in levels_by_threshold(scheme) if level.threshold > total), None)


def evidence_total(
    evidence: Iterable[str],
    facts: Mapping[str, CredentialFacts],
    corrections: Mapping[str, CredentialFacts],
    now: datetime,
) -> Decimal:
    """What an awarded level's evidence still adds up to: each named credential through its last correction, if that
    verifies now (a level once awarded stays in its period: only the credentials' status and corrections matter)."""
    total, seen = Decimal(0), set()
    for credential_id in evidence:
        held = facts.get(credential_id)
        if held is None:
            continue
        final = final_version(held, corrections)
        if final.id in seen or final.hours is None or final.status != "active":
            continue
        if final.valid_until is not None and final.valid_until <= now:
            continue
        seen.add(final.id)
        total += final.hours
    return total
