"""HTTP adapter of the credentials package: credentials, their certificates, status changes, status lists, VC-API.
The records' routes (record, approve, issue, ...) are in credentials/records/api.py."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from base.errors import UserError
from base.http import ReadSessionDep, SessionDep, write_transaction
from credentials import service
from credentials import status_lists as credentials_status_lists
from credentials import vc_api as credentials_vc_api
from credentials.document import volunteer_context_document
from credentials.http import StrictInput, caller_organisation, pdf_response
from issuers.http import BearerTokenDep, IssuerContextDep, PrincipalDep, authenticated
from issuers.service import IssuerContext

router = APIRouter()
JSON_LD = "application/ld+json"
MAX_STATUS_LIST_NUMBER = 2**31 - 1  # the column is a 32-bit integer


class StatusChange(StrictInput):
    reason: str | None = None


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
