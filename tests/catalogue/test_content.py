"""The shipped catalogue: complete, bilingual, tied to real ESCO concepts, and never changed silently."""

from __future__ import annotations

import csv
import re

from catalogue import load_catalogue
from catalogue.esco import REFERENCE_FILE, reference_concepts
from catalogue.model import CODE_PATTERN
from catalogue.versions import ReleaseState, read_releases, release_state
from tests.conftest import REFERENCE

SHARED_EXTRACT = REFERENCE / "esco" / "esco_volunteer_extract.csv"
LATVIAN_LETTERS = set("āčēģīķļņšūžĀČĒĢĪĶĻŅŠŪŽ")

REQUIRED_DOMAINS = {
    "social-care",
    "elderly",
    "children-youth",
    "education",
    "culture",
    "sport",
    "environment",
    "animals",
    "health",
    "crisis",
    "integration",
    "digital",
    "community",
    "administration",
    "international",
}
KEY_COMPETENCES = [
    "literacy",
    "multilingual",
    "stem",
    "digital",
    "personal-social-learning",
    "citizenship",
    "entrepreneurship",
    "cultural-awareness",
]


def test_bundled_esco_extract_is_the_reference():
    assert REFERENCE_FILE.read_bytes() == SHARED_EXTRACT.read_bytes()


def test_every_competence_is_a_real_esco_concept():
    catalogue = load_catalogue()
    with open(SHARED_EXTRACT, encoding="utf-8", newline="") as fh:
        extract = {row["uri"]: row for row in csv.DictReader(fh)}
    for competence in catalogue.competences:
        assert competence.uri in extract, competence.uri
        if competence.label_source.en == "esco":
            assert competence.label.en == extract[competence.uri]["preferred_label_en"], competence.uri
    for mission_type in catalogue.mission_types:
        for link in mission_type.competences:
            assert link.uri in extract and link.uri in catalogue.competences_by_uri, (mission_type.code, link.uri)


def test_coverage_of_latvian_volunteering():
    catalogue = load_catalogue()
    assert len(catalogue.mission_types) >= 40
    assert (
        {entry.domain for entry in catalogue.mission_types} == REQUIRED_DOMAINS == {d.code for d in catalogue.domains}
    )
    assert "event-support" in catalogue.mission_types_by_code
    for code in (
        "volunteer-firefighter",
        "search-and-rescue",
        "blood-donation-support",
        "animal-shelter-care",
        "language-practice",
        "european-solidarity-corps",
        "fundraising",
    ):
        assert code in catalogue.mission_types_by_code


def test_mission_types_are_complete():
    catalogue = load_catalogue()
    for entry in catalogue.mission_types:
        assert re.match(CODE_PATTERN, entry.code)
        assert len(entry.competences) >= 3, entry.code
        assert entry.core_competences, entry.code
        assert len(entry.tasks) >= 2, entry.code
        for text in (entry.name, entry.description, *entry.tasks):
            assert text.lv and text.en and text.lv != text.en, entry.code


def test_every_competence_used_has_both_labels_and_serves_key_competences():
    catalogue = load_catalogue()
    used = {link.uri for entry in catalogue.mission_types for link in entry.competences}
    assert len(used) >= 100
    for competence in catalogue.competences:
        assert competence.label.lv and competence.label.en
        assert competence.label_source.lv in ("project", "esco")
        assert set(competence.key_competences) <= set(KEY_COMPETENCES)
    # Project translations are real Latvian, not copies of the English label.
    translated = [c for c in catalogue.competences if c.label_source.lv == "project"]
    assert sum(1 for c in translated if LATVIAN_LETTERS & set(c.label.lv)) > len(translated) * 0.7
    assert all(c.label.lv != c.label.en for c in translated)


def test_eight_key_competences_cite_the_recommendation():
    catalogue = load_catalogue()
    assert [entry.code for entry in catalogue.key_competences] == KEY_COMPETENCES
    assert [entry.number for entry in catalogue.key_competences] == list(range(1, 9))
    for entry in catalogue.key_competences:
        assert "32018H0604(01)" in entry.source
    used = {code for competence in catalogue.competences for code in competence.key_competences}
    assert used == set(KEY_COMPETENCES), "every key competence is served by some competence"


def test_default_competences_are_the_core_ones():
    catalogue = load_catalogue()
    defaults = catalogue.default_competences("event-support")
    assert len(defaults) >= 3
    assert all(catalogue.competence(uri) for uri in defaults)
    assert set(defaults) == {
        link.uri for link in catalogue.mission_type("event-support").competences if link.role == "core"
    }


def test_current_content_equals_the_snapshot_of_its_version():
    """A change of meaning needs a new version: raise it in catalogue.yaml, then `volcred catalogue release`."""
    catalogue = load_catalogue()
    releases = read_releases()
    state = release_state(catalogue, releases)
    assert state in (ReleaseState.RELEASED, ReleaseState.UNRELEASED), (
        f"catalogue {catalogue.version} is {state.value}: its content {catalogue.hash} differs from the released "
        "snapshot; raise the version in catalogue/data/catalogue.yaml and run `volcred catalogue release`"
    )
    assert "1.0.0" in releases


def test_reference_concepts_cover_the_extract():
    concepts = reference_concepts()
    assert len(concepts) == 284
    first_aid = concepts["http://data.europa.eu/esco/skill/1d21f6ad-340f-45da-a0a3-4e83867f47a6"]
    assert first_aid.label_en == "provide first aid" and first_aid.reuse_level == "cross-sector"
    assert len(first_aid.broader) == 2
