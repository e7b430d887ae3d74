"""Reading the data files: a mistake is reported with its file, entry and field; the hash ignores formatting; released
versions stay frozen."""

from __future__ import annotations

import json

import pytest
import yaml

from catalogue import catalogue_version, load_catalogue, read_catalogue
from catalogue.files import CatalogueError
from catalogue.versions import ReleaseState, read_releases, release_state, write_release
from tests.catalogue.conftest import edit

ELDERLY = "mission-types/elderly.yaml"
CURRENT = load_catalogue().version  # the version catalogue.yaml names, released
SHOW_EMPATHY = "http://data.europa.eu/esco/skill/77b636e8-fab3-41a8-8022-1e0a354059dc"
INVENTED = "http://data.europa.eu/esco/skill/00000000-1111-2222-3333-444444444444"


def issues(data_dir) -> list[tuple[str, str, str, str]]:
    with pytest.raises(CatalogueError) as caught:
        read_catalogue(data_dir)
    return [(i.file, i.entry, i.field, i.message.en) for i in caught.value.issues]


def test_missing_latvian_name_names_file_entry_and_field(data_copy):
    edit(data_copy / ELDERLY, "    lv: Senioru apciemošana un draudzēšanās\n", "")
    assert issues(data_copy) == [(ELDERLY, "elderly-befriending", "name.lv", "required field is missing")]


def test_invented_esco_uri_is_refused(data_copy):
    edit(data_copy / ELDERLY, "{uri: " + SHOW_EMPATHY, "{uri: " + INVENTED)
    [(file, entry, field, message)] = issues(data_copy)
    assert (file, entry, field) == (ELDERLY, "elderly-befriending", "competences[2].uri")
    assert "not in the ESCO reference data" in message


def test_fewer_than_three_competences(data_copy):
    path = data_copy / "mission-types/sport.yaml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    raw[0]["competences"] = raw[0]["competences"][:2]
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    assert issues(data_copy) == [("mission-types/sport.yaml", "sport-event-support", "competences", "needs at least 3")]


def test_several_mistakes_are_reported_at_once(data_copy):
    edit(data_copy / ELDERLY, "role: core}", "role: main}")
    edit(data_copy / "competences.yaml", "- personal-social-learning\n", "- personal-and-social\n")
    edit(data_copy / "domains.yaml", "- code: sport\n", "- code: Sport\n")
    found = issues(data_copy)
    assert (ELDERLY, "elderly-befriending", "competences[1].role", "must be one of: 'core' or 'optional'") in found
    assert any(
        f == "competences.yaml" and fld == "key_competences[1]" and "unknown key competence" in m
        for f, _, fld, m in found
    )
    assert (
        "domains.yaml",
        "Sport",
        "code",
        "a code must be lower-case letters, digits and hyphens, e.g. event-support",
    ) in found
    # The mission types of the domain that no longer parses are reported against their own file.
    assert any(f == "mission-types/sport.yaml" and fld == "domain" for f, _, fld, _ in found)


def test_unknown_field_and_yaml_syntax_error(data_copy):
    edit(data_copy / ELDERLY, "  domain: elderly\n", "  domain: elderly\n  domian: elderly\n")
    assert issues(data_copy) == [(ELDERLY, "elderly-befriending", "domian", "unknown field (a typo?)")]
    edit(data_copy / ELDERLY, "- code: care-home-activities", "- code: [care-home-activities")
    [(file, entry, field, message)] = issues(data_copy)
    assert file == ELDERLY and message.startswith("YAML syntax error on line ")


def test_missing_and_empty_files(data_copy):
    (data_copy / "catalogue.yaml").write_text("", encoding="utf-8")
    (data_copy / "domains.yaml").unlink()
    found = issues(data_copy)
    assert ("catalogue.yaml", "", "", "must be a mapping (key: value)") in found
    assert ("domains.yaml", "", "", "file not found") in found


def test_issue_texts_are_bilingual(data_copy):
    edit(data_copy / "catalogue.yaml", f"version: {CURRENT}", "version: one")
    with pytest.raises(CatalogueError) as caught:
        read_catalogue(data_copy)
    [issue] = caught.value.issues
    assert issue.describe("lv") == "catalogue.yaml: version: versijai jābūt semantiskai versijai, piemēram, 1.2.0"
    assert issue.describe("en") == "catalogue.yaml: version: the version must be a semantic version, e.g. 1.2.0"


def test_formatting_does_not_change_the_hash(data_copy):
    original = read_catalogue(data_copy)
    for path in (data_copy / "mission-types").glob("*.yaml"):
        entries = yaml.safe_load(path.read_text(encoding="utf-8"))
        for entry in entries:
            entry["competences"].reverse()  # order of competences carries no meaning
            entry["description"]["en"] = entry["description"]["en"].replace(" ", "\n   ", 3)  # line breaks neither
        # Flow style, sorted keys, other quoting: different bytes, same content.
        path.write_text(
            yaml.safe_dump(
                list(reversed(entries)), allow_unicode=True, sort_keys=True, default_flow_style=True, width=60
            ),
            encoding="utf-8",
        )
    reformatted = read_catalogue(data_copy)
    assert reformatted.hash == original.hash
    edit(data_copy / ELDERLY, "Senioru apciemošana", "Senioru apmeklēšana")
    assert read_catalogue(data_copy).hash != original.hash


def test_changed_meaning_needs_a_new_version(data_copy):
    edit(data_copy / "competences.yaml", "lv: izrādīt empātiju", "lv: just līdzi")
    changed = read_catalogue(data_copy)
    assert release_state(changed, read_releases(data_copy)) is ReleaseState.CHANGED

    edit(data_copy / "catalogue.yaml", f"version: {CURRENT}", "version: 9.0.0")
    bumped = read_catalogue(data_copy)
    assert release_state(bumped, read_releases(data_copy)) is ReleaseState.UNRELEASED
    path = write_release(bumped, data_copy)
    assert path.name == "9.0.0.json"
    releases = read_releases(data_copy)
    assert list(releases)[-2:] == [CURRENT, "9.0.0"] and "1.0.0" in releases
    assert release_state(bumped, releases) is ReleaseState.RELEASED
    # The old version still explains old credentials.
    old = releases[CURRENT].catalogue
    assert old.competence(SHOW_EMPATHY).label.lv == "izrādīt empātiju"
    assert old.hash == load_catalogue().hash


def test_older_version_than_the_newest_release_is_refused(data_copy):
    edit(data_copy / "catalogue.yaml", f"version: {CURRENT}", "version: 0.9.0")
    assert release_state(read_catalogue(data_copy), read_releases(data_copy)) is ReleaseState.BEHIND


def test_altered_snapshot_is_detected(data_copy):
    path = data_copy / "releases" / "1.0.0.json"
    snapshot = json.loads(path.read_text(encoding="utf-8"))
    snapshot["content"]["mission_types"][0]["name"]["en"] = "Something else"
    path.write_text(json.dumps(snapshot), encoding="utf-8")
    with pytest.raises(CatalogueError) as caught:
        read_releases(data_copy)
    assert caught.value.issues[0].file == "releases/1.0.0.json"


def test_catalogue_versions_and_citation():
    catalogue = load_catalogue()
    assert catalogue.reference() == {"version": catalogue.version, "hash": catalogue.hash}
    assert catalogue.hash.startswith("sha256:") and len(catalogue.hash) == 7 + 64
    assert (
        catalogue.citation("https://example.lv/")["uri"] == f"https://example.lv/catalogue/versions/{catalogue.version}"
    )
    assert catalogue_version(catalogue.version).hash == catalogue.hash
    assert load_catalogue() is catalogue, "parsed once, then cached"
