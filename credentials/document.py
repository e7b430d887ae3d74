"""The credential a record becomes: an Open Badges 3.0 `OpenBadgeCredential` on the VC Data Model 2.0. Pure.

Terms neither standard defines live in the project's own context (`VOLUNTEER_CONTEXT`, bundled and served at
`/contexts/volunteer-credentials/v1`):
- `catalogue` (+ `catalogueVersion`, `catalogueHash`) on the achievement: the catalogue version the record used;
- `competenceAttestation` on each alignment: `organiser` (confirmed by the organiser) or `self` (described by the
  volunteer and accepted by the organiser);
- `keyCompetence` on each alignment: the EU key competence codes (Council Recommendation 2018/C 189/01);
- `municipality` and `missionType` on the credential subject.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from pathlib import Path

from catalogue.i18n import messages
from credentials.records import CompetenceClaim, ValidRecord, format_hours

VC_V2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
# A permanent identifier (w3id.org redirect) rather than one deployment's host, so that every deployment and every
# verifier bundles the same URL; each deployment also serves the document itself.
VOLUNTEER_CONTEXT = "https://w3id.org/volunteer-credentials/v1"
VOLUNTEER_CONTEXT_FILE = Path(__file__).parent / "contexts" / "volunteer-credentials-v1.jsonld"
CREDENTIAL_CONTEXTS = [VC_V2_CONTEXT, OB_CONTEXT, VOLUNTEER_CONTEXT]
HOURS_RESULT_TYPE = "ext:VolunteerHours"


def volunteer_context_document() -> dict:
    return json.loads(VOLUNTEER_CONTEXT_FILE.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class IssuerProfile:
    id: str  # the DID the credential is issued under
    name: str  # the registry's legal name
    registration_number: str
    url: str | None = None
    image: str | None = None


@dataclass(frozen=True)
class CompetenceLine:
    """A competence as the credential states it: catalogue labels plus who attested it."""

    claim: CompetenceClaim
    label_lv: str
    label_en: str
    key_competences: tuple[str, ...]


def salted_hash(value: str, salt: str) -> str:
    """Open Badges IdentityHash: `sha256$` + hex SHA-256 of the value followed by the salt."""
    return "sha256$" + hashlib.sha256((value + salt).encode("utf-8")).hexdigest()


def new_salt() -> str:
    return secrets.token_hex(16)


@dataclass(frozen=True)
class SubjectIdentity:
    """Who the credential is about, as far as it may say: a name and e-mail, or only a pseudonym's salted hash."""

    salt: str
    name: str | None = None
    email: str | None = None
    pseudonym_hash: str | None = None

    @classmethod
    def pseudonymous(cls, pseudonym: str, salt: str) -> "SubjectIdentity":
        return cls(salt=salt, pseudonym_hash=salted_hash(pseudonym, salt))


def identity_objects(subject: SubjectIdentity) -> list[dict]:
    """The subject's identifiers: a named volunteer's name (plain) and e-mail (salted hash); a pseudonymous one's
    identifier as a salted hash and nothing else."""
    salt = subject.salt
    if subject.pseudonym_hash:
        return [{"type": "IdentityObject", "identityHash": subject.pseudonym_hash,
                 "identityType": "identifier", "hashed": True, "salt": salt}]
    identifiers = [{"type": "IdentityObject", "identityHash": subject.name, "identityType": "name",
                    "hashed": False}]
    if subject.email:
        identifiers.append({"type": "IdentityObject", "identityHash": salted_hash(subject.email, salt),
                            "identityType": "emailAddress", "hashed": True, "salt": salt})
    return identifiers


def build_credential(
    *,
    credential_url: str,
    issuer: IssuerProfile,
    record: ValidRecord,
    mission_name: str,
    mission_description: str,
    mission_tasks: list[str],
    competences: list[CompetenceLine],
    catalogue_citation: dict,
    status_entries: list[dict],
    valid_from: str,
    subject_identity: SubjectIdentity,
) -> dict:
    """The unsigned credential. Every value is a string, list or object: no JSON numbers (see `format_hours`)."""
    lang = record.language
    text = messages()
    hours_id = f"{credential_url}#hours"
    criteria = text.get("credential.criteria", lang, mission=mission_name,
                        tasks="; ".join(mission_tasks))
    achievement = {
        "id": f"{credential_url}#achievement",
        "type": ["Achievement"],
        "achievementType": "CommunityService",
        "name": mission_name,
        "description": mission_description,
        "criteria": {"narrative": criteria},
        "alignment": [_alignment(line, lang) for line in competences],
        "resultDescription": [{
            "id": hours_id,
            "type": ["ResultDescription"],
            "name": text.get("credential.hours_name", lang),
            "resultType": HOURS_RESULT_TYPE,
        }],
        "inLanguage": lang,
        "catalogue": {
            "id": catalogue_citation["uri"],
            "catalogueVersion": catalogue_citation["version"],
            "catalogueHash": catalogue_citation["hash"],
        },
    }
    subject = {
        "type": ["AchievementSubject"],
        "identifier": identity_objects(subject_identity),
        "achievement": achievement,
        "activityStartDate": record.start_date.isoformat(),
        "activityEndDate": record.end_date.isoformat(),
        "result": [{"type": ["Result"], "resultDescription": hours_id, "value": format_hours(record.hours)}],
        "missionType": record.mission_type,
        "municipality": record.municipality,
    }
    if record.role:
        subject["role"] = record.role
    if record.narrative:
        subject["narrative"] = record.narrative
    issuer_profile = {
        "id": issuer.id,
        "type": ["Profile"],
        "name": issuer.name,
        "otherIdentifier": [{"type": ["IdentifierEntry"], "identifier": issuer.registration_number,
                             "identifierType": "identifier"}],
    }
    if issuer.url:
        issuer_profile["url"] = issuer.url
    credential = {
        "@context": list(CREDENTIAL_CONTEXTS),
        "id": credential_url,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": record.title,
        "issuer": issuer_profile,
        "validFrom": valid_from,
        "credentialSubject": subject,
        "credentialStatus": status_entries,
    }
    if record.evidence:
        credential["evidence"] = [{"id": link, "type": ["Evidence"]} for link in record.evidence]
    return credential


def _alignment(line: CompetenceLine, lang: str) -> dict:
    alignment = {
        "type": ["Alignment"],
        "targetName": line.label_lv if lang == "lv" else line.label_en,
        "targetUrl": line.claim.uri,
        "targetFramework": "ESCO",
        "targetType": "ceasn:Competency",
        "competenceAttestation": line.claim.attested_by,
        "keyCompetence": list(line.key_competences),
    }
    if line.claim.note:
        alignment["targetDescription"] = line.claim.note
    return alignment

