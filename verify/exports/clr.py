"""CLR 2.0 export: one `ClrCredential` bundling a volunteer's credentials. Pure; the service signs it.

Each credential is embedded exactly as issued (the same JSON object, its own proof included), so it still verifies
on its own; the platform's proof over the bundle covers them unchanged. `achievement` repeats each credential's
achievement, as CLR 2.0 asks of a transcript, and `identifier` carries the identity objects the credentials
already state (a pseudonymous volunteer's salted hashes, a named volunteer's name): nothing new about the person.
"""

from __future__ import annotations

import json
from typing import Any

from credentials.document import OB_CONTEXT, VC_V2_CONTEXT, VOLUNTEER_CONTEXT

CLR_CONTEXT = "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json"
CLR_CONTEXTS = [VC_V2_CONTEXT, CLR_CONTEXT, OB_CONTEXT]


def _contexts(credentials: list[dict]) -> list[str]:
    """The CLR's contexts: the published ones, and the project's context of earlier releases only when a bundled
    credential was issued with it (the achievements repeated in `achievement` then use its terms)."""
    old = any(VOLUNTEER_CONTEXT in _as_list(credential.get("@context")) for credential in credentials)
    return [*CLR_CONTEXTS, VOLUNTEER_CONTEXT] if old else list(CLR_CONTEXTS)


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def build_clr(
    credentials: list[dict], *, clr_id: str, issuer: dict, valid_from: str, name: str, description: str
) -> dict:
    """The unsigned ClrCredential over `credentials` (each a signed credential, embedded unchanged)."""
    if not credentials:
        raise ValueError("a CLR bundles at least one credential")
    achievements, identifiers, seen = [], [], set()
    for credential in credentials:
        subject = credential.get("credentialSubject")
        if not isinstance(subject, dict):
            continue
        if isinstance(subject.get("achievement"), dict):
            achievements.append(subject["achievement"])
        for identifier in _as_list(subject.get("identifier")):
            key = json.dumps(identifier, sort_keys=True)
            if isinstance(identifier, dict) and key not in seen:
                seen.add(key)
                identifiers.append(identifier)
    clr_subject: dict[str, Any] = {"type": ["ClrSubject"]}
    if identifiers:
        clr_subject["identifier"] = identifiers
    clr_subject["verifiableCredential"] = list(credentials)
    if achievements:
        clr_subject["achievement"] = achievements
    return {
        "@context": _contexts(credentials),
        "id": clr_id,
        "type": ["VerifiableCredential", "ClrCredential"],
        "issuer": issuer,
        "validFrom": valid_from,
        "name": name,
        "description": description,
        "credentialSubject": clr_subject,
    }
