"""JSON adapter: the catalogue as JSON and as SKOS JSON-LD. No login anywhere (the HTML pages are in `pages`)."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from base.errors import UserError
from base.http import LanguageDep, base_url
from base.i18n import messages
from catalogue.files import load_catalogue
from catalogue.model import (
    KEY_COMPETENCE_FRAMEWORK,
    Catalogue,
    Competence,
    MissionType,
    content_data,
    key_competence_uri,
    mission_type_uri,
    version_uri,
)
from catalogue.search import search_competences
from catalogue.skos import JSON_LD, skos_document
from catalogue.versions import ReleaseState, catalogue_version, release_state, released_versions

router = APIRouter(prefix="/catalogue", tags=["catalogue"])


def _key_competences(catalogue: Catalogue, codes: tuple[str, ...], lang: str) -> list[dict]:
    return [{"code": code, "name": catalogue.key_competence(code).name.in_language(lang)} for code in codes]


def competence_json(catalogue: Catalogue, entry: Competence, lang: str) -> dict:
    return {
        "uri": entry.uri,
        "label": entry.label.in_language(lang),
        "labels": entry.label.model_dump(),
        "label_source": entry.label_source.model_dump(),
        "key_competences": _key_competences(catalogue, entry.key_competences, lang),
        "mission_types": list(catalogue.mission_types_using(entry.uri)),
    }


def mission_type_summary(catalogue: Catalogue, entry: MissionType, lang: str, base: str) -> dict:
    return {
        "code": entry.code,
        "uri": mission_type_uri(base, entry.code),
        "name": entry.name.in_language(lang),
        "description": entry.description.in_language(lang),
        "domain": {"code": entry.domain, "name": catalogue.domain(entry.domain).name.in_language(lang)},
    }


def mission_type_json(catalogue: Catalogue, entry: MissionType, lang: str, base: str) -> dict:
    return {
        **mission_type_summary(catalogue, entry, lang, base),
        "tasks": [task.in_language(lang) for task in entry.tasks],
        "competences": [
            {
                "uri": link.uri,
                "label": competence.label.in_language(lang),
                "label_source": competence.label_source.in_language(lang),
                "role": link.role,
                "key_competences": _key_competences(catalogue, competence.key_competences, lang),
            }
            for link, competence in catalogue.links(entry.code)
        ],
        "default_competences": list(entry.core_competences),
    }


def domains_json(catalogue: Catalogue, lang: str) -> list[dict]:
    return [
        {
            "code": entry.code,
            "name": entry.name.in_language(lang),
            "description": entry.description.in_language(lang),
            "mission_types": len(catalogue.mission_types_in(entry.code)),
        }
        for entry in catalogue.domains
    ]


def key_competences_json(catalogue: Catalogue, lang: str) -> list[dict]:
    return [
        {
            "code": entry.code,
            "number": entry.number,
            "name": entry.name.in_language(lang),
            "description": entry.description.in_language(lang),
            "source": entry.source,
        }
        for entry in catalogue.key_competences
    ]


@router.get("", summary="The current catalogue version and what it holds")
def catalogue_summary(request: Request, lang: LanguageDep):
    catalogue = load_catalogue()
    base = base_url(request)
    return {
        **catalogue.citation(base),
        "lang": lang,
        "title": catalogue.title.in_language(lang),
        "description": catalogue.content.description.in_language(lang),
        "counts": {
            "domains": len(catalogue.domains),
            "mission_types": len(catalogue.mission_types),
            "competences": len(catalogue.competences),
            "key_competences": len(catalogue.key_competences),
        },
        "domains": domains_json(catalogue, lang),
        "key_competences": key_competences_json(catalogue, lang),
        "links": {
            "mission_types": f"{base}/catalogue/mission-types",
            "competences": f"{base}/catalogue/competences",
            "versions": f"{base}/catalogue/versions",
            "skos": f"{base}/catalogue/skos",
            "browse": f"{base}/catalogue/browse",
        },
    }


@router.get("/domains", summary="The domains of volunteering (the SKOS export's top concepts)")
def list_domains(lang: LanguageDep):
    catalogue = load_catalogue()
    return {"version": catalogue.version, "lang": lang, "items": domains_json(catalogue, lang)}


@router.get("/key-competences", summary="The eight EU key competences (Council Recommendation 2018/C 189/01)")
def list_key_competences(lang: LanguageDep):
    catalogue = load_catalogue()
    return {"version": catalogue.version, "lang": lang, "items": key_competences_json(catalogue, lang)}


@router.get("/key-competences/{code}", summary="One EU key competence: the page credentials align to")
def get_key_competence(code: str, request: Request, lang: LanguageDep):
    catalogue = load_catalogue()
    entry = catalogue.key_competence(code)
    return {
        "version": catalogue.version,
        "lang": lang,
        "uri": key_competence_uri(base_url(request), entry.code),
        "framework": KEY_COMPETENCE_FRAMEWORK,
        **next(item for item in key_competences_json(catalogue, lang) if item["code"] == entry.code),
        "competences": [
            competence.uri for competence in catalogue.competences if entry.code in competence.key_competences
        ],
    }


@router.get("/mission-types", summary="Mission types, optionally of one domain")
def list_mission_types(
    request: Request, lang: LanguageDep, domain: str | None = Query(None, description="A domain code.")
):
    catalogue = load_catalogue()
    if domain is not None and domain not in {entry.code for entry in catalogue.domains}:
        raise UserError(
            "catalogue.unknown_domain",
            kind="invalid",
            code=domain,
            errors=[{"field": "domain", "message": messages().text("catalogue.unknown_domain", code=domain)}],
        )
    base = base_url(request)
    items = [mission_type_summary(catalogue, entry, lang, base) for entry in catalogue.mission_types_in(domain)]
    return {"version": catalogue.version, "lang": lang, "total": len(items), "items": items}


@router.get("/mission-types/{code}", summary="One mission type with its tasks and competences")
def get_mission_type(code: str, request: Request, lang: LanguageDep):
    catalogue = load_catalogue()
    return {
        "version": catalogue.version,
        "lang": lang,
        **mission_type_json(catalogue, catalogue.mission_type(code), lang, base_url(request)),
    }


@router.get("/competences", summary="Search competences in Latvian and English")
def list_competences(
    lang: LanguageDep,
    q: str = Query("", max_length=200, description="Words to find; case and diacritics ignored."),
    limit: int = Query(50, ge=1, le=500),
):
    catalogue = load_catalogue()
    found = search_competences(catalogue, q, lang)
    return {
        "version": catalogue.version,
        "lang": lang,
        "query": q,
        "total": len(found),
        "items": [competence_json(catalogue, entry, lang) for entry in found[:limit]],
    }


@router.get("/versions", summary="Every version a credential may cite")
def list_versions(request: Request):
    catalogue = load_catalogue()
    releases = released_versions()
    base = base_url(request)
    items = [
        {
            "version": release.version,
            "hash": release.hash,
            "uri": version_uri(base, release.version),
            "released": release.released,
            "current": release.version == catalogue.version,
        }
        for release in releases.values()
    ]
    if release_state(catalogue, releases) is ReleaseState.UNRELEASED:
        items.append({**catalogue.citation(base), "released": None, "current": True})
    return {"current": catalogue.version, "items": items}


@router.get("/versions/{version}", summary="The full content of one version (frozen once released)")
def get_version(version: str, request: Request):
    catalogue = catalogue_version(version)
    release = released_versions().get(version)
    return {
        **catalogue.citation(base_url(request)),
        "released": release.released if release else None,
        "content": content_data(catalogue.content),
    }


@router.get(
    "/skos",
    summary="The catalogue as a SKOS concept scheme in JSON-LD",
    response_class=JSONResponse,
    responses={200: {"content": {JSON_LD: {}}}},
)
def get_skos(
    request: Request, version: str | None = Query(None, description="A released version; the current one by default.")
):
    catalogue = catalogue_version(version) if version else load_catalogue()
    return JSONResponse(skos_document(catalogue, base_url(request)), media_type=JSON_LD)
