"""What the public verification page shows of a verification: pure, in one language, from the verification and
the competence catalogue. Who issued it comes from the registry entry, never from the credential's own claims."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from catalogue import load_catalogue
from credentials.common import RIGA
from credentials.reading import read_claims
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
    language: str | None = None  # the label's language when the catalogue gives it (English for an untranslated one)

    @property
    def linkable(self) -> bool:
        """Only web addresses become links: a pasted credential could carry a `javascript:` URI."""
        return self.uri.startswith(("http://", "https://"))


def tone(verdict: str) -> str:
    return "good" if verdict in GOOD else "caution" if verdict in CAUTION else "bad"


def credential_summary(credential: Any, lang: str, dataset: list | None = None) -> dict:
    """Volunteer (as on the certificate), mission, period, hours and competences, as far as the credential says:
    read from `dataset`, the RDF dataset the verifier checked (`Verification.dataset`), so that any JSON-LD spelling
    of the same statements shows the same; nothing when the credential did not expand (nothing was verified)."""
    if not isinstance(credential, dict) or not dataset:
        return {}
    claims = read_claims(dataset, credential)
    catalogue = load_catalogue()
    mission = catalogue.mission_types_by_code.get(claims.mission_type or "")
    competences = []
    for claimed in claims.competences:
        known = catalogue.competences_by_uri.get(claimed.uri)
        competences.append(
            Competence(
                known.label.in_language(lang) if known else claimed.name or claimed.uri,
                claimed.uri,
                claimed.attested_by == "self",
                known.label.language_shown(lang) if known else None,
            )
        )
    return {
        "title": claims.title,
        "volunteer": claims.volunteer_name,
        "pseudonymous": claims.pseudonymous,
        "mission": mission.name.in_language(lang) if mission else claims.mission_name,
        "mission_language": mission.name.language_shown(lang) if mission else None,
        "start": claims.start_date,
        "end": claims.end_date,
        "hours": claims.hours,
        "role": claims.role,
        "competences": competences,
        "valid_from": claims.valid_from,
    }


def verification_view(result: Verification, lang: str, *, stored_id: str | None, status=None) -> dict:
    """Everything the result template needs. `stored_id`: the credential's id in this service's store, if it is
    one of ours (then the page links its public JSON and exports). `status`: this service's record of the
    credential's status (`credentials.service.CredentialStatusSummary`), when it is one of ours: when and why it was
    revoked or suspended. The organiser's own words are not shown: they may name a person; their category is."""
    summary = credential_summary(result.credential, lang, result.dataset)
    issued = summary.get("valid_from") if summary else None
    checks = [
        {"name": c.name, "status": c.status, "mark": STATUS_MARK[c.status], "reason": c.reason.in_language(lang)}
        for c in result.checks
    ]
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
    # The day in Latvia, as every date the service shows (between 22:00 and 24:00 UTC the UTC day is the day before).
    day = status.changed_at.astimezone(RIGA).date().isoformat() if status.changed_at else None
    return {"date": day, "category": category}
