"""Message catalogues: every user-facing text in Latvian and English, Latvian first.

Each package keeps its texts in a `messages.toml` beside its code, one table per message key:

    [record.hours_not_positive]
    lv = "Stundu skaitam jābūt lielākam par nulli."
    en = "Hours must be greater than zero."

Keys are namespaced by package (the first segment is free; the loader only checks uniqueness across files).
Placeholders use `str.format` names: `{field}`. A text that counts something names the count and gives each
language's CLDR plural forms (Babel knows the rules: Latvian one/other/zero, Russian and Ukrainian one/few/many);
a form a language lacks falls back to `other`:

    [record.hours_exceed_period]
    count = "days"
    lv.one = "Periodā ir {days} diena; ..."
    lv.other = "Periodā ir {days} dienas; ..."

Decimal and float parameters are written the language's way by Babel ("7,5" in Latvian, "7.5" in English).

Packages register their catalogues as `volcred.messages` entry points (pyproject.toml), so this module names no
package above it.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from importlib.metadata import entry_points
from importlib.resources import files
from pathlib import Path
from typing import Any

from babel import Locale
from babel.dates import format_date as babel_format_date
from babel.numbers import format_decimal

LANGUAGES: tuple[str, ...] = ("lv", "en")
DEFAULT_LANGUAGE = "lv"


def normalise_language(value: str | None) -> str:
    """Pick `lv` or `en` from a `lang` parameter or an Accept-Language header; Latvian when unsure."""
    if not value:
        return DEFAULT_LANGUAGE
    for part in value.split(","):
        tag = part.split(";")[0].strip().lower()
        primary = tag.split("-")[0]
        if primary in LANGUAGES:
            return primary
    return DEFAULT_LANGUAGE


def environment_language(environ: Mapping[str, str] = os.environ) -> str:
    """The language of command-line output: VOLCRED_LANG, else the locale in LANG (`lv_LV.UTF-8` gives lv)."""
    return normalise_language(environ.get("VOLCRED_LANG") or environ.get("LANG", "").split(".")[0].replace("_", "-"))


def plural_category(count: int | Decimal | float, lang: str) -> str:
    """The CLDR plural category of `count` in `lang` ("one", "few", "many", "zero", "other")."""
    return Locale.parse(lang).plural_form(count)


def format_number(value: int | Decimal | float, lang: str) -> str:
    """A number the language's way: decimal comma and grouping in Latvian, point in English."""
    return format_decimal(value, locale=lang)


def format_date(value: date, lang: str, length: str = "long") -> str:
    """A date the language's way (Babel's CLDR patterns), e.g. lv "2024. gada 1. jūnijs", en "June 1, 2024"."""
    return babel_format_date(value, format=length, locale=lang)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)


@dataclass(frozen=True)
class Text:
    """One message in both languages; `count` names the parameter whose plural form chooses among `forms`."""

    lv: str
    en: str
    count: str | None = None
    forms: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def in_language(self, lang: str) -> str:
        return self.lv if lang == "lv" else self.en

    def format(self, **params: object) -> Text:
        return Text(lv=self._format_in("lv", params), en=self._format_in("en", params))

    def _format_in(self, lang: str, params: Mapping[str, object]) -> str:
        template = self.in_language(lang)
        if self.count is not None and self.forms and _is_number(params.get(self.count)):
            category = plural_category(params[self.count], lang)  # type: ignore[arg-type]
            forms = self.forms.get(lang, {})
            template = forms.get(category) or forms.get("other") or template
        shown = {
            name: format_number(value, lang) if isinstance(value, (float, Decimal)) else value
            for name, value in params.items()
        }
        return template.format(**shown)


class MessageCatalogueError(ValueError):
    pass


@dataclass
class Messages:
    """All message catalogues of the application, merged."""

    texts: dict[str, Text] = field(default_factory=dict)

    @classmethod
    def load(cls, paths: Iterable[Path]) -> Messages:
        merged: dict[str, Text] = {}
        for path in paths:
            with open(path, "rb") as fh:
                data = tomllib.load(fh)
            for key, entry in _flatten(data):
                if key in merged:
                    raise MessageCatalogueError(f"{path}: message '{key}' is defined twice")
                merged[key] = _text(path, key, entry)
        return cls(merged)

    def text(self, key: str, **params: object) -> Text:
        try:
            template = self.texts[key]
        except KeyError:
            raise KeyError(f"no message '{key}' in the message catalogues") from None
        return template.format(**params) if params else template

    def get(self, key: str, lang: str, **params: object) -> str:
        return self.text(key, **params).in_language(lang)


def _text(path: Path, key: str, entry: Mapping[str, Any]) -> Text:
    """One entry: a string per language, or (with `count`) a table of CLDR plural forms per language."""
    count = entry.get("count")
    if count is None:
        missing = [lang for lang in LANGUAGES if not isinstance(entry.get(lang), str) or not entry[lang]]
        if missing:
            raise MessageCatalogueError(f"{path}: message '{key}' lacks {', '.join(missing)}")
        return Text(lv=entry["lv"], en=entry["en"])
    forms: dict[str, dict[str, str]] = {}
    for lang in LANGUAGES:
        table = entry.get(lang)
        if not isinstance(table, dict) or not isinstance(table.get("other"), str) or not table["other"]:
            raise MessageCatalogueError(f"{path}: message '{key}' lacks the plural form 'other' in {lang}")
        unknown = set(table) - {"zero", "one", "two", "few", "many", "other"}
        if unknown:
            raise MessageCatalogueError(f"{path}: message '{key}' has unknown plural forms {sorted(unknown)}")
        forms[lang] = dict(table)
    return Text(lv=forms["lv"]["other"], en=forms["en"]["other"], count=str(count), forms=forms)


def _flatten(data: Mapping[str, object], prefix: str = "") -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Yield (dotted key, {lv, en}) for every leaf table that holds language strings."""
    for name, value in data.items():
        if not isinstance(value, dict):
            continue
        key = f"{prefix}{name}"
        if any(lang in value for lang in LANGUAGES):
            yield key, value
        else:
            yield from _flatten(value, key + ".")


_messages: Messages | None = None


MESSAGES_ENTRY_POINTS = "volcred.messages"


def message_files() -> list[Path]:
    """This package's messages.toml, then every package's registered under the `volcred.messages` entry points."""
    found = [Path(str(files("base") / "messages.toml"))]
    registered = entry_points(group=MESSAGES_ENTRY_POINTS)
    if not registered:
        # An install from before the entry points existed: every text but the layout's would be missing.
        raise MessageCatalogueError(
            f"no package registers a message catalogue (entry points "
            f"'{MESSAGES_ENTRY_POINTS}'): reinstall the project (pip install -e .)"
        )
    for entry in sorted(registered, key=lambda e: e.name):
        candidate = Path(str(files(entry.value) / "messages.toml"))
        if candidate.exists() and candidate not in found:
            found.append(candidate)
    return found


def messages() -> Messages:
    """The merged catalogue of all packages, loaded once."""
    global _messages
    if _messages is None:
        _messages = Messages.load(message_files())
    return _messages


def t(key: str, lang: str = DEFAULT_LANGUAGE, **params: object) -> str:
    return messages().get(key, lang, **params)
