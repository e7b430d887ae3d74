"""The catalogue as SKOS in JSON-LD, for other systems to import.

Shape (all terms are SKOS, DCMI Terms or, for the version number, `owl:versionInfo`; the @context is inline, so the
document parses offline):

- the catalogue version is a `skos:ConceptScheme` (`@id` = the version URI, `owl:versionInfo` = the semantic version,
  `dct:identifier` = the content hash, `dct:isVersionOf` = the catalogue);
- its top concepts are the domains; each mission type is a `skos:Concept` with `skos:broader` its domain,
  `skos:notation` its code, `skos:prefLabel`/`skos:definition` in Latvian and English and its typical tasks as
  `skos:example`;
- a mission type links to every competence by `skos:related` (the ESCO concept URI) and to its core competences also
  by `dct:requires`;
- each ESCO concept is described with the catalogue's labels and is `skos:related` to the EU key competences it serves,
  which form a second `skos:ConceptScheme` citing Council Recommendation 2018/C 189/01 (`dct:source`).
"""

from __future__ import annotations

from base.i18n import LANGUAGES, Text, messages
from catalogue.model import Bilingual, Catalogue, mission_type_uri, version_uri

JSON_LD = "application/ld+json"

CONTEXT = {
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dct": "http://purl.org/dc/terms/",
    "owl": "http://www.w3.org/2002/07/owl#",
    "id": "@id",
    "type": "@type",
    "ConceptScheme": "skos:ConceptScheme",
    "Concept": "skos:Concept",
    "prefLabel": {"@id": "skos:prefLabel", "@container": "@language"},
    "altLabel": {"@id": "skos:altLabel", "@container": "@language"},
    "definition": {"@id": "skos:definition", "@container": "@language"},
    "example": {"@id": "skos:example", "@container": "@language"},
    "notation": "skos:notation",
    "inScheme": {"@id": "skos:inScheme", "@type": "@id"},
    "hasTopConcept": {"@id": "skos:hasTopConcept", "@type": "@id"},
    "topConceptOf": {"@id": "skos:topConceptOf", "@type": "@id"},
    "broader": {"@id": "skos:broader", "@type": "@id"},
    "narrower": {"@id": "skos:narrower", "@type": "@id"},
    "related": {"@id": "skos:related", "@type": "@id"},
    "title": {"@id": "dct:title", "@container": "@language"},
    "description": {"@id": "dct:description", "@container": "@language"},
    "identifier": "dct:identifier",
    "isVersionOf": {"@id": "dct:isVersionOf", "@type": "@id"},
    "requires": {"@id": "dct:requires", "@type": "@id"},
    "source": {"@id": "dct:source", "@type": "@id"},
    "versionInfo": "owl:versionInfo",
}


def _lang_map(text: Bilingual | Text) -> dict[str, str]:
    """The text in each language it has (a catalogue text lacking Russian or Ukrainian is not tagged with them)."""
    return {lang: text.in_language(lang) for lang in _languages_of(text)}


def _languages_of(*texts: Bilingual | Text) -> list[str]:
    return [
        lang for lang in LANGUAGES if all(isinstance(text, Text) or text.language_shown(lang) == lang for text in texts)
    ]


def skos_document(catalogue: Catalogue, base_url: str) -> dict:
    base = base_url.rstrip("/")
    scheme = version_uri(base, catalogue.version)
    key_scheme = f"{base}/catalogue/key-competences"
    domain_id = {entry.code: f"{base}/catalogue/domains#{entry.code}" for entry in catalogue.domains}
    key_id = {entry.code: f"{key_scheme}#{entry.code}" for entry in catalogue.key_competences}

    graph: list[dict] = [
        {
            "id": scheme,
            "type": "ConceptScheme",
            "title": _lang_map(catalogue.title),
            "description": _lang_map(catalogue.content.description),
            "versionInfo": catalogue.version,
            "identifier": catalogue.hash,
            "isVersionOf": f"{base}/catalogue",
            "hasTopConcept": list(domain_id.values()),
        },
        {
            "id": key_scheme,
            "type": "ConceptScheme",
            "title": _lang_map(messages().text("catalogue.key_competences_title")),
            "source": sorted({entry.source for entry in catalogue.key_competences}),
            "hasTopConcept": list(key_id.values()),
        },
    ]
    for entry in catalogue.domains:
        graph.append(
            {
                "id": domain_id[entry.code],
                "type": "Concept",
                "inScheme": scheme,
                "topConceptOf": scheme,
                "notation": entry.code,
                "prefLabel": _lang_map(entry.name),
                "definition": _lang_map(entry.description),
                "narrower": [
                    mission_type_uri(base, mission.code) for mission in catalogue.mission_types_in(entry.code)
                ],
            }
        )
    for entry in catalogue.mission_types:
        graph.append(
            {
                "id": mission_type_uri(base, entry.code),
                "type": "Concept",
                "inScheme": scheme,
                "notation": entry.code,
                "prefLabel": _lang_map(entry.name),
                "definition": _lang_map(entry.description),
                "example": {
                    lang: [task.in_language(lang) for task in entry.tasks] for lang in _languages_of(*entry.tasks)
                },
                "broader": domain_id[entry.domain],
                "related": [link.uri for link in entry.competences],
                "requires": list(entry.core_competences),
            }
        )
    for entry in catalogue.key_competences:
        graph.append(
            {
                "id": key_id[entry.code],
                "type": "Concept",
                "inScheme": key_scheme,
                "topConceptOf": key_scheme,
                "notation": str(entry.number),
                "prefLabel": _lang_map(entry.name),
                "definition": _lang_map(entry.description),
                "source": entry.source,
            }
        )
    for entry in catalogue.competences:
        node = {
            "id": entry.uri,
            "type": "Concept",
            "prefLabel": _lang_map(entry.label),
            "related": [key_id[code] for code in entry.key_competences],
        }
        alt_labels = {
            lang: list(entry.alt_labels.in_language(lang)) for lang in LANGUAGES if entry.alt_labels.in_language(lang)
        }
        if alt_labels:
            node["altLabel"] = alt_labels
        graph.append(node)
    return {"@context": CONTEXT, "@graph": graph}
