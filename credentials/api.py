"""HTTP adapter of the credentials package: records, issuance, credentials, status changes, status lists, VC-API."""

from __future__ import annotations

import hashlib
import json
from typing import Any, Union

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from catalogue.i18n import UserError
from credentials import service
from credentials.document import volunteer_context_document
from credentials.records import CompetenceClaim, RecordInput, VolunteerInput, format_hours
from issuers import service as issuers
from issuers.auth import Principal
from issuers.http import get_issuer_context, get_read_session, get_session, require_principal
from issuers.service import IssuerContext
from issuers.store import OrganisationRow

router = APIRouter()
JSON_LD = "application/ld+json"


class NamedVolunteer(BaseModel):
    name: str
    email: str | None = None


class PseudonymousVolunteer(BaseModel):
    pseudonym: str = Field(description="The random identifier the volunteer keeps (8–64 letters, digits, - or _).")


class CompetenceItem(BaseModel):
    uri: str
    attested_by: str = Field("organiser", description="`organiser`, or `self` for a self-described competence.")
    note: str | None = Field(None, description="The volunteer's own words about this competence.")


class RecordBody(BaseModel):
    volunteer: Union[PseudonymousVolunteer, NamedVolunteer]
    mission_type: str
    title: str | None = None
    municipality: str
    start_date: str
    end_date: str
    hours: float | int | str
    role: str | None = None
    competences: list[Union[str, CompetenceItem]] | None = Field(
        None, description="ESCO URIs (or objects with `attested_by`); default: the mission type's core competences.")
    narrative: str | None = None
    evidence: list[str] = []
    language: str = "lv"
    organisation: str | None = Field(None, description="The organisation's slug; needed only for a person who "
                                                       "belongs to several organisations.")


class StatusChange(BaseModel):
    reason: str | None = None


def caller_organisation(session: Session, principal: Principal, slug: str | None) -> OrganisationRow:
    """The organisation the caller acts for: the token's own, or the person's (named when they have several)."""
    if principal.kind == "token":
        org = session.get(OrganisationRow, principal.organisation_id)
        if slug and slug != org.slug:
            raise UserError("auth.forbidden", kind="forbidden")
        return org
    if slug:
        org = issuers.get_organisation(session, slug)
        if not principal.acts_for(org.id):
            raise UserError("auth.forbidden", kind="forbidden")
        return org
    if not principal.roles:
        raise UserError("auth.forbidden", kind="forbidden")
    if len(principal.roles) > 1:
        raise UserError("record.organisation_needed")
    return session.get(OrganisationRow, next(iter(principal.roles)))


def record_view(row) -> dict:
    return {
        "id": row.id, "status": row.status, "mission_type": row.mission_type, "title": row.title,
        "municipality": row.municipality, "start_date": row.start_date.isoformat(),
        "end_date": row.end_date.isoformat(), "hours": format_hours(row.hours), "role": row.role,
        "competences": row.competences, "narrative": row.narrative, "evidence": row.evidence,
        "language": row.language, "catalogue_version": row.catalogue_version, "volunteer_id": row.volunteer_id,
    }


@router.post("/records", status_code=201, tags=["records"], summary="Record volunteer work (approved at once)")
def create_record(body: RecordBody, request: Request, session: Session = Depends(get_session),
                  ctx: IssuerContext = Depends(get_issuer_context), principal: Principal = Depends(require_principal)):
    org = caller_organisation(session, principal, body.organisation)
    if isinstance(body.volunteer, PseudonymousVolunteer):
        volunteer = VolunteerInput(pseudonym=body.volunteer.pseudonym)
    else:
        volunteer = VolunteerInput(name=body.volunteer.name, email=body.volunteer.email)
    competences = None if body.competences is None else [
        item if isinstance(item, str) else CompetenceClaim(item.uri, item.attested_by, item.note)
        for item in body.competences]
    created = service.create_record(session, principal, ctx, org, RecordInput(
        volunteer=volunteer, mission_type=body.mission_type, title=body.title, municipality=body.municipality,
        start_date=body.start_date, end_date=body.end_date, hours=body.hours, role=body.role,
        competences=competences, narrative=body.narrative, evidence=body.evidence, language=body.language))
    view = record_view(created.record)
    if created.volunteer.access_token:
        # Shown once: the volunteer's personal link to their credentials (no account needed).
        view["volunteer_link"] = f"{ctx.base_url}/me/{created.volunteer.access_token}"
    return view


@router.get("/records/{record_id}", tags=["records"])
def read_record(record_id: str, session: Session = Depends(get_session),
                principal: Principal = Depends(require_principal)):
    return record_view(service.get_record(session, principal, record_id))


@router.post("/records/{record_id}/approve", tags=["records"])
def approve_record(record_id: str, session: Session = Depends(get_session),
                   principal: Principal = Depends(require_principal)):
    return record_view(service.approve_record(session, principal, record_id))


def issued_view(issued: service.Issued, base_url: str) -> dict:
    credential_id = issued.credential.id
    return {
        "credential_id": credential_id,
        "credential": issued.document,
        "pdf_url": f"{base_url}/credentials/{credential_id}.pdf",
        "verify_url": service.verify_page_url(base_url, credential_id),
    }


@router.post("/records/{record_id}/issue", status_code=201, tags=["records"],
             summary="Issue the signed credential of an approved record")
def issue_record(record_id: str, session: Session = Depends(get_session),
                 ctx: IssuerContext = Depends(get_issuer_context), principal: Principal = Depends(require_principal)):
    return issued_view(service.issue_record(session, principal, ctx, record_id), ctx.base_url)


def pdf_response(session: Session, ctx: IssuerContext, row, language: str) -> Response:
    from credentials.certificate import certificate_filename, render_certificate
    from credentials.certificates import certificate_data

    data = certificate_data(session, ctx, row, language)
    return Response(render_certificate(data), media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{certificate_filename(data)}"',
        "Cache-Control": "private, no-store"})


# Declared before /credentials/{credential_id}, which would otherwise take "<id>.pdf" as an id.
@router.get("/credentials/{credential_id}.pdf", tags=["credentials"],
            summary="The PDF certificate (the organisation's token; volunteers use their personal link)")
def read_certificate(credential_id: str, language: str = Query("lv", pattern="^(lv|en|bilingual)$"),
                     session: Session = Depends(get_session), ctx: IssuerContext = Depends(get_issuer_context),
                     principal: Principal = Depends(require_principal)):
    row = service.get_credential(session, credential_id)
    if not principal.acts_for(row.organisation_id):
        raise UserError("credential.not_found", kind="not_found")
    return pdf_response(session, ctx, row, language)


@router.get("/credentials/{credential_id}", tags=["credentials"], summary="The signed credential (JSON)")
def read_credential(credential_id: str, session: Session = Depends(get_read_session)):
    row = service.get_credential(session, credential_id)
    return Response(row.document.encode(), media_type="application/json",
                    headers={"Access-Control-Allow-Origin": "*"})


def _status_endpoint(action: str):
    def change(credential_id: str, body: StatusChange | None = None, session: Session = Depends(get_session),
               principal: Principal = Depends(require_principal)):
        row = service.change_credential_status(session, principal, credential_id, action, body.reason if body else None)
        return {"credential_id": row.id, "status": row.status, "reason": row.status_reason,
                "changed_at": row.status_changed_at.isoformat()}

    return change


for _action in ("revoke", "suspend", "unsuspend"):
    router.add_api_route(f"/credentials/{{credential_id}}/{_action}", _status_endpoint(_action), methods=["POST"],
                         tags=["credentials"], name=f"credential_{_action}",
                         summary={"revoke": "Revoke a credential (final; give a reason)",
                                  "suspend": "Suspend a credential (give a reason)",
                                  "unsuspend": "Lift a suspension"}[_action])


@router.get("/status/{slug}/{purpose}/{number}", tags=["status lists"],
            summary="A signed Bitstring Status List credential")
def status_list(slug: str, purpose: str, number: int, request: Request, session: Session = Depends(get_session),
                ctx: IssuerContext = Depends(get_issuer_context)):
    row = service.signed_status_list(session, ctx, slug, purpose, number)
    etag = '"' + hashlib.sha256(row.signed_credential.encode()).hexdigest()[:32] + '"'
    headers = {"ETag": etag, "Cache-Control": "public, max-age=30", "Access-Control-Allow-Origin": "*"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(row.signed_credential.encode(), media_type="application/json", headers=headers)


@router.get("/contexts/volunteer-credentials/v1", tags=["credentials"],
            summary="The project's JSON-LD context (also bundled with every verifier)")
def volunteer_context():
    return Response(json.dumps(volunteer_context_document(), indent=2).encode(), media_type=JSON_LD,
                    headers={"Cache-Control": "public, max-age=86400", "Access-Control-Allow-Origin": "*"})


# --- VC-API ---------------------------------------------------------------------------------------------------------

class IssueRequest(BaseModel):
    credential: dict[str, Any]
    options: dict[str, Any] = {}


@router.post("/credentials/issue", status_code=201, tags=["VC-API"],
             summary="VC-API: sign a credential the organisation sends (its own DID as issuer)")
def vc_api_issue(body: IssueRequest, session: Session = Depends(get_session),
                 ctx: IssuerContext = Depends(get_issuer_context), principal: Principal = Depends(require_principal)):
    org = caller_organisation(session, principal, None)
    issued = service.issue_document(session, principal, ctx, org, body.credential)
    return {"verifiableCredential": issued.document}
