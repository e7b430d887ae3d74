"""Latvia's 43 local governments: the only accepted values for an organisation's or a record's municipality."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

DATA = Path(__file__).parent / "data" / "municipalities.yaml"


@dataclass(frozen=True)
class Municipality:
    code: str
    lv: str
    en: str
    state_city: bool

    def name(self, lang: str) -> str:
        return self.lv if lang == "lv" else self.en


def fold(value: str) -> str:
    """Case- and diacritic-insensitive form, so "Cesu novads" and "cēsu novads" match "Cēsu novads"."""
    decomposed = unicodedata.normalize("NFKD", value.strip().casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=1)
def all_municipalities() -> tuple[Municipality, ...]:
    data = yaml.safe_load(DATA.read_text(encoding="utf-8"))
    items = [Municipality(state_city=True, **m) for m in data["state_cities"]]
    items += [Municipality(state_city=False, **m) for m in data["municipalities"]]
    return tuple(items)


@lru_cache(maxsize=1)
def _index() -> dict[str, Municipality]:
    index: dict[str, Municipality] = {}
    for m in all_municipalities():
        for key in (m.code, m.lv, m.en):
            index[fold(key)] = m
    return index


def find_municipality(value: str | None) -> Municipality | None:
    """The municipality named by its code, Latvian or English name (any case, with or without diacritics)."""
    if not value:
        return None
    return _index().get(fold(value))
