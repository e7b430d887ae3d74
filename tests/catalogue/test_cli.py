"""`volcred catalogue ...`: validate, import-esco, show, export, release."""

from __future__ import annotations

import csv
import json

import pytest
import yaml
from pyld import jsonld
from typer.testing import CliRunner

from catalogue import load_catalogue, read_catalogue
from catalogue.search import search_competences
from tests.catalogue.conftest import edit
from volcred.cli import app

SHOW_EMPATHY = "http://data.europa.eu/esco/skill/77b636e8-fab3-41a8-8022-1e0a354059dc"
SORT_WASTE = "http://data.europa.eu/esco/skill/110d7aa3-e44e-4cce-a927-8d4de615f3d9"


@pytest.fixture
def run():
    runner = CliRunner()

    def invoke(*args: str, lang: str = "en"):
        return runner.invoke(app, ["catalogue", *map(str, args)], env={"VOLCRED_LANG": lang})

    return invoke


def test_validate_the_shipped_catalogue(run):
    result = run("validate")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("The catalogue is valid: version ")
    assert run("validate", lang="lv").stdout.startswith("Katalogs ir derīgs")


def test_validate_names_file_entry_and_field_of_a_mistake(run, data_copy):
    edit(data_copy / "mission-types/health.yaml", "    en: Blood donation day support\n", "")
    result = run("validate", "--data-dir", data_copy)
    assert result.exit_code == 1
    assert "mission-types/health.yaml: blood-donation-support: name.en: required field is missing" in result.stderr
    assert "The catalogue is not valid: the errors (1) are listed above." in result.stderr


def test_validate_refuses_changed_content_under_a_released_version(run, data_copy):
    edit(data_copy / "competences.yaml", "lv: izrādīt empātiju", "lv: just līdzi")
    result = run("validate", "--data-dir", data_copy)
    current = load_catalogue().version
    assert result.exit_code == 1 and f"differs from the released version {current}" in result.stderr
    edit(data_copy / "catalogue.yaml", f"version: {current}", "version: 9.0.1")
    result = run("validate", "--data-dir", data_copy)
    assert result.exit_code == 0 and "Version 9.0.1 is not released yet" in result.stdout
    assert run("release", "--data-dir", data_copy).exit_code == 0
    assert (data_copy / "releases" / "9.0.1.json").exists()
    again = run("release", "--data-dir", data_copy)
    assert again.exit_code == 1 and "already released" in again.stderr


def write_esco_csv(path, rows: list[dict]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, ["conceptType", "conceptUri", "preferredLabel", "altLabels"])
        writer.writeheader()
        for row in rows:
            writer.writerow({"conceptType": "KnowledgeSkillCompetence", **row})


def test_import_esco_labels(run, data_copy, tmp_path):
    export = tmp_path / "skills_lv.csv"
    write_esco_csv(
        export,
        [
            {
                "conceptUri": SHOW_EMPATHY,
                "preferredLabel": "izrādīt līdzjūtību",
                "altLabels": "just līdzi\nbūt iejūtīgam",
            },
            {"conceptUri": "http://data.europa.eu/esco/skill/not-in-the-catalogue", "preferredLabel": "kaut kas"},
        ],
    )
    result = run("import-esco", export, "--language", "lv", "--data-dir", data_copy)
    assert result.exit_code == 0, result.output
    assert "ESCO labels (lv): 1 updated, 0 already equal, 0 existing kept." in result.stdout
    assert "raise the version" in result.stdout

    competences = {entry["uri"]: entry for entry in yaml.safe_load((data_copy / "competences.yaml").read_text())}
    empathy = competences[SHOW_EMPATHY]
    assert empathy["label"] == {"lv": "izrādīt līdzjūtību", "en": "show empathy"}
    assert empathy["label_source"] == {"lv": "esco", "en": "esco"}
    assert empathy["alt_labels"] == {"lv": ["just līdzi", "būt iejūtīgam"]}
    assert (data_copy / "competences.yaml").read_text().startswith("# ESCO v1.2 concepts")

    catalogue = read_catalogue(data_copy)
    assert catalogue.competence(SHOW_EMPATHY).label.lv == "izrādīt līdzjūtību"
    assert search_competences(catalogue, "iejutigam")[0].uri == SHOW_EMPATHY  # alternative labels are searchable

    second = run("import-esco", export, "--language", "lv", "--data-dir", data_copy)
    assert "0 updated, 1 already equal" in second.stdout


def test_import_esco_can_keep_existing_labels(run, data_copy, tmp_path):
    export = tmp_path / "skills_en.csv"
    write_esco_csv(export, [{"conceptUri": SHOW_EMPATHY, "preferredLabel": "show empathy (new)", "altLabels": ""}])
    result = run("import-esco", export, "-l", "en", "--keep-existing", "--data-dir", data_copy)
    assert "0 updated, 0 already equal, 1 existing kept." in result.stdout
    assert read_catalogue(data_copy).competence(SHOW_EMPATHY).label.en == "show empathy"


def test_import_esco_refuses_a_file_without_esco_columns(run, data_copy, tmp_path):
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("id,name\n1,x\n", encoding="utf-8")
    result = run("import-esco", wrong, "--language", "lv", "--data-dir", data_copy)
    assert result.exit_code == 1 and "lacks the ESCO CSV columns conceptUri and preferredLabel" in result.stderr
    assert run("import-esco", wrong, "--language", "de", "--data-dir", data_copy).exit_code == 1


def refuse_network(url, options=None):
    raise AssertionError(f"network access to {url}")


def test_export_skos_to_a_file(run, tmp_path):
    target = tmp_path / "catalogue.jsonld"
    result = run("export", "--format", "skos", "--base-url", "https://vc.example.lv", "--output", target)
    assert result.exit_code == 0, result.output
    expanded = jsonld.expand(json.loads(target.read_text()), {"documentLoader": refuse_network})
    types = {t for node in expanded for t in node.get("@type", [])}
    assert "http://www.w3.org/2004/02/skos/core#ConceptScheme" in types
    ids = {node["@id"] for node in expanded}
    assert "https://vc.example.lv/catalogue/mission-types/event-support" in ids and SORT_WASTE in ids
    snapshot = json.loads(run("export", "--format", "json").stdout)
    assert set(snapshot) == {"version", "hash", "released", "content"}
    assert run("export", "--format", "xml").exit_code == 1


def test_show(run):
    summary = run("show", "--lang", "en")
    assert summary.exit_code == 0 and "volunteer-firefighter" in summary.stdout
    detail = run("show", "event-support", "--lang", "lv")
    assert "Pasākumu atbalsts (event-support)" in detail.stdout and "[Galvenā]" in detail.stdout
    missing = run("show", "no-such-mission")
    assert missing.exit_code == 1 and "There is no mission type 'no-such-mission'" in missing.stderr


def test_import_esco_into_a_broken_file_reports_it(run, data_copy, tmp_path):
    export = tmp_path / "skills_lv.csv"
    write_esco_csv(export, [{"conceptUri": SHOW_EMPATHY, "preferredLabel": "izrādīt līdzjūtību", "altLabels": ""}])
    (data_copy / "competences.yaml").write_text("- uri: [unclosed\n", encoding="utf-8")
    result = run("import-esco", export, "--language", "lv", "--data-dir", data_copy)
    assert result.exit_code == 1 and "competences.yaml: YAML syntax error on line" in result.stderr


def test_ukrainian_labels_come_from_esco_s_own_export_and_pages_show_them(run, data_copy, tmp_path):
    """ESCO publishes its labels in Ukrainian: its export fills them, marked as ESCO's; where none is given the
    English stands in (marked lang="en")."""
    export = tmp_path / "skills_uk.csv"
    write_esco_csv(export, [{"conceptUri": SHOW_EMPATHY, "preferredLabel": "виявляти емпатію", "altLabels": ""}])
    result = run("import-esco", export, "--language", "uk", "--data-dir", data_copy, lang="uk")
    assert result.exit_code == 0, result.output
    assert "Мітки ESCO (uk): оновлено — 1" in result.stdout
    catalogue = read_catalogue(data_copy)
    empathy = catalogue.competence(SHOW_EMPATHY)
    assert (empathy.label.in_language("uk"), empathy.label_source.in_language("uk")) == ("виявляти емпатію", "esco")
    assert (empathy.label.in_language("ru"), empathy.label.language_shown("ru")) == ("show empathy", "en")
    assert search_competences(catalogue, "емпатію", "uk")[0].uri == SHOW_EMPATHY
    other = next(c for c in catalogue.competences if c.uri != SHOW_EMPATHY)
    assert other.label.in_language("uk") == other.label.en and other.label.language_shown("uk") == "en"


def test_the_command_line_speaks_russian_and_ukrainian(run):
    assert run("validate", lang="uk").stdout.startswith("Каталог коректний: версія ")
    assert run("validate", lang="ru").stdout.startswith("Каталог корректен: версия ")
    by_locale = CliRunner().invoke(app, ["catalogue", "validate"], env={"VOLCRED_LANG": None, "LANG": "ru_RU.UTF-8"})
    assert by_locale.stdout.startswith("Каталог корректен")
