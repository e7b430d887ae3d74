"""Recognition levels' rules against hand-computed fixtures: periods at their boundaries, the domain filter, what is
excluded and why, corrections counted once."""

from datetime import UTC, date, datetime
from decimal import Decimal

from credentials.levels.domain import (
    COUNTED_ELSEWHERE,
    EXPIRED,
    NO_HOURS,
    OTHER_DOMAIN,
    OUT_OF_PERIOD,
    REVOKED,
    SUSPENDED,
    CredentialFacts,
    Level,
    Scheme,
    evidence_total,
    next_level,
    reached,
    tally,
    window,
)

NOW = datetime(2026, 12, 5, 12, tzinfo=UTC)
SILVER = Level("silver", Decimal(50), {"en": "Silver"})
GOLD = Level("gold", Decimal(100), {"en": "Gold"})


def facts(id, hours, end, domain="culture", status="active", **more):
    return CredentialFacts(id, status, Decimal(hours) if hours is not None else None, end, domain, **more)


def test_periods_at_their_boundaries():
    assert window("lifetime", date(2026, 12, 5)).start is None
    year = window("calendar_year", date(2026, 12, 5))
    assert (year.key, year.start, year.end) == ("2026", date(2026, 1, 1), date(2026, 12, 31))
    rolling = window("rolling_12_months", date(2026, 12, 5))
    assert (rolling.start, rolling.end) == (date(2025, 12, 6), date(2026, 12, 5))
    leap = window("rolling_12_months", date(2028, 2, 29))
    assert leap.start == date(2027, 3, 1)

    held = [
        facts("a", 10, date(2025, 12, 5)),  # the day before the rolling window: out
        facts("b", 20, date(2025, 12, 6)),  # its first day: in
        facts("c", 30, date(2025, 12, 31)),  # last year: out of the calendar year
        facts("d", 40, date(2026, 1, 1)),  # the calendar year's first day
        facts("e", 50, date(2026, 12, 5)),  # the day counted
    ]
    as_of = date(2026, 12, 5)
    assert tally(Scheme("lifetime"), held, {}, as_of, NOW).total == Decimal(150)
    assert tally(Scheme("calendar_year"), held, {}, as_of, NOW).total == Decimal(90)  # d + e
    rolling_tally = tally(Scheme("rolling_12_months"), held, {}, as_of, NOW)
    assert rolling_tally.total == Decimal(140)  # b + c + d + e
    assert [line.reason for line in rolling_tally.lines] == [OUT_OF_PERIOD, None, None, None, None]


def test_domain_filter_counts_only_the_schemes_domains():
    held = [facts("a", 10, date(2026, 3, 1), "culture"), facts("b", 7, date(2026, 3, 1), "sport")]
    result = tally(Scheme("lifetime", frozenset({"sport"})), held, {}, date(2026, 12, 5), NOW)
    assert result.total == Decimal(7)
    assert [line.reason for line in result.lines] == [OTHER_DOMAIN, None]


def test_revoked_suspended_expired_and_hourless_credentials_do_not_count():
    held = [
        facts("a", 10, date(2026, 3, 1), status="revoked"),
        facts("b", 11, date(2026, 3, 1), status="suspended"),
        facts("c", 12, date(2026, 3, 1), valid_until=datetime(2026, 12, 5, 12, tzinfo=UTC)),  # expired this instant
        facts("d", None, None),
        facts("e", 13, date(2026, 3, 1), valid_until=datetime(2026, 12, 6, tzinfo=UTC)),  # still valid
    ]
    result = tally(Scheme("lifetime"), held, {}, date(2026, 12, 5), NOW)
    assert [line.reason for line in result.lines] == [REVOKED, SUSPENDED, EXPIRED, NO_HOURS, None]
    assert result.total == Decimal(13)


def test_a_superseded_credential_counts_through_its_correction_once():
    old = facts("old", 40, date(2026, 3, 1), status="revoked", superseded_by="new")
    new = facts("new", 32, date(2026, 3, 1))
    # Held: the superseded one and its correction; the correction's 32 hours count once, the old 40 never.
    result = tally(Scheme("lifetime"), [old, new], {"new": new}, date(2026, 12, 5), NOW)
    assert result.total == Decimal(32)
    assert [line.counted.id if line.counted else line.reason for line in result.lines] == ["new", COUNTED_ELSEWHERE]
    # Held: only the superseded one: its correction counts for it.
    assert tally(Scheme("lifetime"), [old], {"new": new}, date(2026, 12, 5), NOW).total == Decimal(32)
    # The same credential twice is counted once.
    twice = tally(Scheme("lifetime"), [new, new], {}, date(2026, 12, 5), NOW)
    assert twice.total == Decimal(32)


def test_levels_reached_and_next():
    scheme = Scheme("lifetime", levels=(GOLD, SILVER))
    assert reached(scheme, Decimal("49.5")) == []
    assert next_level(scheme, Decimal("49.5")) == SILVER
    assert reached(scheme, Decimal(50)) == [SILVER]
    assert reached(scheme, Decimal(120)) == [SILVER, GOLD]
    assert next_level(scheme, Decimal(120)) is None


def test_an_awarded_levels_evidence_after_a_revocation_and_a_correction():
    a = facts("a", 30, date(2026, 3, 1))
    b = facts("b", 25, date(2026, 4, 1), status="revoked", superseded_by="b2")
    b2 = facts("b2", 20, date(2026, 4, 1))
    c = facts("c", 10, date(2026, 5, 1), status="revoked")
    known = {"a": a, "b": b, "c": c}
    assert evidence_total(["a", "b", "c"], known, {"b2": b2}, NOW) == Decimal(50)  # 30 + 20 (b through b2), c gone
