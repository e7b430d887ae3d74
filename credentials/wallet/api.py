"""The OID4VCI endpoints a wallet calls: issuer and authorization server metadata, token and credential endpoints.

Errors are answered as OAuth 2.0 and OID4VCI 1.0 name them (`{"error": "invalid_grant", …}`), not as problem
documents: that is what wallets read.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from base.http import write_transaction
from credentials.wallet import offers, service
from issuers.http import IssuerContextDep

router = APIRouter(tags=["wallets"])
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _error(error: offers.OAuthError) -> JSONResponse:
    headers = dict(NO_STORE)
    if error.status == 401:
        headers["WWW-Authenticate"] = error.challenge()
    return JSONResponse(error.body(), status_code=error.status, headers=headers)


@router.get(offers.ISSUER_METADATA_PATH, summary="OpenID4VCI credential issuer metadata")
def credential_issuer_metadata(ctx: IssuerContextDep) -> dict:
    return offers.issuer_metadata(ctx.base_url)


@router.get(offers.AUTHORIZATION_SERVER_METADATA_PATH, summary="OAuth 2.0 authorization server metadata")
def authorization_server_metadata(ctx: IssuerContextDep) -> dict:
    return offers.authorization_server_metadata(ctx.base_url)


@router.post(
    offers.TOKEN_PATH,
    summary="OpenID4VCI token endpoint (pre-authorized code grant)",
    description="Form-encoded `grant_type=urn:ietf:params:oauth:grant-type:pre-authorized_code` and "
    "`pre-authorized_code` from a credential offer; answers a Bearer access token for that one credential.",
)
async def token(request: Request) -> Response:
    body = await request.body()

    def exchange() -> dict:
        parsed = offers.parse_token_request(body, request.headers.get("content-type"))
        with write_transaction(request) as session:
            return service.exchange_code(session, parsed)

    try:
        answer = await run_in_threadpool(exchange)
    except offers.OAuthError as error:
        return _error(error)
    return JSONResponse(answer, headers=NO_STORE)


@router.post(
    offers.CREDENTIAL_PATH,
    summary="OpenID4VCI credential endpoint",
    description='`{"credential_configuration_id": "' + offers.CONFIGURATION_ID + '"}` with the access token; '
    'answers `{"credentials": [{"credential": …}]}` holding the signed credential exactly as issued.',
)
async def credential(request: Request) -> Response:
    body = await request.body()

    def deliver() -> str:
        access_token = offers.bearer_token(request.headers.get("authorization"))
        offers.check_credential_request(body, request.headers.get("content-type"))
        with write_transaction(request) as session:
            return service.deliver(session, access_token)

    try:
        document = await run_in_threadpool(deliver)
    except offers.OAuthError as error:
        return _error(error)
    # The stored document goes out byte for byte, inside the 1.0 response's `credentials` array.
    content = b'{"credentials":[{"credential":' + document.encode() + b"}]}"
    return Response(content, media_type="application/json", headers=NO_STORE)
