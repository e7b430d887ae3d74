"""The catalogue over HTTP: JSON, versions, SKOS JSON-LD and problem details."""

from __future__ import annotations

import pytest
from pyld import jsonld

from catalogue import catalogue_version, load_catalogue

SKOS = "http://www.w3.org/2004/02/skos/core#"
DCT = "http://purl.org/dc/terms/"


def test_summary_cites_version_and_counts(client, settings):
    body = client.get("/catalogue").json()
    catalogue = load_catalogue()
    assert body["version"] == catalogue.version and body["hash"] == catalogue.hash
    assert body["uri"] == f"{settings.public_base_url}/catalogue/versions/{catalogue.version}"
    assert body["counts"]["mission_types"] >= 40 and body["counts"]["key_competences"] == 8
    assert body["title"] == "Brīvprātīgā darba kompetenču katalogs"


def test_domains_and_key_competences(client):
    domains = client.get("/catalogue/domains", params={"lang": "en"}).json()["items"]
    assert {"code": "crisis", "name": "Crisis response and civil protection"}.items() <= domains[9].items()
    key_competences = client.get("/catalogue/key-competences").json()["items"]
    assert [item["number"] for item in key_competences] == list(range(1, 9))
    assert key_competences[0]["name"] == "Lasītprasmes kompetence"


def test_each_key_competence_has_a_page_credentials_align_to(client, settings):
    page = client.get("/catalogue/key-competences/digital", params={"lang": "en"})
    assert page.status_code == 200
    body = page.json()
    assert (body["code"], body["name"], body["number"]) == ("digital", "Digital competence", 4)
    assert body["uri"] == f"{settings.public_base_url}/catalogue/key-competences/digital"
    assert "2018/C 189/01" in body["framework"]
    catalogue = load_catalogue()
    assert body["competences"] and all(
        "digital" in catalogue.competence(uri).key_competences for uri in body["competences"]
    )
    missing = client.get("/catalogue/key-competences/telepathy")
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("application/problem+json")


def test_mission_types_filter_by_domain_and_language(client):
    body = client.get("/catalogue/mission-types", params={"domain": "crisis", "lang": "en"}).json()
    assert body["lang"] == "en" and body["total"] == len(body["items"]) >= 3
    assert {item["domain"]["code"] for item in body["items"]} == {"crisis"}
    assert "Volunteer firefighter" in [item["name"] for item in body["items"]]
    everything = client.get("/catalogue/mission-types", headers={"Accept-Language": "en-GB"}).json()
    assert everything["lang"] == "en" and everything["total"] >= 40


def test_unknown_domain_is_invalid(client):
    response = client.get("/catalogue/mission-types", params={"domain": "space", "lang": "en"})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == "domain"


def test_mission_type_detail(client):
    body = client.get("/catalogue/mission-types/event-support").json()
    assert body["name"] == "Pasākumu atbalsts" and body["lang"] == "lv"
    assert len(body["tasks"]) >= 2 and len(body["competences"]) >= 3
    core = [item["uri"] for item in body["competences"] if item["role"] == "core"]
    assert core == body["default_competences"] == list(load_catalogue().default_competences("event-support"))
    assert all(item["key_competences"] and item["label"] for item in body["competences"])


def test_unknown_mission_type_is_a_404_problem(client):
    response = client.get("/catalogue/mission-types/no-such-mission", params={"lang": "en"})
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "catalogue.unknown_mission_type"
    assert body["detail"] == "There is no mission type 'no-such-mission' in the catalogue."


def test_competence_search(client):
    body = client.get("/catalogue/competences", params={"q": "skirot atkritumus"}).json()
    assert body["items"][0]["label"] == "šķirot atkritumus"
    assert body["items"][0]["labels"]["en"] == "sort waste"
    assert "clean-up" in body["items"][0]["mission_types"]
    english = client.get("/catalogue/competences", params={"q": "Empathy", "lang": "en"}).json()
    assert [item["label"] for item in english["items"]] == ["show empathy"]
    limited = client.get("/catalogue/competences", params={"limit": 5}).json()
    assert len(limited["items"]) == 5 and limited["total"] == len(load_catalogue().competences)


def test_versions(client, settings):
    catalogue = load_catalogue()
    listing = client.get("/catalogue/versions").json()
    assert listing["current"] == catalogue.version
    assert {"version": "1.0.0", "current": catalogue.version == "1.0.0"}.items() <= listing["items"][0].items()
    snapshot = client.get("/catalogue/versions/1.0.0").json()
    assert snapshot["uri"] == f"{settings.public_base_url}/catalogue/versions/1.0.0"
    assert len(snapshot["content"]["mission_types"]) >= 40 and snapshot["released"]
    missing = client.get("/catalogue/versions/0.0.1")
    assert missing.status_code == 404 and missing.json()["code"] == "catalogue.unknown_version"


def refuse_network(url, options=None):
    raise AssertionError(f"the SKOS export must not need the network, yet {url} was requested")


@pytest.mark.parametrize("version", [None, "1.0.0"])
def test_skos_export_parses_offline(client, settings, version):
    response = client.get("/catalogue/skos", params={"version": version} if version else {})
    assert response.headers["content-type"] == "application/ld+json"
    expanded = jsonld.expand(response.json(), {"documentLoader": refuse_network})
    nodes = {node["@id"]: node for node in expanded}
    catalogue = catalogue_version(version) if version else load_catalogue()
    scheme = nodes[f"{settings.public_base_url}/catalogue/versions/{catalogue.version}"]
    assert SKOS + "ConceptScheme" in scheme["@type"]
    assert {"@value": catalogue.hash} in scheme[DCT + "identifier"]

    mission = nodes[f"{settings.public_base_url}/catalogue/mission-types/event-support"]
    assert SKOS + "Concept" in mission["@type"]
    labels = {(value["@language"], value["@value"]) for value in mission[SKOS + "prefLabel"]}
    assert {("lv", "Pasākumu atbalsts"), ("en", "Event support")} <= labels
    # 1.1.0 added the project's Russian and Ukrainian names of mission types; 1.0.0 had none, and says none.
    translated = {("ru", "Помощь на мероприятиях"), ("uk", "Допомога на заходах")}
    assert translated <= labels if version is None else not translated & labels
    related = {value["@id"] for value in mission[SKOS + "related"]}
    required = {value["@id"] for value in mission[DCT + "requires"]}
    assert related == {link.uri for link in load_catalogue().mission_type("event-support").competences}
    assert required < related and all(uri.startswith("http://data.europa.eu/esco/skill/") for uri in related)

    esco = nodes[next(iter(required))]
    assert {value["@language"] for value in esco[SKOS + "prefLabel"]} == {"lv", "en"}
    key_competence = nodes[esco[SKOS + "related"][0]["@id"]]
    assert "32018H0604(01)" in key_competence[DCT + "source"][0]["@id"]
