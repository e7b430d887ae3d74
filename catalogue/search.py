"""Search over competences and mission types in every language the catalogue has them in, ignoring case and
diacritics ("skolotajs" finds "skolotājs"); exact matches rank first, then prefix matches, then word-prefix matches,
then any substring."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Generic, TypeVar

from base.i18n import LANGUAGES
from catalogue.model import AltLabels, Bilingual, Catalogue, Competence, MissionType

EXACT, PREFIX, WORD_PREFIX, SUBSTRING = range(4)

T = TypeVar("T")


def fold(text: str) -> str:
    """Lower case without diacritics: Latvian ā č ē ģ ī ķ ļ ņ š ū ž become a c e g i k l n s u z."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(char for char in decomposed if not unicodedata.combining(char)).split())


# Folded Latvian inflection endings, longest first: "pirmā palīdzība" should also find "sniegt pirmo palīdzību".
_ENDINGS = ("ajam", "iem", "ams", "am", "as", "ai", "es", "is", "us", "os", "a", "e", "i", "o", "u", "s")
_MIN_STEM = 4


def stem(word: str) -> str:
    """A folded word without its Latvian case ending, when enough of it is left to stay specific."""
    for ending in _ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= _MIN_STEM:
            return word[: -len(ending)]
    return word


def match_rank(query: str, text: str) -> int | None:
    """How well a folded text matches a folded query (lower is better), or None when it does not.

    Every word of the query must occur in the text (or its stem does, for inflected Latvian); beyond that, the whole
    query decides the rank."""
    stems = [stem(word) for word in query.split()]
    if not all(part in text for part in stems):
        return None
    if text == query:
        return EXACT
    if text.startswith(query):
        return PREFIX
    words = text.replace("-", " ").replace(",", " ").split()
    if all(any(word.startswith(part) for word in words) for part in stems):
        return WORD_PREFIX
    return SUBSTRING


@dataclass(frozen=True)
class Searchable(Generic[T]):
    item: T
    sort_label: dict[str, str]  # folded label per language, for ties
    labels: tuple[str, ...]  # folded names and labels in every language
    details: tuple[str, ...] = ()  # folded descriptions and tasks: a match here ranks after any label match


def _best(query: str, texts: tuple[str, ...]) -> int | None:
    ranks = [rank for rank in (match_rank(query, text) for text in texts) if rank is not None]
    return min(ranks) if ranks else None


def _rank(entry: Searchable, query: str) -> int | None:
    rank = _best(query, entry.labels)
    if rank is not None:
        return rank
    rank = _best(query, entry.details)
    return None if rank is None else SUBSTRING + 1 + rank


def search(entries: Iterable[Searchable[T]], query: str, lang: str, limit: int | None = None) -> list[T]:
    """Matching items, best first; ties in the alphabetical order of the label in `lang`. An empty query lists all."""
    folded = fold(query or "")
    ranked = []
    for entry in entries:
        rank = _rank(entry, folded) if folded else EXACT
        if rank is not None:
            ranked.append((rank, entry.sort_label[lang], entry.item))
    ranked.sort(key=lambda hit: hit[:2])
    items = [item for _, _, item in ranked]
    return items[:limit] if limit is not None else items


@dataclass(frozen=True)
class SearchIndex:
    competences: tuple[Searchable[Competence], ...]
    mission_types: tuple[Searchable[MissionType], ...]


def _sort_labels(text: Bilingual) -> dict[str, str]:
    """The folded label each page language shows (English where Russian or Ukrainian is missing)."""
    return {lang: fold(text.in_language(lang)) for lang in LANGUAGES}


def _texts(text: Bilingual) -> list[str]:
    """A text in every language the catalogue has it in."""
    return [text.in_language(lang) for lang in LANGUAGES if text.language_shown(lang) == lang]


def _alternatives(alt_labels: AltLabels) -> list[str]:
    return [label for lang in LANGUAGES for label in alt_labels.in_language(lang)]


@lru_cache(maxsize=8)
def search_index(catalogue: Catalogue) -> SearchIndex:
    """Folded texts of a catalogue, computed once per catalogue."""
    competences = tuple(
        Searchable(
            entry,
            _sort_labels(entry.label),
            tuple(fold(text) for text in (*_texts(entry.label), *_alternatives(entry.alt_labels))),
        )
        for entry in catalogue.competences
    )
    mission_types = tuple(
        Searchable(
            entry,
            _sort_labels(entry.name),
            tuple(fold(text) for text in (*_texts(entry.name), entry.code.replace("-", " "))),
            tuple(
                fold(text) for text in (*_texts(entry.description), *(t for task in entry.tasks for t in _texts(task)))
            ),
        )
        for entry in catalogue.mission_types
    )
    return SearchIndex(competences, mission_types)


def search_competences(
    catalogue: Catalogue, query: str, lang: str = "lv", limit: int | None = None
) -> list[Competence]:
    return search(search_index(catalogue).competences, query, lang, limit)


def search_mission_types(
    catalogue: Catalogue, query: str, lang: str = "lv", domain: str | None = None
) -> list[MissionType]:
    entries = search_index(catalogue).mission_types
    if domain is not None:
        catalogue.domain(domain)
        entries = tuple(entry for entry in entries if entry.item.domain == domain)
    return search(entries, query, lang)
