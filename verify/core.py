"""The verifier: every check a credential needs, each with a status and a plain-language reason, and one verdict.

Pure domain code. What it needs from the world comes through `VerificationPorts` (DID documents and the trust
registry from the service's own data, status lists from the service's own store): verification never fetches
anything from the network.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from cachetools import LRUCache

from base.i18n import Text, messages
from credentials.proofs import shapes
from credentials.proofs.dataintegrity import (
    VERIFYING_SUITES,
    ProofError,
    ProofResult,
    without_proof,
)
from credentials.proofs.dataintegrity import (
    verify as verify_proofs,
)
from credentials.proofs.jsonld import DocumentLoader, DocumentLoaderError, StrictExpansionError
from credentials.proofs.rdfc import WORK_LIMIT_REASON, CanonicalizationError, canonicalize_quads
from credentials.proofs.statuslist import StatusListError, decode_list, get_bit
from credentials.proofs.vcdm import parse_date_time_stamp

VC_V2 = "https://www.w3.org/ns/credentials/v2"
VC_V1 = "https://www.w3.org/2018/credentials/v1"

# The verdicts, from worst to best: the first one any check calls for wins. People see three kinds: not valid
# (red), cannot be confirmed (amber) and valid (green, only for an issuer the registry knows); see verify.view.tone.
VERDICTS = (
    # Not valid: the signature does not vouch for this content (altered after signing, forged, signed with a key
    # reported compromised before it signed, not signed by its issuer) or the document is malformed.
    "invalid",
    "revoked",  # not valid: its issuer revoked it (its revocation status list says so)
    "suspended",  # not valid for now: its issuer suspended it (its suspension status list says so)
    "expired",  # not valid any more: its validUntil has passed
    "not_yet_valid",  # not valid yet: its validFrom is in the future
    # Cannot be confirmed: a check could not run -- the issuer's key or a status list is not one this service holds
    # (verification never fetches), or the cryptosuite is one we do not implement. Nothing found wrong, nothing proven.
    "could_not_check",
    # Cannot be confirmed: correctly signed, not revoked, in its validity period -- but by an issuer the trust
    # registry does not know, so who issued it cannot be told. VC-API `verified` is true (trust is not proof).
    "unknown_issuer",
    # Valid: correctly signed by an organisation the registry knows (named as the registry knows it), not revoked or
    # suspended, in its validity period.
    "valid",
)
# VC-API `verified`: the proof, the status and the validity period hold; who the issuer is, is a check of its own.
VERIFIED_VERDICTS = frozenset({"unknown_issuer", "valid"})
PASSED, FAILED, COULD_NOT_CHECK, WARNING = "passed", "failed", "could_not_check", "warning"


class StatusListUnavailable(Exception):
    """The status list could not be had (not ours and never fetched, or unknown): the check could not run."""


@dataclass(frozen=True)
class StoredCredential:
    """A credential this service issued, as it stored it."""

    issued_at: datetime
    document: dict[str, Any]


@dataclass(frozen=True)
class KeyHistory:
    """What the registry knows of a verification method."""

    status: str  # active, retired, compromised
    compromised_at: datetime | None = None


class VerificationPorts(Protocol):
    loader: DocumentLoader

    def resolve_did(self, did: str) -> dict[str, Any] | None: ...

    def registry_entry(self, did: str) -> dict[str, Any] | None: ...

    def key_history(self, method_id: str) -> KeyHistory | None: ...

    def issued_here(self, credential_id: str) -> StoredCredential | None: ...

    def status_list(self, url: str | None) -> dict[str, Any]: ...

    def now(self) -> datetime: ...


@dataclass
class CheckResult:
    name: str
    status: str
    reason: Text
    details: dict[str, Any] = field(default_factory=dict)
    verdict: str | None = None  # the verdict this check calls for when it is not passed

    def as_json(self, lang: str) -> dict[str, Any]:
        return {
            "check": self.name,
            "status": self.status,
            "reason": self.reason.in_language(lang),
            "reason_lv": self.reason.lv,
            "reason_en": self.reason.en,
            **({"details": self.details} if self.details else {}),
        }


@dataclass
class Verification:
    verdict: str
    checks: list[CheckResult]
    credential: dict[str, Any] | None
    issuer: dict[str, Any] | None  # the registry's entry, never the credential's own claims
    # the credential's RDF dataset without its proofs, as the proof check saw it (None when it did not expand):
    # what pages and exports read (`credentials.reading`), so that they show what was verified
    dataset: list[Any] | None = field(default=None, repr=False, compare=False)

    @property
    def verified(self) -> bool:
        """VC-API `verified`: proof, status and validity hold (an unknown issuer is a warning, not a failure)."""
        return self.verdict in VERIFIED_VERDICTS

    @property
    def trusted(self) -> bool:
        """What people are told is valid: all of `verified`, by an organisation the registry knows."""
        return self.verdict == "valid"

    def verdict_text(self) -> Text:
        return messages().text(f"verify.verdict.{self.verdict}")

    def as_vc_api(self, lang: str) -> dict[str, Any]:
        """The VC-API verify response, with our per-check detail beside it."""
        return {
            "verified": self.verified,
            "verdict": self.verdict,
            "verdict_text": self.verdict_text().in_language(lang),
            "checks": [c.name for c in self.checks if c.status == PASSED],
            "warnings": [c.as_json(lang) for c in self.checks if c.status == WARNING],
            "errors": [c.as_json(lang) for c in self.checks if c.status in (FAILED, COULD_NOT_CHECK)],
            "results": [c.as_json(lang) for c in self.checks],
            "issuer": self.issuer,
        }


def _text(key: str, **params: object) -> Text:
    return messages().text(key, **params)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _parse_time(value: Any) -> datetime | None:
    return parse_date_time_stamp(value)  # the issuer's rule: a dateTimeStamp naming a real moment, else None


def issuer_id(credential: dict[str, Any]) -> str | None:
    issuer = credential.get("issuer")
    value = issuer.get("id") if isinstance(issuer, dict) else issuer
    return value if isinstance(value, str) else None


# --- the checks ---------------------------------------------------------------------------------------------------


def check_shape(credential: Any) -> CheckResult:
    """Well-formed VC 2.0 (required properties, types, dates with time zones) and the OB 3.0 shape."""
    problems: list[str] = []
    if not isinstance(credential, dict):
        return CheckResult("shape", FAILED, _text("verify.shape.not_object"), verdict="invalid")
    contexts = _as_list(credential.get("@context"))
    if not contexts or contexts[0] not in (VC_V2, VC_V1):
        problems.append("@context")
    types = _as_list(credential.get("type"))
    if "VerifiableCredential" not in types:
        problems.append("type")
    if issuer_id(credential) is None:
        problems.append("issuer")
    if not isinstance(credential.get("credentialSubject"), (dict, list)) or not credential.get("credentialSubject"):
        problems.append("credentialSubject")
    for name in ("validFrom", "validUntil"):
        if name in credential and _parse_time(credential[name]) is None:
            problems.append(name)
    if "OpenBadgeCredential" in types or "AchievementCredential" in types:
        subject = credential.get("credentialSubject")
        achievement = subject.get("achievement") if isinstance(subject, dict) else None
        if not isinstance(achievement, dict) or "Achievement" not in _as_list(achievement.get("type")):
            problems.append("credentialSubject.achievement")
        elif not achievement.get("name") or not isinstance(achievement.get("criteria"), dict):
            problems.append("credentialSubject.achievement.name/criteria")
        issuer = credential.get("issuer")
        if not isinstance(issuer, dict) or "Profile" not in _as_list(issuer.get("type")):
            problems.append("issuer.type")
    if problems:
        return CheckResult(
            "shape",
            FAILED,
            _text("verify.shape.failed", fields=", ".join(problems)),
            {"fields": problems},
            verdict="invalid",
        )
    return CheckResult("shape", PASSED, _text("verify.shape.ok"))


@dataclass
class Expansion:
    """The expansion check, and the document's canonical form that came with it (None when it could not be made):
    the proof check signs over the same form, so each credential is expanded and canonicalised once."""

    check: CheckResult
    canonical_form: str | None = None
    refused: CheckResult | None = None  # canonicalization refused a "poison" graph: what the proof check reports
    quads: list[Any] | None = None  # the dataset the canonical form was made from


def check_expansion(credential: dict[str, Any], loader: DocumentLoader) -> Expansion:
    """JSON-LD expansion with the bundled contexts only: an unknown context or an undefined term is an error.

    The document is expanded without its proofs (each proof is expanded, as strictly, when its signature is
    checked), which is the form its proofs sign."""
    try:
        quads = shapes.quads(without_proof(credential), loader=loader)
    except DocumentLoaderError as error:
        return Expansion(
            CheckResult("jsonld", FAILED, _text("verify.jsonld.unknown_context", detail=str(error)), verdict="invalid")
        )
    except StrictExpansionError as error:
        return Expansion(
            CheckResult("jsonld", FAILED, _text("verify.jsonld.undefined_term", detail=str(error)), verdict="invalid")
        )
    except Exception as error:  # PyLD's JsonLdError and kin: malformed JSON-LD
        return Expansion(
            CheckResult(
                "jsonld", FAILED, _text("verify.jsonld.malformed", detail=type(error).__name__), verdict="invalid"
            )
        )
    passed = CheckResult("jsonld", PASSED, _text("verify.jsonld.ok"))
    try:
        return Expansion(passed, canonicalize_quads(quads), quads=quads)
    except CanonicalizationError as error:
        # Reported as the proof's failure, without a second canonicalization at the work limit.
        return Expansion(passed, refused=_too_complex_result([str(error)]), quads=quads)


def proof_checks(expansion: Expansion, check: Callable[[str | None], list[CheckResult]]) -> list[CheckResult]:
    """The proof checks over the expanded document's canonical form, or the refusal when there is none."""
    return [expansion.refused] if expansion.refused else check(expansion.canonical_form)


def check_dates(credential: dict[str, Any], now: datetime) -> list[CheckResult]:
    valid_from, valid_until = _parse_time(credential.get("validFrom")), _parse_time(credential.get("validUntil"))
    results = []
    if valid_from and valid_from > now:
        results.append(
            CheckResult(
                "validFrom",
                FAILED,
                _text("verify.dates.not_yet_valid", when=credential["validFrom"]),
                verdict="not_yet_valid",
            )
        )
    else:
        results.append(CheckResult("validFrom", PASSED, _text("verify.dates.valid_from_ok")))
    if valid_until and valid_until < now:
        results.append(
            CheckResult(
                "validUntil", FAILED, _text("verify.dates.expired", when=credential["validUntil"]), verdict="expired"
            )
        )
    elif valid_until:
        results.append(
            CheckResult("validUntil", PASSED, _text("verify.dates.valid_until_ok", when=credential["validUntil"]))
        )
    return results


def check_issuer(credential: dict[str, Any], ports: VerificationPorts) -> tuple[CheckResult, dict[str, Any] | None]:
    did = issuer_id(credential)
    entry = ports.registry_entry(did) if did else None
    if entry is None:  # a check of its own, apart from the proof: a warning for VC-API, amber for people
        return CheckResult(
            "issuer", WARNING, _text("verify.issuer.unknown", did=did or "-"), verdict="unknown_issuer"
        ), None
    details = {
        "legal_name": entry["legal_name"],
        "registration_number": entry["registration_number"],
        "status": entry["status"],
    }
    if entry.get("kind") == "platform":  # the service itself, signing a bundle (CLR) of issuers' credentials
        return CheckResult("issuer", PASSED, _text("verify.issuer.platform", name=entry["legal_name"]), details), entry
    if entry["status"] != "verified":
        return CheckResult(
            "issuer", WARNING, _text("verify.issuer.suspended", name=entry["legal_name"]), details
        ), entry
    return CheckResult(
        "issuer",
        PASSED,
        _text("verify.issuer.ok", name=entry["legal_name"], number=entry["registration_number"]),
        details,
    ), entry


def check_proof(
    credential: dict[str, Any], ports: VerificationPorts, canonical_form: str | None = None
) -> list[CheckResult]:
    """The Data Integrity proofs, each checked against its own verification method (from the registry, or did:key).

    The credential needs a valid proof by its issuer, with the key's status judged at the credential's time: retired
    keys are fine, compromised ones are not -- unless this is the very document this service issued with that key
    before the compromise. Proofs by other parties (a witness, an endorser) may be there too: each is reported, and
    none of them makes or breaks the credential."""
    proofs = _as_list(credential.get("proof"))
    if not proofs:
        return [CheckResult("proof", FAILED, _text("verify.proof.missing"), verdict="invalid")]
    issuer = issuer_id(credential)
    key_checks: list[CheckResult] = []
    unresolved: set[str] = set()  # verification methods whose DID this service cannot resolve (it never fetches)

    def resolve(method_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
        did = method_id.split("#", 1)[0]
        document = ports.resolve_did(did)
        if document is None:
            unresolved.add(method_id)
            raise ProofError(f"{did} is neither in the registry nor a did:key (nothing is fetched)")
        if did == issuer:
            document = judge_issuer_key(method_id, document)
        method = next((m for m in document.get("verificationMethod", []) if m.get("id") == method_id), None)
        if method is None:
            raise ProofError(f"{method_id} is not in {did}'s DID document")
        return {"@context": document.get("@context"), **method}, document

    def judge_issuer_key(method_id: str, document: dict[str, Any]) -> dict[str, Any]:
        history = ports.key_history(method_id)
        if history is not None and history.status == "compromised":
            if _issued_here_before(credential, method_id, history, ports):
                # Our own issuance log holds this very document, signed before the compromise: judge it with the key
                # as it was then.
                key_checks.append(CheckResult("key", WARNING, _text("verify.key.compromised_later")))
                return _with_assertion(document, method_id)
            key_checks.append(CheckResult("key", FAILED, _text("verify.key.compromised"), verdict="invalid"))
        elif history is not None and history.status == "retired":
            key_checks.append(CheckResult("key", PASSED, _text("verify.key.retired")))
        else:
            key_checks.append(CheckResult("key", PASSED, _text("verify.key.ok")))
        return document

    outcome = verify_proofs(
        credential,
        loader=ports.loader,
        resolve_verification_method=resolve,
        suites=VERIFYING_SUITES,
        canonical_form=canonical_form,
    )
    if too_complex := _too_complex(outcome):
        return [*key_checks, too_complex]
    by_issuer = [p for p in outcome.proofs if issuer and _signer(p) == issuer]
    results = [
        *key_checks,
        _issuer_proof_check(
            by_issuer, [p for p in outcome.proofs if p not in by_issuer], issuer, proofs, unresolved, key_checks, ports
        ),
    ]
    for other in outcome.proofs:
        if other not in by_issuer:
            results.append(_other_proof_check(other, unresolved))
    return results


def _signed_with(proof: ProofResult) -> str | None:
    """The proof's verification method, if it names one as it should (a string)."""
    return proof.verification_method if isinstance(proof.verification_method, str) else None


def _signer(proof: ProofResult) -> str | None:
    """The DID whose key made the proof (its verification method without the fragment)."""
    method = _signed_with(proof)
    return method.split("#", 1)[0] if method else None


def _issuer_proof_check(
    by_issuer: list[ProofResult],
    others: list[ProofResult],
    issuer: str | None,
    proofs: list[Any],
    unresolved: set[str],
    key_checks: list[CheckResult],
    ports: VerificationPorts,
) -> CheckResult:
    if not by_issuer:
        signers = ", ".join(sorted({_signer(p) or "?" for p in others}))
        if issuer and ports.resolve_did(issuer) is not None:
            # As @digitalbazaar/vc does: a key speaks for the issuer only if the issuer controls it.
            return CheckResult(
                "proof",
                FAILED,
                _text("verify.proof.not_by_issuer", issuer=issuer, signers=signers),
                {"reasons": [r for p in others for r in _proof_reasons(p)]},
                verdict="invalid",
            )
        return CheckResult(
            "proof",
            COULD_NOT_CHECK,
            _text("verify.proof.issuer_unresolvable", issuer=issuer or "-", signers=signers),
            verdict="could_not_check",
        )
    failed = [p for p in by_issuer if not p.verified]
    if not failed:
        suites = sorted(
            {
                p["cryptosuite"]
                for p in proofs
                if isinstance(p, dict)
                and isinstance(p.get("cryptosuite"), str)
                and isinstance(p.get("verificationMethod"), str)
                and p["verificationMethod"].split("#", 1)[0] == issuer
            }
        )
        return CheckResult("proof", PASSED, _text("verify.proof.ok", suites=", ".join(suites)))
    reasons = [r for p in failed for r in _proof_reasons(p)]
    if any(c.status == FAILED for c in key_checks):  # the key check already says why: compromised
        return CheckResult(
            "proof", FAILED, _text("verify.proof.key_compromised"), {"reasons": reasons}, verdict="invalid"
        )
    if all(_unchecked(p, unresolved) for p in failed):
        if any(_signed_with(p) in unresolved for p in failed):
            return CheckResult(
                "proof",
                COULD_NOT_CHECK,
                _text("verify.proof.key_unavailable", did=issuer),
                {"reasons": reasons},
                verdict="could_not_check",
            )
        return CheckResult(
            "proof", COULD_NOT_CHECK, _text("verify.proof.unsupported"), {"reasons": reasons}, verdict="could_not_check"
        )
    return CheckResult("proof", FAILED, _text("verify.proof.failed"), {"reasons": reasons}, verdict="invalid")


def _unchecked(proof: ProofResult, unresolved: set[str]) -> bool:
    """Whether the proof failed only because it could not be checked here (its key's DID is not resolvable without
    fetching, or its cryptosuite is not one we implement), not because anything about it is wrong."""
    failing = [c for c in proof.checks if not c.ok]
    return bool(failing) and all(
        (c.name == "verificationMethod" and _signed_with(proof) in unresolved)
        or (c.name == "cryptosuite" and c.reason.startswith("unsupported cryptosuite"))
        for c in failing
    )


def _proof_reasons(proof: ProofResult) -> list[str]:
    return [f"proof {proof.index}: {c.name}: {c.reason}" for c in proof.checks if not c.ok]


def _other_proof_check(proof: ProofResult, unresolved: set[str]) -> CheckResult:
    """A proof by another party than the issuer (a witness, an endorser): reported, never decisive."""
    signer = _signer(proof) or "?"
    if proof.verified:
        return CheckResult("additionalProof", PASSED, _text("verify.proof.other_ok", signer=signer))
    key = "verify.proof.other_unchecked" if _unchecked(proof, unresolved) else "verify.proof.other_failed"
    return CheckResult("additionalProof", WARNING, _text(key, signer=signer), {"reasons": _proof_reasons(proof)})


def _issued_here_before(
    credential: dict[str, Any], method_id: str, history: KeyHistory, ports: VerificationPorts
) -> bool:
    """Whether the presented credential is the very document this service issued with the now compromised key
    before the compromise: same id, same issuer, and every proof it carries by that key has the proof value of one
    the stored document carries. Ids are public (QR codes, /v/ links), so the id alone proves nothing: a forger
    holding the stolen key can sign anything under a genuine id. A proof value, on a proof that verifies, stands for
    the one content it was made over: equal values, equal signed content."""
    credential_id = credential.get("id")
    if not isinstance(credential_id, str) or history.compromised_at is None:
        return False
    stored = ports.issued_here(credential_id)
    if stored is None or stored.issued_at >= history.compromised_at:
        return False
    return is_stored_document(credential, stored.document, method_id)


def is_stored_document(presented: dict[str, Any], stored: dict[str, Any], method_id: str | None = None) -> bool:
    """Whether `presented` is the document stored here (or one of its proofs by `method_id`): the same issuer, and
    every proof it carries has the proof value of one the stored document carries."""
    if issuer_id(stored) != issuer_id(presented):
        return False

    def proof_values(document: dict[str, Any]) -> set[str]:
        return {
            p["proofValue"]
            for p in _as_list(document.get("proof"))
            if isinstance(p, dict)
            and method_id in (None, p.get("verificationMethod"))
            and isinstance(p.get("proofValue"), str)
        }

    values = proof_values(presented)
    return bool(values) and values <= proof_values(stored)


def _too_complex(outcome: Any) -> CheckResult | None:
    """Canonicalization refused the document as a "poison" graph (see credentials.proofs.rdfc): say so, not "altered"."""
    if any(
        check.name == "canonicalization" and not check.ok and WORK_LIMIT_REASON in check.reason
        for proof in outcome.proofs
        for check in proof.checks
    ):
        return _too_complex_result(outcome.reasons)
    return None


def _too_complex_result(reasons: list[str]) -> CheckResult:
    return CheckResult("proof", FAILED, _text("verify.proof.too_complex"), {"reasons": reasons}, verdict="invalid")


def _with_assertion(document: dict[str, Any], method_id: str) -> dict[str, Any]:
    assertion = list(document.get("assertionMethod", []))
    if method_id not in assertion:
        assertion.append(method_id)
    return {**document, "assertionMethod": assertion}


def check_status(credential: dict[str, Any], ports: VerificationPorts) -> list[CheckResult]:
    entries = [e for e in _as_list(credential.get("credentialStatus")) if isinstance(e, dict)]
    if not entries:
        return [CheckResult("status", WARNING, _text("verify.status.none"))]
    results = []
    for entry in entries:
        purpose = entry.get("statusPurpose", "")
        name = f"status:{purpose}"
        if entry.get("type") != "BitstringStatusListEntry" or purpose not in ("revocation", "suspension"):
            results.append(
                CheckResult(name, COULD_NOT_CHECK, _text("verify.status.unsupported"), verdict="could_not_check")
            )
            continue
        url = entry.get("statusListCredential")
        try:
            index = _status_list_index(entry.get("statusListIndex"))
            status_credential = ports.status_list(url)
            subject = status_credential["credentialSubject"]
            if subject.get("statusPurpose") != purpose:
                raise StatusListError("the list's purpose differs from the entry's")
            if issuer_id(status_credential) != issuer_id(credential) and not _same_registry_issuer(
                ports, issuer_id(status_credential), issuer_id(credential)
            ):
                raise StatusListError("the list is not the credential issuer's")
            bit = get_bit(verified_list_bits(status_credential, ports), index)
        except (StatusListUnavailable, StatusListError, KeyError, TypeError, ValueError, IndexError) as error:
            results.append(
                CheckResult(
                    name,
                    COULD_NOT_CHECK,
                    _text("verify.status.unavailable", purpose=purpose, detail=str(error)),
                    verdict="could_not_check",
                )
            )
            continue
        if bit:
            verdict = "revoked" if purpose == "revocation" else "suspended"
            results.append(CheckResult(name, FAILED, _text(f"verify.status.{verdict}"), verdict=verdict))
        else:
            results.append(CheckResult(name, PASSED, _text(f"verify.status.not_{purpose}")))
    return results


def _status_list_index(value: Any) -> int:
    """A status list index as Bitstring Status List writes it: base-10 digits in a string, nothing else (`int` would
    also take "-1", which Python reads from the end of the list, " 5", "+5" and "5_0")."""
    if not isinstance(value, str) or not value.isascii() or not value.isdigit():
        raise StatusListError(f"statusListIndex {value!r} is not a non-negative integer written in a string")
    return int(value)


# SHA-256 of (a status list credential, the DID documents its proofs name as the registry has them now) -> the
# list's decoded bits, for lists whose signature verified: a list version is checked and decoded once per process,
# not once per credential that points into it. A new version (new bits, new proof) or a change to the signer's DID
# document (a key added or dropped) makes a new key, so nothing stale is ever answered.
_verified_lists: LRUCache[Any, Any] = LRUCache(maxsize=256)
_verified_lists_lock = threading.Lock()


def verified_list_bits(status_credential: dict[str, Any], ports: VerificationPorts) -> bytes:
    """The decoded bits of a status list credential whose proof verifies; raises StatusListError otherwise."""
    signers = sorted(
        {
            proof["verificationMethod"].split("#", 1)[0]
            for proof in _as_list(status_credential.get("proof"))
            if isinstance(proof, dict) and isinstance(proof.get("verificationMethod"), str)
        }
    )
    content = json.dumps(
        [status_credential, [ports.resolve_did(did) for did in signers]],
        sort_keys=True,
        ensure_ascii=False,
        default=str,
    )
    key = hashlib.sha256(content.encode("utf-8")).digest()
    with _verified_lists_lock:
        bits = _verified_lists.get(key)
    if bits is None:
        proof = verify_proofs(
            status_credential, loader=ports.loader, resolve_verification_method=_plain_resolver(ports)
        )
        if not proof.verified:
            raise StatusListError("the list's signature does not verify")
        bits = decode_list(status_credential["credentialSubject"]["encodedList"])
        with _verified_lists_lock:
            _verified_lists[key] = bits
    return bits


def _same_registry_issuer(ports: VerificationPorts, first: str | None, second: str | None) -> bool:
    if not first or not second:
        return False
    a, b = ports.registry_entry(first), ports.registry_entry(second)
    return bool(a and b and a["did"] == b["did"])


def _plain_resolver(ports: VerificationPorts) -> Callable[[str], tuple[dict[str, Any], dict[str, Any]]]:
    def resolve(method_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
        did = method_id.split("#", 1)[0]
        document = ports.resolve_did(did)
        if document is None:
            raise ProofError(f"{did} cannot be resolved")
        method = next((m for m in document.get("verificationMethod", []) if m.get("id") == method_id), None)
        if method is None:
            raise ProofError(f"{method_id} is not in {did}'s DID document")
        return {"@context": document.get("@context"), **method}, document

    return resolve


def verify_credential(credential: Any, ports: VerificationPorts) -> Verification:
    """Runs every check that can run and derives one verdict; never `valid` when a check could not run."""
    shape = check_shape(credential)
    if shape.status == FAILED and not isinstance(credential, dict):
        return Verification("invalid", [shape], None, None)
    checks = [shape]
    expansion = check_expansion(credential, ports.loader)
    checks.append(expansion.check)
    expanded = expansion.check.status == PASSED
    if expanded:
        checks.extend(proof_checks(expansion, lambda canonical_form: check_proof(credential, ports, canonical_form)))
    issuer_check, entry = check_issuer(credential, ports)
    checks.append(issuer_check)
    checks.extend(check_dates(credential, ports.now()))
    if expanded:
        checks.extend(check_status(credential, ports))
    return Verification(worst_verdict(checks), checks, credential, entry, dataset=expansion.quads)


def worst_verdict(checks: list[CheckResult], also: AbstractSet[str] = frozenset()) -> str:
    """The first verdict, from worst to best, that a check not passed (or `also`) calls for; else valid."""
    wanted = {c.verdict for c in checks if c.verdict and c.status != PASSED} | also
    return next((v for v in VERDICTS if v in wanted), "valid")


# --- presentations ------------------------------------------------------------------------------------------------

MAX_PRESENTED_CREDENTIALS = 50  # each costs a full verification; a real presentation carries a few


@dataclass
class PresentationVerification:
    """The presentation's own checks (shape, proof, challenge, domain) and one verification per credential."""

    verdict: str
    checks: list[CheckResult]
    credentials: list[Verification]

    @property
    def verified(self) -> bool:
        """VC-API `verified`: the holder's proof, challenge and domain, and every credential's proof, status and
        validity hold (credentials from issuers the registry does not know are warnings in their own results)."""
        return self.verdict in VERIFIED_VERDICTS

    def as_vc_api(self, lang: str) -> dict[str, Any]:
        """The VC-API verify-presentation response, with per-check detail and each credential's result."""
        return {
            "verified": self.verified,
            "verdict": self.verdict,
            "verdict_text": messages().get(f"verify.verdict.{self.verdict}", lang),
            "checks": [c.name for c in self.checks if c.status == PASSED],
            "warnings": [c.as_json(lang) for c in self.checks if c.status == WARNING],
            "errors": [c.as_json(lang) for c in self.checks if c.status in (FAILED, COULD_NOT_CHECK)],
            "presentationResult": {
                "verified": all(c.status != FAILED for c in self.checks),
                "results": [c.as_json(lang) for c in self.checks],
            },
            "credentialResults": [result.as_vc_api(lang) for result in self.credentials],
        }


def check_presentation_shape(presentation: Any) -> CheckResult:
    if not isinstance(presentation, dict):
        return CheckResult("shape", FAILED, _text("verify.shape.not_object"), verdict="invalid")
    problems = []
    if _as_list(presentation.get("@context"))[:1] != [VC_V2]:
        problems.append("@context")
    if "VerifiablePresentation" not in _as_list(presentation.get("type")):
        problems.append("type")
    credentials = _as_list(presentation.get("verifiableCredential"))
    if not all(isinstance(c, dict) for c in credentials) or len(credentials) > MAX_PRESENTED_CREDENTIALS:
        problems.append(f"verifiableCredential (JSON objects, at most {MAX_PRESENTED_CREDENTIALS})")
    if problems:
        return CheckResult(
            "shape",
            FAILED,
            _text("verify.presentation.shape_failed", fields=", ".join(problems)),
            {"fields": problems},
            verdict="invalid",
        )
    return CheckResult("shape", PASSED, _text("verify.presentation.shape_ok"))


def check_presentation_proof(
    presentation: dict[str, Any],
    ports: VerificationPorts,
    challenge: str | None,
    domain: str | None,
    canonical_form: str | None = None,
) -> list[CheckResult]:
    """The holder's `authentication` proof over the presentation, bound to the verifier's challenge and domain."""
    proofs = [p for p in _as_list(presentation.get("proof")) if isinstance(p, dict)]
    if not proofs:
        return [CheckResult("proof", FAILED, _text("verify.presentation.proof_missing"), verdict="invalid")]
    resolve = _plain_resolver(ports)
    holder = presentation.get("holder")
    holder = holder.get("id") if isinstance(holder, dict) else holder

    def resolve_holder_key(method_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
        if holder and method_id.split("#", 1)[0] != holder:  # only the holder's own keys speak for the holder
            raise ProofError(f"{method_id} is not controlled by the holder {holder}")
        return resolve(method_id)

    outcome = verify_proofs(
        presentation,
        loader=ports.loader,
        resolve_verification_method=resolve_holder_key,
        suites=VERIFYING_SUITES,
        expected_proof_purpose="authentication",
        canonical_form=canonical_form,
    )
    results = []
    if outcome.verified:
        results.append(CheckResult("proof", PASSED, _text("verify.presentation.proof_ok")))
    elif too_complex := _too_complex(outcome):
        results.append(too_complex)
    else:
        results.append(
            CheckResult(
                "proof",
                FAILED,
                _text("verify.presentation.proof_failed"),
                {"reasons": outcome.reasons},
                verdict="invalid",
            )
        )
    # Signed values: only meaningful once the proof verified, but reported either way so the reason is plain.
    if challenge is None:
        results.append(
            CheckResult("challenge", FAILED, _text("verify.presentation.challenge_not_given"), verdict="invalid")
        )
    elif any(p.get("challenge") != challenge for p in proofs):
        results.append(
            CheckResult("challenge", FAILED, _text("verify.presentation.challenge_mismatch"), verdict="invalid")
        )
    else:
        results.append(CheckResult("challenge", PASSED, _text("verify.presentation.challenge_ok")))
    if domain is not None:
        if not all(domain in _as_list(p.get("domain")) for p in proofs):
            results.append(
                CheckResult(
                    "domain", FAILED, _text("verify.presentation.domain_mismatch", domain=domain), verdict="invalid"
                )
            )
        else:
            results.append(CheckResult("domain", PASSED, _text("verify.presentation.domain_ok", domain=domain)))
    return results


def refused_by_shape(presentation: Any) -> PresentationVerification | None:
    """The verdict on a presentation of the wrong shape (too many credentials, say), which needs no other work; None
    when its shape is right. Cheap: callers ask it before any bound that costs work."""
    shape = check_presentation_shape(presentation)
    return PresentationVerification("invalid", [shape], []) if shape.status == FAILED else None


def verify_presentation(
    presentation: Any, ports: VerificationPorts, *, challenge: str | None = None, domain: str | None = None
) -> PresentationVerification:
    """Verifies the presentation's proof (challenge, domain) and each credential in it; the worst verdict wins."""
    shape = check_presentation_shape(presentation)
    if shape.status == FAILED:
        return PresentationVerification("invalid", [shape], [])
    expansion = check_expansion(presentation, ports.loader)
    checks = [shape, expansion.check]
    if expansion.check.status == PASSED:
        checks.extend(
            proof_checks(
                expansion,
                lambda canonical_form: check_presentation_proof(presentation, ports, challenge, domain, canonical_form),
            )
        )
    # A presentation without credentials is valid (VC DM 2.0): the holder proves control of its key, bound to the
    # challenge and domain, and nothing more.
    credentials = [verify_credential(c, ports) for c in _as_list(presentation.get("verifiableCredential"))]
    return PresentationVerification(worst_verdict(checks, {r.verdict for r in credentials}), checks, credentials)


def utc_now() -> datetime:
    return datetime.now(UTC)
