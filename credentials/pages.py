"""The volunteer's self-service page: their credentials behind their personal link, with PDF and JSON downloads."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from base.errors import UserError
from base.http import LanguageDep, SessionDep, read_transaction, run_cpu_bound
from base.i18n import format_number
from base.web import PRIVATE_PAGE, render_page, template_environment
from catalogue import catalogue_version
from credentials.common import RIGA, verify_page_url
from credentials.http import pdf_response
from credentials.service import credentials_of_link
from credentials.store import RecordRow
from issuers.http import IssuerContextDep, WorkspaceDep
from issuers.store import OrganisationRow

router = APIRouter(include_in_schema=False)
_templates = template_environment([Path(__file__).parent / "templates"])


@router.get("/me/{token}", response_class=HTMLResponse)
def my_credentials(token: str, request: Request, lang: LanguageDep, session: SessionDep, ctx: IssuerContextDep):
    items, total = [], Decimal(0)
    for row in credentials_of_link(session, token):
        record = session.get(RecordRow, row.record_id) if row.record_id else None
        organisation = session.get(OrganisationRow, row.organisation_id)
        if record is None:
            continue
        mission = catalogue_version(record.catalogue_version).mission_type(record.mission_type)
        if row.status == "active":
            total += record.hours
        items.append(
            {
                "id": row.id,
                "title": record.title,
                "mission": mission.name,
                "organisation": organisation.legal_name,
                "start": record.start_date,
                "end": record.end_date,
                "hours": format_number(record.hours.normalize(), lang),
                "status": row.status,
                "issued": row.issued_at.astimezone(RIGA).date(),
                "verify_url": verify_page_url(ctx.base_url, row.id),
            }
        )
    body = render_page(
        _templates,
        "volunteer/credentials.html",
        lang=lang,
        url=str(request.url),
        items=items,
        token=token,
        total_hours=total.normalize() if items else 0,
    )
    return HTMLResponse(body, headers=PRIVATE_PAGE)


def own_credential(session: Session, token: str, credential_id: str):
    for row in credentials_of_link(session, token):
        if row.id == credential_id:
            return row
    raise UserError("credential.not_found", kind="not_found")


@router.get("/me/{token}/credentials/{credential_id}.pdf")
def my_certificate(
    token: str,
    credential_id: str,
    session: SessionDep,
    ctx: IssuerContextDep,
    language: str = Query("lv", pattern="^(lv|en|ru|uk|bilingual)$"),
):
    row = own_credential(session, token, credential_id)
    response = pdf_response(session, ctx, row, language, claim_code=True)  # the volunteer's own copy
    response.headers.update(PRIVATE_PAGE)
    return response


@router.get("/me/{token}/credentials/{credential_id}.json")
def my_credential_json(token: str, credential_id: str, session: SessionDep):
    row = own_credential(session, token, credential_id)
    return Response(
        row.document.encode(),
        media_type="application/json",
        headers={**PRIVATE_PAGE, "Content-Disposition": f'attachment; filename="credential-{row.id}.json"'},
    )


# --- the organisation's settings: a sample certificate as it looks now (embedded by issuers' settings page) -------


@router.get("/org/{slug}/settings/certificate-preview.pdf")
async def certificate_preview(
    request: Request,
    ws: WorkspaceDep,
    language: Annotated[str, Query(pattern="^(lv|en|ru|uk|bilingual)$")] = "lv",
):
    """The organisation's name, logo, signature and signatory on a sample certificate, marked as a sample."""
    pdf = await run_cpu_bound(request, _render_preview, request, ws.org.id, language)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": 'inline; filename="certificate-sample.pdf"',
            "Cache-Control": "private, no-store",
        },
    )


def _render_preview(request: Request, organisation_id: str, language: str) -> bytes:
    from credentials.certificates.render import render_certificate
    from credentials.certificates.service import preview_certificate_data

    # Read here, in this thread's transaction: the workspace's organisation comes without its images.
    with read_transaction(request) as session:
        org = session.get(OrganisationRow, organisation_id)
        data = preview_certificate_data(org, request.app.state.settings.public_base_url, language)
    return render_certificate(data)
