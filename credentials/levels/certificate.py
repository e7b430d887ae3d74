"""A level credential's PDF certificate: the certificate renderer of every credential
(`credentials.certificates.render`), given only what is true of the level. The issuer is the platform; the work is the
counted credentials' work: their mission types and municipalities, the period from the first to the last of them, the
hours the level counted. The title names the level and its scheme; no competences are claimed, no signatory printed.
The signed level credential is embedded and the QR code opens its `/v/{id}` page."""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from base.errors import UserError
from base.i18n import messages
from catalogue import load_catalogue
from credentials.certificates.render import CertificateData, render_certificate
from credentials.common import RIGA, verify_page_url
from credentials.levels.service import in_language
from credentials.levels.store import LevelAwardRow, LevelSchemeRow, SchemeLevelRow
from credentials.store import CredentialRow, RecordRow
from issuers.municipalities import find_municipality
from issuers.platform import platform_name
from issuers.service import IssuerContext


def _joined(values: list[str]) -> str:
    return ", ".join(dict.fromkeys(value for value in values if value))


def level_certificate_data(
    session: Session, ctx: IssuerContext, award: LevelAwardRow, language: str
) -> CertificateData:
    """What the level's certificate shows, in `language` (`lv`, `en`, `ru`, `uk` or `bilingual`)."""
    document = json.loads(award.document)
    level = session.get(SchemeLevelRow, award.level_id)
    scheme = session.get(LevelSchemeRow, award.scheme_id)
    ids = [item["credential_id"] for item in award.evidence]
    records = list(
        session.scalars(
            select(RecordRow)
            .join(CredentialRow, CredentialRow.record_id == RecordRow.id)
            .where(CredentialRow.id.in_(ids))
        )
    )
    catalogue = load_catalogue()
    names_lv, names_en, names_ru, names_uk, places = [], [], [], [], []
    for record in records:
        try:
            mission = catalogue.mission_type(record.mission_type)
            names_lv.append(mission.name.lv)
            names_en.append(mission.name.en)
            names_ru.append(mission.name.ru or "")
            names_uk.append(mission.name.uk or "")
        except UserError:  # a mission type the catalogue no longer has: left out rather than guessed
            pass
        municipality = find_municipality(record.municipality)
        places.append(municipality.name("en" if language == "en" else "lv") if municipality else record.municipality)
    text_lang = language if language in ("en", "ru", "uk") else "lv"  # bilingual: Latvian first
    title = messages().get(
        "levels.certificate.title",
        text_lang,
        level=in_language(level.name, text_lang),
        scheme=in_language(scheme.name, text_lang),
    )
    name = next(
        (
            item.get("identityHash")
            for item in document["credentialSubject"].get("identifier", [])
            if item.get("identityType") == "name" and not item.get("hashed")
        ),
        None,
    )
    return CertificateData(
        language=language,
        organisation_name=platform_name(ctx.base_url),
        organisation_reg_no=None,
        signatory_name="",
        signatory_position="",
        mission_title=title,
        mission_type_lv=_joined(names_lv),
        mission_type_en=_joined(names_en),
        mission_type_ru=_joined(names_ru),
        mission_type_uk=_joined(names_uk),
        municipality=_joined(places),
        start_date=min(record.start_date for record in records),
        end_date=max(record.end_date for record in records),
        hours=award.hours,
        competences=[],
        catalogue_version=catalogue.version,
        issue_date=award.issued_at.astimezone(RIGA).date(),
        credential_id=document["id"],
        verify_url=verify_page_url(ctx.base_url, award.id),
        credential=award.document.encode("utf-8"),
        volunteer_name=name,
        pseudonymous=name is None,
        status="suspended" if award.status == "suspended" else "active",
    )


def level_certificate(session: Session, ctx: IssuerContext, award: LevelAwardRow, language: str) -> bytes:
    return render_certificate(level_certificate_data(session, ctx, award, language))
