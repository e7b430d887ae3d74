"""The signed-in volunteer's hours log (`/my/log`): their sessions, newest first, with totals; adding, changing and
deleting a session not yet sent; sending sessions of one registered organisation as a statement to its inbox. Plain
HTML forms: choosing an organisation or competences is a search the form itself submits (no JavaScript needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from base.csrf import CSRF_PROTECTED
from base.errors import UserError
from base.http import LanguageDep, SessionDep
from base.i18n import format_number, messages
from base.paging import page_number, pager
from base.web import PRIVATE_PAGE, error_message, field_errors, page, see_other, template_environment
from catalogue import load_catalogue
from catalogue.search import search_competences
from credentials import views
from credentials.common import today_in_latvia
from credentials.holders.service import holder_for_user
from credentials.holders.store import HolderRow
from credentials.hourslog import service
from credentials.hourslog.log import FREE_TEXT, MAX_ACTIVITY, MAX_ORGANISATION_NAME, SessionInput
from credentials.hourslog.store import LogSessionRow
from credentials.records.records import format_hours
from issuers.http import IssuerContextDep, SignedIn, SignedInDep
from issuers.municipalities import all_municipalities, find_municipality
from issuers.store import OrganisationRow, UserRow

router = APIRouter(include_in_schema=False, dependencies=[CSRF_PROTECTED])
templates = template_environment(
    [Path(__file__).parent / "templates", Path(__file__).parent.parent / "holders" / "templates"]
)
PER_PAGE = 20
COMPETENCE_MATCHES = 15
FORM_STATUS = {"invalid": 422, "conflict": 409, "not_found": 404}


async def _posted_form(request: Request) -> FormData:
    return await request.form()  # read once (the CSRF check parsed it already); the endpoint itself stays sync


FormDep = Annotated[FormData, Depends(_posted_form)]


def _holder(session: Session, signed_in: SignedIn, lang: str) -> HolderRow:
    return holder_for_user(session, signed_in.user.id, lang)


def _render(request: Request, template: str, lang: str, status_code: int = 200, **context) -> HTMLResponse:
    response = page(request, templates, template, lang=lang, status_code=status_code, **context)
    response.headers.update(PRIVATE_PAGE)
    return response


def _text(form: FormData, name: str, limit: int = 4000) -> str:
    value = form.get(name)
    return value[:limit] if isinstance(value, str) else ""


def _texts(form: FormData, name: str, limit: int = 200) -> list[str]:
    return [value[:1000] for value in form.getlist(name) if isinstance(value, str)][:limit]


# --- the log ------------------------------------------------------------------------------------------------------


def _session_view(row: LogSessionRow, orgs: dict, states: dict, lang: str) -> dict:
    catalogue = load_catalogue()
    org = orgs.get(row.organisation_id or "")
    return {
        "id": row.id,
        "date": views.date_text(row.worked_on, lang),
        "organisation": org.legal_name if org else row.organisation_name,
        "registered": org is not None,
        "hours": format_number(row.hours.normalize(), lang),
        "activity": row.activity,
        "competences": [
            catalogue.competence(uri).label.in_language(lang)
            for uri in row.competences
            if uri in catalogue.competences_by_uri
        ],
        "statement": states.get(row.statement_record_id or ""),
    }


@router.get("/my/log")
def log(
    request: Request,
    signed_in: SignedInDep,
    session: SessionDep,
    lang: LanguageDep,
    page_: Annotated[str, Query(alias="page", max_length=10)] = "1",
):
    holder = _holder(session, signed_in, lang)
    number = page_number(page_)
    found = service.log_page(session, holder, (number - 1) * PER_PAGE, PER_PAGE)
    paging = pager(str(request.url), number, found.total, PER_PAGE)
    if paging.page != number:  # past the last page: show the last
        found = service.log_page(session, holder, paging.offset, PER_PAGE)
    states = service.statement_states(
        session, holder, {row.statement_record_id for row in found.rows if row.statement_record_id}
    )
    return _render(
        request,
        "hourslog/log.html",
        lang,
        sessions=[_session_view(row, found.organisations, states, lang) for row in found.rows],
        total=found.total,
        total_hours=format_number(found.total_hours.normalize(), lang),
        can_send=bool(service.sendable(session, holder)),
        pager=paging,
    )


# --- one session --------------------------------------------------------------------------------------------------


def _form_values(form: FormData) -> dict:
    return {
        "organisation_name": _text(form, "organisation_name", MAX_ORGANISATION_NAME * 2),
        "organisation_id": _text(form, "organisation_id", 40),
        "worked_on": _text(form, "worked_on", 40),
        "hours": _text(form, "hours", 40),
        "activity": _text(form, "activity", MAX_ACTIVITY * 2),
        "competences": list(dict.fromkeys(_texts(form, "competence"))),
        "competence_query": _text(form, "competence_query", 200).strip(),
    }


def _row_values(row: LogSessionRow, session: Session) -> dict:
    org = session.get(OrganisationRow, row.organisation_id) if row.organisation_id else None
    return {
        "organisation_name": org.legal_name if org else (row.organisation_name or ""),
        "organisation_id": row.organisation_id or (FREE_TEXT if row.organisation_name else ""),
        "worked_on": row.worked_on.isoformat(),
        "hours": format_hours(row.hours),
        "activity": row.activity,
        "competences": list(row.competences),
        "competence_query": "",
    }


def _session_form(
    request: Request,
    session: Session,
    lang: str,
    values: dict,
    *,
    row: LogSessionRow | None = None,
    matches: list | None = None,
    error: UserError | None = None,
    search: bool = False,
) -> HTMLResponse:
    """The form to add (no `row`) or change a session; `matches`: organisations found for the typed name."""
    catalogue = load_catalogue()
    chosen = [uri for uri in values["competences"] if uri in catalogue.competences_by_uri]
    query = values["competence_query"]
    found = (
        [c for c in search_competences(catalogue, query, lang, COMPETENCE_MATCHES) if c.uri not in chosen]
        if query
        else []
    )
    organisations = list(matches or [])
    current = values["organisation_id"]
    if current and current != FREE_TEXT and all(org.id != current for org in organisations):
        try:
            organisations.insert(0, service.registered_organisation(session, current))
        except UserError:
            values["organisation_id"] = ""
    errors = field_errors(error, lang) if error else {}
    return _render(
        request,
        "hourslog/session_form.html",
        lang,
        status_code=FORM_STATUS.get(error.kind, 422) if error else 200,
        row=row,
        values=values,
        organisations=organisations,
        searched_organisations=matches is not None,
        chosen=[{"uri": uri, "label": catalogue.competence(uri).label.in_language(lang)} for uri in chosen],
        found=[{"uri": c.uri, "label": c.label.in_language(lang)} for c in found],
        searched_competences=bool(query) and search,
        today=today_in_latvia().isoformat(),
        error=(None if errors else error_message(error, lang)) if error else None,
        errors=errors,
        action=f"/my/log/{row.id}?lang={lang}" if row else f"/my/log/new?lang={lang}",
    )


def _save(
    request: Request,
    session: Session,
    signed_in: SignedIn,
    lang: str,
    form: FormData,
    row: LogSessionRow | None,
):
    holder = _holder(session, signed_in, lang)
    values = _form_values(form)
    action = _text(form, "action", 40)
    if action == "find_organisation":
        matches = service.find_organisations(session, values["organisation_name"])
        return _session_form(request, session, lang, values, row=row, matches=matches)
    if action == "find_competences":
        return _session_form(request, session, lang, values, row=row, search=True)
    choice = values["organisation_id"]
    if not choice:
        # A name typed without a choice: when registered organisations go by it, the volunteer picks (or keeps it).
        matches = service.find_organisations(session, values["organisation_name"])
        if matches:
            problem = UserError(
                "log.invalid",
                errors=[{"field": "organisation_id", "message": messages().text("log.choose_organisation")}],
            )
            return _session_form(request, session, lang, values, row=row, matches=matches, error=problem)
    data = SessionInput(
        organisation_id=None if choice in ("", FREE_TEXT) else choice,
        organisation_name=values["organisation_name"],
        worked_on=values["worked_on"],
        hours=values["hours"],
        activity=values["activity"],
        competences=values["competences"],
    )
    try:
        with session.begin_nested():
            if row is None:
                service.add_session(session, holder, data)
            else:
                service.update_session(session, holder, row.id, data)
    except UserError as error:
        if error.kind != "invalid":
            raise
        return _session_form(request, session, lang, values, row=row, error=error)
    return see_other(f"/my/log?lang={lang}", notice="notice.log_saved")


@router.get("/my/log/new")
def new_session(request: Request, signed_in: SignedInDep, session: SessionDep, lang: LanguageDep):
    values = {
        "organisation_name": "",
        "organisation_id": "",
        "worked_on": today_in_latvia().isoformat(),
        "hours": "",
        "activity": "",
        "competences": [],
        "competence_query": "",
    }
    return _session_form(request, session, lang, values)


@router.post("/my/log/new")
def add_session(request: Request, signed_in: SignedInDep, session: SessionDep, lang: LanguageDep, form: FormDep):
    return _save(request, session, signed_in, lang, form, None)


@router.get("/my/log/send")
def send_page(
    request: Request,
    signed_in: SignedInDep,
    session: SessionDep,
    lang: LanguageDep,
    organisation: Annotated[str, Query(max_length=40)] = "",
):
    holder = _holder(session, signed_in, lang)
    return _send_form(request, session, holder, signed_in.user, lang, organisation)


def _send_form(
    request: Request,
    session: Session,
    holder: HolderRow,
    user: UserRow,
    lang: str,
    organisation: str,
    values: dict | None = None,
    error: UserError | None = None,
) -> HTMLResponse:
    groups = service.sendable(session, holder)
    chosen = next((group for group in groups if group.organisation.id == organisation), None)
    if chosen is None and len(groups) == 1:
        chosen = groups[0]
    catalogue = load_catalogue()
    language = lang if lang in ("lv", "en") else "lv"
    municipality = find_municipality(chosen.organisation.municipality) if chosen else None
    values = values or {
        "sessions": [row.id for row in chosen.sessions] if chosen else [],
        "mission_type": "",
        "title": "",
        "municipality": municipality.code if municipality else "",
        "language": language,
        "volunteer_name": user.name,
    }
    errors = field_errors(error, lang) if error else {}
    return _render(
        request,
        "hourslog/send.html",
        lang,
        status_code=FORM_STATUS.get(error.kind, 422) if error else 200,
        groups=[
            {
                "id": group.organisation.id,
                "name": group.organisation.legal_name,
                "count": len(group.sessions),
                "hours": format_number(group.hours.normalize(), lang),
            }
            for group in groups
        ],
        chosen=chosen,
        sessions=[
            {
                "id": row.id,
                "date": views.date_text(row.worked_on, lang),
                "hours": format_number(row.hours.normalize(), lang),
                "activity": row.activity,
                "checked": row.id in values["sessions"],
            }
            for row in (chosen.sessions if chosen else [])
        ],
        mission_types=sorted(
            ((m.code, m.name.in_language(lang)) for m in catalogue.mission_types), key=lambda item: item[1].casefold()
        ),
        municipalities=sorted(
            ((m.code, m.name(lang)) for m in all_municipalities()), key=lambda item: item[1].casefold()
        ),
        languages=[(code, messages().get("site.language_name", code)) for code in ("lv", "en")],
        values=values,
        error=(None if errors else error_message(error, lang)) if error else None,
        errors=errors,
    )


@router.post("/my/log/send")
def send(
    request: Request,
    signed_in: SignedInDep,
    session: SessionDep,
    lang: LanguageDep,
    ctx: IssuerContextDep,
    form: FormDep,
):
    holder = _holder(session, signed_in, lang)
    values = {
        "sessions": _texts(form, "session", 1000),
        "mission_type": _text(form, "mission_type", 80),
        "title": _text(form, "title", 8000),
        "municipality": _text(form, "municipality", 80),
        "language": _text(form, "language", 2),
        "volunteer_name": _text(form, "volunteer_name", 400),
    }
    organisation = _text(form, "organisation", 40)
    try:
        with session.begin_nested():
            service.send_statement(
                session,
                ctx,
                signed_in.principal,
                holder,
                signed_in.user,
                service.StatementRequest(
                    session_ids=values["sessions"],
                    mission_type=values["mission_type"],
                    title=values["title"],
                    municipality=values["municipality"],
                    language=values["language"],
                    volunteer_name=values["volunteer_name"],
                ),
            )
    except UserError as error:
        if error.kind not in ("invalid", "conflict"):
            raise
        return _send_form(request, session, holder, signed_in.user, lang, organisation, values, error)
    return see_other(f"/my/log?lang={lang}", notice="notice.log_sent")


@router.get("/my/log/{session_id}")
def edit_session(session_id: str, request: Request, signed_in: SignedInDep, session: SessionDep, lang: LanguageDep):
    holder = _holder(session, signed_in, lang)
    row = service.get_session(session, holder, session_id)
    if row.statement_record_id is not None:
        raise UserError("log.session_sent", kind="conflict")
    return _session_form(request, session, lang, _row_values(row, session), row=row)


@router.post("/my/log/{session_id}")
def change_session(
    session_id: str, request: Request, signed_in: SignedInDep, session: SessionDep, lang: LanguageDep, form: FormDep
):
    row = service.get_session(session, _holder(session, signed_in, lang), session_id)
    return _save(request, session, signed_in, lang, form, row)


@router.post("/my/log/{session_id}/delete")
def remove_session(session_id: str, signed_in: SignedInDep, session: SessionDep, lang: LanguageDep):
    service.delete_session(session, _holder(session, signed_in, lang), session_id)
    return see_other(f"/my/log?lang={lang}", notice="notice.log_deleted")
