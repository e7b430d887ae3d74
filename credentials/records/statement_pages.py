"""The organiser's statements in the workspace: the inbox of volunteers' statements waiting for review, a record's
page (approve with edits, return with a comment, issue its credential). Through the same services as
POST /records/{id}/approve, /return and /issue."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from base.csrf import CSRF_PROTECTED
from base.errors import UserError
from base.http import LanguageDep, SessionDep
from base.paging import page_number, pager
from base.web import error_message, field_errors, page, see_other, template_environment
from catalogue import catalogue_version
from credentials import service as credentials_service
from credentials import views
from credentials.common import verify_page_url
from credentials.records import lifecycle
from credentials.records import service as records_service
from credentials.records.records import RecordChanges, format_hours
from credentials.store import RecordRow, VolunteerRow
from issuers.http import IssuerContextDep, Workspace, WorkspaceDep
from issuers.municipalities import all_municipalities

router = APIRouter(include_in_schema=False, dependencies=[CSRF_PROTECTED])
templates = template_environment([Path(__file__).parent / "templates"])
PER_PAGE = 25


async def _posted_form(request: Request) -> FormData:
    return await request.form()  # read once (the CSRF check parsed it already); the endpoint itself stays sync


# A form with repeated fields (competences): the endpoint runs in the thread pool like every database-bound one.
FormDep = Annotated[FormData, Depends(_posted_form)]
EDITABLE_FIELDS = records_service.REVIEWED_FIELDS  # what the organiser may change at review or in a correction


@router.get("/org/{slug}/statements")
def statements(
    request: Request,
    ws: WorkspaceDep,
    lang: LanguageDep,
    session: SessionDep,
    page_: Annotated[str, Query(alias="page", max_length=10)] = "1",
    show: Annotated[str, Query(max_length=20)] = lifecycle.SUBMITTED,
):
    """Statements waiting for review; or (`show=approved`) records approved and waiting to be issued."""
    show = show if show in records_service.REVIEW_LISTS else lifecycle.SUBMITTED
    number = page_number(page_)
    counts = records_service.review_counts(session, ws.principal, ws.org)
    rows = records_service.records_to_review(session, ws.principal, ws.org, show, (number - 1) * PER_PAGE, PER_PAGE)
    items = [
        {
            **views.record_summary(record, volunteer, lang),
            "when": views.date_text((record.submitted_at if show == lifecycle.SUBMITTED else record.approved_at), lang),
        }
        for record, volunteer in rows
    ]
    return page(
        request,
        templates,
        "statements/inbox.html",
        lang=lang,
        ws=ws.view("statements"),
        items=items,
        show=show,
        counts=counts,
        total=counts[show],
        pager=pager(str(request.url), number, counts[show], PER_PAGE),
    )


def record_of(session: Session, ws: Workspace, record_id: str) -> RecordRow:
    """A record of this workspace's organisation (another organisation's, even the member's own, is not here)."""
    row = records_service.get_record(session, ws.principal, record_id)
    if row.organisation_id != ws.org.id:
        raise UserError("record.not_found", kind="not_found")
    return row


def record_form_values(record: RecordRow) -> dict:
    """The record as its edit form shows it."""
    return {
        "title": record.title,
        "municipality": record.municipality,
        "start_date": record.start_date.isoformat(),
        "end_date": record.end_date.isoformat(),
        "hours": format_hours(record.hours),
        "role": record.role or "",
        "narrative": record.narrative or "",
        "competences": [item["uri"] for item in record.competences],
    }


def _competence_choices(record: RecordRow, chosen: list[str], lang: str) -> list[dict]:
    """The mission type's competences and any others the record has, each marked whose it is."""
    catalogue = catalogue_version(record.catalogue_version)
    attested = {item["uri"]: item.get("attested_by", "organiser") for item in record.competences}
    notes = {item["uri"]: item.get("note") for item in record.competences}
    uris = list(
        dict.fromkeys([*attested, *(link.uri for link in catalogue.mission_type(record.mission_type).competences)])
    )
    return [
        {
            "uri": uri,
            "label": catalogue.competence(uri).label.in_language(lang),
            "checked": uri in chosen,
            "attested_by": attested.get(uri),
            "note": notes.get(uri),
        }
        for uri in uris
    ]


def _changes_shown(record: RecordRow, lang: str) -> list[dict]:
    """The fields the organiser changed at review: what the volunteer wrote and what the record says now."""
    wrote = record.volunteer_wrote or {}
    shown = []
    current = record_form_values(record)
    readable = {
        "municipality": lambda code: views.municipality_name(code, lang),
        "hours": lambda text: views.hours_text(Decimal(text), lang),
        "start_date": lambda text: views.date_text(date.fromisoformat(text), lang),
        "end_date": lambda text: views.date_text(date.fromisoformat(text), lang),
    }
    for name in EDITABLE_FIELDS:
        if name not in wrote:
            continue
        before, now = wrote[name], current[name]
        if name in readable and before and now:
            before, now = readable[name](before), readable[name](now)
        shown.append({"field": name, "volunteer": before or "—", "organiser": now or "—"})
    if "competences" in wrote:
        current = [item["uri"] for item in record.competences]
        removed = [uri for uri in wrote["competences"] if uri not in current]
        added = [uri for uri in current if uri not in wrote["competences"]]
        shown.append(
            {
                "field": "competences",
                "volunteer": "; ".join(views.competence_label(record, uri, lang) for uri in removed) or "—",
                "organiser": "; ".join(views.competence_label(record, uri, lang) for uri in added) or "—",
            }
        )
    return shown


def record_page(
    request: Request,
    session: Session,
    ws: Workspace,
    ctx_base_url: str,
    record: RecordRow,
    lang: str,
    *,
    values: dict | None = None,
    errors: dict | None = None,
    message: str | None = None,
    comment: str = "",
    status_code: int = 200,
):
    volunteer = session.get(VolunteerRow, record.volunteer_id)
    values = values or record_form_values(record)
    credential = credentials_service.latest_credential_of_record(session, record.id)
    revised = credentials_service.latest_credential_of_record(session, record.revises_id)
    return page(
        request,
        templates,
        "statements/record.html",
        lang=lang,
        status_code=status_code,
        ws=ws.view("statements"),
        record=record,
        summary=views.record_summary(record, volunteer, lang),
        competences=views.competence_lines(record, lang),
        changes=_changes_shown(record, lang),
        values=values,
        choices=_competence_choices(record, values["competences"], lang),
        municipalities=[(m.code, m.name(lang)) for m in all_municipalities()],
        errors=errors or {},
        message=message,
        comment=comment,
        can_review=ws.can("records.write") and record.status == lifecycle.SUBMITTED,
        can_issue=ws.can("credentials.issue") and record.status == lifecycle.APPROVED,
        credential=credential,
        verify_url=verify_page_url(ctx_base_url, credential.id) if credential else None,
        revised=revised,
        base=ws.href(f"/records/{record.id}"),
    )


@router.get("/org/{slug}/records/{record_id}")
def record_detail(
    record_id: str, request: Request, ws: WorkspaceDep, lang: LanguageDep, session: SessionDep, ctx: IssuerContextDep
):
    ws.require("records.read")
    return record_page(request, session, ws, ctx.base_url, record_of(session, ws, record_id), lang)


def _edits(record: RecordRow, form) -> tuple[dict, RecordChanges]:
    """What the form says and the organiser's changes in it (only the fields that differ from the record)."""
    current = record_form_values(record)
    values = {name: (form.get(name) or "").strip() for name in EDITABLE_FIELDS}
    values["competences"] = [str(uri) for uri in form.getlist("competence")]
    given = {name: values[name] for name in EDITABLE_FIELDS if values[name] != current[name]}
    if values["competences"] != current["competences"]:
        given["competences"] = values["competences"]
    return values, RecordChanges(**given)


@router.post("/org/{slug}/records/{record_id}/approve")
def approve(
    record_id: str,
    request: Request,
    form: FormDep,
    ws: WorkspaceDep,
    lang: LanguageDep,
    session: SessionDep,
    ctx: IssuerContextDep,
):
    record = record_of(session, ws, record_id)
    values, changes = _edits(record, form)
    try:
        with session.begin_nested():
            records_service.approve_record(session, ws.principal, record.id, changes, base_url=ctx.base_url)
    except UserError as error:
        if error.kind != "invalid":
            raise
        session.refresh(record)
        return record_page(
            request,
            session,
            ws,
            ctx.base_url,
            record,
            lang,
            values=values,
            errors=field_errors(error, lang),
            message=error_message(error, lang),
            status_code=422,
        )
    return see_other(ws.href(f"/records/{record.id}?lang={lang}"), notice="notice.statement_approved")


@router.post("/org/{slug}/records/{record_id}/return")
def return_statement(
    record_id: str,
    request: Request,
    ws: WorkspaceDep,
    lang: LanguageDep,
    session: SessionDep,
    ctx: IssuerContextDep,
    comment: Annotated[str, Form(max_length=10000)] = "",
):
    record = record_of(session, ws, record_id)
    try:
        with session.begin_nested():
            records_service.return_record(session, ws.principal, record.id, comment, base_url=ctx.base_url)
    except UserError as error:
        if error.kind != "invalid":
            raise
        return record_page(
            request,
            session,
            ws,
            ctx.base_url,
            record,
            lang,
            errors=field_errors(error, lang),
            message=error_message(error, lang),
            comment=comment,
            status_code=422,
        )
    return see_other(ws.href(f"/statements?lang={lang}"), notice="notice.statement_returned")


@router.post("/org/{slug}/records/{record_id}/issue")
def issue(record_id: str, ws: WorkspaceDep, lang: LanguageDep, session: SessionDep, ctx: IssuerContextDep):
    record = record_of(session, ws, record_id)
    issued = credentials_service.issue_record(session, ws.principal, ctx, record.id)
    return see_other(ws.href(f"/credentials/{issued.credential.id}?lang={lang}"), notice="notice.credential_issued")
