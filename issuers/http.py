"""FastAPI dependencies of the issuers: the caller (by bearer token or session) and the issuer context.

The request's transaction and the other shared dependencies are in `base.http`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from base.errors import UserError
from base.http import SessionDep, bearer_token
from issuers.auth import Principal
from issuers.service import IssuerContext, authenticate


async def get_issuer_context(request: Request) -> IssuerContext:  # async: nothing here waits
    settings = request.app.state.settings
    return IssuerContext(base_url=settings.public_base_url, kek=settings.encryption_key)


def optional_principal(request: Request, session: SessionDep) -> Principal | None:
    token = bearer_token(request)
    principal = authenticate(session, token)
    if token and principal is None:
        raise UserError("auth.required", kind="unauthorised")
    return principal


def require_principal(principal: Annotated[Principal | None, Depends(optional_principal)]) -> Principal:
    if principal is None:
        raise UserError("auth.required", kind="unauthorised")
    return principal


PrincipalDep = Annotated[Principal, Depends(require_principal)]
OptionalPrincipalDep = Annotated[Principal | None, Depends(optional_principal)]
IssuerContextDep = Annotated[IssuerContext, Depends(get_issuer_context)]
