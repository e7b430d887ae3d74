"""The credentials in the organiser's workspace: search and filter, a credential's page (facts, status, revoke /
suspend / reinstate with a reason, certificate downloads, the public page) and its correction (a corrected record
that, once issued, supersedes the credential). Through the same services as POST /credentials/{id}/revoke|suspend|
unsuspend and /records/{id}/revise."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from sqlalchemy.orm import Session

from base.csrf import CSRF_PROTECTED
from base.db import utcnow
from base.errors import UserError
from base.http import LanguageDep, SessionDep
from base.paging import page_number, pager
from base.web import error_message, field_errors, page, see_other, template_environment
from credentials import service, views
from credentials.common import verify_page_url
from credentials.holders import claims
from credentials.http import pdf_response
from credentials.records import service as records_service
from credentials.records.records import RecordChanges
from credentials.records.statement_pages import EDITABLE_FIELDS, FormDep, record_form_values
from issuers.http import IssuerContextDep, Workspace, WorkspaceDep
from issuers.municipalities import all_municipalities
from issuers.service import IssuerContext

router = APIRouter(include_in_schema=False, dependencies=[CSRF_PROTECTED])
# The record's facts and edit fields are the statements' macros (credentials/records/templates).
templates = template_environment(
    [Path(__file__).parent / "templates", Path(__file__).parent.parent / "records" / "templates"]
)
PER_PAGE = 25
STATUSES = ("active", "suspended", "revoked")
STATUS_ACTIONS = ("revoke", "suspend", "unsuspend")


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip()) if value.strip() else None
    except ValueError:
        return None


@router.get("/org/{slug}/credentials")
def credentials_list(
    request: Request,
    ws: WorkspaceDep,
    lang: LanguageDep,
    session: SessionDep,
    ctx: IssuerContextDep,
    volunteer: Annotated[str, Query(max_length=200)] = "",
    mission: Annotated[str, Query(max_length=200)] = "",
    start: Annotated[str, Query(max_length=10, alias="from")] = "",
    end: Annotated[str, Query(max_length=10, alias="to")] = "",
    status: Annotated[str, Query(max_length=20)] = "",
    page_: Annotated[str, Query(alias="page", max_length=10)] = "1",
):
    filters = service.CredentialFilters(
        volunteer=volunteer.strip(),
        mission=mission.strip(),
        start=_date(start),
        end=_date(end),
        status=status if status in STATUSES else "",
    )
    number = page_number(page_)
    lines, total = service.search_credentials(
        session, ws.principal, ctx, ws.org, filters, (number - 1) * PER_PAGE, PER_PAGE
    )
    items = [
        {
            "id": line.credential.id,
            "status": line.credential.status,
            "issued": views.date_text(line.credential.issued_at, lang),
            "volunteer": views.volunteer_label(line.volunteer, lang, line.record),
            **(
                {
                    "title": line.record.title,
                    "mission": views.mission_name(line.record, lang),
                    "period": views.period_text(line.record, lang),
                    "hours": views.hours_text(line.record.hours, lang),
                }
                if line.record
                else {"title": "—", "mission": "", "period": "", "hours": ""}
            ),
        }
        for line in lines
    ]
    return page(
        request,
        templates,
        "credentials/list.html",
        lang=lang,
        ws=ws.view("credentials"),
        items=items,
        total=total,
        filters={"volunteer": volunteer, "mission": mission, "from": start, "to": end, "status": filters.status},
        statuses=[(value, views.status_label(value, lang)) for value in STATUSES],
        pager=pager(str(request.url), number, total, PER_PAGE),
    )


def _credential_page(
    request: Request,
    session: Session,
    ws: Workspace,
    base_url: str,
    credential_id: str,
    lang: str,
    *,
    errors: dict | None = None,
    message: str | None = None,
    reason: str = "",
    status_code: int = 200,
    claim: str | None = None,
):
    line = service.credential_of_organisation(session, ws.principal, ws.org, credential_id)
    row, record = line.credential, line.record
    return page(
        request,
        templates,
        "credentials/credential.html",
        lang=lang,
        status_code=status_code,
        ws=ws.view("credentials"),
        credential=row,
        status_label=views.status_label(row.status, lang),
        changed=views.date_text(row.status_changed_at, lang) if row.status_changed_at else "",
        issued=views.date_text(row.issued_at, lang),
        summary=views.record_summary(record, line.volunteer, lang) if record else None,
        record=record,
        competences=views.competence_lines(record, lang) if record else [],
        verify_url=verify_page_url(base_url, row.id),
        can_change=ws.can("credentials.status") and row.status != "revoked",
        can_correct=ws.can("records.write")
        and row.status != "revoked"
        and record is not None
        and record.status == "issued",
        errors=errors or {},
        message=message,
        reason=reason,
        base=ws.href(f"/credentials/{row.id}"),
        claim_code=claim,
        claim_url=f"{base_url}/claim",
    )


@router.get("/org/{slug}/credentials/{credential_id}")
def credential_detail(
    credential_id: str,
    request: Request,
    ws: WorkspaceDep,
    lang: LanguageDep,
    session: SessionDep,
    ctx: IssuerContextDep,
):
    return _credential_page(
        request,
        session,
        ws,
        ctx.base_url,
        credential_id,
        lang,
        claim=_claim_code_once(request, session, ws, ctx, credential_id),
    )


CLAIM_CODE_SHOWN_FOR = timedelta(minutes=15)


def _claim_code_once(
    request: Request, session: Session, ws: Workspace, ctx: IssuerContext, credential_id: str
) -> str | None:
    """The claim code, on the page issuing leads to (its notice) while the credential is new and nobody holds it
    yet: shown to the organiser right after issuing, not whenever the page is opened later."""
    if request.query_params.get("notice") != "notice.credential_issued":
        return None
    row = service.credential_of_organisation(session, ws.principal, ws.org, credential_id).credential
    if utcnow() - row.issued_at > CLAIM_CODE_SHOWN_FOR or claims.holder_elsewhere(session, row):
        return None
    return claims.claim_code(ctx.kek, row.id)


@router.get("/org/{slug}/credentials/{credential_id}/certificate.pdf")
def certificate(
    credential_id: str,
    ws: WorkspaceDep,
    session: SessionDep,
    ctx: IssuerContextDep,
    language: str = Query("lv", pattern="^(lv|en|ru|uk|bilingual)$"),
):
    line = service.credential_of_organisation(session, ws.principal, ws.org, credential_id)
    # The organiser's copy is the one handed to the volunteer: it carries the claim code (as the batches' ZIPs do).
    return pdf_response(session, ctx, line.credential, language, claim_code=True)


def _status_change(action: str):
    def change(
        credential_id: str,
        request: Request,
        ws: WorkspaceDep,
        lang: LanguageDep,
        session: SessionDep,
        ctx: IssuerContextDep,
        reason: Annotated[str, Form(max_length=4000)] = "",
    ):
        service.credential_of_organisation(session, ws.principal, ws.org, credential_id)
        try:
            with session.begin_nested():
                service.change_credential_status(session, ws.principal, credential_id, action, reason)
        except UserError as error:
            if error.kind != "invalid":
                raise
            return _credential_page(
                request,
                session,
                ws,
                ctx.base_url,
                credential_id,
                lang,
                errors={f"{action}-reason": message for message in field_errors(error, lang).values()},
                message=error_message(error, lang),
                reason=reason,
                status_code=422,
            )
        return see_other(ws.href(f"/credentials/{credential_id}?lang={lang}"), notice=f"notice.credential_{action}")

    return change


for _action in STATUS_ACTIONS:
    router.add_api_route(
        f"/org/{{slug}}/credentials/{{credential_id}}/{_action}",
        _status_change(_action),
        methods=["POST"],
        name=f"workspace_credential_{_action}",
    )


def _correction_page(
    request: Request,
    session: Session,
    ws: Workspace,
    credential_id: str,
    lang: str,
    *,
    values: dict | None = None,
    errors: dict | None = None,
    message: str | None = None,
    status_code: int = 200,
):
    line = service.credential_of_organisation(session, ws.principal, ws.org, credential_id)
    record = line.record
    if record is None:
        raise UserError("record.not_found", kind="not_found")
    values = values or record_form_values(record)
    return page(
        request,
        templates,
        "credentials/correct.html",
        lang=lang,
        status_code=status_code,
        ws=ws.view("credentials"),
        credential=line.credential,
        summary=views.record_summary(record, line.volunteer, lang),
        values=values,
        municipalities=[(m.code, m.name(lang)) for m in all_municipalities()],
        errors=errors or {},
        message=message,
        base=ws.href(f"/credentials/{credential_id}"),
    )


@router.get("/org/{slug}/credentials/{credential_id}/correct")
def correction_form(credential_id: str, request: Request, ws: WorkspaceDep, lang: LanguageDep, session: SessionDep):
    ws.require("records.write")
    return _correction_page(request, session, ws, credential_id, lang)


@router.post("/org/{slug}/credentials/{credential_id}/correct")
def correct(
    credential_id: str, request: Request, form: FormDep, ws: WorkspaceDep, lang: LanguageDep, session: SessionDep
):
    """A corrected record, approved as the organiser makes it; its page then offers to issue it (which revokes
    this credential with the reason "superseded")."""
    line = service.credential_of_organisation(session, ws.principal, ws.org, credential_id)
    if line.record is None:
        raise UserError("record.not_found", kind="not_found")
    values = {name: str(form.get(name) or "").strip() for name in EDITABLE_FIELDS}
    try:
        with session.begin_nested():
            correction = records_service.revise_record(session, ws.principal, line.record.id, RecordChanges(**values))
    except UserError as error:
        if error.kind != "invalid":
            raise
        return _correction_page(
            request,
            session,
            ws,
            credential_id,
            lang,
            values=values,
            errors=field_errors(error, lang),
            message=error_message(error, lang),
            status_code=422,
        )
    return see_other(ws.href(f"/records/{correction.id}?lang={lang}"), notice="notice.correction_ready")
