"""Search in both languages, ignoring case and Latvian diacritics, exact and prefix matches first."""

from __future__ import annotations

from catalogue import load_catalogue
from catalogue.search import (
    EXACT,
    PREFIX,
    SUBSTRING,
    WORD_PREFIX,
    fold,
    match_rank,
    search_competences,
    search_mission_types,
)


def labels(query: str, lang: str = "lv") -> list[str]:
    return [entry.label.in_language(lang) for entry in search_competences(load_catalogue(), query, lang)]


def test_fold_removes_case_and_latvian_diacritics():
    assert fold("Skolotājs") == "skolotajs"
    assert fold("ĀČĒĢĪĶĻŅŠŪŽ āčēģīķļņšūž") == "acegiklnsuz acegiklnsuz"
    assert fold("  Pirmā   palīdzība ") == "pirma palidziba"


def test_match_ranks():
    assert match_rank("skolotajs", "skolotajs") == EXACT
    assert match_rank("skolotajs", "skolotajs palidz") == PREFIX
    assert match_rank("skolotajs", "palidzigs skolotajs") == WORD_PREFIX
    assert match_rank("olot", "skolotajs") == SUBSTRING
    assert match_rank("skolotajs", "students") is None


def test_search_ignores_diacritics_and_case():
    assert "sniegt pirmo palīdzību" in labels("PIRMO PALIDZIBU")
    assert "šķirot atkritumus" in labels("skirot")


def test_inflected_latvian_query_finds_other_forms():
    found = labels("pirmā palīdzība")
    assert found[0] == "pirmā palīdzība"  # the exact match first
    assert "sniegt pirmo palīdzību" in found and "mācīt pirmās palīdzības pamatprincipus" in found


def test_search_covers_both_languages():
    assert labels("first aid")[:1] == ["pirmā palīdzība"]  # the English label matched, the Latvian one shown
    assert labels("empātiju", "en") == ["show empathy"]


def best_rank(query: str, label_lv: str) -> int:
    entry = next(c for c in load_catalogue().competences if c.label.lv == label_lv)
    return min(
        r for r in (match_rank(fold(query), fold(text)) for text in (entry.label.lv, entry.label.en)) if r is not None
    )


def test_exact_then_prefix_then_word_prefix_then_substring():
    assert labels("plānot") == ["plānot", "plānot pasākumus"]  # exact, then prefix
    assert labels("team", "en")[0] == "teamwork principles"  # prefix before "build team spirit"
    found = labels("kultūras")
    ranks = [best_rank("kultūras", label) for label in found]
    assert ranks == sorted(ranks)
    assert {WORD_PREFIX, SUBSTRING} <= set(ranks)
    assert found[-1] == "apliecināt starpkultūru kompetenci"  # inside a word: last


def test_empty_query_lists_everything_alphabetically():
    found = labels("", "en")
    assert len(found) == len(load_catalogue().competences)
    assert found == sorted(found, key=fold)


def test_mission_types_rank_names_before_descriptions():
    catalogue = load_catalogue()
    found = [entry.code for entry in search_mission_types(catalogue, "ugunsdzeseji", "lv")]
    assert found[0] == "volunteer-firefighter"
    assert [entry.code for entry in search_mission_types(catalogue, "festival", "en")][0] == "festival-support"
    elderly = search_mission_types(catalogue, "", "lv", domain="elderly")
    assert {entry.domain for entry in elderly} == {"elderly"}
