"""The catalogue's domain: the schema of its entries and the `Catalogue` that answers questions about them.

Entries are frozen pydantic models, so the same classes validate the data files and serve as the domain objects the
other packages read. Nothing here knows of files, HTTP or SQL.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from functools import cached_property
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, field_validator
from pydantic_core import PydanticCustomError

from base.errors import UserError

CODE_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
ESCO_URI_PATTERN = r"^http://data\.europa\.eu/esco/skill/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
SEMVER_PATTERN = r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$"


def _tidy(value: Any) -> Any:
    """Collapse runs of whitespace, so that YAML folding and line breaks never change a text (nor the hash)."""
    return " ".join(value.split()) if isinstance(value, str) else value


Code = Annotated[str, StringConstraints(pattern=CODE_PATTERN)]
EscoUri = Annotated[str, StringConstraints(pattern=ESCO_URI_PATTERN)]
SemVer = Annotated[str, StringConstraints(pattern=SEMVER_PATTERN)]
Line = Annotated[str, BeforeValidator(_tidy), StringConstraints(min_length=1)]
Role = Literal["core", "optional"]
LabelSource = Literal["esco", "project"]


class Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PerLanguage(Entry):
    """A value for each language, Latvian first. Latvian and English are always there; Russian and Ukrainian only
    where the catalogue has them (ESCO's labels, or this project's translations), else the English stands in."""

    def in_language(self, lang: str) -> Any:
        return getattr(self, self.language_shown(lang))

    def language_shown(self, lang: str) -> str:
        """The language `in_language(lang)` answers in: `lang` itself where there is a value, else English (a page
        marks such a text with `lang="en"`)."""
        if lang == "lv" or (lang in OPTIONAL_LANGUAGES and getattr(self, lang)):
            return lang
        return "en"


# Languages the catalogue may have but need not: a value left out is None (or empty) and not part of the content
# hash, so adding these fields changed no released version.
OPTIONAL_LANGUAGES = ("ru", "uk")


class Bilingual(PerLanguage):
    """A text in Latvian and English, both required; Russian and Ukrainian where translated."""

    lv: Line
    en: Line
    ru: Line | None = None
    uk: Line | None = None


class LabelSources(PerLanguage):
    """Who wrote each label: ESCO itself (`esco`) or this project's translation (`project`)."""

    lv: LabelSource
    en: LabelSource
    ru: LabelSource | None = None
    uk: LabelSource | None = None


class AltLabels(PerLanguage):
    lv: tuple[Line, ...] = ()
    en: tuple[Line, ...] = ()
    ru: tuple[Line, ...] = ()
    uk: tuple[Line, ...] = ()

    def language_shown(self, lang: str) -> str:
        return lang if lang in ("lv", "en", *OPTIONAL_LANGUAGES) else "en"


class KeyCompetence(Entry):
    """One of the eight key competences of Council Recommendation 2018/C 189/01, under a code of our own."""

    code: Code
    number: int = Field(ge=1, le=8)
    name: Bilingual
    description: Bilingual
    source: Annotated[str, StringConstraints(pattern=r"^https?://\S+$")]


class Domain(Entry):
    code: Code
    name: Bilingual
    description: Bilingual


class Competence(Entry):
    """An ESCO concept the catalogue uses, with its labels and the key competences it serves."""

    uri: EscoUri
    label: Bilingual
    label_source: LabelSources
    alt_labels: AltLabels = AltLabels()
    key_competences: tuple[Code, ...] = Field(min_length=1)


class CompetenceLink(Entry):
    """A mission type's use of a competence: `core` competences are the default for a record, `optional` ones are
    offered to the organiser."""

    uri: EscoUri
    role: Role


class MissionType(Entry):
    code: Code
    domain: Code
    name: Bilingual
    description: Bilingual
    tasks: tuple[Bilingual, ...] = Field(min_length=2)
    competences: tuple[CompetenceLink, ...] = Field(min_length=3)

    @field_validator("competences")
    @classmethod
    def _core_and_unique(cls, links: tuple[CompetenceLink, ...]) -> tuple[CompetenceLink, ...]:
        # The error types double as message keys (`catalogue.error.<type>`), see catalogue.files.
        if not any(link.role == "core" for link in links):
            raise PydanticCustomError("no_core_competence", "a mission type needs at least one core competence")
        uris = [link.uri for link in links]
        if len(uris) != len(set(uris)):
            raise PydanticCustomError("duplicate_competence", "a competence is listed twice")
        return links

    @property
    def core_competences(self) -> tuple[str, ...]:
        return tuple(link.uri for link in self.competences if link.role == "core")


class CatalogueContent(Entry):
    """Everything that carries meaning, i.e. everything the content hash covers (the version number is not part of it)."""

    title: Bilingual
    description: Bilingual
    key_competences: tuple[KeyCompetence, ...]
    domains: tuple[Domain, ...]
    competences: tuple[Competence, ...]
    mission_types: tuple[MissionType, ...]


def canonical_form(value: Any) -> Any:
    """The content with every order that carries no meaning made fixed: entries sorted by code or URI, lists of
    strings sorted. Task lists keep their order (they are read top to bottom)."""
    if isinstance(value, dict):
        return {key: canonical_form(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        items = [canonical_form(item) for item in value]
        if items and all(isinstance(item, str) for item in items):
            return sorted(items)
        if items and all(isinstance(item, dict) for item in items):
            for key in ("code", "uri"):
                if all(key in item for item in items):
                    return sorted(items, key=lambda item: item[key])
        return items
    return value


def content_data(content: CatalogueContent) -> dict[str, Any]:
    """The content as JSON data. Fields left at their defaults are omitted, so that a new optional field in a later
    schema does not change the hash of content that does not use it."""
    return content.model_dump(mode="json", exclude_defaults=True)


def canonical_json(data: dict[str, Any]) -> bytes:
    """Sorted keys, no insignificant whitespace, UTF-8: the same meaning always gives the same bytes."""
    return json.dumps(canonical_form(data), sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def data_hash(data: dict[str, Any]) -> str:
    return "sha256:" + hashlib.sha256(canonical_json(data)).hexdigest()


def content_hash(content: CatalogueContent) -> str:
    return data_hash(content_data(content))


def version_key(version: str) -> tuple[int, int, int]:
    match = re.match(SEMVER_PATTERN, version)
    if not match:
        raise ValueError(f"not a semantic version: {version!r}")
    return tuple(int(part) for part in match.groups())  # type: ignore[return-value]


def version_uri(base_url: str, version: str) -> str:
    """The stable URI of a catalogue version, served by `GET /catalogue/versions/{version}`."""
    return f"{base_url.rstrip('/')}/catalogue/versions/{version}"


def mission_type_uri(base_url: str, code: str) -> str:
    return f"{base_url.rstrip('/')}/catalogue/mission-types/{code}"


# The framework the key competences belong to, as credentials name it in their alignments.
KEY_COMPETENCE_FRAMEWORK = "Key competences for lifelong learning (Council Recommendation 2018/C 189/01)"


def key_competence_uri(base_url: str, code: str) -> str:
    """The stable URL of an EU key competence (they have no official URIs), served by the catalogue."""
    return f"{base_url.rstrip('/')}/catalogue/key-competences/{code}"


E = TypeVar("E")


def _find(index: Mapping[str, E], key: str, message_key: str, **params: Any) -> E:
    try:
        return index[key]
    except KeyError:
        raise UserError(message_key, kind="not_found", **params) from None


class Catalogue:
    """One version of the catalogue, indexed for lookups. Build it with `catalogue.load_catalogue()` (the current
    version) or `catalogue.catalogue_version(v)` (any released one)."""

    def __init__(self, version: str, content: CatalogueContent, hash: str | None = None):
        version_key(version)
        self.version = version
        self.content = content
        if hash is not None:
            self.__dict__["hash"] = hash  # a release keeps the hash it was published with
        self._mission_types = {entry.code: entry for entry in content.mission_types}
        self._competences = {entry.uri: entry for entry in content.competences}
        self._key_competences = {entry.code: entry for entry in content.key_competences}
        self._domains = {entry.code: entry for entry in content.domains}

    def __repr__(self) -> str:
        return f"<Catalogue {self.version} {self.hash}>"

    @cached_property
    def hash(self) -> str:
        return content_hash(self.content)

    def reference(self) -> dict[str, str]:
        """What a credential cites: `{"version": "1.0.0", "hash": "sha256:..."}`."""
        return {"version": self.version, "hash": self.hash}

    def citation(self, base_url: str) -> dict[str, str]:
        """The reference plus the stable URI where this version can be read."""
        return {**self.reference(), "uri": version_uri(base_url, self.version)}

    @property
    def title(self) -> Bilingual:
        return self.content.title

    @property
    def key_competences(self) -> tuple[KeyCompetence, ...]:
        return self.content.key_competences

    @property
    def domains(self) -> tuple[Domain, ...]:
        return self.content.domains

    @property
    def competences(self) -> tuple[Competence, ...]:
        return self.content.competences

    @property
    def mission_types(self) -> tuple[MissionType, ...]:
        return self.content.mission_types

    @property
    def mission_types_by_code(self) -> Mapping[str, MissionType]:
        return self._mission_types

    @property
    def competences_by_uri(self) -> Mapping[str, Competence]:
        return self._competences

    def mission_type(self, code: str) -> MissionType:
        return _find(self._mission_types, code, "catalogue.unknown_mission_type", code=code)

    def competence(self, uri: str) -> Competence:
        return _find(self._competences, uri, "catalogue.unknown_competence", uri=uri)

    def key_competence(self, code: str) -> KeyCompetence:
        return _find(self._key_competences, code, "catalogue.unknown_key_competence", code=code)

    def domain(self, code: str) -> Domain:
        return _find(self._domains, code, "catalogue.unknown_domain", code=code)

    def default_competences(self, code: str) -> tuple[str, ...]:
        """ESCO URIs a record of this mission type gets when the organiser names none: its core competences."""
        return self.mission_type(code).core_competences

    def mission_types_in(self, domain: str | None = None) -> tuple[MissionType, ...]:
        if domain is None:
            return self.mission_types
        self.domain(domain)
        return tuple(entry for entry in self.mission_types if entry.domain == domain)

    def links(self, code: str) -> tuple[tuple[CompetenceLink, Competence], ...]:
        """A mission type's competences with their labels, core ones first."""
        links = self.mission_type(code).competences
        ordered = [link for link in links if link.role == "core"] + [link for link in links if link.role != "core"]
        return tuple((link, self._competences[link.uri]) for link in ordered)

    @cached_property
    def _uses(self) -> dict[str, tuple[str, ...]]:
        uses: dict[str, list[str]] = {}
        for entry in self.mission_types:
            for link in entry.competences:
                uses.setdefault(link.uri, []).append(entry.code)
        return {uri: tuple(codes) for uri, codes in uses.items()}

    def mission_types_using(self, uri: str) -> tuple[str, ...]:
        return self._uses.get(uri, ())
