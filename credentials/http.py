"""What the credentials package's routers share: strict input bodies, the organisation the caller acts for, and a
certificate as a PDF download. Beside the package's api.py rather than in it, so that the sub-packages' routers
(records, batches, missions, the pages) can use them without importing another router's module."""

from __future__ import annotations

from fastapi import Response
from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import Session

from base.errors import UserError
from issuers import service as issuers
from issuers.auth import Principal
from issuers.service import IssuerContext
from issuers.store import OrganisationRow


class StrictInput(BaseModel):
    """An input body that refuses fields it does not know: a misspelt or misplaced field (a `pseudonym` beside a
    `name`, a `volunteer` in an edit) must be an error, never silently dropped."""

    model_config = ConfigDict(extra="forbid")


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
