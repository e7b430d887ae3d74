"""HTTP adapter of recognition levels' public documents: a level credential's JSON (its id is its URL) and the
platform's suspension status list that level credentials point to."""

from __future__ import annotations

from fastapi import APIRouter, Response

from base.errors import UserError
from base.http import SessionDep
from credentials.levels import service
from issuers.http import IssuerContextDep

router = APIRouter()


@router.get("/levels/credentials/{award_id}", tags=["levels"], summary="A level credential, as the platform signed it")
def level_credential(award_id: str, session: SessionDep):
    award = service.level_award(session, award_id)
    if award is None:
        raise UserError("credential.not_found", kind="not_found")
    return Response(
        award.document.encode(), media_type="application/json", headers={"Access-Control-Allow-Origin": "*"}
    )


@router.get(
    "/levels/status/{purpose}/{number}",
    tags=["levels"],
    summary="The platform's status list of level credentials (Bitstring Status List, signed by the platform)",
)
def platform_status_list(purpose: str, number: int, session: SessionDep, ctx: IssuerContextDep):
    signed = service.signed_platform_status_list(session, ctx, purpose, number) if purpose == "suspension" else None
    if signed is None:
        raise UserError("status.list_not_found", kind="not_found")
    return signed
