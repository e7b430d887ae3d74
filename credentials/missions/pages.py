"""HTML adapter of missions, in the organiser's workspace (/org/{slug}/...): the dashboard, the missions list, the
mission form (create, edit, copy, close), the mission page with its volunteers (add one, paste or upload a list,
statuses, hours), invitations to draft a statement (by e-mail, or a link shown once), a volunteer's hours, and
issuing everyone finished with a progress bar that follows the batch.

Every page works without JavaScript (a finished form posts and is redirected; the progress page refreshes itself);
htmx, where the browser runs it, only polls the progress. Pages call the same service functions as the JSON API,
which authorise and audit every write; another organisation's missions answer 404.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from babel.numbers import format_decimal
from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session

from base.csrf import CSRF_PROTECTED
from base.errors import UserError
from base.http import LanguageDep, SessionDep
from base.http import base_url as public_base_url
from base.i18n import format_date, format_number, messages
from base.paging import Pager, pager
from base.web import PRIVATE_PAGE, error_message, field_errors, page, see_other, template_environment
from catalogue import load_catalogue
from catalogue.search import search_mission_types
from credentials.batches import service as batches_service
from credentials.batches.api import certificates_response, read_upload_file, wake_runner
from credentials.batches.store import BatchRow
from credentials.common import RIGA, today_in_latvia
from credentials.missions import lifecycle
from credentials.missions import service as missions
from credentials.missions.missions import HoursInput, MissionInput, SessionInput
from credentials.missions.store import MissionRow
from credentials.records import drafts
from credentials.records.records import VolunteerInput
from issuers.http import IssuerContextDep, Workspace, WorkspaceDep
from issuers.municipalities import all_municipalities, find_municipality

router = APIRouter(include_in_schema=False, dependencies=[CSRF_PROTECTED])
templates = template_environment([Path(__file__).parent / "templates"])
PAGE_SIZE = 50
BLANK_SESSIONS = 3  # empty session rows offered on the hours form (more after saving)
LATEST_INVITATIONS = 10  # on the mission page; all of them on its invite page


def _ws_page(request: Request, ws: Workspace, template: str, lang: str, active: str = "missions", **context):
    return page(request, templates, template, lang=lang, ws=ws.view(active), **context)


def _pager(request: Request, page_number: int, total: int, size: int = PAGE_SIZE, path: str | None = None) -> Pager:
    """This request's pager; `path` when the page is shown at another address than the request's (after a form)."""
    return pager(f"{path or request.url.path}?{request.url.query}", page_number, total, size)


def _hours(value, lang: str) -> str:
    return format_number(value, lang) if value is not None else ""


def _hours_field(value, lang: str) -> str:
    """Hours in a form field: the language's decimal sign, no grouping (so that the value reads back as typed)."""
    return format_decimal(value, locale=lang, group_separator=False) if value is not None else ""


def _period(row: MissionRow, lang: str) -> str:
    start = format_date(row.start_date, lang, "medium")
    if row.end_date is None:
        return messages().get("missions.page.open_ended_from", lang, start=start)
    return f"{start} – {format_date(row.end_date, lang, 'medium')}"


def _municipality_name(code: str, lang: str) -> str:
    found = find_municipality(code)
    return found.name(lang) if found else code


def _helpers(lang: str) -> dict[str, Any]:
    catalogue = load_catalogue()
    return {
        "period": lambda row: _period(row, lang),
        "hours": lambda value: _hours(value, lang),
        "municipality_name": lambda code: _municipality_name(code, lang),
        "mission_type_name": lambda code: (
            catalogue.mission_types_by_code[code].name.in_language(lang)
            if code in catalogue.mission_types_by_code
            else code
        ),
        "status_label": lambda status: messages().get(f"participation.status.{status}", lang),
    }


# --- the dashboard ------------------------------------------------------------------------------------------------


@router.get("/org/{slug}")
def dashboard(request: Request, ws: WorkspaceDep, session: SessionDep, lang: LanguageDep):
    """The year's figures and what to do next."""
    figures = missions.dashboard(session, ws.principal, ws.org, today_in_latvia())
    base = ws.href()
    todo = []
    if figures.statements_waiting:
        todo.append(("dashboard.todo.statements", figures.statements_waiting, f"{base}/statements?lang={lang}"))
    if figures.waiting_approval:
        todo.append(("dashboard.todo.approve", figures.waiting_approval, f"{base}/missions?lang={lang}"))
    if figures.finished_not_issued:
        todo.append(("dashboard.todo.issue", figures.finished_not_issued, f"{base}/missions?lang={lang}"))
    if figures.missions_to_close:
        todo.append(("dashboard.todo.close", figures.missions_to_close, f"{base}/missions?status=open&lang={lang}"))
    return _ws_page(
        request,
        ws,
        "missions/dashboard.html",
        lang,
        active="dashboard",
        figures=figures,
        hours=format_number(figures.hours, lang),
        todo=todo,
        can_write=ws.can("records.write"),
    )


# --- missions -----------------------------------------------------------------------------------------------------


@router.get("/org/{slug}/missions")
def missions_list(
    request: Request,
    ws: WorkspaceDep,
    session: SessionDep,
    lang: LanguageDep,
    status: str = Query("open", pattern="^(open|closed|all)$"),
    page_number: int = Query(1, alias="page", ge=1, le=100_000),
):
    rows, total = missions.list_missions(
        session, ws.principal, ws.org, None if status == "all" else status, PAGE_SIZE, (page_number - 1) * PAGE_SIZE
    )
    return _ws_page(
        request,
        ws,
        "missions/list.html",
        lang,
        rows=rows,
        status=status,
        pager=_pager(request, page_number, total),
        can_write=ws.can("records.write"),
        **_helpers(lang),
    )


def _mission_form_context(lang: str, q: str, values: dict, mission_type: str | None) -> dict:
    catalogue = load_catalogue()
    found = search_mission_types(catalogue, q, lang) if q else list(catalogue.mission_types)
    if mission_type and mission_type not in {entry.code for entry in found}:
        chosen = catalogue.mission_types_by_code.get(mission_type)
        found = [chosen, *found] if chosen else found
    competences = []
    entry = catalogue.mission_types_by_code.get(mission_type or "")
    if entry is not None:
        chosen_uris = values.get("competences")
        for link in entry.competences:
            competence = catalogue.competences_by_uri.get(link.uri)
            competences.append(
                {
                    "uri": link.uri,
                    "label": competence.label.in_language(lang) if competence else link.uri,
                    "core": link.role == "core",
                    "checked": link.uri in chosen_uris if chosen_uris is not None else link.role == "core",
                }
            )
    return {
        "q": q,
        "type_options": [(entry.code, entry.name.in_language(lang)) for entry in found],
        "found_count": len(found),
        "municipality_options": [(m.code, m.name(lang)) for m in all_municipalities()],
        "language_options": [(code, messages().get("site.language_name", code)) for code in ("lv", "en")],
        "competences": competences,
        "values": values,
    }


def _values_of(row: MissionRow) -> dict:
    return {
        "mission_type": row.mission_type,
        "title": row.title,
        "municipality": row.municipality,
        "start_date": row.start_date.isoformat(),
        "end_date": row.end_date.isoformat() if row.end_date else "",
        "planned_volunteers": row.planned_volunteers or "",
        "visibility": row.visibility,
        "language": row.language,
        "competences": list(row.competences),
    }


@router.get("/org/{slug}/missions/new")
def new_mission(
    request: Request,
    ws: WorkspaceDep,
    lang: LanguageDep,
    q: str = Query("", max_length=200),
    mission_type: str = Query("", max_length=80),
):
    ws.require("records.write")
    values = {"visibility": "closed", "language": lang, "mission_type": mission_type, "competences": None}
    return _ws_page(
        request,
        ws,
        "missions/form.html",
        lang,
        mission=None,
        action=f"{ws.href('/missions/new')}?lang={lang}",
        **_mission_form_context(lang, q.strip(), values, mission_type or None),
        errors={},
        error=None,
    )


def _form_input(form: dict, competences: list[str] | None) -> MissionInput:
    return MissionInput(
        mission_type=form["mission_type"],
        title=form["title"] or None,
        municipality=form["municipality"],
        start_date=form["start_date"],
        end_date=form["end_date"] or None,
        planned_volunteers=form["planned_volunteers"] or None,
        visibility=form["visibility"],
        competences=competences,
        language="lv" if form["language"] not in ("lv", "en") else form["language"],
    )


MissionField = Annotated[str, Form(max_length=4000)]


def _mission_form(
    mission_type: MissionField = "",
    title: MissionField = "",
    municipality: MissionField = "",
    start_date: MissionField = "",
    end_date: MissionField = "",
    planned_volunteers: MissionField = "",
    visibility: MissionField = "closed",
    language: MissionField = "lv",
) -> dict:
    """The mission form's fields, as typed (trimmed): shown again as they were when refused."""
    return {
        "mission_type": mission_type.strip(),
        "title": title.strip(),
        "municipality": municipality.strip(),
        "start_date": start_date.strip(),
        "end_date": end_date.strip(),
        "planned_volunteers": planned_volunteers.strip(),
        "visibility": visibility.strip(),
        "language": language.strip(),
    }


MissionFormDep = Annotated[dict, Depends(_mission_form)]


def _form_again(
    request: Request, ws: Workspace, lang: str, error: UserError, form: dict, mission: MissionRow | None, action: str
) -> HTMLResponse:
    """The form again, with what was typed and each message next to its field (nothing was written)."""
    form = {**form, "competences": form.get("competences")}
    response = _ws_page(
        request,
        ws,
        "missions/form.html",
        lang,
        mission=mission,
        action=action,
        **_mission_form_context(lang, "", form, form.get("mission_type") or None),
        errors=field_errors(error, lang),
        error=error_message(error, lang),
    )
    response.status_code = 422 if error.kind == "invalid" else 409
    return response


@router.post("/org/{slug}/missions/new")
def create_mission(request: Request, ws: WorkspaceDep, session: SessionDep, lang: LanguageDep, form: MissionFormDep):
    try:
        row = missions.create_mission(session, ws.principal, ws.org, _form_input(form, None))
    except UserError as error:
        if error.kind not in ("invalid", "conflict"):
            raise
        session.rollback()
        return _form_again(request, ws, lang, error, form, None, f"{ws.href('/missions/new')}?lang={lang}")
    return see_other(f"{ws.href(f'/missions/{row.id}')}?lang={lang}", notice="notice.mission_created")


@router.get("/org/{slug}/missions/{mission_id}/edit")
def edit_mission_page(request: Request, mission_id: str, ws: WorkspaceDep, session: SessionDep, lang: LanguageDep):
    row = missions.get_mission(session, ws.principal, mission_id)
    ws.require("records.write")
    values = _values_of(row)
    return _ws_page(
        request,
        ws,
        "missions/form.html",
        lang,
        mission=row,
        action=f"{ws.href(f'/missions/{row.id}/edit')}?lang={lang}",
        **_mission_form_context(lang, "", values, row.mission_type),
        errors={},
        error=None,
    )


@router.post("/org/{slug}/missions/{mission_id}/edit")
def edit_mission(
    request: Request,
    mission_id: str,
    ws: WorkspaceDep,
    session: SessionDep,
    lang: LanguageDep,
    form: MissionFormDep,
    competences: Annotated[list[str] | None, Form()] = None,
    competences_of: MissionField = "",
):
    row = missions.get_mission(session, ws.principal, mission_id)
    # The competences shown were those of `competences_of`: for another mission type chosen meanwhile, its own.
    chosen = [uri for uri in (competences or []) if uri] if competences_of == form["mission_type"] else None
    changes = dict(vars(_form_input(form, chosen)))
    try:
        missions.update_mission(session, ws.principal, mission_id, changes)
    except UserError as error:
        if error.kind not in ("invalid", "conflict"):
            raise
        session.rollback()
        form["competences"] = chosen
        return _form_again(
            request, ws, lang, error, form, row, f"{ws.href(f'/missions/{mission_id}/edit')}?lang={lang}"
        )
    return see_other(f"{ws.href(f'/missions/{mission_id}')}?lang={lang}", notice="notice.mission_saved")


@router.post("/org/{slug}/missions/{mission_id}/copy")
def copy_mission(mission_id: str, ws: WorkspaceDep, session: SessionDep, lang: LanguageDep):
    row = missions.copy_mission(session, ws.principal, mission_id, {})
    return see_other(f"{ws.href(f'/missions/{row.id}/edit')}?lang={lang}", notice="notice.mission_copied")


@router.post("/org/{slug}/missions/{mission_id}/close")
def close_mission(mission_id: str, ws: WorkspaceDep, session: SessionDep, lang: LanguageDep):
    missions.close_mission(session, ws.principal, mission_id)
    return see_other(f"{ws.href(f'/missions/{mission_id}')}?lang={lang}", notice="notice.mission_closed")


@router.post("/org/{slug}/missions/{mission_id}/reopen")
def reopen_mission(mission_id: str, ws: WorkspaceDep, session: SessionDep, lang: LanguageDep):
    missions.reopen_mission(session, ws.principal, mission_id)
    return see_other(f"{ws.href(f'/missions/{mission_id}')}?lang={lang}", notice="notice.mission_reopened")


# --- the mission page: its volunteers -----------------------------------------------------------------------------


def _mission_page(
    request: Request,
    ws: Workspace,
    session: Session,
    lang: str,
    mission_id: str,
    status: str = "all",
    page_number: int = 1,
    status_code: int = 200,
    **extra: Any,
) -> HTMLResponse:
    row = missions.get_mission(session, ws.principal, mission_id)
    people, total = missions.list_participants(
        session,
        ws.principal,
        mission_id,
        None if status == "all" else status,
        PAGE_SIZE,
        (page_number - 1) * PAGE_SIZE,
    )
    counts = missions.mission_counts(session, [row.id]).get(row.id, missions.MissionCounts())
    invitations, invitations_total = missions.mission_invitations(session, ws.principal, mission_id, LATEST_INVITATIONS)
    extra.setdefault("errors", {})
    extra.setdefault("error", None)
    extra.setdefault("form", {})
    response = _ws_page(
        request,
        ws,
        "missions/mission.html",
        lang,
        mission=row,
        people=people,
        counts=counts,
        status=status,
        statuses=lifecycle.STATUSES,
        actions=lifecycle.ACTIONS,
        allows=lifecycle.allows,
        # after a form's post too, the pages are the mission page's
        pager=_pager(request, page_number, total, path=ws.href(f"/missions/{mission_id}")),
        latest_batch=missions.latest_batch(session, row.id),
        invitations=invitations,
        **_invitations_helpers(lang, invitations_total),
        can_write=ws.can("records.write"),
        can_issue=ws.can("credentials.issue"),
        **_helpers(lang),
        **extra,
    )
    response.status_code = status_code
    return response


@router.get("/org/{slug}/missions/{mission_id}")
def mission_page(
    request: Request,
    mission_id: str,
    ws: WorkspaceDep,
    session: SessionDep,
    lang: LanguageDep,
    status: str = Query("all", pattern="^(all|new|approved|active|finished)$"),
    page_number: int = Query(1, alias="page", ge=1, le=100_000),
):
    return _mission_page(request, ws, session, lang, mission_id, status, page_number)


def _refused(
    request: Request, ws: Workspace, session: Session, lang: str, mission_id: str, error: UserError, **extra: Any
) -> HTMLResponse:
    """The mission page again with the refusal next to the form that caused it (nothing was written)."""
    if error.kind not in ("invalid", "conflict"):
        raise error
    session.rollback()
    rows = [{**item, "message": item["message"].in_language(lang)} for item in error.errors if "line" in item]
    return _mission_page(
        request,
        ws,
        session,
        lang,
        mission_id,
        status_code=422 if error.kind == "invalid" else 409,
        # A list's problems are listed by line below the summary, which points at the list's box.
        errors={"text": error_message(error, lang)} if rows else field_errors(error, lang),
        error=None if rows else error_message(error, lang),
        rows_errors=rows,
        **extra,
    )


def _back_to_mission(ws: Workspace, mission_id: str, lang: str, notice: str) -> RedirectResponse:
    return see_other(f"{ws.href(f'/missions/{mission_id}')}?lang={lang}", notice=notice)


@router.post("/org/{slug}/missions/{mission_id}/volunteers")
def add_volunteer(
    request: Request,
    mission_id: str,
    ws: WorkspaceDep,
    session: SessionDep,
    ctx: IssuerContextDep,
    lang: LanguageDep,
    kind: Annotated[str, Form(max_length=20)] = "named",
    name: Annotated[str, Form(max_length=400)] = "",
    email: Annotated[str, Form(max_length=400)] = "",
    pseudonym: Annotated[str, Form(max_length=200)] = "",
    role: Annotated[str, Form(max_length=4000)] = "",
):
    if kind == "pseudonymous":
        volunteer = VolunteerInput(pseudonym=pseudonym.strip()) if pseudonym.strip() else None
    else:
        volunteer = VolunteerInput(name=name, email=email or None)
    try:
        added = missions.add_volunteer(session, ws.principal, ctx, mission_id, volunteer, role)
    except UserError as error:
        form = {"kind": kind, "name": name, "email": email, "pseudonym": pseudonym, "role": role}
        return _refused(request, ws, session, lang, mission_id, error, form=form)
    if not added.added:
        return _back_to_mission(ws, mission_id, lang, "notice.volunteer_already")
    if added.pseudonym or added.access_token:
        # Shown once, on this page only: the identifier the volunteer keeps and their personal link.
        return _mission_page(
            request,
            ws,
            session,
            lang,
            mission_id,
            status_code=201,
            shown_once={
                "pseudonym": added.pseudonym,
                "link": f"{ctx.base_url}/me/{added.access_token}" if added.access_token else None,
            },
            notice=messages().get("notice.volunteer_added", lang),
        )
    return _back_to_mission(ws, mission_id, lang, "notice.volunteer_added")


@router.post("/org/{slug}/missions/{mission_id}/volunteers/list")
def add_list(
    request: Request,
    mission_id: str,
    ws: WorkspaceDep,
    session: SessionDep,
    ctx: IssuerContextDep,
    lang: LanguageDep,
    text: Annotated[str, Form(max_length=500_000)] = "",
    file: Annotated[UploadFile | None, File()] = None,
):
    try:
        content = read_upload_file(file) if file is not None and file.filename else None
        result = missions.add_volunteer_list(
            session, ws.principal, ctx, mission_id, text=text, content=content, filename=file.filename if file else None
        )
    except UserError as error:
        return _refused(request, ws, session, lang, mission_id, error, form={"text": text})
    return _mission_page(
        request,
        ws,
        session,
        lang,
        mission_id,
        notice=messages().get("notice.list_added", lang, count=len(result.added), already=result.already),
    )


@router.post("/org/{slug}/missions/{mission_id}/volunteers/status")
def change_statuses(
    request: Request,
    mission_id: str,
    ws: WorkspaceDep,
    session: SessionDep,
    lang: LanguageDep,
    action: Annotated[str, Form(max_length=20)] = "",
):
    try:
        result = missions.change_statuses(session, ws.principal, mission_id, action)
    except UserError as error:
        return _refused(request, ws, session, lang, mission_id, error)
    return _mission_page(
        request,
        ws,
        session,
        lang,
        mission_id,
        notice=messages().get("notice.statuses_changed", lang, count=result.changed, skipped=result.skipped),
    )


# --- one volunteer: hours -----------------------------------------------------------------------------------------


def _volunteer_page(
    request: Request,
    ws: Workspace,
    session: Session,
    lang: str,
    mission_id: str,
    participation_id: str,
    status_code: int = 200,
    form: dict | None = None,
    **extra: Any,
) -> HTMLResponse:
    mission = missions.get_mission(session, ws.principal, mission_id)
    people, _ = missions.list_participants(session, ws.principal, mission_id, participation_id=participation_id)
    if not people:
        raise UserError("participation.not_found", kind="not_found")
    person = people[0]
    if form is None:
        stored = missions.hours_sessions(session, participation_id)
        form = {
            "mode": "sessions" if person.participation.by_sessions else "total",
            "hours": _hours_field(person.participation.hours, lang) if not person.participation.by_sessions else "",
            "role": person.participation.role or "",
            "sessions": [
                {"date": s.day.isoformat(), "hours": _hours_field(s.hours, lang), "note": s.note or ""} for s in stored
            ],
        }
    rows = list(form["sessions"]) + [{"date": "", "hours": "", "note": ""}] * BLANK_SESSIONS
    extra.setdefault("errors", {})
    extra.setdefault("error", None)
    response = _ws_page(
        request,
        ws,
        "missions/volunteer.html",
        lang,
        mission=mission,
        person=person,
        form=form,
        session_rows=rows,
        can_write=ws.can("records.write") and person.record_status in (None, "approved"),
        can_issue=ws.can("credentials.issue"),
        allows=lifecycle.allows,
        actions=lifecycle.ACTIONS,
        removable=person.participation.status in lifecycle.REMOVABLE and person.participation.record_id is None,
        base_url=public_base_url(request),
        **_helpers(lang),
        **extra,
    )
    response.status_code = status_code
    return response


@router.get("/org/{slug}/missions/{mission_id}/volunteers/{participation_id}")
def volunteer_page(
    request: Request, mission_id: str, participation_id: str, ws: WorkspaceDep, session: SessionDep, lang: LanguageDep
):
    return _volunteer_page(request, ws, session, lang, mission_id, participation_id)


@router.post("/org/{slug}/missions/{mission_id}/volunteers/{participation_id}/hours")
def save_hours(
    request: Request,
    mission_id: str,
    participation_id: str,
    ws: WorkspaceDep,
    session: SessionDep,
    lang: LanguageDep,
    mode: Annotated[str, Form(max_length=20)] = "total",
    hours: Annotated[str, Form(max_length=40)] = "",
    role: Annotated[str, Form(max_length=4000)] = "",
    session_date: Annotated[list[str] | None, Form()] = None,
    session_hours: Annotated[list[str] | None, Form()] = None,
    session_note: Annotated[list[str] | None, Form()] = None,
):
    dates, amounts, notes = session_date or [], session_hours or [], session_note or []
    filled = [
        {"date": d.strip(), "hours": h.strip(), "note": (notes[i] if i < len(notes) else "").strip()}
        for i, (d, h) in enumerate(zip(dates, amounts))
        if d.strip() or h.strip()
    ]
    data = (
        HoursInput(sessions=[SessionInput(s["date"], s["hours"], s["note"] or None) for s in filled])
        if mode == "sessions"
        else HoursInput(hours=hours.strip() or None)
    )
    person = missions.get_participation(session, ws.principal, mission_id, participation_id)
    try:
        if (person.role or "") != role.strip():
            missions.set_role(session, ws.principal, mission_id, participation_id, role)
        missions.set_hours(session, ws.principal, mission_id, participation_id, data)
    except UserError as error:
        if error.kind not in ("invalid", "conflict"):
            raise
        session.rollback()
        form = {"mode": mode, "hours": hours, "role": role, "sessions": filled}
        return _volunteer_page(
            request,
            ws,
            session,
            lang,
            mission_id,
            participation_id,
            status_code=422 if error.kind == "invalid" else 409,
            form=form,
            errors=field_errors(error, lang),
            error=error_message(error, lang),
        )
    return see_other(
        f"{ws.href(f'/missions/{mission_id}/volunteers/{participation_id}')}?lang={lang}", notice="notice.hours_saved"
    )


# --- issuing everyone finished ------------------------------------------------------------------------------------


@router.post("/org/{slug}/missions/{mission_id}/issue")
def issue_all(request: Request, mission_id: str, ws: WorkspaceDep, session: SessionDep, lang: LanguageDep):
    batch = missions.issue_all(session, ws.principal, mission_id)
    wake_runner(request, session)
    return see_other(f"{ws.href(f'/missions/{mission_id}/issue/{batch.id}')}?lang={lang}")


def _progress(session: Session, batch: BatchRow) -> dict:
    counts = batches_service.progress_counts(session, batch)
    done = counts["issued"] + counts["skipped"] + counts["failed"]
    return {
        **counts,
        "done": done,
        "total": batch.valid,
        "running": batch.status in ("queued", "running"),
        "status": batch.status,
    }


def _issue_context(
    request: Request, ws: Workspace, session: Session, lang: str, mission_id: str, batch_id: str, page_number: int = 1
) -> dict:
    batch = missions.mission_batch(session, ws.principal, mission_id, batch_id)
    mission = missions.get_mission(session, ws.principal, mission_id)
    progress = _progress(session, batch)
    issued = (
        []
        if progress["running"]
        else missions.batch_credentials(session, batch, PAGE_SIZE, (page_number - 1) * PAGE_SIZE)
    )
    return {
        "mission": mission,
        "batch": batch,
        "progress": progress,
        "issued": issued,
        "pager": _pager(request, page_number, batch.issued, path=ws.href(f"/missions/{mission_id}/issue/{batch_id}")),
        "refused": [
            {**item, "message": item["message_lv"] if lang == "lv" else item["message_en"]} for item in batch.errors
        ],
        "failures": [
            {**item, "message": item.get("message_lv") if lang == "lv" else item.get("message_en")}
            for item in batches_service.failures(session, batch)
        ],
        "fragment_url": f"{ws.href(f'/missions/{mission_id}/issue/{batch_id}/progress')}?lang={lang}",
        "page_url": f"{ws.href(f'/missions/{mission_id}/issue/{batch_id}')}?lang={lang}",
        # the certificates in the language of the mission's credentials
        "zip_url": f"{ws.href(f'/missions/{mission_id}/issue/{batch_id}/certificates.zip')}?language={mission.language}",
        "can_issue": ws.can("credentials.issue"),
    }


@router.get("/org/{slug}/missions/{mission_id}/issue/{batch_id}")
def issue_progress_page(
    request: Request,
    mission_id: str,
    batch_id: str,
    ws: WorkspaceDep,
    session: SessionDep,
    lang: LanguageDep,
    page_number: int = Query(1, alias="page", ge=1, le=100_000),
):
    context = _issue_context(request, ws, session, lang, mission_id, batch_id, page_number)
    return _ws_page(request, ws, "missions/issue.html", lang, **context, **_helpers(lang))


@router.get("/org/{slug}/missions/{mission_id}/issue/{batch_id}/progress")
def issue_progress_fragment(
    request: Request, mission_id: str, batch_id: str, ws: WorkspaceDep, session: SessionDep, lang: LanguageDep
):
    """The progress alone, for htmx to swap in every second while the batch runs."""
    context = _issue_context(request, ws, session, lang, mission_id, batch_id)
    return page(request, templates, "missions/progress.html", lang=lang, ws=ws.view("missions"), **context)


@router.post("/org/{slug}/missions/{mission_id}/issue/{batch_id}/cancel")
def cancel_issue(mission_id: str, batch_id: str, ws: WorkspaceDep, session: SessionDep, lang: LanguageDep):
    missions.mission_batch(session, ws.principal, mission_id, batch_id)
    batches_service.cancel_batch(session, ws.principal, batch_id)
    return see_other(f"{ws.href(f'/missions/{mission_id}/issue/{batch_id}')}?lang={lang}", notice="notice.cancelled")


@router.get("/org/{slug}/missions/{mission_id}/issue/{batch_id}/certificates.zip")
def issue_certificates(
    mission_id: str,
    batch_id: str,
    ws: WorkspaceDep,
    session: SessionDep,
    ctx: IssuerContextDep,
    language: str = Query("lv", pattern="^(lv|en|ru|uk|bilingual)$"),
):
    batch = missions.mission_batch(session, ws.principal, mission_id, batch_id)
    return certificates_response(batches_service.certificates_zip(session, ctx, batch, language), batch.id)


# Last: its path would take the fixed paths above (…/hours) for an action.
@router.post("/org/{slug}/missions/{mission_id}/volunteers/{participation_id}/{action}")
def change_status(
    request: Request,
    mission_id: str,
    participation_id: str,
    action: str,
    ws: WorkspaceDep,
    session: SessionDep,
    ctx: IssuerContextDep,
    lang: LanguageDep,
):
    try:
        if action == "remove":
            missions.remove_participation(session, ws.principal, mission_id, participation_id)
            return _back_to_mission(ws, mission_id, lang, "notice.volunteer_removed")
        if action == "issue":
            missions.issue_participation(session, ws.principal, ctx, mission_id, participation_id)
            return see_other(
                f"{ws.href(f'/missions/{mission_id}/volunteers/{participation_id}')}?lang={lang}",
                notice="notice.credential_issued",
            )
        missions.change_status(session, ws.principal, mission_id, participation_id, action)
    except UserError as error:
        return _refused(request, ws, session, lang, mission_id, error)
    return _back_to_mission(ws, mission_id, lang, "notice.status_changed")


# --- invitations to draft a statement -----------------------------------------------------------------------------

LINK_COOKIE = "vc_invitation_link"  # a link-only invitation's link, for the result page to show once


def _invitations_helpers(lang: str, total: int) -> dict[str, Any]:
    return {
        "invitations_total": total,
        "invitation_date": lambda value: format_date(value.astimezone(RIGA).date(), lang, "medium"),
    }


def _invite_page(
    request: Request,
    ws: Workspace,
    session: Session,
    lang: str,
    mission_id: str,
    template: str = "missions/invite.html",
    status_code: int = 200,
    page_number: int = 1,
    **extra: Any,
) -> HTMLResponse:
    mission = missions.get_mission(session, ws.principal, mission_id)
    ws.require("records.write")
    invitations, total = missions.mission_invitations(
        session, ws.principal, mission_id, PAGE_SIZE, (page_number - 1) * PAGE_SIZE
    )
    extra.setdefault("errors", {})
    extra.setdefault("error", None)
    response = _ws_page(
        request,
        ws,
        template,
        lang,
        mission=mission,
        invitations=invitations,
        pager=_pager(request, page_number, total),
        **_invitations_helpers(lang, total),
        **extra,
    )
    response.status_code = status_code
    return response


@router.get("/org/{slug}/missions/{mission_id}/invite")
def invite_page(
    request: Request,
    mission_id: str,
    ws: WorkspaceDep,
    session: SessionDep,
    lang: LanguageDep,
    page_number: int = Query(1, alias="page", ge=1, le=100_000),
):
    return _invite_page(request, ws, session, lang, mission_id, page_number=page_number, emails="")


@router.post("/org/{slug}/missions/{mission_id}/invite")
def invite(
    request: Request,
    mission_id: str,
    ws: WorkspaceDep,
    session: SessionDep,
    ctx: IssuerContextDep,
    lang: LanguageDep,
    emails: Annotated[str, Form(max_length=200_000)] = "",
):
    try:
        made = missions.invite_volunteers(
            session, ws.principal, mission_id, base_url=ctx.base_url, language=lang, emails=emails
        )
    except UserError as error:
        if error.kind not in ("invalid", "conflict"):
            raise
        session.rollback()
        rows = [{**item, "message": item["message"].in_language(lang)} for item in error.errors if "line" in item]
        return _invite_page(
            request,
            ws,
            session,
            lang,
            mission_id,
            status_code=422 if error.kind == "invalid" else 409,
            emails=emails,
            errors={"emails": error_message(error, lang)} if rows else field_errors(error, lang),
            rows_errors=rows,
        )
    query = urlencode({"sent": len(made.made), "already": made.already, "lang": lang})
    return see_other(f"{ws.href(f'/missions/{mission_id}/invite/done')}?{query}")


@router.post("/org/{slug}/missions/{mission_id}/invite/link")
def invite_by_link(
    request: Request, mission_id: str, ws: WorkspaceDep, session: SessionDep, ctx: IssuerContextDep, lang: LanguageDep
):
    made = missions.invite_volunteers(session, ws.principal, mission_id, base_url=ctx.base_url, language=lang)
    done = ws.href(f"/missions/{mission_id}/invite/done")
    response = see_other(f"{done}?{urlencode({'link': 1, 'lang': lang})}")
    # The link is the volunteer's only key: shown once, on the result page (which forgets it), never in a URL.
    response.set_cookie(
        LINK_COOKIE,
        made.made[0].token or "",
        max_age=600,
        path=done,
        httponly=True,
        samesite="strict",
        secure=ctx.base_url.startswith("https://"),
    )
    return response


@router.get("/org/{slug}/missions/{mission_id}/invite/done")
def invite_done(
    request: Request,
    mission_id: str,
    ws: WorkspaceDep,
    session: SessionDep,
    ctx: IssuerContextDep,
    lang: LanguageDep,
    sent: int = Query(0, ge=0, le=missions.MAX_INVITATIONS),
    already: int = Query(0, ge=0, le=missions.MAX_INVITATIONS),
    link: int = Query(0, ge=0, le=1),
):
    token = request.cookies.get(LINK_COOKIE) if link else None
    response = _invite_page(
        request,
        ws,
        session,
        lang,
        mission_id,
        template="missions/invite_done.html",
        sent=sent,
        already=already,
        link_only=bool(link),
        link=drafts.invitation_url(ctx.base_url, token) if token else None,
    )
    response.headers.update(PRIVATE_PAGE)
    if token:
        response.delete_cookie(LINK_COOKIE, path=request.url.path, httponly=True, samesite="strict")
    return response
