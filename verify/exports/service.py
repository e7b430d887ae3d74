"""The exports' service layer: stored credentials in, EDC / CLR / CSV documents out; the platform's signing key.

Who may export what (the HTTP adapter and the CLI pass the caller in):
- a single credential as EDC or CSV: whoever holds its id, like the credential's JSON itself (the random id is the
  capability);
- a volunteer's CLR (all their credentials): the organisation for its own volunteers, or the volunteer through their
  personal link. A person known to several organisations has one volunteer row, and one personal link, per
  organisation: each sees the credentials of that row only;
- an organisation's CSV of its credentials: its own people and tokens; another organisation's look like not found.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from base.errors import UserError
from base.i18n import messages
from catalogue import Catalogue, catalogue_version, load_catalogue
from credentials.common import credential_url, verify_page_url
from credentials.holders.service import held_credentials_in_force
from credentials.issued import IssuedCredential
from credentials.proofs.dataintegrity import format_created
from credentials.reading import CredentialClaims, read_credential
from credentials.service import (
    VolunteerReference,
    credentials_in_force_of_volunteer,
    issued_credential,
    issued_credentials_of_organisation,
    sign_document,
    volunteer_of_link,
    volunteer_reference,
)
from issuers import service as issuers
from issuers.auth import Principal
from issuers.platform import platform_host, platform_profile
from issuers.platform_keys import platform_signing_identity
from issuers.service import IssuerContext
from verify.exports import clr, edc, table

RIGA = ZoneInfo("Europe/Riga")
FORMATS = ("edc", "clr", "csv")


# --- reading stored credentials --------------------------------------------------------------------------------------


@dataclass
class StoredCredential:
    credential: IssuedCredential
    document: dict

    @cached_property
    def claims(self) -> CredentialClaims:
        """What the stored credential states, read from its dataset (both vocabularies the service has written)."""
        return read_credential(self.document)


def _load(issued: IssuedCredential) -> StoredCredential:
    return StoredCredential(issued, issued.document())


def stored_credential(session: Session, credential_id: str) -> StoredCredential:
    issued = issued_credential(session, credential_id)
    if issued is None:
        raise UserError("credential.not_found", kind="not_found")
    return _load(issued)


def stored_credential_for_document(session: Session, ctx: IssuerContext, document: dict) -> StoredCredential:
    """The stored credential a file holds (for the CLI): found by its id, and only if the file is what was issued."""
    prefix = credential_url(ctx.base_url, "")
    url = document.get("id") if isinstance(document, dict) else None
    if not isinstance(url, str) or not url.startswith(prefix):
        raise UserError("credential.not_found", kind="not_found")
    stored = stored_credential(session, url[len(prefix) :])
    if stored.document != document:
        raise UserError("export.file_differs", kind="conflict")
    return stored


def credential_catalogue(claims: CredentialClaims) -> Catalogue:
    """The catalogue version the credential cites (its labels), or the current one when it cites none we know."""
    version = claims.catalogue_version
    if isinstance(version, str):
        try:
            return catalogue_version(version)
        except UserError:
            pass
    return load_catalogue()


def awarding_body(session: Session, ctx: IssuerContext, issued: IssuedCredential) -> edc.AwardingBody:
    """The issuing organisation as the registry has it now."""
    org = issuers.organisation_profile(session, ctx.base_url, issued.organisation_id)
    return edc.AwardingBody(
        did=org.did,
        legal_name=org.legal_name,
        registration_number=org.registration_number,
        address=org.address,
        website=org.website,
    )


# --- EDC ------------------------------------------------------------------------------------------------------------


def edc_document(session: Session, ctx: IssuerContext, stored: StoredCredential) -> dict:
    """The EDC of a credential in force: a revoked or suspended one is not handed on to Europass, where sealing
    would give it a second life without its status list."""
    if stored.credential.status == "revoked":
        raise UserError("export.revoked", kind="gone")
    if stored.credential.status == "suspended":
        raise UserError("export.suspended", kind="conflict")
    return edc.build_edc(
        stored.document,
        catalogue=credential_catalogue(stored.claims),
        awarding_body=awarding_body(session, ctx, stored.credential),
        verify_url=verify_page_url(ctx.base_url, stored.credential.id),
        claims=stored.claims,
    )


# --- CSV ------------------------------------------------------------------------------------------------------------


def csv_row(session: Session, ctx: IssuerContext, stored: StoredCredential) -> dict[str, str]:
    row = table.credential_row(
        stored.document,
        catalogue=credential_catalogue(stored.claims),
        awarding_body=awarding_body(session, ctx, stored.credential),
        status=stored.credential.status,
        verify_url=verify_page_url(ctx.base_url, stored.credential.id),
        claims=stored.claims,
    )
    row["volunteer_id"] = stored.credential.volunteer_id or ""
    return row


def check_separator(separator: str) -> str:
    if separator not in table.SEPARATORS:
        raise UserError("export.separator_unknown", sep=separator)
    return separator


def organisation_csv(
    session: Session,
    ctx: IssuerContext,
    principal: Principal,
    slug: str,
    start: date | None,
    end: date | None,
    separator: str,
) -> bytes:
    """Every credential the organisation issued, optionally those issued (in Latvian time) from `start` to `end`."""
    check_separator(separator)
    org = issuers.get_organisation(session, slug)
    if not principal.acts_for(org.id):
        raise UserError("org.not_found", kind="not_found", slug=slug)
    principal.require("organisation.read", org.id)
    if start and end and start > end:
        raise UserError("export.period_invalid")
    issued = issued_credentials_of_organisation(
        session,
        org.id,
        since=_riga_midnight(start) if start else None,
        before=_riga_midnight(end + timedelta(days=1)) if end else None,
    )
    return table.to_csv(
        [csv_row(session, ctx, _load(each)) for each in issued], columns=table.ORGANISATION_COLUMNS, separator=separator
    )


def _riga_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=RIGA).astimezone(UTC)


# --- CLR ------------------------------------------------------------------------------------------------------------


def clr_for_volunteer(session: Session, ctx: IssuerContext, volunteer: VolunteerReference, lang: str) -> dict:
    """The signed CLR of the volunteer row's credentials in force (see credentials_in_force_of_volunteer).
    Authorisation is the caller's."""
    documents = [issued.document() for issued in credentials_in_force_of_volunteer(session, volunteer.id)]
    return clr_of(session, ctx, documents, lang)


def holder_clr(session: Session, ctx: IssuerContext, holder_id: str, lang: str) -> dict:
    """The signed CLR of what a holder (a volunteer's account or pocket) holds, from every organisation; like a
    volunteer row's, without revoked or superseded credentials. Authorisation is the caller's."""
    documents = [issued.document() for issued in held_credentials_in_force(session, holder_id)]
    return clr_of(session, ctx, documents, lang)


def clr_of(session: Session, ctx: IssuerContext, documents: list[dict], lang: str) -> dict:
    """The platform's signed CLR bundling `documents` (signed credentials, embedded unchanged)."""
    if not documents:
        raise UserError("export.nothing_to_bundle", kind="conflict")
    identity = platform_signing_identity(session, ctx)
    now = format_created(datetime.now(UTC))
    text = messages()
    document = clr.build_clr(
        documents,
        clr_id=f"urn:uuid:{uuid.uuid4()}",
        issuer=platform_profile(ctx.base_url),
        valid_from=now,
        name=text.get("export.clr_name", lang),
        description=text.get("export.clr_description", lang, host=platform_host(ctx.base_url)),
    )
    return sign_document(document, identity, now)


def organisation_volunteer_clr(
    session: Session, ctx: IssuerContext, principal: Principal, volunteer_id: str, lang: str
) -> dict:
    volunteer = volunteer_reference(session, volunteer_id)
    if volunteer is None or not principal.acts_for(volunteer.organisation_id):
        raise UserError("export.volunteer_not_found", kind="not_found")
    principal.require("organisation.read", volunteer.organisation_id)
    return clr_for_volunteer(session, ctx, volunteer, lang)


def credential_volunteer_clr(
    session: Session, ctx: IssuerContext, principal: Principal, credential_id: str, lang: str
) -> dict:
    """`/credentials/{id}/export/clr`: the CLR of that credential's volunteer, for the issuing organisation."""
    issued = issued_credential(session, credential_id)
    if issued is None or not principal.acts_for(issued.organisation_id):
        raise UserError("credential.not_found", kind="not_found")
    if issued.volunteer_id is None:
        raise UserError("export.not_volunteer_credential", detail="credentialSubject")
    return organisation_volunteer_clr(session, ctx, principal, issued.volunteer_id, lang)


def personal_clr(session: Session, ctx: IssuerContext, token: str, lang: str) -> dict:
    """The CLR the volunteer's personal link (`/me/{token}`) sees: its own volunteer row's credentials."""
    volunteer = volunteer_of_link(session, token)
    if volunteer is None:
        raise UserError("export.link_not_found", kind="not_found")
    return clr_for_volunteer(session, ctx, volunteer, lang)
