"""HTTP adapter of the verifier: VC-API `POST /credentials/verify`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from issuers.http import get_issuer_context
from issuers.service import IssuerContext
from verify.ports import verify_with_service

router = APIRouter()


class VerifyCredentialRequest(BaseModel):
    verifiableCredential: dict[str, Any]
    options: dict[str, Any] = {}  # unknown options are accepted, as VC-API asks


def _language(request: Request) -> str:
    from catalogue.i18n import normalise_language

    return normalise_language(request.query_params.get("lang") or request.headers.get("accept-language"))


@router.post("/credentials/verify", tags=["VC-API"],
             summary="VC-API: verify a credential (200 when verified, 422 with the reasons when not)")
def verify_credential(body: VerifyCredentialRequest, request: Request,
                      ctx: IssuerContext = Depends(get_issuer_context)):
    result = verify_with_service(request.app.state.session_factory, ctx, body.verifiableCredential)
    return JSONResponse(result.as_vc_api(_language(request)), status_code=200 if result.verified else 422)
