"""Europass EDC (European Learning Model 3.2) export of a volunteer credential. Pure.

`build_edc` turns a signed `OpenBadgeCredential` of this service into an unsigned `EuropeanDigitalCredential`:

    Person (the volunteer)
      hasClaim -> LearningAchievement   title = mission type (LV, EN), awarded by the organisation
                    specifiedBy -> LearningAchievementSpecification   non-formal setting, learning outcomes, each
                                   with its `relatedESCOSkill` (the credential's alignments)
                    influencedBy -> LearningActivity   type volunteering, `workload` (hours as PT42H), the period,
                                   the municipality, directed by the organisation

Everything comes from what the credential says, except the organisation, which comes from the registry
(`AwardingBody`: legal name, registration number, address), and the LV/EN labels, which come from the catalogue
version the credential cites. `issued` and the issuer's `eIDASIdentifier` are left out: the Europass issuer adds
them when the organisation seals the credential with its e-seal (they are the only SHACL violations left, see
`verify.exports.shacl`).

`uploadable` wraps the document as the Europass EDC issuer's "upload credential" takes it: `{"credential": ...}`,
the shape of the official samples `Sample-*-unsigned-uploadable.json` in european-commission-empl/
European-Learning-Model (`Credentials/JSON-LD Examples (ELM v3)/`): the unsigned EDC JSON-LD under `credential`.
"""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from base.errors import UserError
from base.i18n import Text, messages
from catalogue import Catalogue
from credentials.reading import CredentialClaims, read_credential
from issuers.municipalities import find_municipality
from verify.exports.display import DisplayCard, render_card

EDC_CONTEXT = "http://data.europa.eu/snb/model/context/edc-ap"
VC_V1_CONTEXT = "https://www.w3.org/2018/credentials/v1"
EDC_CONTEXTS = [VC_V1_CONTEXT, EDC_CONTEXT]
EDC_SCHEMA = "http://data.europa.eu/snb/model/ap/edc-generic-full"
LANGUAGES = ("lv", "en")

# EU controlled vocabularies (data.europa.eu/snb, publications.europa.eu authority tables)
GENERIC_PROFILE = (
    "http://data.europa.eu/snb/credential/e34929035b",
    "http://data.europa.eu/snb/credential/25831c2",
    {"en": "Generic"},
)
VOLUNTEERING = (
    "http://data.europa.eu/snb/learning-activity/59eaf34fab",
    "http://data.europa.eu/snb/learning-activity/25831c2",
    {"en": "volunteering"},
)
NON_FORMAL = (
    "http://data.europa.eu/snb/learning-setting/e207a81fc7",
    "http://data.europa.eu/snb/learning-setting/25831c2",
    {"en": "non-formal learning"},
)
LATVIA = (
    "http://publications.europa.eu/resource/authority/country/LVA",
    "http://publications.europa.eu/resource/authority/country",
    {"en": "Latvia", "lv": "Latvija"},
)
LANGUAGE_CONCEPTS = {
    "lv": (
        "http://publications.europa.eu/resource/authority/language/LAV",
        "http://publications.europa.eu/resource/authority/language",
        {"en": "Latvian", "lv": "latviešu"},
    ),
    "en": (
        "http://publications.europa.eu/resource/authority/language/ENG",
        "http://publications.europa.eu/resource/authority/language",
        {"en": "English", "lv": "angļu"},
    ),
}
BASE64 = (
    "http://data.europa.eu/snb/encoding/6146cde7dd",
    "http://data.europa.eu/snb/encoding/25831c2",
    {"en": "base64"},
)
PNG = (
    "http://publications.europa.eu/resource/authority/file-type/PNG",
    "http://publications.europa.eu/resource/authority/file-type",
    {"en": "PNG"},
)
ESCO_SKILLS = "http://data.europa.eu/esco/concept-scheme/skills"


class NotExportable(UserError):
    """The credential is not one of this service's volunteer credentials, so there is nothing to map."""

    def __init__(self, detail: str):
        super().__init__("export.not_volunteer_credential", detail=detail)


@dataclass(frozen=True)
class AwardingBody:
    """The organisation as the registry knows it (never as the credential names it)."""

    did: str
    legal_name: str
    registration_number: str
    address: str | None = None
    website: str | None = None


@dataclass(frozen=True)
class Competence:
    uri: str
    label: dict[str, str]  # lang -> label
    attested_by: str  # organiser or self


@dataclass(frozen=True)
class VolunteerWork:
    """What a volunteer credential of this service states, read back from its JSON."""

    credential_id: str
    valid_from: str
    language: str
    title: str
    mission_type: str
    mission_name: dict[str, str]
    mission_description: dict[str, str]
    municipality: str | None
    municipality_name: dict[str, str]
    start_date: str
    end_date: str
    hours: str
    competences: tuple[Competence, ...]
    role: str | None
    narrative: str | None
    volunteer_name: str | None  # a named volunteer's name as the credential states it; None when pseudonymous


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def read_volunteer_work(credential: Any, catalogue: Catalogue, claims: CredentialClaims | None = None) -> VolunteerWork:
    """Reads a volunteer credential from its RDF dataset (`claims`, read here when not given: what its proof
    covers, whichever JSON-LD spelling and whichever of the service's vocabularies it uses); labels in both languages
    from `catalogue` (the version the credential cites), falling back to the credential's own words in its language
    when the catalogue does not know a code."""
    if not isinstance(credential, dict):
        raise NotExportable("not an OpenBadgeCredential")
    if claims is None:
        claims = read_credential(credential)
    if not claims.open_badge:
        raise NotExportable("not an OpenBadgeCredential")
    lang = claims.language if claims.language in LANGUAGES else "lv"
    missing = [
        name
        for name, value in (
            ("id", claims.id),
            ("validFrom", claims.valid_from),
            ("missionType", claims.mission_type),
            ("activityStartDate", claims.start_date),
            ("activityEndDate", claims.end_date),
            ("hours", claims.hours),
        )
        if not _text(value)
    ]
    if missing:
        raise NotExportable(", ".join(missing))
    code = claims.mission_type
    mission = catalogue.mission_types_by_code.get(code)
    if mission is not None:
        mission_name = {"lv": mission.name.lv, "en": mission.name.en}
        mission_description = {"lv": mission.description.lv, "en": mission.description.en}
    else:
        mission_name = {lang: _text(claims.mission_name) or code}
        mission_description = {lang: d} if (d := _text(claims.mission_description)) else {}
    competences = []
    for claimed in claims.competences:
        known = catalogue.competences_by_uri.get(claimed.uri)
        if known is not None:
            label = {"lv": known.label.lv, "en": known.label.en}
        else:
            label = {lang: _text(claimed.name) or claimed.uri}
        competences.append(Competence(claimed.uri, label, claimed.attested_by))
    municipality = find_municipality(claims.municipality)
    return VolunteerWork(
        credential_id=claims.id,
        valid_from=claims.valid_from,
        language=lang,
        title=_text(claims.title) or mission_name.get(lang) or code,
        mission_type=code,
        mission_name=mission_name,
        mission_description=mission_description,
        municipality=claims.municipality,
        municipality_name={"lv": municipality.lv, "en": municipality.en} if municipality else {},
        start_date=claims.start_date,
        end_date=claims.end_date,
        hours=claims.hours,
        competences=tuple(competences),
        role=_text(claims.role),
        narrative=_text(claims.narrative),
        volunteer_name=_text(claims.volunteer_name),
    )


def iso_duration(hours: str | int | Decimal) -> str:
    """Hours as an xsd:duration: 42 -> PT42H, 7.5 -> PT7H30M, 0.25 -> PT15M (hours carry at most two decimals,
    so seconds appear only for values like 1.01 -> PT1H36S)."""
    try:
        value = Decimal(str(hours))
    except InvalidOperation:
        raise ValueError(f"hours {hours!r} is not a number") from None
    if value < 0 or not value.is_finite():
        raise ValueError(f"hours {hours!r} is not a duration")
    seconds = int((value * 3600).to_integral_value())
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    parts = "".join(f"{n}{unit}" for n, unit in ((h, "H"), (m, "M"), (s, "S")) if n)
    return "PT" + (parts or "0H")


def _concept(entry: tuple[str, str, dict[str, str]]) -> dict:
    uri, scheme, labels = entry
    return {"id": uri, "type": "Concept", "inScheme": {"id": scheme, "type": "ConceptScheme"}, "prefLabel": labels}


def _date_time(day: str) -> str:
    # ELM dates are xsd:dateTime; the credential has calendar days. Midnight UTC keeps the calendar day for every
    # reader east of UTC, Latvia included.
    return f"{day}T00:00:00Z"


def _both(values: dict[str, str]) -> dict[str, str]:
    """Only the languages that have a text (a language map may not carry empty strings)."""
    return {lang: values[lang] for lang in LANGUAGES if values.get(lang)}


def _language_map(text: Text) -> dict[str, str]:
    return {"lv": text.lv, "en": text.en}


def _organisation(body: AwardingBody) -> dict:
    address: dict[str, Any] = {"id": "urn:epass:address:1", "type": "Address", "countryCode": _concept(LATVIA)}
    if body.address:
        address["fullAddress"] = {"id": "urn:epass:note:address", "type": "Note", "noteLiteral": {"lv": body.address}}
    organisation: dict[str, Any] = {
        "id": body.did,
        "type": "Organisation",
        "legalName": {"lv": body.legal_name},
        "registration": {
            "id": "urn:epass:legalIdentifier:1",
            "type": "LegalIdentifier",
            "notation": body.registration_number,
            "spatial": _concept(LATVIA),
        },
        "location": {"id": "urn:epass:location:1", "type": "Location", "address": address},
    }
    if body.website:
        organisation["homepage"] = {
            "id": "urn:epass:webResource:homepage",
            "type": "WebResource",
            "contentURL": body.website,
        }
    return organisation


def _learning_outcome(number: int, competence: Competence) -> dict:
    text = messages()
    outcome: dict[str, Any] = {
        "id": f"urn:epass:learningOutcome:{number}",
        "type": "LearningOutcome",
        "title": _both(competence.label),
        "relatedESCOSkill": {
            "id": competence.uri,
            "type": "Concept",
            "inScheme": {"id": ESCO_SKILLS, "type": "ConceptScheme"},
            "prefLabel": _both(competence.label),
        },
    }
    if competence.attested_by == "self":
        outcome["additionalNote"] = {
            "id": f"urn:epass:note:outcome-{number}",
            "type": "Note",
            "noteLiteral": _language_map(text.text("export.edc.self_attested")),
        }
    return outcome


def build_edc(
    credential: dict,
    *,
    catalogue: Catalogue,
    awarding_body: AwardingBody,
    verify_url: str,
    claims: CredentialClaims | None = None,
) -> dict:
    """The unsigned EDC JSON-LD for a volunteer credential (see the module's docstring)."""
    work = read_volunteer_work(credential, catalogue, claims)
    text = messages()
    lang = work.language
    organisation = _organisation(awarding_body)
    awarded_by = {
        "id": "urn:epass:awardingProcess:1",
        "type": "AwardingProcess",
        "awardingBody": organisation,
        "awardingDate": work.valid_from,
    }
    verify_page = {
        "id": "urn:epass:webResource:verify",
        "type": "WebResource",
        "contentURL": verify_url,
        "title": _language_map(text.text("export.edc.verify_link")),
    }

    # The activity's title: the record's own title in its language; in the other language the mission type's name
    # stands in (a faithful description rather than an invented translation of free text).
    activity_title = {**work.mission_name, lang: work.title}
    activity: dict[str, Any] = {
        "id": "urn:epass:activity:1",
        "type": "LearningActivity",
        "title": _both(activity_title),
        "dcType": _concept(VOLUNTEERING),
        "awardedBy": awarded_by,
        "workload": iso_duration(work.hours),
        "temporal": {
            "id": "urn:epass:period:1",
            "type": "PeriodOfTime",
            "startDate": _date_time(work.start_date),
            "endDate": _date_time(work.end_date),
        },
        "directedBy": organisation,
        "specifiedBy": {
            "id": "urn:epass:learningActivitySpec:1",
            "type": "LearningActivitySpecification",
            "title": _both(work.mission_name),
            "dcType": _concept(VOLUNTEERING),
            "language": _concept(LANGUAGE_CONCEPTS[lang]),
        },
    }
    if work.municipality_name:
        activity["location"] = {
            "id": "urn:epass:location:activity",
            "type": "Location",
            "geographicName": _both(work.municipality_name),
            "address": {"id": "urn:epass:address:activity", "type": "Address", "countryCode": _concept(LATVIA)},
        }
    if work.narrative:
        activity["description"] = {lang: work.narrative}
    if work.role:
        role = text.text("export.edc.role", role=work.role)
        activity["additionalNote"] = {
            "id": "urn:epass:note:role",
            "type": "Note",
            "noteLiteral": {lang: role.in_language(lang)},
        }

    specification: dict[str, Any] = {
        "id": "urn:epass:learningAchievementSpec:1",
        "type": "LearningAchievementSpecification",
        "title": _both(work.mission_name),
        "learningSetting": _concept(NON_FORMAL),
        "learningOutcome": [_learning_outcome(n, c) for n, c in enumerate(work.competences, start=1)],
        "language": _concept(LANGUAGE_CONCEPTS[lang]),
    }
    if work.mission_description:
        specification["description"] = _both(work.mission_description)
    achievement = {
        "id": "urn:epass:learningAchievement:1",
        "type": "LearningAchievement",
        "title": _both(work.mission_name),
        "awardedBy": awarded_by,
        "specifiedBy": specification,
        "influencedBy": [activity],
        "supplementaryDocument": [verify_page],
    }

    # What the person is, no more than the credential says. The shapes require of a Person only `hasClaim`: a
    # pseudonymous volunteer's Person is exactly that (no name, no identifier, no invented data); a named one adds
    # the name the credential states in plain text. The e-mail is only a salted hash in the credential and ELM has
    # no place for hashes, so it stays out.
    person: dict[str, Any] = {"id": "urn:epass:person:1", "type": "Person", "hasClaim": achievement}
    if work.volunteer_name:
        person["fullName"] = {lang: work.volunteer_name}

    return {
        "@context": list(EDC_CONTEXTS),
        # A stable id per credential, so exporting twice gives the same EDC.
        "id": f"urn:credential:{uuid.uuid5(uuid.NAMESPACE_URL, work.credential_id)}",
        "type": ["VerifiableCredential", "EuropeanDigitalCredential"],
        "credentialSchema": [{"id": EDC_SCHEMA, "type": "ShaclValidator2017"}],
        "credentialProfiles": [_concept(GENERIC_PROFILE)],
        "identifier": [
            {
                "id": "urn:epass:identifier:1",
                "type": "Identifier",
                "notation": work.credential_id,
                "schemeName": "Open Badges 3.0 / Verifiable Credential",
            }
        ],
        "issuer": organisation,
        "validFrom": work.valid_from,
        "credentialSubject": person,
        "displayParameter": _display(work, awarding_body, verify_url),
    }


def _display(work: VolunteerWork, body: AwardingBody, verify_url: str) -> dict:
    """The display the Europass wallet shows: one rendered page per language (the credential's language first)."""
    ordered = [work.language] + [lang for lang in LANGUAGES if lang != work.language]
    individual = []
    for number, lang in enumerate(ordered, start=1):
        png = render_card(display_card(work, body, verify_url, lang))
        individual.append(
            {
                "id": f"urn:epass:individualDisplay:{number}",
                "type": "IndividualDisplay",
                "language": _concept(LANGUAGE_CONCEPTS[lang]),
                "displayDetail": [
                    {
                        "id": f"urn:epass:displayDetail:{number}",
                        "type": "DisplayDetail",
                        "page": 1,
                        "image": {
                            "id": f"urn:epass:mediaObject:{number}",
                            "type": "MediaObject",
                            "content": base64.b64encode(png).decode("ascii"),
                            "contentEncoding": _concept(BASE64),
                            "contentType": _concept(PNG),
                        },
                    }
                ],
            }
        )
    return {
        "id": "urn:epass:displayParameter:1",
        "type": "DisplayParameter",
        "title": _language_map(messages().text("export.edc.document_title")),
        "description": _both({lang: f"{work.mission_name.get(lang, work.title)}: {work.title}" for lang in LANGUAGES}),
        "language": [_concept(LANGUAGE_CONCEPTS[lang]) for lang in ordered],
        "primaryLanguage": _concept(LANGUAGE_CONCEPTS[work.language]),
        "individualDisplay": individual,
    }


def _day(day: str, lang: str) -> str:
    year, month, date = day.split("-")
    return f"{date}.{month}.{year}." if lang == "lv" else day


def display_card(work: VolunteerWork, body: AwardingBody, verify_url: str, lang: str) -> DisplayCard:
    text = messages()
    period = f"{_day(work.start_date, lang)} – {_day(work.end_date, lang)}"
    hours = work.hours.replace(".", ",") if lang == "lv" else work.hours  # Latvian writes a decimal comma
    facts = [
        (
            text.get("export.card.organisation", lang),
            f"{body.legal_name} ({text.get('export.card.reg_no', lang)} {body.registration_number})",
        ),
        (text.get("export.card.mission", lang), work.mission_name.get(lang) or work.title),
        (text.get("export.card.period", lang), period),
        (text.get("export.card.hours", lang), hours),
    ]
    if work.municipality_name:
        facts.append((text.get("export.card.municipality", lang), work.municipality_name[lang]))
    return DisplayCard(
        heading=text.get("export.edc.document_title", lang),
        name=work.volunteer_name,
        title=work.title,
        facts=facts,
        competences_heading=text.get("export.card.competences", lang),
        competences=[c.label.get(lang) or next(iter(c.label.values())) for c in work.competences],
        footer=text.get("export.card.verify", lang, url=verify_url),
    )


def uploadable(edc: dict) -> dict:
    """The body the Europass EDC issuer's credential upload accepts: the unsigned EDC under `credential`."""
    return {"credential": edc}
