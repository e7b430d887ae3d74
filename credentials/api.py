"""HTTP adapter of the credentials package: records, issuance, credentials, status changes, status lists, VC-API."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import AliasChoices, BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from base.errors import UserError
from base.http import ReadSessionDep, SessionDep, write_transaction
from credentials import common as credentials_common
from credentials import service
from credentials import status_lists as credentials_status_lists
from credentials import vc_api as credentials_vc_api
from credentials.document import volunteer_context_document
from credentials.holders.claims import claim_code
from credentials.records import service as records_service
from credentials.records.records import CompetenceClaim, RecordChanges, RecordInput, VolunteerInput, format_hours
from issuers import service as issuers
from issuers.auth import Principal
from issuers.http import BearerTokenDep, IssuerContextDep, PrincipalDep, authenticated
from issuers.service import IssuerContext
from issuers.store import OrganisationRow

router = APIRouter()
JSON_LD = "application/ld+json"
MAX_STATUS_LIST_NUMBER = 2**31 - 1  # the column is a 32-bit integer


class StrictInput(BaseModel):
    """An input body that refuses fields it does not know: a misspelt or misplaced field (a `pseudonym` beside a
    `name`, a `volunteer` in an edit) must be an error, never silently dropped."""

    model_config = ConfigDict(extra="forbid")


class VolunteerBody(StrictInput):
    """Who the record is about: a `name` (and optional `email`), or a `pseudonym` alone. Both at once are refused:
    a pseudonymous volunteer leaves no personal data."""

    name: str | None = None
    email: str | None = None
    pseudonym: str | None = Field(
        None, description="The random identifier the volunteer keeps (8–64 letters, digits, - or _)."
    )

    def as_input(self) -> VolunteerInput:
        return VolunteerInput(name=self.name, email=self.email, pseudonym=self.pseudonym)


class CompetenceItem(StrictInput):
    uri: str
    attested_by: str = Field("organiser", description="`organiser`, or `self` for a self-described competence.")
    note: str | None = Field(None, description="The volunteer's own words about this competence.")


class RecordBody(StrictInput):
    volunteer: VolunteerBody
    mission_type: str
    title: str | None = None
    municipality: str
    start_date: str
    end_date: str
    hours: float | int | str
    role: str | None = None
    competences: list[str | CompetenceItem] | None = Field(
        None, description="ESCO URIs (or objects with `attested_by`); default: the mission type's core competences."
    )
    narrative: str | None = None
    evidence: list[str] = []
    language: str = "lv"
    organisation: str | None = Field(
        None, description="The organisation's slug; needed only for a person who belongs to several organisations."
    )


def competence_claims(items: list[str | CompetenceItem] | None) -> list | None:
    """Bare URIs stay strings (their provenance is decided by the caller); objects become claims."""
    if items is None:
        return None
    return [item if isinstance(item, str) else CompetenceClaim(item.uri, item.attested_by, item.note) for item in items]


class StatusChange(StrictInput):
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
        "id": row.id,
        "status": row.status,
        "mission_type": row.mission_type,
        "title": row.title,
        "municipality": row.municipality,
        "start_date": row.start_date.isoformat(),
        "end_date": row.end_date.isoformat(),
        "hours": format_hours(row.hours),
        "role": row.role,
        "competences": row.competences,
        "narrative": row.narrative,
        "evidence": row.evidence,
        "language": row.language,
        "catalogue_version": row.catalogue_version,
        "volunteer_id": row.volunteer_id,
        "source": row.source,
        "review_comment": row.review_comment,
        "revises_id": row.revises_id,
    }


@router.post("/records", status_code=201, tags=["records"], summary="Record volunteer work (approved at once)")
def create_record(
    body: RecordBody, request: Request, session: SessionDep, ctx: IssuerContextDep, principal: PrincipalDep
):
    org = caller_organisation(session, principal, body.organisation)
    volunteer = body.volunteer.as_input()
    competences = competence_claims(body.competences)
    created = records_service.create_record(
        session,
        principal,
        ctx,
        org,
        RecordInput(
            volunteer=volunteer,
            mission_type=body.mission_type,
            title=body.title,
            municipality=body.municipality,
            start_date=body.start_date,
            end_date=body.end_date,
            hours=body.hours,
            role=body.role,
            competences=competences,
            narrative=body.narrative,
            evidence=body.evidence,
            language=body.language,
        ),
    )
    view = record_view(created.record)
    if created.volunteer.access_token:
        # Shown once: the volunteer's personal link to their credentials (no account needed).
        view["volunteer_link"] = f"{ctx.base_url}/me/{created.volunteer.access_token}"
    return view


@router.get("/records/{record_id}", tags=["records"])
def read_record(record_id: str, session: SessionDep, principal: PrincipalDep):
    return record_view(records_service.get_record(session, principal, record_id))


class RecordEdit(StrictInput):
    """An organiser's edits (review or correction): only the fields given change. In `competences` a bare URI keeps
    the provenance the record has for it (or is the organiser's own); an object states `attested_by` explicitly."""

    title: str | None = None
    municipality: str | None = None
    start_date: str | None = None
    end_date: str | None = None
    hours: float | int | str | None = None
    role: str | None = None
    narrative: str | None = None
    competences: list[str | CompetenceItem] | None = None
    evidence: list[str] | None = None

    def changes(self) -> RecordChanges:
        competences = competence_claims(self.competences)
        return RecordChanges(
            title=self.title,
            municipality=self.municipality,
            start_date=self.start_date,
            end_date=self.end_date,
            hours=self.hours,
            role=self.role,
            narrative=self.narrative,
            competences=competences,
            evidence=self.evidence,
        )


class ReturnBody(StrictInput):
    review_comment: str = Field(
        validation_alias=AliasChoices("review_comment", "comment"),
        description="What the volunteer should change (they see it with their draft); `comment` is accepted too.",
    )


@router.get("/records", tags=["records"], summary="The organisation's records, e.g. statements waiting for review")
def list_records(
    session: SessionDep,
    principal: PrincipalDep,
    status: str | None = Query(None, description="draft, submitted, returned, approved, issued or superseded"),
    organisation: str | None = Query(None),
):
    org = caller_organisation(session, principal, organisation)
    return {"records": [record_view(row) for row in records_service.list_records(session, principal, org, status)]}


@router.post(
    "/records/{record_id}/approve",
    tags=["records"],
    summary="Approve a record (optionally with edits first); only approved records are issued",
)
def approve_record(
    record_id: str, session: SessionDep, principal: PrincipalDep, ctx: IssuerContextDep, body: RecordEdit | None = None
):
    changes = body.changes() if body else None
    return record_view(records_service.approve_record(session, principal, record_id, changes, base_url=ctx.base_url))


@router.post(
    "/records/{record_id}/return", tags=["records"], summary="Return a volunteer's submitted statement with a comment"
)
def return_record(
    record_id: str, body: ReturnBody, session: SessionDep, principal: PrincipalDep, ctx: IssuerContextDep
):
    comment = body.review_comment
    return record_view(records_service.return_record(session, principal, record_id, comment, base_url=ctx.base_url))


@router.post(
    "/records/{record_id}/revise",
    status_code=201,
    tags=["records"],
    summary="A corrected copy of an issued record; issuing it supersedes the old credential",
)
def revise_record(record_id: str, session: SessionDep, principal: PrincipalDep, body: RecordEdit | None = None):
    return record_view(records_service.revise_record(session, principal, record_id, body.changes() if body else None))


def issued_view(issued: service.Issued, ctx: IssuerContext) -> dict:
    """What issuing answers; `claim_code` is shown to the organiser here, once, to hand to the volunteer (it is also
    printed on the volunteer's own copy of the certificate)."""
    credential_id = issued.credential.id
    base_url = ctx.base_url
    return {
        "credential_id": credential_id,
        "credential": issued.document,
        "claim_code": claim_code(ctx.kek, credential_id),
        "claim_url": f"{base_url}/claim",
        "pdf_url": f"{base_url}/credentials/{credential_id}.pdf",
        "verify_url": credentials_common.verify_page_url(base_url, credential_id),
    }


@router.post(
    "/records/{record_id}/issue",
    status_code=201,
    tags=["records"],
    summary="Issue the signed credential of an approved record",
)
def issue_record(record_id: str, session: SessionDep, ctx: IssuerContextDep, principal: PrincipalDep):
    return issued_view(service.issue_record(session, principal, ctx, record_id), ctx)


def pdf_response(session: Session, ctx: IssuerContext, row, language: str, claim_code: bool = False) -> Response:
    """The certificate as a download; `claim_code` for the volunteer's own copy (see `certificate_data`)."""
    from credentials.certificates.render import certificate_filename, render_certificate
    from credentials.certificates.service import certificate_data

    data = certificate_data(session, ctx, row, language, claim_code=claim_code)
    return Response(
        render_certificate(data),
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{certificate_filename(data)}"',
            "Cache-Control": "private, no-store",
        },
    )


# Declared before /credentials/{credential_id}, which would otherwise take "<id>.pdf" as an id.
@router.get(
    "/credentials/{credential_id}.pdf",
    tags=["credentials"],
    summary="The PDF certificate (the organisation's token; volunteers use their personal link)",
)
def read_certificate(
    credential_id: str,
    session: SessionDep,
    ctx: IssuerContextDep,
    principal: PrincipalDep,
    language: str = Query(
        "lv",
        pattern="^(lv|en|ru|uk|bilingual)$",
        description="The certificate's language: lv, en, ru, uk, or bilingual (Latvian and English).",
    ),
):
    row = service.get_credential(session, credential_id)
    if not principal.acts_for(row.organisation_id):
        raise UserError("credential.not_found", kind="not_found")
    return pdf_response(session, ctx, row, language)


@router.get(
    "/credentials/{credential_id}/status",
    tags=["credentials"],
    summary="A credential's status (public): active, suspended or revoked, the reason, and its successor",
)
def credential_status(credential_id: str, session: ReadSessionDep, ctx: IssuerContextDep):
    summary = service.credential_status_summary(session, credential_id)
    return JSONResponse(
        summary.as_json(ctx.base_url), headers={"Access-Control-Allow-Origin": "*", "Cache-Control": "no-cache"}
    )


@router.get("/credentials/{credential_id}", tags=["credentials"], summary="The signed credential (JSON)")
def read_credential(credential_id: str, session: ReadSessionDep):
    row = service.get_credential(session, credential_id)
    return Response(row.document.encode(), media_type="application/json", headers={"Access-Control-Allow-Origin": "*"})


def _status_endpoint(action: str):
    def change(credential_id: str, session: SessionDep, principal: PrincipalDep, body: StatusChange | None = None):
        row = service.change_credential_status(session, principal, credential_id, action, body.reason if body else None)
        return {
            "credential_id": row.id,
            "status": row.status,
            "reason": row.status_reason,
            "changed_at": row.status_changed_at.isoformat(),
        }

    return change


for _action in ("revoke", "suspend", "unsuspend"):
    router.add_api_route(
        f"/credentials/{{credential_id}}/{_action}",
        _status_endpoint(_action),
        methods=["POST"],
        tags=["credentials"],
        name=f"credential_{_action}",
        summary={
            "revoke": "Revoke a credential (final; give a reason)",
            "suspend": "Suspend a credential (give a reason)",
            "unsuspend": "Lift a suspension",
        }[_action],
    )


@router.get(
    "/status/{slug}/{purpose}/{number}", tags=["status lists"], summary="A signed Bitstring Status List credential"
)
def status_list(
    slug: str,
    purpose: str,
    request: Request,
    session: SessionDep,
    ctx: IssuerContextDep,
    number: int = Path(ge=0, le=MAX_STATUS_LIST_NUMBER, description="The list's number."),
):
    row = credentials_status_lists.signed_status_list(session, ctx, slug, purpose, number)
    etag = '"' + hashlib.sha256(row.signed_credential.encode()).hexdigest()[:32] + '"'
    headers = {"ETag": etag, "Cache-Control": "public, max-age=30", "Access-Control-Allow-Origin": "*"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(row.signed_credential.encode(), media_type="application/json", headers=headers)


@router.get(
    "/contexts/volunteer-credentials/v1",
    tags=["credentials"],
    summary="The project's JSON-LD context of earlier releases (read for credentials issued with it)",
)
def volunteer_context():
    return Response(
        json.dumps(volunteer_context_document(), indent=2).encode(),
        media_type=JSON_LD,
        headers={"Cache-Control": "public, max-age=86400", "Access-Control-Allow-Origin": "*"},
    )


# --- VC-API ---------------------------------------------------------------------------------------------------------


class IssueRequest(BaseModel):
    credential: dict[str, Any]
    options: dict[str, Any] = {}


@router.post(
    "/credentials/issue",
    status_code=201,
    tags=["VC-API"],
    summary="VC-API: sign a credential the organisation sends (its own DID as issuer)",
    description="Refuses with 422, naming each field, whatever VC Data Model 2.0 forbids (see "
    "`credentials/proofs/vcdm.py`) and JSON-LD that does not expand strictly with the bundled contexts. "
    "The service adds `validFrom` (when absent) and `credentialStatus`; without an `id` it "
    "assigns `{BASE_URL}/credentials/{id}`, where the credential is stored; a client's own `id` "
    "must be a URL outside the service's URL space (e.g. `urn:uuid:…`).",
)
async def vc_api_issue(body: IssueRequest, request: Request, ctx: IssuerContextDep, token: BearerTokenDep):
    # The request's transaction, the caller and the use case in one worker thread, committed there before the 201
    # goes out: through the dependencies each of them would be a thread hop of its own (a fifth of the request).
    document = await run_in_threadpool(_vc_api_issue, request, ctx, token, body.credential)
    # The stored JSON text of the credential, as is: not walked again by FastAPI's encoder (a tenth of the request's
    # time) nor serialised a second time.
    return Response(
        ('{"verifiableCredential":' + document + "}").encode(), status_code=201, media_type="application/json"
    )


def _vc_api_issue(request: Request, ctx: IssuerContext, token: str, credential: dict) -> str:
    with write_transaction(request) as session:
        principal, token_organisation = authenticated(session, token)
        org = token_organisation or caller_organisation(session, principal, None)  # read already, or a person's
        document = credentials_vc_api.issue_document(session, principal, ctx, org, credential).credential.document
    return document
