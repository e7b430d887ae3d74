"""Message catalogues: every user-facing text in Latvian and English, Latvian first.

Each package keeps its texts in a `messages.toml` beside its code, one table per message key:

    [record.hours_not_positive]
    lv = "Stundu skaitam jābūt lielākam par nulli."
    en = "Hours must be greater than zero."

Keys are namespaced by package (the first segment is free; the loader only checks uniqueness across files).
Placeholders use `str.format` names: `{field}`. This module lives in `catalogue` because catalogue is the package
every other one may import.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping

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


@dataclass(frozen=True)
class Text:
    """One message in both languages."""

    lv: str
    en: str

    def in_language(self, lang: str) -> str:
        return self.lv if lang == "lv" else self.en

    def format(self, **params: object) -> "Text":
        return Text(lv=self.lv.format(**params), en=self.en.format(**params))


class MessageCatalogueError(ValueError):
    pass


@dataclass
class Messages:
    """All message catalogues of the application, merged."""

    texts: dict[str, Text] = field(default_factory=dict)

    @classmethod
    def load(cls, paths: Iterable[Path]) -> "Messages":
        merged: dict[str, Text] = {}
        for path in paths:
            with open(path, "rb") as fh:
                data = tomllib.load(fh)
            for key, entry in _flatten(data):
                missing = [lang for lang in LANGUAGES if not isinstance(entry.get(lang), str) or not entry[lang]]
                if missing:
                    raise MessageCatalogueError(f"{path}: message '{key}' lacks {', '.join(missing)}")
                if key in merged:
                    raise MessageCatalogueError(f"{path}: message '{key}' is defined twice")
                merged[key] = Text(lv=entry["lv"], en=entry["en"])
        return cls(merged)

    def text(self, key: str, **params: object) -> Text:
        try:
            template = self.texts[key]
        except KeyError:
            raise KeyError(f"no message '{key}' in the message catalogues") from None
        return template.format(**params) if params else template

    def get(self, key: str, lang: str, **params: object) -> str:
        return self.text(key, **params).in_language(lang)


def _flatten(data: Mapping[str, object], prefix: str = ""):
    """Yield (dotted key, {lv, en}) for every leaf table that holds language strings."""
    for name, value in data.items():
        if not isinstance(value, dict):
            continue
        key = f"{prefix}{name}"
        if any(lang in value for lang in LANGUAGES):
            yield key, value
        else:
            yield from _flatten(value, key + ".")


class UserError(Exception):
    """An error a user caused and can fix, carrying a message key rather than a text.

    `kind` says what went wrong in domain terms; the HTTP adapter maps it to a status, the CLI to an exit code.
    `errors` may list field-level problems: dicts with at least `field` and `message` (a `Text`).
    """

    kinds = ("invalid", "not_found", "conflict", "forbidden", "unauthorised", "gone", "too_large", "too_many_requests")

    def __init__(self, key: str, kind: str = "invalid", errors: list[dict] | None = None, **params: object):
        if kind not in self.kinds:
            raise ValueError(f"unknown error kind {kind!r}")
        super().__init__(key)
        self.key = key
        self.kind = kind
        self.params = params
        self.errors = errors or []


_messages: Messages | None = None


def message_files() -> list[Path]:
    """Every package's messages.toml, in dependency order."""
    import importlib.util

    files = []
    for package in ("catalogue", "issuers", "credentials", "verify", "volcred"):
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            continue
        candidate = Path(list(spec.submodule_search_locations)[0]) / "messages.toml"
        if candidate.exists():
            files.append(candidate)
    return files


def messages() -> Messages:
    """The merged catalogue of all packages, loaded once."""
    global _messages
    if _messages is None:
        _messages = Messages.load(message_files())
    return _messages


def t(key: str, lang: str = DEFAULT_LANGUAGE, **params: object) -> str:
    return messages().get(key, lang, **params)
