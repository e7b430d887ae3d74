"""Messages count the Latvian way: Babel's CLDR plural rules choose the form, Babel writes the numbers."""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from base.i18n import MessageCatalogueError, Messages, format_date, format_number, messages, plural_category


@pytest.mark.parametrize(
    ("days", "lv", "en"),
    [
        (1, "Periodā ir 1 diena;", "The period has 1 day;"),
        (2, "Periodā ir 2 dienas;", "The period has 2 days;"),
        (11, "Periodā ir 11 dienas;", "The period has 11 days;"),  # 11 is not "one" in Latvian
        (21, "Periodā ir 21 diena;", "The period has 21 days;"),  # 21 is "one" in Latvian, not in English
    ],
)
def test_a_count_takes_the_plural_form_of_its_language(days, lv, en):
    text = messages().text("record.hours_exceed_period", days=days, maximum=days * 24)
    assert text.lv.startswith(lv)
    assert text.en.startswith(en)


def test_the_plural_rules_are_cldr_s_for_every_language_we_may_add():
    assert [plural_category(n, "lv") for n in (0, 1, 2, 10, 11, 21)] == ["zero", "one", "other", "zero", "zero", "one"]
    assert [plural_category(n, "ru") for n in (1, 3, 5, 21)] == ["one", "few", "many", "one"]
    assert [plural_category(n, "uk") for n in (1, 2, 11)] == ["one", "few", "many"]


def test_decimal_parameters_are_written_the_language_s_way():
    text = messages().text("volunteer.total_hours", hours=Decimal("7.5"))
    assert text.lv == "Kopā derīgajos apliecinājumos: 7,5 stundas"
    assert text.en == "In valid credentials in total: 7.5 hours"
    assert (
        messages().get("volunteer.total_hours", "lv", hours=Decimal("1")) == "Kopā derīgajos apliecinājumos: 1 stunda"
    )


def test_numbers_and_dates_come_from_babel():
    assert format_number(Decimal("1234.5"), "lv") == "1\xa0234,5"
    assert format_number(Decimal("1234.5"), "en") == "1,234.5"
    assert format_date(date(2024, 6, 1), "en") == "June 1, 2024"
    assert "2024" in format_date(date(2024, 6, 1), "lv") and "jūnij" in format_date(date(2024, 6, 1), "lv")


def test_a_plural_message_without_its_other_form_is_refused(tmp_path: Path):
    path = tmp_path / "messages.toml"
    path.write_text(
        '[x.days]\ncount = "n"\nlv.one = "{n} diena"\nen.one = "{n} day"\nen.other = "{n} days"\n', encoding="utf-8"
    )
    with pytest.raises(MessageCatalogueError, match="'other' in lv"):
        Messages.load([path])


def test_every_package_s_catalogue_is_found_without_base_naming_it():
    keys = messages().texts
    for key in (
        "site.name",
        "catalogue.unknown_mission_type",
        "auth.required",
        "record.hours_exceed_period",
        "request.too_large",
    ):
        assert key in keys


def test_an_install_without_the_registered_catalogues_says_how_to_fix_it(monkeypatch):
    import base.i18n

    monkeypatch.setattr(base.i18n, "entry_points", lambda group: [])
    with pytest.raises(MessageCatalogueError, match="reinstall"):
        base.i18n.message_files()
