"""From a stored credential to the certificate that shows it: gathers what `credentials.certificates.render`
renders."""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy.orm import Session

from base.errors import UserError
from base.i18n import messages
from catalogue import catalogue_version, load_catalogue
from credentials.certificates.render import (
    LANGUAGE_MODES,
    PREVIEW_STATUS,
    CertificateCompetence,
    CertificateData,
    Image,
)
from credentials.common import RIGA, verify_page_url
from credentials.holders import claims
from credentials.store import CredentialRow, RecordRow, VolunteerRow
from issuers.municipalities import find_municipality
from issuers.service import IssuerContext
from issuers.store import OrganisationRow


def certificate_data(
    session: Session, ctx: IssuerContext, row: CredentialRow, language: str, claim_code: bool = False
) -> CertificateData:
    """What the certificate of `row` shows, in `language` (`lv`, `en`, `ru`, `uk` or `bilingual`). `claim_code`: the copy for
    the volunteer (their own place, or the organiser's to hand over) prints the credential's claim code; the public
    copy, which anyone with the verification link may get, never does (else whoever saw it could claim it)."""
    if language not in LANGUAGE_MODES:
        raise UserError("certificate.language_unknown", allowed=", ".join(LANGUAGE_MODES))
    record = session.get(RecordRow, row.record_id) if row.record_id else None
    if record is None:
        # Credentials organisations sign through VC-API carry no record of volunteer work to print.
        raise UserError("certificate.not_available", kind="not_found")
    document = json.loads(row.document)
    organisation = session.get(OrganisationRow, row.organisation_id)
    volunteer = session.get(VolunteerRow, row.volunteer_id)
    catalogue = catalogue_version(record.catalogue_version)
    mission = catalogue.mission_type(record.mission_type)
    core = set(mission.core_competences)
    competences = []
    for item in record.competences:
        competences.append(
            certificate_competence(catalogue, item["uri"], item["uri"] in core, item.get("attested_by", "organiser"))
        )
    municipality = find_municipality(record.municipality)
    return CertificateData(
        language=language,
        organisation_name=organisation.legal_name,
        organisation_reg_no=organisation.registration_number,
        signatory_name=organisation.signatory_name or "",
        signatory_position=organisation.signatory_position or "",
        mission_title=record.title,
        mission_type_lv=mission.name.lv,
        mission_type_en=mission.name.en,
        mission_type_ru=mission.name.ru or "",
        mission_type_uk=mission.name.uk or "",
        # a place keeps its official (Latvian) name, but in English
        municipality=municipality.name("en" if language == "en" else "lv") if municipality else record.municipality,
        start_date=record.start_date,
        end_date=record.end_date,
        hours=record.hours,
        competences=competences,
        catalogue_version=record.catalogue_version,
        issue_date=row.issued_at.astimezone(RIGA).date(),
        credential_id=document.get("id", row.id),
        verify_url=verify_page_url(ctx.base_url, row.id),
        credential=row.document.encode("utf-8"),  # the signed bytes exactly as issued
        volunteer_name=_name_in_credential(document) if volunteer.kind == "named" else None,
        pseudonymous=volunteer.kind == "pseudonymous",
        volunteer_reference=pseudonymous_reference(record) if volunteer.kind == "pseudonymous" else None,
        role=record.role or None,
        **organisation_images(organisation),
        status=row.status,  # a suspended or revoked credential's certificate says so
        claim_code=claims.claim_code(ctx.kek, row.id) if claim_code else None,
        claim_url=f"{ctx.base_url}/claim" if claim_code else None,
    )


def certificate_competence(
    catalogue, uri: str, core: bool = True, attested_by: str = "organiser"
) -> CertificateCompetence:
    competence = catalogue.competence(uri)
    return CertificateCompetence(
        uri=uri,
        label_lv=competence.label.lv,
        label_en=competence.label.en,
        label_ru=competence.label.ru or "",
        label_uk=competence.label.uk or "",
        core=core,
        attested_by=attested_by,
        key_competences=tuple(competence.key_competences),
    )


def organisation_images(org: OrganisationRow) -> dict[str, Image | None]:
    """The organisation's logo and signature image as the certificate takes them."""
    return {
        "organisation_logo": Image(org.logo, org.logo_media_type) if org.logo else None,
        "signature_image": Image(org.signature_image, org.signature_media_type) if org.signature_image else None,
    }


def _name_in_credential(document: dict) -> str | None:
    """The name as the credential states it (what was signed), not as the organiser's records say today."""
    for identity in document.get("credentialSubject", {}).get("identifier", []):
        if identity.get("identityType") == "name" and not identity.get("hashed"):
            return identity.get("identityHash")
    return None


def pseudonymous_reference(record: RecordRow) -> str:
    """A short reference the volunteer can match against their own identifier's hash; not personal data."""
    digest = (record.subject_hash or "").removeprefix("sha256$")
    return f"VK-{digest[:4].upper()}-{digest[4:8].upper()}"


PREVIEW_MISSION_TYPE = "event-support"


def preview_certificate_data(org: OrganisationRow, base_url: str, language: str) -> CertificateData:
    """A sample certificate of `org` as it stands now (name, logo, signature, signatory) for a made-up volunteer
    and mission: what the settings page shows while the logo and signature are being chosen. Marked as a sample."""
    catalogue = load_catalogue()
    mission = catalogue.mission_type(PREVIEW_MISSION_TYPE)
    competences = [
        certificate_competence(catalogue, uri) for uri in catalogue.default_competences(PREVIEW_MISSION_TYPE)
    ]
    today = date.today()
    text_language = "lv" if language == "bilingual" else language
    municipality = find_municipality(org.municipality)
    return CertificateData(
        language=language,
        organisation_name=org.legal_name,
        organisation_reg_no=org.registration_number,
        signatory_name=org.signatory_name or "",
        signatory_position=org.signatory_position or "",
        mission_title=messages().get("certificate.preview.mission_title", text_language),
        mission_type_lv=mission.name.lv,
        mission_type_en=mission.name.en,
        mission_type_ru=mission.name.ru or "",
        mission_type_uk=mission.name.uk or "",
        municipality=municipality.name("en" if language == "en" else "lv") if municipality else org.municipality,
        start_date=today.replace(day=1),
        end_date=today,
        hours=24,
        competences=competences,
        catalogue_version=catalogue.reference()["version"],
        issue_date=today,
        credential_id="urn:uuid:00000000-0000-4000-8000-000000000000",
        verify_url=f"{base_url}/verify",
        credential={"preview": True},
        volunteer_name=messages().get("certificate.preview.volunteer", text_language),
        **organisation_images(org),
        status=PREVIEW_STATUS,
    )
