"""HTTP adapter of bulk issuance: the template, uploads (dry run or real), progress, cancel, revoke, the ZIP."""

from __future__ import annotations

from fastapi import APIRouter, File, Form, Query, Request, Response, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.orm import Session

from base.errors import UserError
from base.http import LanguageDep, SessionDep
from base.i18n import stored_in_language
from credentials.batches import service as batch_service
from credentials.batches.spreadsheet import MAX_BYTES, CheckedUpload, template_csv, template_xlsx
from credentials.batches.store import BatchRow
from credentials.http import caller_organisation
from issuers.http import IssuerContextDep, PrincipalDep

router = APIRouter(tags=["batches"])
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class RevokeBody(BaseModel):
    reason: str | None = None


@router.get("/batches/template.csv", summary="The CSV template for bulk issuance (LV/EN explanation on top)")
def csv_template(
    sep: str = Query(
        "comma",
        pattern="^(comma|semicolon)$",
        description="`comma`, or `semicolon` for spreadsheets in a Latvian locale.",
    ),
):
    return Response(
        template_csv(";" if sep == "semicolon" else ","),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="volunteer-credentials-batch.csv"'},
    )


@router.get("/batches/template.xlsx", summary="The Excel template for bulk issuance (explanation on sheet 2)")
def xlsx_template():
    return Response(
        template_xlsx(),
        media_type=XLSX_TYPE,
        headers={"Content-Disposition": 'attachment; filename="volunteer-credentials-batch.xlsx"'},
    )


def errors_view(errors: list[dict], lang: str) -> list[dict]:
    return [{**error, "message": stored_in_language(error, lang)} for error in errors]


def checked_view(checked: CheckedUpload, lang: str) -> dict:
    return {
        "dry_run": True,
        "rows": checked.rows,
        "valid": len(checked.valid),
        "errors": errors_view([error.as_json() for error in checked.errors], lang),
    }


def batch_view(session: Session, batch: BatchRow, base_url: str, lang: str) -> dict:
    return {
        "id": batch.id,
        "status": batch.status,
        "filename": batch.filename,
        "rows": batch.rows,
        "valid": batch.valid,
        "errors": errors_view(batch.errors, lang),
        **batch_service.progress_counts(session, batch),
        "failures": errors_view(batch_service.failures(session, batch), lang),
        "created_at": batch.created_at.isoformat(),
        "finished_at": batch.finished_at.isoformat() if batch.finished_at else None,
        "revoked_at": batch.revoked_at.isoformat() if batch.revoked_at else None,
        "revocation_reason": batch.revocation_reason,
        "url": f"{base_url}/batches/{batch.id}",
        "certificates_url": f"{base_url}/batches/{batch.id}/certificates.zip",
    }


def read_upload_file(file: UploadFile) -> bytes:
    content = file.file.read(MAX_BYTES + 1)
    if not content:
        raise UserError("batch.empty")
    return content


@router.post("/batches", summary="Upload a CSV or XLSX of records: check it (dry_run=true) or issue every valid row")
def upload(
    request: Request,
    lang: LanguageDep,
    session: SessionDep,
    ctx: IssuerContextDep,
    principal: PrincipalDep,
    file: UploadFile = File(...),
    dry_run: bool = Query(False),
    organisation: str | None = Form(None),
):
    org = caller_organisation(session, principal, organisation)
    content = read_upload_file(file)
    if dry_run:
        return checked_view(batch_service.dry_run(principal, org, content, file.filename), lang)
    batch = batch_service.create_batch(session, principal, ctx, org, content, file.filename)
    view = batch_view(session, batch, ctx.base_url, lang)
    wake_runner(request, session)
    return JSONResponse(view, status_code=202, headers={"Location": view["url"]})


def wake_runner(request: Request, session: Session) -> None:
    """A batch was queued: committed first (the runner reads it in its own transaction), then the runner told."""
    session.commit()
    runner = getattr(request.app.state, "batch_runner", None)
    if runner is not None:
        runner.wake()


@router.get("/batches/{batch_id}", summary="A batch's report and progress")
def read_batch(batch_id: str, lang: LanguageDep, session: SessionDep, ctx: IssuerContextDep, principal: PrincipalDep):
    batch = batch_service.get_batch(session, principal, batch_id)
    return batch_view(session, batch, ctx.base_url, lang)


@router.post("/batches/{batch_id}/cancel", summary="Stop a batch before its next row (issued rows stay issued)")
def cancel_batch(batch_id: str, lang: LanguageDep, session: SessionDep, ctx: IssuerContextDep, principal: PrincipalDep):
    batch = batch_service.cancel_batch(session, principal, batch_id)
    return batch_view(session, batch, ctx.base_url, lang)


@router.post("/batches/{batch_id}/revoke", summary="Revoke every credential the batch issued, with one reason")
def revoke_batch(
    batch_id: str,
    lang: LanguageDep,
    session: SessionDep,
    ctx: IssuerContextDep,
    principal: PrincipalDep,
    body: RevokeBody | None = None,
):
    batch = batch_service.revoke_batch(session, principal, batch_id, body.reason if body else None)
    return batch_view(session, batch, ctx.base_url, lang)


@router.get("/batches/{batch_id}/certificates.zip", summary="The PDF certificates of the batch's credentials")
def batch_certificates(
    batch_id: str,
    session: SessionDep,
    ctx: IssuerContextDep,
    principal: PrincipalDep,
    language: str = Query(
        "lv",
        pattern="^(lv|en|ru|uk|bilingual)$",
        description="The certificate's language: lv, en, ru, uk, or bilingual (Latvian and English).",
    ),
):
    batch = batch_service.get_batch(session, principal, batch_id)
    return certificates_response(batch_service.certificates_zip(session, ctx, batch, language), batch.id)


def certificates_response(archive: bytes, batch_id: str) -> Response:
    return Response(
        archive,
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="certificates-{batch_id}.zip"',
            "Cache-Control": "private, no-store",
        },
    )
