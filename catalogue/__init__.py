"""What volunteering teaches: mission types mapped to ESCO competences, versioned, in Latvian and English.

This package is the first domain package above `base` (base <- catalogue <- issuers <- credentials <- verify); the
pieces every package shares (messages, errors, the site layout) are in `base`.

What the other packages call:

    from catalogue import load_catalogue, catalogue_version

    catalogue = load_catalogue()                       # the current version, parsed once and cached
    catalogue.reference()                              # {"version": "1.0.0", "hash": "sha256:..."}: what a credential cites
    catalogue.citation(base_url)                       # the same plus "uri": {base_url}/catalogue/versions/1.0.0
    catalogue.mission_type("event-support")            # MissionType; UserError(kind="not_found") if unknown
    catalogue.default_competences("event-support")     # the core competences' ESCO URIs
    catalogue.competence(uri)                          # Competence: .label.lv / .label.en, .key_competences
    catalogue.key_competences                          # the eight EU key competences
    catalogue_version("1.0.0")                         # any released version, to explain an old credential
"""

from catalogue.files import CatalogueError, load_catalogue, read_catalogue
from catalogue.model import Catalogue, Competence, CompetenceLink, KeyCompetence, MissionType, version_uri
from catalogue.versions import catalogue_version, released_versions

__all__ = [
    "Catalogue",
    "CatalogueError",
    "Competence",
    "CompetenceLink",
    "KeyCompetence",
    "MissionType",
    "catalogue_version",
    "load_catalogue",
    "read_catalogue",
    "released_versions",
    "version_uri",
]
