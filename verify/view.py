"""What the public verification page shows of a verification: pure, in one language, from the verification and
the competence catalogue. Who issued it comes from the registry entry, never from the credential's own claims."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from catalogue import load_catalogue
from verify.core import COULD_NOT_CHECK, FAILED, PASSED, WARNING, Verification

# Three tones for people (verify.core.VERDICTS says what each verdict means). Green only for a valid credential from
# an organisation the registry knows; amber for one that cannot be confirmed (correctly signed by an issuer we cannot
# identify, or a check that could not run) -- never green for an unknown issuer; red for every way of not being
# valid (altered, revoked, suspended, expired, not yet valid), each with its reason.
GOOD, CAUTION = frozenset({"valid"}), frozenset({"unknown_issuer", "could_not_check"})
STATUS_MARK = {PASSED: "✓", FAILED: "✗", COULD_NOT_CHECK: "?", WARNING: "!"}


@dataclass
class Competence:
    label: str
    uri: str
    self_attested: bool

    @property
    def linkable(self) -> bool:
        """Only web addresses become links: a pasted credential could carry a `javascript:` URI."""
        return self.uri.startswith(("http://", "https://"))


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def tone(verdict: str) -> str:
    return "good" if verdict in GOOD else "caution" if verdict in CAUTION else "bad"


def credential_summary(credential: Any, lang: str) -> dict:
    """Volunteer (as on the certificate), mission, period, hours and competences, as far as the credential says."""
    if not isinstance(credential, dict):
        return {}
    subject = credential.get("credentialSubject")
    subject = subject if isinstance(subject, dict) else {}
    achievement = subject.get("achievement") if isinstance(subject.get("achievement"), dict) else {}
    catalogue = load_catalogue()
    identities = [i for i in _as_list(subject.get("identifier")) if isinstance(i, dict)]
    name = next((i.get("identityHash") for i in identities
                 if i.get("identityType") == "name" and not i.get("hashed")), None)
    mission = catalogue.mission_types_by_code.get(subject.get("missionType") or "")
    competences = []
    for alignment in _as_list(achievement.get("alignment")):
        if not isinstance(alignment, dict) or not isinstance(alignment.get("targetUrl"), str):
            continue
        known = catalogue.competences_by_uri.get(alignment["targetUrl"])
        competences.append(Competence(
            known.label.in_language(lang) if known else str(alignment.get("targetName", alignment["targetUrl"])),
            alignment["targetUrl"], alignment.get("competenceAttestation") == "self"))
    hours = next((r.get("value") for r in _as_list(subject.get("result"))
                  if isinstance(r, dict) and str(r.get("resultDescription", "")).endswith("#hours")), None)
    return {
        "title": credential.get("name"),
        "volunteer": name,
        "pseudonymous": name is None and bool(identities),
        "mission": mission.name.in_language(lang) if mission else achievement.get("name"),
        "start": subject.get("activityStartDate"),
        "end": subject.get("activityEndDate"),
        "hours": hours,
        "role": subject.get("role"),
        "competences": competences,
        "valid_from": credential.get("validFrom"),
    }


def verification_view(result: Verification, lang: str, *, stored_id: str | None) -> dict:
    """Everything the result template needs. `stored_id`: the credential's id in this service's store, if it is
    one of ours (then the page links its public JSON and exports)."""
    return {
        "verdict": result.verdict,
        "tone": tone(result.verdict),
        "verdict_text": result.verdict_text().in_language(lang),
        "checks": [{"name": c.name, "status": c.status, "mark": STATUS_MARK[c.status],
                    "reason": c.reason.in_language(lang)} for c in result.checks],
        "issuer": result.issuer,
        "summary": credential_summary(result.credential, lang),
        "stored_id": stored_id if result.verdict != "invalid" else None,
    }
