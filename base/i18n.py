"""Message catalogues: every user-facing text in Latvian, English, Russian and Ukrainian, Latvian first.

Each package keeps its texts in a `messages.toml` beside its code, one table per message key, every language
required:

    [record.hours_not_positive]
    lv = "Stundu skaitam jābūt lielākam par nulli."
    en = "Hours must be greater than zero."
    ru = "Количество часов должно быть больше нуля."
    uk = "Кількість годин має бути більшою за нуль."

Keys are namespaced by package (the first segment is free; the loader only checks uniqueness across files).
Placeholders use `str.format` names: `{field}`. A text that counts something names the count and gives each
language's CLDR plural forms (Babel knows the rules): every category of the language is required — English
one/other, Russian and Ukrainian one/few/many/other (`other` is for fractions: 1,5 часа) — except Latvian's `zero`
(0, 10–20, 30 …), which takes the `other` form:

    [record.hours_exceed_period]
    count = "days"
    lv.one = "Periodā ir {days} diena; ..."
    lv.other = "Periodā ir {days} dienas; ..."
    ru.one = "В периоде {days} день; ..."
    ru.few = "В периоде {days} дня; ..."
    ru.many = "В периоде {days} дней; ..."
    ru.other = "В периоде {days} дня; ..."

Decimal and float parameters are written the language's way by Babel ("7,5" in Latvian, "7.5" in English).

The page language is the `lang` parameter when it names one of ours, else the first of the browser's languages
(Accept-Language, by its q-values) that we have, else Latvian.

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

from babel import Locale, negotiate_locale
from babel.dates import format_date as babel_format_date
from babel.numbers import format_decimal

LANGUAGES: tuple[str, ...] = ("lv", "en", "ru", "uk")
DEFAULT_LANGUAGE = "lv"
# The language a text falls back to where a language has none of its own (a catalogue label not yet translated).
FALLBACK_LANGUAGE = "en"


def accepted_languages(header: str) -> list[str]:
    """The language tags of an Accept-Language header (RFC 9110, 12.5.4), most preferred first: by q-value, then
    in the order given; tags with q=0 ("not acceptable") and the wildcard are left out."""
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, *parameters = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value.strip())
                except ValueError:
                    quality = 0.0
        if tag and tag != "*" and 0 < quality <= 1:
            weighted.append((-quality, position, tag))
    return [tag for _, _, tag in sorted(weighted)]


def negotiate_language(accept_language: str | None) -> str | None:
    """The first of the browser's languages (Accept-Language) that we have (`uk-UA` gives uk), or None."""
    if not accept_language:
        return None
    found = negotiate_locale(accepted_languages(accept_language), LANGUAGES, sep="-", aliases={})
    return found.split("-")[0].lower() if found else None


def normalise_language(value: str | None, accept_language: str | None = None) -> str:
    """The page language: `value` (a `lang` parameter, or an Accept-Language header) when it names one of ours,
    else the browser's `accept_language`, else Latvian."""
    return negotiate_language(value) or negotiate_language(accept_language) or DEFAULT_LANGUAGE


def environment_language(environ: Mapping[str, str] = os.environ) -> str:
    """The language of command-line output: VOLCRED_LANG, else the locale in LANG (`uk_UA.UTF-8` gives uk)."""
    return normalise_language(environ.get("VOLCRED_LANG") or environ.get("LANG", "").split(".")[0].replace("_", "-"))


def plural_categories(lang: str) -> frozenset[str]:
    """The CLDR plural categories `lang` distinguishes, `other` included (ru, uk: one, few, many, other)."""
    return Locale.parse(lang).plural_form.tags | {"other"}


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
    """One message in every language; `count` names the parameter whose plural form chooses among `forms`.
    A language left empty (a text made by code that knows only lv and en) reads as English."""

    lv: str
    en: str
    ru: str = ""
    uk: str = ""
    count: str | None = None
    forms: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    @classmethod
    def of(
        cls, values: Mapping[str, str], count: str | None = None, forms: Mapping[str, Mapping[str, str]] | None = None
    ) -> Text:
        """A text from `{language: text}`."""
        return cls(values["lv"], values["en"], values.get("ru", ""), values.get("uk", ""), count, forms or {})

    def in_language(self, lang: str) -> str:
        text: str = getattr(self, lang, "") if lang in LANGUAGES else ""
        return text or self.en

    def format(self, **params: object) -> Text:
        return Text.of({lang: self._format_in(lang, params) for lang in LANGUAGES})

    def _format_in(self, lang: str, params: Mapping[str, object]) -> str:
        template = self.in_language(lang)
        if self.count is not None and self.forms and _is_number(params.get(self.count)):
            category = plural_category(params[self.count], lang)  # type: ignore[arg-type]
            forms = self.forms.get(lang) or self.forms[FALLBACK_LANGUAGE]
            template = forms.get(category) or forms.get("other") or template
        return template.format(**{name: _shown(value, lang) for name, value in params.items()})


def _shown(value: object, lang: str) -> object:
    """A parameter as the language writes it: a number Babel's way, a `Text` in that language."""
    if isinstance(value, (float, Decimal)):
        return format_number(value, lang)
    if isinstance(value, Text):
        return value.in_language(lang)
    return value


def per_language(text: Text, prefix: str = "message") -> dict[str, str]:
    """`{prefix}_lv`, `{prefix}_en`, `{prefix}_ru`, `{prefix}_uk`: a text in every language, for stored JSON."""
    return {f"{prefix}_{lang}": text.in_language(lang) for lang in LANGUAGES}


def stored_in_language(values: Mapping[str, Any], lang: str, prefix: str = "message") -> str:
    """The text `per_language` stored, in `lang`; English where it was stored before `lang` was offered."""
    return str(values.get(f"{prefix}_{lang}") or values[f"{prefix}_{FALLBACK_LANGUAGE}"])


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

    def _template(self, key: str) -> Text:
        try:
            return self.texts[key]
        except KeyError:
            raise KeyError(f"no message '{key}' in the message catalogues") from None

    def text(self, key: str, **params: object) -> Text:
        template = self._template(key)
        return template.format(**params) if params else template

    def get(self, key: str, lang: str, **params: object) -> str:
        """The message in `lang` (formatted in that language only: pages and e-mails call this for every text)."""
        template = self._template(key)
        return template._format_in(lang, params) if params else template.in_language(lang)


def _text(path: Path, key: str, entry: Mapping[str, Any]) -> Text:
    """One entry: a string per language, or (with `count`) a table of CLDR plural forms per language."""
    count = entry.get("count")
    if count is None:
        missing = [lang for lang in LANGUAGES if not isinstance(entry.get(lang), str) or not entry[lang]]
        if missing:
            raise MessageCatalogueError(f"{path}: message '{key}' lacks {', '.join(missing)}")
        return Text.of({lang: entry[lang] for lang in LANGUAGES})
    forms: dict[str, dict[str, str]] = {}
    for lang in LANGUAGES:
        table = entry.get(lang)
        if not isinstance(table, dict):
            raise MessageCatalogueError(f"{path}: message '{key}' lacks the plural forms in {lang}")
        unknown = set(table) - {"zero", "one", "two", "few", "many", "other"}
        if unknown:
            raise MessageCatalogueError(f"{path}: message '{key}' has unknown plural forms {sorted(unknown)}")
        # Latvian's `zero` (0, 10-20, 30 ...) reads as its `other`; every other category needs its own form.
        needed = plural_categories(lang) - {"zero"}
        lacking = sorted(form for form in needed if not isinstance(table.get(form), str) or not table[form])
        if lacking:
            raise MessageCatalogueError(
                f"{path}: message '{key}' lacks the plural form{'s' if len(lacking) > 1 else ''} "
                f"{', '.join(repr(form) for form in lacking)} in {lang}"
            )
        forms[lang] = dict(table)
    return Text.of({lang: forms[lang]["other"] for lang in LANGUAGES}, count=str(count), forms=forms)


def _flatten(data: Mapping[str, object], prefix: str = "") -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Yield (dotted key, {lv, en, ru, uk}) for every leaf table that holds language strings."""
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
