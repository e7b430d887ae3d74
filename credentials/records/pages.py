"""The volunteer's statement page behind the invitation link: a plain HTML form (no JavaScript needed), Latvian
first with English one click away. Saving re-renders the page; the first save shows the volunteer's personal link
(and a pseudonymous volunteer's identifier) once."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from base.csrf import CSRF_PROTECTED, csrf_token
from base.errors import UserError
from base.http import LanguageDep, SessionDep
from base.i18n import messages
from base.web import PRIVATE_PAGE, render_page, template_environment
from catalogue import load_catalogue
from credentials import service as credentials_service
from credentials.http import pdf_response
from credentials.records import drafts
from credentials.records.api import statement_view
from credentials.records.records import CompetenceClaim
from issuers.http import IssuerContextDep
from issuers.municipalities import find_municipality

router = APIRouter(include_in_schema=False, dependencies=[CSRF_PROTECTED])
_templates = template_environment([Path(__file__).parent / "templates"])
NOTE_PREFIX = "note:"
# What the page's errors can be (the invitation unknown or expired, the statement locked).
PAGE_ERROR_STATUS = {"not_found": 404, "gone": 410, "conflict": 409}


def _competence_choices(view: dict, lang: str) -> tuple[list[dict], list[dict]]:
    """The mission type's competences plus any others already chosen (each with a note field), and the rest of the
    catalogue (to add more)."""
    catalogue = load_catalogue()
    statement = view["statement"] or {}
    if view["statement"]:  # people read the municipality's name, not its code
        view["statement"] = {**statement, "municipality": _municipality_label(statement.get("municipality"), lang)}
    chosen = {item["uri"]: item.get("note") or "" for item in statement.get("competences") or []}
    main_uris = list(view["invitation"]["suggested_competences"])
    main_uris += [uri for uri in chosen if uri not in main_uris]

    def choice(uri: str) -> dict:
        competence = catalogue.competence(uri)
        return {
            "uri": uri,
            "label": competence.label.in_language(lang),
            "label_language": competence.label.language_shown(lang),
            "checked": uri in chosen,
            "note": chosen.get(uri, ""),
        }

    others = sorted(
        (choice(c.uri) for c in catalogue.competences if c.uri not in main_uris),
        key=lambda item: item["label"].casefold(),
    )
    return [choice(uri) for uri in main_uris], others


def _page(
    request: Request,
    session: Session,
    token: str,
    lang: str,
    *,
    form: dict | None = None,
    errors: dict | None = None,
    notice: str | None = None,
    saved: drafts.SavedDraft | None = None,
    base_url: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    invitation = drafts.invitation_by_token(session, token)
    view = statement_view(session, invitation, lang)
    main, others = _competence_choices(view, lang)
    if form is not None:  # a rejected form keeps what the volunteer typed
        picked = set(form.get("competences", []))
        for item in main + others:
            item["checked"] = item["uri"] in picked
            item["note"] = form.get("notes", {}).get(item["uri"], item["note"])
    statement = view["statement"] or {}
    if view["statement"]:  # people read the municipality's name, not its code
        view["statement"] = {**statement, "municipality": _municipality_label(statement.get("municipality"), lang)}
    values = form or {
        "start_date": statement.get("start_date") or view["invitation"]["start_date"] or "",
        "end_date": statement.get("end_date") or view["invitation"]["end_date"] or "",
        "hours": statement.get("hours") or "",
        "municipality": _municipality_label(statement.get("municipality") or view["invitation"]["municipality"], lang),
        "role": statement.get("role") or "",
        "narrative": statement.get("narrative") or "",
        "volunteer_kind": "named",
        "volunteer_name": "",
        "volunteer_email": "",
    }
    editable = view["status"] in ("new", *drafts.EDITABLE) and not (
        view["status"] == "new" and view["invitation"]["expired"]
    )
    body = render_page(
        _templates,
        "drafts/statement.html",
        lang=lang,
        url=str(request.url),
        csrf_token=csrf_token(request),
        view=view,
        token=token,
        main_competences=main,
        other_competences=others,
        values=values,
        errors=errors or {},
        notice=notice,
        editable=editable,
        personal_link=f"{base_url}/me/{saved.access_token}" if saved and saved.access_token else None,
        pseudonym=saved.pseudonym if saved else None,
    )
    return HTMLResponse(body, status_code=status_code, headers=PRIVATE_PAGE)


def _error_page(request: Request, error: UserError, lang: str) -> HTMLResponse:
    """A person followed a link: answer with a readable page, not with problem+json."""
    body = render_page(
        _templates,
        "error.html",
        lang=lang,
        url=str(request.url),
        title=messages().get(f"problem.{error.kind}", lang),
        detail=messages().get(error.key, lang, **error.params),
        back_href=None,
    )
    return HTMLResponse(body, status_code=PAGE_ERROR_STATUS.get(error.kind, 400), headers=PRIVATE_PAGE)


@router.get("/invite/{token}", response_class=HTMLResponse)
def statement_page(token: str, request: Request, lang: LanguageDep, session: SessionDep):
    try:
        return _page(request, session, token, lang)
    except UserError as error:
        return _error_page(request, error, lang)


@router.get("/invite/{token}/certificate.pdf")
def statement_certificate(
    token: str,
    request: Request,
    lang: LanguageDep,
    session: SessionDep,
    ctx: IssuerContextDep,
    language: str = Query("lv", pattern="^(lv|en|ru|uk|bilingual)$"),
):
    """The volunteer's own copy (with its claim code) of the credential their statement became; the invitation
    link is theirs, as the personal link is."""
    try:
        invitation = drafts.invitation_by_token(session, token)
        credential_id = statement_view(session, invitation, lang)["credential_id"]
        if credential_id is None:
            raise UserError("credential.not_found", kind="not_found")
    except UserError as error:
        return _error_page(request, error, lang)
    credential = credentials_service.get_credential(session, credential_id)
    response = pdf_response(session, ctx, credential, language, claim_code=True)
    response.headers.update(PRIVATE_PAGE)
    return response


def _form_values(form) -> dict:
    competences = form.getlist("competence")
    notes = {key[len(NOTE_PREFIX) :]: value for key, value in form.items() if key.startswith(NOTE_PREFIX)}
    values = {
        name: (form.get(name) or "").strip()
        for name in (
            "start_date",
            "end_date",
            "hours",
            "municipality",
            "role",
            "narrative",
            "volunteer_kind",
            "volunteer_name",
            "volunteer_email",
        )
    }
    return {**values, "competences": competences, "notes": notes, "action": form.get("action") or "save"}


def _field_errors(error: UserError, lang: str) -> dict:
    found = {}
    for item in error.errors:
        name = item.get("field", "").split("[")[0].replace("volunteer.", "volunteer_")
        message = item.get("message")
        text = message.in_language(lang) if hasattr(message, "in_language") else str(message or "")
        found.setdefault(name, []).append(text)
    if not found:
        found["form"] = [messages().get(error.key, lang, **error.params)]
    return found


@router.post("/invite/{token}", response_class=HTMLResponse)
async def save_statement_form(
    token: str, request: Request, lang: LanguageDep, session: SessionDep, ctx: IssuerContextDep
):
    values = _form_values(await request.form())
    data = drafts.DraftInput(
        start_date=values["start_date"],
        end_date=values["end_date"],
        hours=values["hours"],
        municipality=values["municipality"],
        role=values["role"],
        narrative=values["narrative"],
        competences=[CompetenceClaim(uri, "self", values["notes"].get(uri)) for uri in values["competences"]],
        volunteer_name=values["volunteer_name"] if values["volunteer_kind"] != "pseudonymous" else None,
        volunteer_email=(values["volunteer_email"] or None) if values["volunteer_kind"] != "pseudonymous" else None,
        pseudonymous=values["volunteer_kind"] == "pseudonymous",
    )
    submit = values["action"] == "submit"
    try:
        with session.begin_nested():
            saved = drafts.save_draft(session, ctx, token, data, submit=submit)
    except UserError as error:
        if error.kind != "invalid":
            return _error_page(request, error, lang)
        return _page(request, session, token, lang, form=values, errors=_field_errors(error, lang), status_code=422)
    notice = messages().get("draft.page.submitted_notice" if submit else "draft.page.saved_notice", lang)
    return _page(request, session, token, lang, notice=notice, saved=saved, base_url=ctx.base_url)


def _municipality_label(value: str | None, lang: str) -> str:
    found = find_municipality(value)
    return found.name(lang) if found else (value or "")
