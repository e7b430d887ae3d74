"""HTML adapter: the public pages to browse and search the catalogue. No login anywhere."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from base.http import LanguageDep
from base.i18n import messages
from base.web import render_page, template_environment
from catalogue.files import load_catalogue
from catalogue.search import search_competences, search_mission_types

router = APIRouter(prefix="/catalogue", tags=["catalogue"])
_templates = template_environment([Path(__file__).parent / "templates"])


def _page(request: Request, template: str, lang: str, status_code: int = 200, **context) -> HTMLResponse:
    return HTMLResponse(
        render_page(_templates, template, lang=lang, url=str(request.url), **context), status_code=status_code
    )


@router.get("/browse", response_class=HTMLResponse, summary="Public page to browse and search the catalogue")
def browse(request: Request, lang: LanguageDep, q: str = Query("", max_length=200), domain: str = Query("")):
    catalogue = load_catalogue()
    domain_code = domain if domain in {entry.code for entry in catalogue.domains} else None
    query = q.strip()
    return _page(
        request,
        "catalogue/browse.html",
        lang,
        catalogue=catalogue,
        query=query,
        domain=domain_code,
        mission_types=search_mission_types(catalogue, query, lang, domain_code),
        competences=search_competences(catalogue, query, lang) if query else [],
    )


@router.get("/browse/{code}", response_class=HTMLResponse, summary="Public page of one mission type")
def browse_mission_type(code: str, request: Request, lang: LanguageDep):
    catalogue = load_catalogue()
    entry = catalogue.mission_types_by_code.get(code)
    if entry is None:
        # A person followed a link: answer with a page, not with problem+json.
        return _page(
            request,
            "error.html",
            lang,
            status_code=404,
            title=messages().get("catalogue.page.not_found", lang),
            detail=messages().get("catalogue.unknown_mission_type", lang, code=code),
            back_href=f"/catalogue/browse?lang={lang}",
            back_label=messages().get("catalogue.page.back", lang),
        )
    return _page(
        request,
        "catalogue/mission_type.html",
        lang,
        catalogue=catalogue,
        mission_type=entry,
        links=catalogue.links(code),
    )
