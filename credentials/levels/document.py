"""The level credential: an Open Badges 3.0 `OpenBadgeCredential` the platform signs when a volunteer reaches a level.
Pure. Only the published contexts (VC 2.0, OB 3.0.3), in their terms:
- the level is an `Achievement` of `achievementType` "Award", named after the level, its `criteria.narrative` the
  threshold and the period counted;
- the hours counted are a `result` described by a `ResultDescription` of `resultType` `ext:VolunteerHours` (as in the
  organisations' credentials);
- each credential counted is an `Evidence` whose `id` is that credential's id, `name` its title and `narrative` the
  hours it gave.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from base.i18n import messages
from credentials.document import CREDENTIAL_CONTEXTS, HOURS_RESULT_TYPE, SubjectIdentity, identity_objects
from credentials.records.records import format_hours

AWARD = "Award"


@dataclass(frozen=True)
class CountedCredential:
    credential_url: str  # the counted credential's id
    title: str
    hours: Decimal


def build_level_credential(
    *,
    credential_url: str,
    issuer_profile: dict,
    level_name: str,
    scheme_name: str,
    threshold: Decimal,
    period_text: str,
    hours: Decimal,
    counted: list[CountedCredential],
    subject_identity: SubjectIdentity,
    status_entries: list[dict],
    valid_from: str,
    language: str,
) -> dict:
    """The unsigned level credential (strings only, no JSON numbers)."""
    text = messages()
    hours_id = f"{credential_url}#hours"
    achievement = {
        "id": f"{credential_url}#achievement",
        "type": ["Achievement"],
        "achievementType": AWARD,
        "name": level_name,
        "description": text.get("levels.credential.description", language, level=level_name, scheme=scheme_name),
        "criteria": {
            "narrative": text.get(
                "levels.credential.criteria", language, threshold=format_hours(threshold), period=period_text
            )
        },
        "resultDescription": [
            {
                "id": hours_id,
                "type": ["ResultDescription"],
                "name": text.get("credential.hours_name", language),
                "resultType": HOURS_RESULT_TYPE,
            }
        ],
        "inLanguage": language,
    }
    return {
        "@context": list(CREDENTIAL_CONTEXTS),
        "id": credential_url,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": f"{level_name} — {scheme_name}",
        "issuer": issuer_profile,
        "validFrom": valid_from,
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": identity_objects(subject_identity),
            "achievement": achievement,
            "result": [{"type": ["Result"], "resultDescription": hours_id, "value": format_hours(hours)}],
        },
        "credentialStatus": status_entries,
        "evidence": [
            {
                "id": item.credential_url,
                "type": ["Evidence"],
                "name": item.title,
                "narrative": text.get("levels.credential.evidence_hours", language, hours=format_hours(item.hours)),
            }
            for item in counted
        ],
    }
