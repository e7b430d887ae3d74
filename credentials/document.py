"""The credential a record becomes: an Open Badges 3.0 `OpenBadgeCredential` on the VC Data Model 2.0. Pure.

New credentials name only the published contexts (VC 2.0 and OB 3.0.3), so that any verifier holding the published
context packages can verify them; everything the service needs to say is said in OB 3.0 terms (the table is in
`credentials/README.md`):
- competences: `achievement.alignment` to ESCO (`targetFramework` "ESCO", `targetType` "ceasn:Competency"), and to
  the EU key competences they develop (`targetFramework` `KEY_COMPETENCE_FRAMEWORK`, a catalogue page per key
  competence);
- who attested each competence: a `result` per attestation kind (`value` `organiser` or `self`, its competences as
  the result's `alignment`) described by the `ResultDescription` of type `ext:CompetenceAttestation`;
- the mission type: an alignment to its catalogue page (`targetType` `ext:MissionType`, `targetCode` its code);
  the catalogue version as `achievement.version`, its hash as an `otherIdentifier` (`ext:CatalogueHash`);
- the municipality: `achievement.tag` (its name; `issuers.municipalities` finds the code again);
- hours: a `result` whose `ResultDescription` has `resultType` `ext:VolunteerHours`; role and period on the subject.

Credentials issued by earlier releases name the project's own context `VOLUNTEER_CONTEXT` as well; it stays bundled
so that they keep verifying and displaying (`credentials.reading` reads both vocabularies), and is never written.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from pathlib import Path

from base.i18n import messages
from catalogue.model import KEY_COMPETENCE_FRAMEWORK
from credentials.records.records import CompetenceClaim, ValidRecord, format_hours
from issuers.municipalities import find_municipality

VC_V2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
# The project's own context of earlier releases: bundled for reading credentials issued with it, never written.
VOLUNTEER_CONTEXT = "https://w3id.org/volunteer-credentials/v1"
VOLUNTEER_CONTEXT_FILE = Path(__file__).parent / "proofs" / "contexts" / "volunteer-credentials-v1.jsonld"
CREDENTIAL_CONTEXTS = [VC_V2_CONTEXT, OB_CONTEXT]
HOURS_RESULT_TYPE = "ext:VolunteerHours"
ATTESTATION_RESULT_TYPE = "ext:CompetenceAttestation"
ESCO_FRAMEWORK = "ESCO"
COMPETENCY_TARGET = "ceasn:Competency"
MISSION_TYPE_TARGET = "ext:MissionType"
CATALOGUE_HASH_IDENTIFIER = "ext:CatalogueHash"
ATTESTED_BY = ("organiser", "self")


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


@dataclass(frozen=True)
class KeyCompetenceLine:
    """An EU key competence the credential's competences develop: its catalogue code and name, in the credential's
    language."""

    code: str
    name: str


@dataclass(frozen=True)
class CatalogueCitation:
    """The catalogue version a record used, and where its pages are served."""

    version: str
    hash: str
    title: str  # in the credential's language
    mission_type_url: str  # the catalogue's page of the record's mission type
    key_competence_urls: dict[str, str]  # key competence code -> its catalogue page


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
    def pseudonymous(cls, pseudonym: str, salt: str) -> SubjectIdentity:
        return cls(salt=salt, pseudonym_hash=salted_hash(pseudonym, salt))


def identity_objects(subject: SubjectIdentity) -> list[dict]:
    """The subject's identifiers: a named volunteer's name (plain) and e-mail (salted hash); a pseudonymous one's
    identifier as a salted hash and nothing else."""
    salt = subject.salt
    if subject.pseudonym_hash:
        return [
            {
                "type": "IdentityObject",
                "identityHash": subject.pseudonym_hash,
                "identityType": "identifier",
                "hashed": True,
                "salt": salt,
            }
        ]
    identifiers = [{"type": "IdentityObject", "identityHash": subject.name, "identityType": "name", "hashed": False}]
    if subject.email:
        identifiers.append(
            {
                "type": "IdentityObject",
                "identityHash": salted_hash(subject.email, salt),
                "identityType": "emailAddress",
                "hashed": True,
                "salt": salt,
            }
        )
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
    key_competences: list[KeyCompetenceLine],
    catalogue: CatalogueCitation,
    status_entries: list[dict],
    valid_from: str,
    subject_identity: SubjectIdentity,
) -> dict:
    """The unsigned credential. Every value is a string, list or object: no JSON numbers (see `format_hours`)."""
    lang = record.language
    text = messages()
    hours_id = f"{credential_url}#hours"
    attestation_id = f"{credential_url}#competence-attestation"
    criteria = text.get("credential.criteria", lang, mission=mission_name, tasks="; ".join(mission_tasks))
    competence_alignments = [_competence_alignment(line, lang) for line in competences]
    alignments = [
        *competence_alignments,
        *(
            {
                "type": ["Alignment"],
                "targetName": key.name,
                "targetUrl": catalogue.key_competence_urls[key.code],
                "targetCode": key.code,
                "targetFramework": KEY_COMPETENCE_FRAMEWORK,
                "targetType": COMPETENCY_TARGET,
            }
            for key in key_competences
        ),
        {
            "type": ["Alignment"],
            "targetName": mission_name,
            "targetUrl": catalogue.mission_type_url,
            "targetCode": record.mission_type,
            "targetFramework": f"{catalogue.title} {catalogue.version}",
            "targetType": MISSION_TYPE_TARGET,
        },
    ]
    achievement = {
        "id": f"{credential_url}#achievement",
        "type": ["Achievement"],
        "achievementType": "CommunityService",
        "name": mission_name,
        "description": mission_description,
        "criteria": {"narrative": criteria},
        "alignment": alignments,
        "resultDescription": [
            {
                "id": hours_id,
                "type": ["ResultDescription"],
                "name": text.get("credential.hours_name", lang),
                "resultType": HOURS_RESULT_TYPE,
            },
            {
                "id": attestation_id,
                "type": ["ResultDescription"],
                "name": text.get("credential.attestation_name", lang),
                "resultType": ATTESTATION_RESULT_TYPE,
            },
        ],
        "inLanguage": lang,
        "version": catalogue.version,
        "otherIdentifier": [
            {"type": ["IdentifierEntry"], "identifier": catalogue.hash, "identifierType": CATALOGUE_HASH_IDENTIFIER}
        ],
    }
    municipality = find_municipality(record.municipality)
    if municipality is not None:
        achievement["tag"] = [municipality.name(lang)]
    results = [{"type": ["Result"], "resultDescription": hours_id, "value": format_hours(record.hours)}]
    for attested_by in ATTESTED_BY:
        attested = [
            alignment
            for line, alignment in zip(competences, competence_alignments)
            if line.claim.attested_by == attested_by
        ]
        if attested:
            # An id of its own keeps the alignments under it apart from the same competences in another
            # credential: blank nodes alike in two credentials of one presentation make canonicalization search.
            results.append(
                {
                    "id": f"{credential_url}#competences-{attested_by}",
                    "type": ["Result"],
                    "resultDescription": attestation_id,
                    "value": attested_by,
                    "alignment": [dict(alignment) for alignment in attested],
                }
            )
    subject = {
        "type": ["AchievementSubject"],
        "identifier": identity_objects(subject_identity),
        "achievement": achievement,
        "activityStartDate": record.start_date.isoformat(),
        "activityEndDate": record.end_date.isoformat(),
        "result": results,
    }
    if record.role:
        subject["role"] = record.role
    if record.narrative:
        subject["narrative"] = record.narrative
    issuer_profile = {
        "id": issuer.id,
        "type": ["Profile"],
        "name": issuer.name,
        "otherIdentifier": [
            {"type": ["IdentifierEntry"], "identifier": issuer.registration_number, "identifierType": "identifier"}
        ],
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


def _competence_alignment(line: CompetenceLine, lang: str) -> dict:
    alignment = {
        "type": ["Alignment"],
        "targetName": line.label_lv if lang == "lv" else line.label_en,
        "targetUrl": line.claim.uri,
        "targetFramework": ESCO_FRAMEWORK,
        "targetType": COMPETENCY_TARGET,
    }
    code = line.claim.uri.rstrip("/").rsplit("/", 1)[-1]
    if line.claim.uri.startswith("http://data.europa.eu/esco/") and code:
        alignment["targetCode"] = code
    if line.claim.note:
        alignment["targetDescription"] = line.claim.note
    return alignment
