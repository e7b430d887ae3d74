"""The hours log's rules (credentials.hourslog.log), pure: what a session must hold and how sessions become one
statement."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from base.errors import UserError
from catalogue import load_catalogue
from credentials.hourslog.log import LoggedSession, SessionInput, plan_statement, validate_session

TODAY = date(2026, 10, 20)


def _known() -> set[str]:
    return set(load_catalogue().competences_by_uri)


def _uris(n: int) -> list[str]:
    return [c.uri for c in load_catalogue().competences[:n]]


def _input(**changes) -> SessionInput:
    values = {
        "organisation_id": None,
        "organisation_name": "Biedrība „Upes krasts”",
        "worked_on": "2026-10-18",
        "hours": "3,5",
        "activity": "Sorted donated clothes",
        "competences": _uris(2),
    }
    return SessionInput(**{**values, **changes})


def _refused(data: SessionInput, other: Decimal = Decimal(0)) -> dict[str, str]:
    with pytest.raises(UserError) as refused:
        validate_session(data, _known(), TODAY, other)
    return {item["field"]: item["message"].in_language("en") for item in refused.value.errors}


def test_a_good_session_is_tidied():
    valid = validate_session(_input(organisation_name="  Biedrība   „Upes krasts” "), _known(), TODAY)
    assert valid.hours == Decimal("3.5") and valid.worked_on == date(2026, 10, 18)
    assert valid.organisation_name == "Biedrība „Upes krasts”" and valid.organisation_id is None
    assert valid.competences == tuple(_uris(2))
    registered = validate_session(_input(organisation_id="org1"), _known(), TODAY)
    assert registered.organisation_id == "org1" and registered.organisation_name is None
    assert validate_session(_input(hours="24", worked_on=TODAY.isoformat()), _known(), TODAY).hours == 24


@pytest.mark.parametrize("hours", ["0", "-1", "24.5", "1.234", "abc", "", "NaN"])
def test_hours_are_above_zero_at_most_24_with_two_decimals(hours):
    assert "hours" in _refused(_input(hours=hours))


def test_a_day_holds_24_hours_across_sessions():
    assert validate_session(_input(hours="4"), _known(), TODAY, Decimal(20)).hours == 4
    message = _refused(_input(hours="4.5"), Decimal(20))["hours"]
    assert "20 h are already logged" in message and "4 h more" in message


def test_no_work_in_the_future_nor_before_1900():
    assert "worked_on" in _refused(_input(worked_on=(TODAY + timedelta(days=1)).isoformat()))
    assert "worked_on" in _refused(_input(worked_on="1899-12-31"))
    assert "worked_on" in _refused(_input(worked_on="18.10.2026"))


def test_competences_are_from_the_catalogue():
    errors = _refused(_input(competences=[_uris(1)[0], "http://data.europa.eu/esco/skill/not-a-skill"]))
    assert "not-a-skill" in errors["competences"]
    assert validate_session(_input(competences=[]), _known(), TODAY).competences == ()


def test_an_organisation_and_what_was_done_are_needed():
    errors = _refused(_input(organisation_name="  ", activity=" "))
    assert set(errors) == {"organisation_name", "activity"}
    assert "activity" in _refused(_input(activity="x" * 1001))


def _logged(n: int, day: int, hours: str, uris: list[str], org: str | None = "org1", sent: str | None = None):
    return LoggedSession(f"s{n}", org, date(2026, 10, day), Decimal(hours), f"work {n}", tuple(uris), sent)


def _line(item: LoggedSession) -> str:
    return f"{item.worked_on}: {item.activity}"


def test_a_statement_sums_hours_spans_the_period_and_joins_competences():
    a, b, c = _uris(3)
    plan = plan_statement([_logged(1, 12, "2.5", [b, a]), _logged(2, 3, "4", [a]), _logged(3, 7, "1", [c, b])], _line)
    assert plan.organisation_id == "org1"
    assert (plan.start_date, plan.end_date) == (date(2026, 10, 3), date(2026, 10, 12))
    assert plan.hours == Decimal("7.5")
    assert plan.competences == (a, c, b)  # oldest session first, each once
    assert plan.narrative == "2026-10-03: work 2\n2026-10-07: work 3\n2026-10-12: work 1"


def test_a_statement_is_of_one_registered_organisation_and_sessions_not_sent():
    uris = _uris(1)
    with pytest.raises(UserError) as free:
        plan_statement([_logged(1, 3, "1", uris, org=None)], _line)
    assert free.value.errors[0]["field"] == "sessions"
    with pytest.raises(UserError):
        plan_statement([_logged(1, 3, "1", uris), _logged(2, 4, "1", uris, org="org2")], _line)
    with pytest.raises(UserError) as sent:
        plan_statement([_logged(1, 3, "1", uris, sent="record1")], _line)
    assert sent.value.kind == "conflict"
    with pytest.raises(UserError):
        plan_statement([], _line)
    with pytest.raises(UserError):
        plan_statement([_logged(1, 3, "1", [])], _line)
