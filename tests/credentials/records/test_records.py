"""Validation of records of volunteer work, with readable reasons in both languages."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from base.errors import UserError
from catalogue import load_catalogue
from credentials.records.records import CompetenceClaim, RecordInput, VolunteerInput, format_hours, validate_record

TODAY = date(2026, 11, 22)


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


@pytest.fixture(scope="module")
def mission(catalogue):
    return catalogue.mission_types[0]


def record(mission, **changes) -> RecordInput:
    values = dict(
        volunteer=VolunteerInput(name="Līga Bērziņa", email="Liga@Example.lv"),
        mission_type=mission.code,
        start_date="2026-06-01",
        end_date="2026-06-03",
        hours="18",
        municipality="Liepāja",
    )
    values.update(changes)
    return RecordInput(**values)


def problems(catalogue, data) -> dict[str, str]:
    with pytest.raises(UserError) as error:
        validate_record(data, catalogue, TODAY)
    return {e["field"]: e["message"].en for e in error.value.errors}


def test_valid_record_is_normalised_with_default_competences(catalogue, mission):
    valid = validate_record(record(mission), catalogue, TODAY)
    assert valid.volunteer.email == "liga@example.lv"
    assert valid.municipality == "liepaja"
    assert valid.hours == Decimal("18")
    assert [c.uri for c in valid.competences] == list(mission.core_competences)
    assert all(c.attested_by == "organiser" for c in valid.competences)
    assert valid.title == mission.name.lv


@pytest.mark.parametrize(
    "changes, field, text",
    [
        ({"mission_type": "no-such-mission"}, "mission_type", "Unknown mission type"),
        ({"end_date": "2026-05-01"}, "end_date", "before the start date"),
        ({"hours": 0}, "hours", "greater than zero"),
        ({"hours": "-3"}, "hours", "greater than zero"),
        ({"hours": "73"}, "hours", "cannot hold more than 72 hours"),
        ({"hours": "abc"}, "hours", "must be a number"),
        ({"hours": "1.005"}, "hours", "two decimal places"),
        ({"start_date": "2027-01-01", "end_date": "2027-01-02"}, "start_date", "future"),
        ({"end_date": "2026-12-01"}, "end_date", "future"),
        ({"start_date": "01.06.2026"}, "start_date", "YYYY-MM-DD"),
        ({"municipality": "Tartu"}, "municipality", "not a Latvian municipality"),
        ({"competences": ["http://data.europa.eu/esco/skill/not-real"]}, "competences[0]", "not in the catalogue"),
        ({"volunteer": VolunteerInput(name="A", email="not-an-email")}, "volunteer.email", "not valid"),
        ({"volunteer": VolunteerInput(name=" ")}, "volunteer.name", "name or a pseudonym"),
        ({"volunteer": VolunteerInput(pseudonym="short")}, "volunteer.pseudonym", "8–64 characters"),
        ({"volunteer": VolunteerInput(name="Ann", pseudonym="abcdefgh1")}, "volunteer", "either a pseudonym or a name"),
    ],
)
def test_bad_records_are_refused_with_a_reason(catalogue, mission, changes, field, text):
    found = problems(catalogue, record(mission, **changes))
    assert text in found[field], found


def test_hours_up_to_24_per_day_are_fine(catalogue, mission):
    assert validate_record(record(mission, hours="72"), catalogue, TODAY).hours == Decimal("72")
    assert validate_record(record(mission, hours="7,5"), catalogue, TODAY).hours == Decimal("7.5")


def test_all_problems_reported_at_once_in_latvian_too(catalogue, mission):
    with pytest.raises(UserError) as error:
        validate_record(record(mission, hours=0, municipality="Tartu", end_date="2026-01-01"), catalogue, TODAY)
    fields = {e["field"] for e in error.value.errors}
    assert {"hours", "municipality", "end_date"} <= fields
    assert any("pašvaldība" in e["message"].lv for e in error.value.errors)


def test_self_described_competence_from_elsewhere_in_catalogue(catalogue, mission):
    other = next(c.uri for c in catalogue.competences if c.uri not in mission.core_competences)
    valid = validate_record(
        record(mission, competences=[mission.core_competences[0], CompetenceClaim(other, "self", "Es mācījos…")]),
        catalogue,
        TODAY,
    )
    assert [(c.uri, c.attested_by) for c in valid.competences] == [
        (mission.core_competences[0], "organiser"),
        (other, "self"),
    ]


def test_pseudonymous_volunteer_carries_nothing_else():
    assert VolunteerInput(pseudonym="VOL-7F3K-29QD").pseudonymous


def test_hours_are_formatted_as_strings_without_exponents():
    assert format_hours(Decimal("42.00")) == "42"
    assert format_hours(Decimal("7.50")) == "7.5"
    assert format_hours(Decimal("100")) == "100"
