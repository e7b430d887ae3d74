"""HTTP adapter of the exports: EDC, CLR and CSV, and the platform's DID document (see verify.exports.service for
who may export what)."""

from __future__ import annotations

import json
from datetime import date

from fastapi import APIRouter, Query, Response

from base.errors import UserError
from base.http import LanguageDep, SessionDep
from credentials.holders.service import holder_of_user, pocket_by_token
from issuers.http import IssuerContextDep, OptionalPrincipalDep, PrincipalDep, SignedInDep
from issuers.platform_keys import platform_document
from verify.exports import edc, service, table

router = APIRouter()
JSON_LD = "application/ld+json"
CSV = "text/csv; charset=utf-8"
SEPARATOR = Query(
    "comma",
    description="`comma`, or `semicolon` for spreadsheets in a Latvian locale "
    "(then also a decimal comma in the hours).",
)


def _download(body: bytes, media_type: str, filename: str, private: bool = False) -> Response:
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if private:  # a volunteer's whole record: no shared cache may keep it
        headers["Cache-Control"] = "no-store"
    return Response(body, media_type=media_type, headers=headers)


def _json(document: dict) -> bytes:
    return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")


def _clr_response(document: dict) -> Response:
    return _download(_json(document), "application/json", "volunteer-record-clr.json", private=True)


@router.get(
    "/credentials/{credential_id}/export/{export_format}",
    tags=["exports"],
    summary="Export a credential: `edc` (Europass, public), `csv` (one row, public) or `clr` (the volunteer's "
    "whole record; the issuing organisation only)",
)
def export_credential(
    credential_id: str,
    export_format: str,
    session: SessionDep,
    ctx: IssuerContextDep,
    principal: OptionalPrincipalDep,
    lang: LanguageDep,
    uploadable: bool = Query(
        False, description='`edc` only: wrapped as the Europass EDC issuer\'s upload takes it, `{"credential": ...}`.'
    ),
    sep: str = SEPARATOR,
):
    if export_format == "clr":
        if principal is None:
            raise UserError("auth.required", kind="unauthorised")
        return _clr_response(service.credential_volunteer_clr(session, ctx, principal, credential_id, lang))
    if export_format == "edc":
        document = service.edc_document(session, ctx, service.stored_credential(session, credential_id))
        if uploadable:
            return _download(
                _json(edc.uploadable(document)), "application/json", f"{credential_id}-europass-upload.json"
            )
        return _download(_json(document), JSON_LD, f"{credential_id}-europass.jsonld")
    if export_format == "csv":
        service.check_separator(sep)
        row = service.csv_row(session, ctx, service.stored_credential(session, credential_id))
        return _download(table.to_csv([row], separator=sep), CSV, f"{credential_id}.csv")
    raise UserError("export.format_unknown", kind="not_found", format=export_format, allowed=", ".join(service.FORMATS))


@router.get(
    "/volunteers/{volunteer_id}/export/clr",
    tags=["exports"],
    summary="CLR 2.0 of all credentials of one of the organisation's volunteers, signed by the platform",
)
def export_volunteer_clr(
    volunteer_id: str, session: SessionDep, ctx: IssuerContextDep, principal: PrincipalDep, lang: LanguageDep
):
    return _clr_response(service.organisation_volunteer_clr(session, ctx, principal, volunteer_id, lang))


@router.get(
    "/me/{token}/export/clr",
    tags=["exports"],
    summary="CLR 2.0 of the volunteer's own credentials, through their personal link",
)
def export_personal_clr(token: str, session: SessionDep, ctx: IssuerContextDep, lang: LanguageDep):
    return _clr_response(service.personal_clr(session, ctx, token, lang))


@router.get("/my/export/clr", include_in_schema=False)
def export_my_clr(session: SessionDep, ctx: IssuerContextDep, signed_in: SignedInDep, lang: LanguageDep):
    """CLR 2.0 of the signed-in volunteer's credentials, from every organisation (their account's page, /my)."""
    holder = holder_of_user(session, signed_in.user.id)
    if holder is None:
        raise UserError("export.nothing_to_bundle", kind="conflict")
    return _clr_response(service.holder_clr(session, ctx, holder.id, lang))


@router.get("/pocket/{token}/export/clr", include_in_schema=False)
def export_pocket_clr(token: str, session: SessionDep, ctx: IssuerContextDep, lang: LanguageDep):
    """CLR 2.0 of a pseudonymous pocket's credentials, through its secret link."""
    return _clr_response(service.holder_clr(session, ctx, pocket_by_token(session, token).id, lang))


# Credentials were first issued in the 2020s; the bounds keep time-zone arithmetic inside the calendar (0001-01-01
# in Latvian time is before the first instant a UTC datetime can hold).
EARLIEST_DAY, LATEST_DAY = date(1900, 1, 1), date(2999, 12, 31)


def _day(value: str | None) -> date | None:
    if value is None or value == "":
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise UserError("export.period_invalid") from None
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        raise UserError("export.period_range", earliest=EARLIEST_DAY.isoformat(), latest=LATEST_DAY.isoformat())
    return day


@router.get(
    "/organisations/{slug}/export/credentials.csv",
    tags=["exports"],
    summary="CSV of the organisation's credentials, optionally issued from/to (dates, Latvian time)",
)
def export_organisation_csv(
    slug: str,
    session: SessionDep,
    ctx: IssuerContextDep,
    principal: PrincipalDep,
    start: str | None = Query(None, alias="from", description="First issue date, YYYY-MM-DD."),
    end: str | None = Query(None, alias="to", description="Last issue date, YYYY-MM-DD."),
    sep: str = SEPARATOR,
):
    body = service.organisation_csv(session, ctx, principal, slug, _day(start), _day(end), sep)
    return _download(body, CSV, f"{slug}-credentials.csv")


def _platform_did_document(session: SessionDep, ctx: IssuerContextDep):
    document = platform_document(session, ctx, create=True)
    return Response(
        json.dumps(document, indent=2).encode(),
        media_type="application/did+json",
        headers={"Cache-Control": "public, max-age=300", "Access-Control-Allow-Origin": "*"},
    )


# did:web puts a DID without a path at /.well-known/did.json, one with a path (a service behind a path prefix) at
# <path>/did.json: both are served, so the platform DID resolves however BASE_URL is set.
for _path in ("/.well-known/did.json", "/did.json"):
    router.add_api_route(
        _path,
        _platform_did_document,
        methods=["GET"],
        tags=["exports"],
        name=f"platform_did{_path.replace('/', '_').replace('.', '_')}",
        summary="The platform's DID document (its key signs the CLR bundles)",
    )
