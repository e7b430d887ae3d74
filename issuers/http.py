"""FastAPI dependencies of the issuers: the caller (by bearer token or session) and the issuer context.

The request's transaction and the other shared dependencies are in `base.http`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from base.errors import UserError
from base.http import SessionDep, bearer_token
from issuers.auth import Principal
from issuers.service import IssuerContext, authenticate_with_organisation
from issuers.store import OrganisationRow


async def get_issuer_context(request: Request) -> IssuerContext:  # async: nothing here waits
    settings = request.app.state.settings
    return IssuerContext(base_url=settings.public_base_url, kek=settings.encryption_key)


def optional_principal(request: Request, session: SessionDep) -> Principal | None:
    token = bearer_token(request)
    return authenticated(session, token)[0] if token else None


async def require_principal(  # async: a check of what is already known needs no worker thread
    principal: Annotated[Principal | None, Depends(optional_principal)],
) -> Principal:
    if principal is None:
        raise UserError("auth.required", kind="unauthorised")
    return principal


async def require_bearer_token(request: Request) -> str:  # async: reads a header
    """The bearer token a request must carry, for an endpoint that authenticates it itself (`authenticated`) in the
    worker thread that does the rest of its work: a request without one is refused before its body is read, as
    `PrincipalDep` refuses it."""
    token = bearer_token(request)
    if token is None:
        raise UserError("auth.required", kind="unauthorised")
    return token


def authenticated(session: Session, token: str) -> tuple[Principal, OrganisationRow | None]:
    """The principal behind a bearer token, and the organisation when it is an organisation's token; an unknown,
    expired or revoked token is refused."""
    principal, organisation = authenticate_with_organisation(session, token)
    if principal is None:
        raise UserError("auth.required", kind="unauthorised")
    return principal, organisation


PrincipalDep = Annotated[Principal, Depends(require_principal)]
OptionalPrincipalDep = Annotated[Principal | None, Depends(optional_principal)]
IssuerContextDep = Annotated[IssuerContext, Depends(get_issuer_context)]
BearerTokenDep = Annotated[str, Depends(require_bearer_token)]
