"""ESCO: the bundled reference extract every competence URI is checked against, and the import of labels from an
official ESCO CSV export."""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from base.errors import UserError
from base.i18n import LANGUAGES, messages
from catalogue.files import COMPETENCES_FILE, DATA_DIR, CatalogueError, Issue, dump_yaml, read_raw

REFERENCE_FILE = DATA_DIR / "esco" / "esco_volunteer_extract.csv"

# Column names of the ESCO CSV export (v1.x), then those of the reference extract, tried in this order.
URI_COLUMNS = ("conceptUri", "uri")
LABEL_COLUMNS = ("preferredLabel", "preferred_label_{lang}")
ALT_LABEL_COLUMNS = ("altLabels",)

COMPETENCES_HEADER = """\
# ESCO v1.2 concepts the catalogue uses, with their labels and the EU key competences they serve.
# label_source says who wrote each label: `esco` (ESCO's own preferred label) or `project` (this project's
# translation, until ESCO's own is imported). Replace labels with ESCO's: `volcred catalogue import-esco FILE --language lv`.
# Every URI must appear in esco/esco_volunteer_extract.csv.

"""


@dataclass(frozen=True)
class EscoConcept:
    uri: str
    label_en: str
    skill_type: str
    reuse_level: str
    broader: tuple[str, ...]


@lru_cache(maxsize=4)
def reference_concepts(path: Path = REFERENCE_FILE) -> Mapping[str, EscoConcept]:
    """The ESCO v1.2 concepts of the reference extract, by URI."""
    with open(path, encoding="utf-8", newline="") as fh:
        return {
            row["uri"]: EscoConcept(
                uri=row["uri"],
                label_en=row["preferred_label_en"],
                skill_type=row["skill_type"],
                reuse_level=row["reuse_level"],
                broader=tuple(part.strip() for part in row["broader_uri"].split("|") if part.strip()),
            )
            for row in csv.DictReader(fh)
        }


@dataclass(frozen=True)
class EscoLabels:
    preferred: str
    alternatives: tuple[str, ...] = ()


def read_esco_labels(path: Path, language: str) -> dict[str, EscoLabels]:
    """Labels by concept URI from an ESCO CSV export (`conceptUri`, `preferredLabel`, optionally `altLabels`, whose
    labels ESCO separates by line breaks)."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        columns = reader.fieldnames or []
        uri_column = _pick(columns, URI_COLUMNS, language)
        label_column = _pick(columns, LABEL_COLUMNS, language)
        if not uri_column or not label_column:
            raise UserError("catalogue.esco_columns_missing", kind="invalid", file=str(path))
        alt_column = _pick(columns, ALT_LABEL_COLUMNS, language)
        labels = {}
        for row in reader:
            uri = (row.get(uri_column) or "").strip()
            preferred = " ".join((row.get(label_column) or "").split())
            if not uri or not preferred:
                continue
            alternatives = (row.get(alt_column) or "") if alt_column else ""
            labels[uri] = EscoLabels(
                preferred,
                tuple(dict.fromkeys(" ".join(alt.split()) for alt in alternatives.splitlines() if alt.strip())),
            )
        return labels


def _pick(columns: list[str], candidates: tuple[str, ...], language: str) -> str | None:
    for candidate in candidates:
        name = candidate.format(lang=language)
        if name in columns:
            return name
    return None


@dataclass
class ImportReport:
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    not_in_file: list[str] = field(default_factory=list)


def import_esco_labels(
    csv_path: Path, language: str, data_dir: Path = DATA_DIR, overwrite: bool = True
) -> ImportReport:
    """Fill (or, with `overwrite`, replace) the catalogue's labels in `language` with ESCO's, by URI, and mark them as
    ESCO's. Works on the raw YAML, so it can also fill labels of competences that do not validate yet."""
    if language not in LANGUAGES:
        raise UserError("catalogue.unsupported_language", kind="invalid", lang=language, allowed=", ".join(LANGUAGES))
    labels = read_esco_labels(csv_path, language)
    path = Path(data_dir) / COMPETENCES_FILE
    entries = read_raw(data_dir, COMPETENCES_FILE)
    if not isinstance(entries, list):
        raise CatalogueError([Issue(COMPETENCES_FILE, "", "", messages().text("catalogue.error.not_list"))])
    report = ImportReport()
    for entry in entries:
        if not isinstance(entry, dict):
            continue  # left as it is, for `validate` to report
        uri = entry.get("uri")
        found = labels.get(uri)
        if found is None:
            report.not_in_file.append(uri)
            continue
        label = entry.setdefault("label", {})
        if label.get(language) and not overwrite:
            report.kept.append(uri)
            continue
        source = entry.setdefault("label_source", {})
        alternatives = [alt for alt in found.alternatives if alt != found.preferred]
        current_alternatives = list((entry.get("alt_labels") or {}).get(language, []))
        if (label.get(language), source.get(language), current_alternatives) == (found.preferred, "esco", alternatives):
            report.unchanged.append(uri)
            continue
        label[language] = found.preferred
        source[language] = "esco"
        _set_alternatives(entry, language, alternatives)
        report.updated.append(uri)
    if report.updated:
        rewritten = [_ordered(entry) if isinstance(entry, dict) else entry for entry in entries]
        path.write_text(dump_yaml(rewritten, COMPETENCES_HEADER), encoding="utf-8")
    return report


def _set_alternatives(entry: dict, language: str, alternatives: list[str]) -> None:
    alt_labels = entry.get("alt_labels") or {}
    if alternatives:
        alt_labels[language] = alternatives
    else:
        alt_labels.pop(language, None)
    if alt_labels:
        entry["alt_labels"] = alt_labels
    else:
        entry.pop("alt_labels", None)


_KEY_ORDER = ("uri", "label", "label_source", "alt_labels", "key_competences")


def _ordered(entry: dict) -> dict:
    """Keys in the order the file is written in; languages Latvian first."""
    ordered = {}
    for key in _KEY_ORDER + tuple(k for k in entry if k not in _KEY_ORDER):
        if key in entry:
            value = entry[key]
            if isinstance(value, dict):
                value = {lang: value[lang] for lang in (*LANGUAGES, *value) if lang in value}
            ordered[key] = value
    return ordered
