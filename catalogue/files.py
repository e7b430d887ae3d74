"""The catalogue's data files: YAML under `catalogue/data/`, read and checked into a `Catalogue`.

    data/catalogue.yaml          version, title, description
    data/key-competences.yaml    the eight EU key competences
    data/domains.yaml            domains of volunteering
    data/competences.yaml        the ESCO concepts used, with Latvian and English labels (rewritten by `import-esco`)
    data/mission-types/*.yaml    mission types, one file per domain
    data/releases/*.json         frozen snapshots of released versions
    data/esco/                   the ESCO reference extract every URI is checked against

Every problem found is reported with the file, the entry (its code or URI, else `#n` counting from 1) and the field,
all problems at once rather than the first only.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from base.errors import UserError
from base.i18n import Text, messages
from catalogue.model import (
    CODE_PATTERN,
    ESCO_URI_PATTERN,
    SEMVER_PATTERN,
    Bilingual,
    Catalogue,
    CatalogueContent,
    Competence,
    Domain,
    Entry,
    KeyCompetence,
    MissionType,
    SemVer,
)

DATA_DIR = Path(__file__).resolve().parent / "data"
INFO_FILE = "catalogue.yaml"
KEY_COMPETENCES_FILE = "key-competences.yaml"
DOMAINS_FILE = "domains.yaml"
COMPETENCES_FILE = "competences.yaml"
MISSION_TYPES_DIR = "mission-types"
RELEASES_DIR = "releases"

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

# Pydantic's error types, and the patterns behind `string_pattern_mismatch`, as message keys (`catalogue.error.*`).
_ERROR_KEYS = {
    "missing": "missing",
    "extra_forbidden": "unknown_field",
    "string_too_short": "empty",
    "string_type": "not_text",
    "too_short": "too_few",
    "literal_error": "not_one_of",
    "model_type": "not_mapping",
    "dict_type": "not_mapping",
    "tuple_type": "not_list",
    "list_type": "not_list",
    "no_core_competence": "no_core_competence",
    "duplicate_competence": "duplicate_competence",
}
_PATTERN_KEYS = {CODE_PATTERN: "code_format", ESCO_URI_PATTERN: "uri_format", SEMVER_PATTERN: "version_format"}


@dataclass(frozen=True)
class Issue:
    """One problem in the data files."""

    file: str
    entry: str
    field: str
    message: Text

    def describe(self, lang: str) -> str:
        where = ": ".join(part for part in (self.file, self.entry, self.field) if part)
        return f"{where}: {self.message.in_language(lang)}"

    def as_error(self) -> dict:
        return {"file": self.file, "entry": self.entry, "field": self.field, "message": self.message}


class CatalogueError(UserError):
    """The data files do not make a valid catalogue; `issues` lists every problem."""

    def __init__(self, issues: Iterable[Issue]):
        self.issues = tuple(issues)
        super().__init__(
            "catalogue.invalid_data", kind="invalid", errors=[i.as_error() for i in self.issues], count=len(self.issues)
        )


class CatalogueInfo(Entry):
    """`catalogue.yaml`: the version number and what the content hash covers besides the entries."""

    version: SemVer
    title: Bilingual
    description: Bilingual


def read_yaml(path: Path) -> Any:
    with open(path, encoding="utf-8") as fh:
        return yaml.load(fh, Loader=_Loader)


def dump_yaml(data: Any, header: str = "") -> str:
    """YAML the way the data files are written: block style, keys in model order, Latvian letters kept."""
    body = yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=120, default_flow_style=False)
    return header + body


M = TypeVar("M", bound=BaseModel)
_UNREADABLE = object()  # what `_Reader.load` returns for a missing or unparsable file (already reported)


class _Reader:
    """Reads one data directory, collecting issues instead of stopping at the first."""

    def __init__(self, data_dir: Path):
        self.data_dir = data_dir
        self.issues: list[Issue] = []

    def name(self, path: Path) -> str:
        return path.relative_to(self.data_dir).as_posix()

    def add(self, file: str, entry: str, field: str, key: str, **params: object) -> None:
        self.issues.append(Issue(file, entry, field, messages().text(f"catalogue.error.{key}", **params)))

    def load(self, path: Path) -> Any:
        if not path.is_file():
            self.add(self.name(path), "", "", "file_missing")
            return _UNREADABLE
        try:
            return read_yaml(path)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 1 if mark else "?"
            self.add(self.name(path), "", "", "yaml_syntax", line=line, detail=getattr(exc, "problem", None) or exc)
            return _UNREADABLE

    def validate(self, model: type[M], raw: Any, file: str, entry: str) -> M | None:
        try:
            return model.model_validate(raw)
        except ValidationError as exc:
            for error in exc.errors():
                key, params = _error_message(error)
                self.add(file, entry, _field_path(error["loc"]), key, **params)
            return None

    def entries(self, path: Path, model: type[M]) -> list[M]:
        """A file holding a YAML list of entries; each entry is checked on its own."""
        raw = self.load(path)
        if raw is _UNREADABLE:
            return []
        raw = [] if raw is None else raw  # an empty file is an empty list
        file = self.name(path)
        if not isinstance(raw, list):
            self.add(file, "", "", "not_list")
            return []
        entries = []
        for index, item in enumerate(raw, start=1):
            entry = self.validate(model, item, file, entry_name(item, index))
            if entry is not None:
                entries.append(entry)
        return entries


def entry_name(item: Any, index: int) -> str:
    if isinstance(item, dict):
        for key in ("code", "uri"):
            if isinstance(item.get(key), str):
                return item[key]
    return f"#{index}"


def _field_path(loc: tuple) -> str:
    path = ""
    for part in loc:
        path += f"[{part + 1}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def _error_message(error: dict) -> tuple[str, dict]:
    """A pydantic error as a message key and its parameters."""
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "string_pattern_mismatch" and ctx.get("pattern") in _PATTERN_KEYS:
        return _PATTERN_KEYS[ctx["pattern"]], {}
    key = _ERROR_KEYS.get(kind)
    if key == "too_few":
        return key, {"min": ctx.get("min_length", "?")}
    if key == "not_one_of":
        return key, {"expected": ctx.get("expected", "?")}
    if key:
        return key, {}
    return "invalid_value", {"detail": error.get("msg", kind)}


def read_catalogue(data_dir: Path = DATA_DIR, esco_uris: Collection[str] | None = None) -> Catalogue:
    """Read and check a data directory. Raises `CatalogueError` listing every problem found.

    `esco_uris`: the ESCO concepts a competence may name; the bundled reference extract when not given.
    """
    from catalogue.esco import reference_concepts

    data_dir = Path(data_dir).resolve()
    known_esco = esco_uris if esco_uris is not None else reference_concepts().keys()
    reader = _Reader(data_dir)

    info_raw = reader.load(data_dir / INFO_FILE)
    info = reader.validate(CatalogueInfo, info_raw, INFO_FILE, "") if info_raw is not _UNREADABLE else None
    key_competences = reader.entries(data_dir / KEY_COMPETENCES_FILE, KeyCompetence)
    domains = reader.entries(data_dir / DOMAINS_FILE, Domain)
    competences = reader.entries(data_dir / COMPETENCES_FILE, Competence)
    mission_files = sorted((data_dir / MISSION_TYPES_DIR).glob("*.yaml"))
    if not mission_files:
        reader.add(MISSION_TYPES_DIR, "", "", "file_missing")
    mission_types: list[tuple[MissionType, str]] = []
    for path in mission_files:
        mission_types += [(entry, reader.name(path)) for entry in reader.entries(path, MissionType)]

    _check_key_competences(reader, key_competences)
    _check_unique(reader, KEY_COMPETENCES_FILE, [entry.code for entry in key_competences])
    _check_unique(reader, DOMAINS_FILE, [entry.code for entry in domains])
    _check_unique(reader, COMPETENCES_FILE, [entry.uri for entry in competences])
    seen_codes: dict[str, str] = {}
    for entry, file in mission_types:
        if entry.code in seen_codes:
            reader.add(file, entry.code, "code", "duplicate_entry", other=seen_codes[entry.code])
        seen_codes.setdefault(entry.code, file)

    key_codes = {entry.code for entry in key_competences}
    for entry in competences:
        if entry.uri not in known_esco:
            reader.add(COMPETENCES_FILE, entry.uri, "uri", "not_in_esco")
        for index, code in enumerate(entry.key_competences, start=1):
            if code not in key_codes:
                reader.add(
                    COMPETENCES_FILE, entry.uri, f"key_competences[{index}]", "unknown_key_competence", code=code
                )
    domain_codes = {entry.code for entry in domains}
    competence_uris = {entry.uri for entry in competences}
    for entry, file in mission_types:
        if entry.domain not in domain_codes:
            reader.add(file, entry.code, "domain", "unknown_domain", code=entry.domain)
        for index, link in enumerate(entry.competences, start=1):
            if link.uri not in competence_uris:
                key = "unknown_competence" if link.uri in known_esco else "not_in_esco"
                reader.add(file, entry.code, f"competences[{index}].uri", key, uri=link.uri)

    if reader.issues or info is None:
        raise CatalogueError(reader.issues)
    content = CatalogueContent(
        title=info.title,
        description=info.description,
        key_competences=tuple(sorted(key_competences, key=lambda entry: entry.number)),
        domains=tuple(domains),
        competences=tuple(competences),
        mission_types=tuple(entry for entry, _ in mission_types),
    )
    return Catalogue(info.version, content)


def _check_key_competences(reader: _Reader, key_competences: list[KeyCompetence]) -> None:
    numbers = sorted(entry.number for entry in key_competences)
    # Only when every entry was read: a broken entry has been reported already and is missing here.
    if numbers != list(range(1, 9)) and not reader.issues:
        reader.add(KEY_COMPETENCES_FILE, "", "number", "key_competences_incomplete")


def _check_unique(reader: _Reader, file: str, keys: list[str]) -> None:
    seen: set[str] = set()
    for key in keys:
        if key in seen:
            reader.add(file, key, "", "duplicate_entry", other=file)
        seen.add(key)


def read_raw(data_dir: Path, name: str) -> Any:
    """One data file as plain YAML data, for tools that rewrite it. Raises `CatalogueError` when it cannot be read."""
    data_dir = Path(data_dir).resolve()
    reader = _Reader(data_dir)
    raw = reader.load(data_dir / name)
    if reader.issues:
        raise CatalogueError(reader.issues)
    return raw


@lru_cache(maxsize=8)
def _load_cached(data_dir: Path) -> Catalogue:
    return read_catalogue(data_dir)


def load_catalogue(data_dir: Path | None = None) -> Catalogue:
    """The current catalogue, read once per data directory and kept (the data files do not change while the service
    runs). Raises `CatalogueError` when the data is invalid."""
    if data_dir is None:  # the common case, asked for several times per credential: no path resolution
        return _load_cached(_DEFAULT_DIR)
    return _load_cached(Path(data_dir).resolve())


_DEFAULT_DIR = Path(DATA_DIR).resolve()
