"""Messages in Latvian, English, Russian and Ukrainian: Babel's CLDR plural rules choose the form, Babel writes the
numbers; the page language is the browser's first that we have."""

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from base.i18n import (
    LANGUAGES,
    MessageCatalogueError,
    Messages,
    accepted_languages,
    environment_language,
    format_date,
    format_number,
    messages,
    normalise_language,
    per_language,
    plural_category,
    stored_in_language,
)


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


def test_every_message_is_in_all_four_languages():
    assert LANGUAGES == ("lv", "en", "ru", "uk")
    texts = messages().texts
    assert len(texts) > 500
    for key, text in texts.items():
        values = {lang: text.in_language(lang) for lang in LANGUAGES}
        assert all(values.values()), key
        for lang in ("ru", "uk"):
            for template in (values[lang], *text.forms.get(lang, {}).values()):
                words = re.sub(r"\{[^{}]*\}", "", template)  # placeholders are not words
                cyrillic = re.search("[а-яіїєґ]", words, re.IGNORECASE)
                assert cyrillic or key in LATIN_ON_PURPOSE or not re.search("[a-z]", words), (key, lang)


def test_russian_and_ukrainian_are_written_in_cyrillic_with_the_same_placeholders():
    placeholder = re.compile(r"(?<!\{)\{([a-z_]+)[^{}]*\}(?!\})")
    for key, text in messages().texts.items():
        latvian = set(placeholder.findall(text.lv)) | set(placeholder.findall(text.en))
        for lang in ("ru", "uk"):
            own = text.in_language(lang)
            # A count's one form may leave the number out; nothing else may lose or gain a placeholder.
            assert set(placeholder.findall(own)) == latvian or text.count or key == "certificate.date", (key, lang)


# Texts that stay in Latin letters in every language: the switch back to the Latvian result, and format names.
LATIN_ON_PURPOSE = {"verify.page.show_in_other_language", "catalogue.page.skos_link", "verify.page.export_edc"}


@pytest.mark.parametrize(
    ("hours", "ru", "uk"),
    [
        (1, "1 час", "1 година"),
        (2, "2 часа", "2 години"),
        (5, "5 часов", "5 годин"),
        (21, "21 час", "21 година"),
        (Decimal("1.5"), "1,5 часа", "1,5 години"),
    ],
)
def test_russian_and_ukrainian_counts_take_their_own_plural_forms(hours, ru, uk):
    text = messages().text("volunteer.total_hours", hours=hours)
    assert text.ru.endswith(ru) and text.uk.endswith(uk)
    assert [plural_category(n, "ru") for n in (1, 2, 5, 21, 1.5)] == ["one", "few", "many", "one", "other"]
    assert [plural_category(n, "uk") for n in (1, 2, 5, 21, 1.5)] == ["one", "few", "many", "one", "other"]


def test_days_are_counted_in_russian_and_ukrainian():
    assert messages().get("record.hours_exceed_period", "ru", days=3, maximum=72).startswith("В периоде 3 дня;")
    assert messages().get("record.hours_exceed_period", "ru", days=11, maximum=264).startswith("В периоде 11 дней;")
    assert messages().get("record.hours_exceed_period", "uk", days=21, maximum=504).startswith("У періоді 21 день;")
    assert messages().get("record.hours_exceed_period", "uk", days=5, maximum=120).startswith("У періоді 5 днів;")


def test_a_plural_message_needs_every_form_of_its_language(tmp_path: Path):
    path = tmp_path / "messages.toml"
    path.write_text(
        '[x.days]\ncount = "n"\nlv.one = "{n} diena"\nlv.other = "{n} dienas"\nen.one = "{n} day"\n'
        'en.other = "{n} days"\nru.one = "{n} день"\nru.other = "{n} дня"\n'
        'uk.one = "{n} день"\nuk.few = "{n} дні"\nuk.many = "{n} днів"\nuk.other = "{n} дня"\n',
        encoding="utf-8",
    )
    with pytest.raises(MessageCatalogueError, match="lacks the plural forms 'few', 'many' in ru"):
        Messages.load([path])


def test_a_message_without_russian_or_ukrainian_is_refused(tmp_path: Path):
    path = tmp_path / "messages.toml"
    path.write_text('[x.hello]\nlv = "Sveiki"\nen = "Hello"\nru = "Привет"\n', encoding="utf-8")
    with pytest.raises(MessageCatalogueError, match="'x.hello' lacks uk"):
        Messages.load([path])


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("uk-UA,uk;q=0.9,ru;q=0.8,en;q=0.7", "uk"),
        ("ru-RU,ru;q=0.9,lv;q=0.8", "ru"),
        ("de-DE,de;q=0.9,en-GB;q=0.5,ru;q=0.4", "en"),  # the first of ours, not the first sent
        ("en;q=0.3, ru;q=0.8, lv;q=0.5", "ru"),  # by q-value, not by order
        ("lv;q=0.5, uk;q=0.5", "lv"),  # equal q: the order given
        ("uk;q=0, en", "en"),  # q=0 means "not this one"
        ("UK-ua", "uk"),
        ("de, fr;q=0.9", "lv"),  # none of ours: Latvian
        ("*", "lv"),
        ("ru;q=abc, en;q=0.1", "en"),  # a broken weight counts as not acceptable
        ("", "lv"),
        (None, "lv"),
    ],
)
def test_the_browser_s_language_is_chosen_by_accept_language(header, expected):
    assert normalise_language(None, header) == expected
    assert accepted_languages("uk-UA,uk;q=0.9,ru;q=0.8,en;q=0.7") == ["uk-UA", "uk", "ru", "en"]


def test_the_lang_parameter_overrides_the_browser_and_a_wrong_one_is_ignored():
    assert normalise_language("en", "uk-UA,uk;q=0.9") == "en"
    assert normalise_language("uk", "lv") == "uk"
    assert normalise_language("xx", "ru,en;q=0.5") == "ru"
    assert normalise_language("RU") == "ru"


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"LANG": "uk_UA.UTF-8"}, "uk"),
        ({"LANG": "ru_RU.UTF-8"}, "ru"),
        ({"LANG": "ru_RU.UTF-8", "VOLCRED_LANG": "lv"}, "lv"),
        ({"LANG": "C.UTF-8"}, "lv"),
        ({}, "lv"),
    ],
)
def test_the_command_line_speaks_the_locale_s_language(environ, expected):
    assert environment_language(environ) == expected


def test_a_text_parameter_is_shown_in_each_language():
    detail = messages().text("record.hours_not_positive")
    row = messages().text("batch.row_failed", detail=detail)
    assert row.uk == "Рядок не вдалося видати: Кількість годин має бути більшою за нуль."
    assert row.lv.endswith(detail.lv) and row.ru.endswith(detail.ru)
    stored = per_language(row)
    assert stored_in_language(stored, "ru") == row.ru
    assert stored_in_language({"message_lv": "a", "message_en": "b"}, "uk") == "b"  # stored before Ukrainian
