"""What the public verification page shows of a verification: pure, in one language, from the verification and
the competence catalogue. Who issued it comes from the registry entry, never from the credential's own claims."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from catalogue import load_catalogue
from verify.core import COULD_NOT_CHECK, FAILED, PASSED, WARNING, Verification

# Verdicts a reader may act on as good news; every other one is shown as a warning or a refusal.
GOOD, CAUTION = {"valid"}, {"could_not_check", "expired", "not_yet_valid", "suspended"}
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


def verification_view(result: Verification, lang: str, *, stored_id: str | None, status=None) -> dict:
    """Everything the result template needs. `stored_id`: the credential's id in this service's store, if it is
    one of ours (then the page links its public JSON and exports). `status`: this service's record of the
    credential's status (`credentials.service.CredentialStatusSummary`), when it is one of ours: when and why it was
    revoked or suspended. The organiser's own words are not shown: they may name a person; their category is."""
    summary = credential_summary(result.credential, lang)
    issued = summary.get("valid_from") if summary else None
    checks = [{"name": c.name, "status": c.status, "mark": STATUS_MARK[c.status],
               "reason": c.reason.in_language(lang)} for c in result.checks]
    return {
        "verdict": result.verdict,
        "tone": tone(result.verdict),
        "verdict_text": result.verdict_text().in_language(lang),
        "checks": checks,
        "checks_passed": sum(1 for c in result.checks if c.status == PASSED),
        "issuer": result.issuer,
        "summary": summary,
        "issued": issued[:10] if isinstance(issued, str) else None,
        "status_change": _status_change(result.verdict, status),
        "stored_id": stored_id if result.verdict != "invalid" else None,
    }


def _status_change(verdict: str, status) -> dict | None:
    """Since when and in which category a revoked or suspended credential is so, from this service's records."""
    if status is None or verdict not in ("revoked", "suspended") or status.status != verdict:
        return None
    if verdict == "suspended":
        category = "on_hold"
    else:
        category = "superseded" if status.superseded_by or status.reason == "superseded" else "withdrawn"
    return {"date": status.changed_at.date().isoformat() if status.changed_at else None, "category": category}
