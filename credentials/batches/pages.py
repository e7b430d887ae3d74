"""Bulk issuance in the organiser's workspace: the batches, the templates, an upload checked first (the rows'
errors as a table) and then run, followed live (a progress bar: htmx polls a fragment every second; without
JavaScript the page refreshes itself), cancelled, and its certificates downloaded. Through the same services as
credentials/batches/api.py. A batch's page shows any batch of the organisation, whatever created it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from base.csrf import CSRF_PROTECTED
from base.errors import UserError
from base.http import LanguageDep, SessionDep
from base.paging import page_number, pager
from base.web import error_message, page, see_other, template_environment
from credentials import views
from credentials.batches import service as batch_service
from credentials.batches.api import certificates_response, errors_view, read_upload_file, wake_runner
from credentials.batches.store import BatchRow
from credentials.common import verify_page_url
from issuers.http import IssuerContextDep, Workspace, WorkspaceDep

router = APIRouter(include_in_schema=False, dependencies=[CSRF_PROTECTED])
templates = template_environment([Path(__file__).parent / "templates"])
PER_PAGE = 25
SHOWN_CREDENTIALS = 200
RUNNING = ("queued", "running")
# htmx stops polling when the fragment answers 286: the batch has ended.
STOP_POLLING = 286


def _list_page(
    request: Request, session: Session, ws: Workspace, lang: str, number: int, *, error: str | None = None
) -> HTMLResponse:
    batches, total = batch_service.list_batches(session, ws.principal, ws.org, (number - 1) * PER_PAGE, PER_PAGE)
    return page(
        request,
        templates,
        "batches/list.html",
        lang=lang,
        status_code=422 if error else 200,
        ws=ws.view("batches"),
        batches=[
            {
                "id": batch.id,
                "filename": batch.filename or "—",
                "created": views.date_text(batch.created_at, lang),
                "status": batch.status,
                "rows": batch.rows,
                "issued": batch.issued,
            }
            for batch in batches
        ],
        pager=pager(str(request.url), number, total, PER_PAGE),
        can_upload=ws.can("credentials.issue") and ws.can("records.write"),
        error=error,
    )


@router.get("/org/{slug}/batches")
def batches(
    request: Request,
    ws: WorkspaceDep,
    lang: LanguageDep,
    session: SessionDep,
    page_: Annotated[str, Query(alias="page", max_length=10)] = "1",
):
    return _list_page(request, session, ws, lang, page_number(page_))


@router.post("/org/{slug}/batches")
def upload(
    request: Request,
    ws: WorkspaceDep,
    lang: LanguageDep,
    session: SessionDep,
    ctx: IssuerContextDep,
    file: Annotated[UploadFile | None, File()] = None,
):
    """Checks the file and keeps it as a batch waiting to be started: its page shows the check's report."""
    try:
        if file is None or not file.filename:
            raise UserError("batch.file_missing")
        with session.begin_nested():
            batch = batch_service.create_batch(
                session, ws.principal, ctx, ws.org, read_upload_file(file), file.filename, hold=True
            )
    except UserError as error:
        if error.kind not in ("invalid", "too_large"):
            raise
        return _list_page(request, session, ws, lang, 1, error=error_message(error, lang))
    return see_other(ws.href(f"/batches/{batch.id}?lang={lang}"))


def _batch_of(session: Session, ws: Workspace, batch_id: str) -> BatchRow:
    batch = batch_service.get_batch(session, ws.principal, batch_id)
    if batch.organisation_id != ws.org.id:
        raise UserError("batch.not_found", kind="not_found")
    return batch


def _batch_context(session: Session, ws: Workspace, base_url: str, batch: BatchRow, lang: str) -> dict:
    counts = batch_service.progress_counts(session, batch)
    done = counts["issued"] + counts["skipped"] + counts["failed"]
    issued = (
        batch_service.issued_with_volunteers(session, batch, SHOWN_CREDENTIALS) if batch.status not in RUNNING else []
    )
    return {
        "ws": ws.view("batches"),
        "batch": batch,
        "created": views.date_text(batch.created_at, lang),
        "counts": counts,
        "done": done,
        "percent": 100 if not batch.valid else round(100 * done / batch.valid),
        "running": batch.status in RUNNING,
        "errors": errors_view(batch.errors, lang),
        "failures": errors_view(batch_service.failures(session, batch), lang),
        "issued": [
            {
                "id": row.id,
                "volunteer": views.volunteer_label(volunteer, lang, record),
                "verify_url": verify_page_url(base_url, row.id),
            }
            for row, volunteer, record in issued
        ],
        "more_issued": max(counts["issued"] - len(issued), 0),
        "can_run": ws.can("credentials.issue") and ws.can("records.write"),
        "can_revoke": ws.can("credentials.status") and not batch.revoked_at and counts["issued"] > 0,
        "revoked": views.date_text(batch.revoked_at, lang) if batch.revoked_at else "",
        "revoke_error": None,
        "reason": "",
        "base": ws.href(f"/batches/{batch.id}"),
    }


@router.get("/org/{slug}/batches/{batch_id}")
def batch_page(
    batch_id: str, request: Request, ws: WorkspaceDep, lang: LanguageDep, session: SessionDep, ctx: IssuerContextDep
):
    batch = _batch_of(session, ws, batch_id)
    return page(
        request, templates, "batches/batch.html", lang=lang, **_batch_context(session, ws, ctx.base_url, batch, lang)
    )


@router.get("/org/{slug}/batches/{batch_id}/progress")
def batch_progress(
    batch_id: str, request: Request, ws: WorkspaceDep, lang: LanguageDep, session: SessionDep, ctx: IssuerContextDep
):
    """The batch page's live part alone, for htmx to swap in every second while the batch runs."""
    batch = _batch_of(session, ws, batch_id)
    context = _batch_context(session, ws, ctx.base_url, batch, lang)
    return page(
        request,
        templates,
        "batches/progress.html",
        lang=lang,
        status_code=200 if context["running"] else STOP_POLLING,
        **context,
    )


@router.post("/org/{slug}/batches/{batch_id}/start")
def start(batch_id: str, request: Request, ws: WorkspaceDep, lang: LanguageDep, session: SessionDep):
    batch = _batch_of(session, ws, batch_id)
    batch_service.start_batch(session, ws.principal, batch.id)
    wake_runner(request, session)
    return see_other(ws.href(f"/batches/{batch.id}?lang={lang}"), notice="notice.batch_started")


@router.post("/org/{slug}/batches/{batch_id}/cancel")
def cancel(batch_id: str, ws: WorkspaceDep, lang: LanguageDep, session: SessionDep):
    batch = _batch_of(session, ws, batch_id)
    batch_service.cancel_batch(session, ws.principal, batch.id)
    return see_other(ws.href(f"/batches/{batch.id}?lang={lang}"), notice="notice.batch_cancelled")


@router.post("/org/{slug}/batches/{batch_id}/revoke")
def revoke(
    batch_id: str,
    request: Request,
    ws: WorkspaceDep,
    lang: LanguageDep,
    session: SessionDep,
    ctx: IssuerContextDep,
    reason: Annotated[str, Form(max_length=4000)] = "",
):
    """Revokes every credential the batch issued, with one reason (a batch uploaded by mistake)."""
    batch = _batch_of(session, ws, batch_id)
    try:
        with session.begin_nested():
            batch_service.revoke_batch(session, ws.principal, batch.id, reason)
    except UserError as error:
        if error.kind != "invalid":
            raise
        session.refresh(batch)
        context = {
            **_batch_context(session, ws, ctx.base_url, batch, lang),
            "revoke_error": error_message(error, lang),
            "reason": reason,
        }
        return page(request, templates, "batches/batch.html", lang=lang, status_code=422, **context)
    return see_other(ws.href(f"/batches/{batch.id}?lang={lang}"), notice="notice.batch_revoked")


@router.get("/org/{slug}/batches/{batch_id}/certificates.zip")
def certificates(
    batch_id: str,
    ws: WorkspaceDep,
    session: SessionDep,
    ctx: IssuerContextDep,
    language: str = Query("lv", pattern="^(lv|en|ru|uk|bilingual)$"),
):
    batch = _batch_of(session, ws, batch_id)
    return certificates_response(batch_service.certificates_zip(session, ctx, batch, language), batch.id)
