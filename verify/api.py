"""HTTP adapter of the verifier: VC-API `POST /credentials/verify` and `POST /presentations/verify`."""

from __future__ import annotations

from typing import Any

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from base.http import LanguageDep, run_cpu_bound
from issuers.http import IssuerContextDep
from verify.core import refused_by_shape
from verify.limits import MAX_PRESENTATION_BYTES, admit
from verify.store import verify_presentation_with_service, verify_with_service

router = APIRouter()


class VerifyCredentialRequest(BaseModel):
    verifiableCredential: dict[str, Any]
    options: dict[str, Any] = {}  # unknown options are accepted, as VC-API asks


@router.post(
    "/credentials/verify",
    tags=["VC-API"],
    summary="VC-API: verify a credential (200 when verified, 422 with the reasons when not). `verified` "
    "reports proof, status and validity; the trust registry is a check of its own: an issuer it does "
    "not know is a warning (`verdict: unknown_issuer`), not a failure",
)
async def verify_credential(body: VerifyCredentialRequest, request: Request, ctx: IssuerContextDep, lang: LanguageDep):
    await anyio.to_thread.run_sync(admit, body.verifiableCredential)  # bounds first (verify/limits.py)
    result = await run_cpu_bound(
        request, verify_with_service, request.app.state.session_factory, ctx, body.verifiableCredential
    )
    return JSONResponse(result.as_vc_api(lang), status_code=200 if result.verified else 422)


class VerifyPresentationOptions(BaseModel, extra="allow"):  # unknown options are accepted, as VC-API asks
    challenge: str | None = None
    domain: str | None = None


class VerifyPresentationRequest(BaseModel):
    verifiablePresentation: dict[str, Any]
    options: VerifyPresentationOptions = VerifyPresentationOptions()


@router.post(
    "/presentations/verify",
    tags=["VC-API"],
    summary="VC-API: verify a presentation (the holder's authentication proof bound to `options.challenge` "
    "and `options.domain`, and every credential in it); 200 when verified, 422 with the reasons. "
    "`options.challenge` is required: without it a replayed presentation cannot be told apart",
)
async def verify_presentation(
    body: VerifyPresentationRequest, request: Request, ctx: IssuerContextDep, lang: LanguageDep
):
    # The shape (how many credentials, say) costs nothing to check: before the bounds that cost work.
    refused = refused_by_shape(body.verifiablePresentation)
    if refused is not None:
        return JSONResponse(refused.as_vc_api(lang), status_code=422)
    await anyio.to_thread.run_sync(admit, body.verifiablePresentation, MAX_PRESENTATION_BYTES)
    result = await run_cpu_bound(
        request,
        lambda: verify_presentation_with_service(
            request.app.state.session_factory,
            ctx,
            body.verifiablePresentation,
            challenge=body.options.challenge,
            domain=body.options.domain,
        ),
    )
    return JSONResponse(result.as_vc_api(lang), status_code=200 if result.verified else 422)
