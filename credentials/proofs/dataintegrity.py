"""Data Integrity proofs (W3C VC Data Integrity 1.0) with the RDFC cryptosuites, as plain functions over suites.

- `sign(document, suite=..., verification_method=..., loader=...)` adds a `DataIntegrityProof` (to a proof set
  when the document already has proofs; to a proof chain when `previous_proof` names earlier proofs).
- `verify(document, loader=...)` checks every proof and returns a `VerificationResult` with a reason per check.

Suites: `Ed25519Signature` (`eddsa-rdfc-2022`, W3C vc-di-eddsa) and `EcdsaP256Signature` (`ecdsa-rdfc-2019` with
P-256, W3C vc-di-ecdsa). Both follow the same transformation and hashing:

    proofConfig  = the proof without proofValue, with "@context" set to the document's @context
    hashData     = SHA-256(RDFC-1.0(proofConfig)) || SHA-256(RDFC-1.0(document without proof))
    proofValue   = "z" + base58btc(signature over hashData)

For a proof chain the "document" above also carries, as its `proof`, the proofs named by `previousProof`.
The document's canonical form is computed once per `sign` call and once per distinct document variant in `verify`
(one for a whole proof set), because canonicalization is where the time goes.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from pyld.jsonld import JsonLdError

from credentials.proofs.jsonld import DocumentLoader, DocumentLoaderError, StrictExpansionError
from credentials.proofs.rdfc import CanonicalizationError, canonicalize
from issuers.multikey import PublicKey, decode_public_multikey, multibase_decode, multibase_encode

PROOF_TYPE = "DataIntegrityProof"
VC_V2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
DATA_INTEGRITY_V2_CONTEXT = "https://w3id.org/security/data-integrity/v2"

# XSD dateTimeStamp as the JavaScript libraries check it (time zone required)
_DATE_TIME = re.compile(
    r"^(\d{4})-(0\d|1[0-2])-([0-2]\d|3[01])T([01]\d|2[0-3]):([0-5]\d):([0-5]\d|60)(\.\d+)?"
    r"(Z|[+-]([01]\d|2[0-3]):([0-5]\d))$",
    re.IGNORECASE,
)


class ProofError(ValueError):
    """A proof cannot be created (bad options, missing previous proof, unsuitable document)."""


# -- suites ----------------------------------------------------------------------------------------------------------


class Suite(Protocol):
    """What `sign` and `verify` need from a cryptosuite."""

    cryptosuite: str

    def sign(self, data: bytes) -> bytes: ...

    def verify(self, public_key: PublicKey, signature: bytes, data: bytes) -> bool: ...


class Ed25519Signature:
    """`eddsa-rdfc-2022`: Ed25519 over the 64 bytes of hashData. A key is needed only for signing."""

    cryptosuite = "eddsa-rdfc-2022"

    def __init__(self, key: Ed25519PrivateKey | None = None):
        self.key = key

    def sign(self, data: bytes) -> bytes:
        if self.key is None:
            raise ProofError("this Ed25519Signature suite has no private key to sign with")
        return self.key.sign(data)

    def verify(self, public_key: PublicKey, signature: bytes, data: bytes) -> bool:
        if not isinstance(public_key, Ed25519PublicKey):
            raise ProofError(f"{self.cryptosuite} needs an Ed25519 key, the verification method holds another type")
        try:
            public_key.verify(signature, data)
        except InvalidSignature:
            return False
        return True


class EcdsaP256Signature:
    """`ecdsa-rdfc-2019` with P-256: ECDSA/SHA-256 over hashData, signature as r || s (64 bytes)."""

    cryptosuite = "ecdsa-rdfc-2019"

    def __init__(self, key: ec.EllipticCurvePrivateKey | None = None):
        self.key = key

    def sign(self, data: bytes) -> bytes:
        if self.key is None:
            raise ProofError("this EcdsaP256Signature suite has no private key to sign with")
        r, s = decode_dss_signature(self.key.sign(data, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")

    def verify(self, public_key: PublicKey, signature: bytes, data: bytes) -> bool:
        if not (isinstance(public_key, ec.EllipticCurvePublicKey) and isinstance(public_key.curve, ec.SECP256R1)):
            raise ProofError(f"{self.cryptosuite} here needs a P-256 key, the verification method holds another type")
        if len(signature) != 64:
            return False
        der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
        try:
            public_key.verify(der, data, ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            return False
        return True


VERIFYING_SUITES: dict[str, Suite] = {
    Ed25519Signature.cryptosuite: Ed25519Signature(),
    EcdsaP256Signature.cryptosuite: EcdsaP256Signature(),
}


# -- shared steps ----------------------------------------------------------------------------------------------------


def format_created(moment: datetime) -> str:
    """An aware datetime as the XSD dateTime a proof carries: UTC, whole seconds, `Z`."""
    if moment.tzinfo is None:
        raise ProofError("created must be a timezone-aware datetime")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def is_date_time_stamp(value: object) -> bool:
    return isinstance(value, str) and _DATE_TIME.match(value) is not None


def _sha256(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def without_proof(document: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in document.items() if key != "proof"}


def _chain_document(unsecured: dict[str, Any], proofs: list[dict[str, Any]], previous: list[str]) -> dict[str, Any]:
    """The document a chained proof signs: the unsecured document carrying the proofs it names."""
    by_id = {proof["id"]: proof for proof in proofs if isinstance(proof, dict) and isinstance(proof.get("id"), str)}
    if not all(isinstance(proof_id, str) for proof_id in previous):
        raise ProofError("previousProof must name proofs by their id (a string or a list of strings)")
    missing = [proof_id for proof_id in previous if proof_id not in by_id]
    if missing:
        raise ProofError("previousProof names proofs the document does not have: " + ", ".join(missing))
    return {**unsecured, "proof": [by_id[proof_id] for proof_id in previous]}


# Proof options and what each must be (VC Data Integrity 1.0, section 2.1). Anything else -- a number where a string
# belongs, an object standing for a JSON-LD node or value -- is refused before any of it is expanded or looked up.
_STRING_OPTIONS = (
    "id",
    "type",
    "cryptosuite",
    "verificationMethod",
    "proofPurpose",
    "proofValue",
    "created",
    "expires",
    "challenge",
    "nonce",
)
_STRING_OR_STRINGS_OPTIONS = ("previousProof", "domain")


def proof_option_problem(proof: Mapping[str, Any]) -> tuple[str, str] | None:
    """(option, reason) for the first proof option of the wrong JSON type, or None when all are well-typed."""
    for key in proof:
        if isinstance(key, str) and key.startswith("@") and key != "@context":
            return key, f"a proof cannot carry the JSON-LD keyword {key}"
    for name in _STRING_OPTIONS:
        if name in proof and not isinstance(proof[name], str):
            return name, f"{name} must be a string, not {_json_type(proof[name])}"
    for name in _STRING_OR_STRINGS_OPTIONS:
        value = proof.get(name)
        if name in proof and not (
            isinstance(value, str)
            or (isinstance(value, list) and value and all(isinstance(item, str) for item in value))
        ):
            return name, f"{name} must be a string or a non-empty list of strings, not {_json_type(value)}"
    return None


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, list):
        return "a list" if all(isinstance(item, str) for item in value) else "a list with non-strings"
    if isinstance(value, dict):
        return "an object"
    return "a string"


def _proof_config_canon(proof: dict[str, Any], context: Any, loader: DocumentLoader) -> str:
    config = {key: value for key, value in proof.items() if key != "proofValue"}
    config["@context"] = context
    return canonicalize(config, loader=loader)


def hash_data(proof_config_canon: str, document_canon: str) -> bytes:
    """SHA-256(canonical proof config) || SHA-256(canonical document)."""
    return _sha256(proof_config_canon) + _sha256(document_canon)


# -- sign ------------------------------------------------------------------------------------------------------------


def sign(
    document: dict[str, Any],
    *,
    suite: Suite,
    verification_method: str,
    proof_purpose: str = "assertionMethod",
    created: datetime | str | None = None,
    loader: DocumentLoader,
    proof_id: str | None = None,
    previous_proof: str | list[str] | None = None,
    challenge: str | None = None,
    domain: str | list[str] | None = None,
) -> dict[str, Any]:
    """Returns a copy of `document` with one more `DataIntegrityProof` (the input is not changed).

    `created` defaults to now; a string must already be an XSD dateTimeStamp. Existing proofs are kept: the new
    proof joins the proof set, signing the document without them, unless `previous_proof` names some, which makes
    it a proof chain link signing the document together with those proofs. `challenge` and `domain` go into the
    proof options (a presentation's `authentication` proof binds them, so a verifier can refuse replays).
    """
    if not isinstance(document, dict) or "@context" not in document:
        raise ProofError("the document to sign must be a JSON-LD object with an @context")
    if isinstance(created, str):
        if not is_date_time_stamp(created):
            raise ProofError(f"created {created!r} is not an XSD dateTimeStamp")
    else:
        created = format_created(created or datetime.now(UTC))

    context = document["@context"]
    contexts = _as_list(context)
    if VC_V2_CONTEXT not in contexts and DATA_INTEGRITY_V2_CONTEXT not in contexts:
        # as jsonld-signatures does: the proof's terms must be defined by the document's context
        context = [*contexts, DATA_INTEGRITY_V2_CONTEXT]
        document = {**document, "@context": context}

    proof: dict[str, Any] = {"type": PROOF_TYPE}
    if proof_id is not None:
        proof["id"] = proof_id
    proof.update(
        {
            "cryptosuite": suite.cryptosuite,
            "created": created,
            "verificationMethod": verification_method,
            "proofPurpose": proof_purpose,
        }
    )
    if challenge is not None:
        proof["challenge"] = challenge
    if domain is not None:
        proof["domain"] = domain
    existing = _as_list(document.get("proof"))
    unsecured = without_proof(document)
    previous = _as_list(previous_proof)
    if previous:
        proof["previousProof"] = previous_proof
        unsecured = _chain_document(unsecured, existing, previous)

    data = hash_data(_proof_config_canon(proof, context, loader), canonicalize(unsecured, loader=loader))
    proof["proofValue"] = multibase_encode(suite.sign(data))
    return {**without_proof(document), "proof": [*existing, proof] if existing else proof}


# -- verify ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    """One verification step: what was checked, whether it passed, and why not."""

    name: str
    ok: bool
    reason: str = ""


@dataclass
class ProofResult:
    index: int
    proof_id: str | None
    verification_method: str | None
    checks: list[Check] = field(default_factory=list)

    @property
    def verified(self) -> bool:
        return bool(self.checks) and all(check.ok for check in self.checks)

    def fail(self, name: str, reason: str) -> None:
        self.checks.append(Check(name, False, reason))

    def ok(self, name: str) -> None:
        self.checks.append(Check(name, True))


@dataclass
class VerificationResult:
    """`verified` only if the document has at least one proof and every proof passes every check."""

    proofs: list[ProofResult]
    errors: list[str] = field(default_factory=list)

    @property
    def verified(self) -> bool:
        return not self.errors and bool(self.proofs) and all(proof.verified for proof in self.proofs)

    @property
    def reasons(self) -> list[str]:
        """Every failure, prefixed with the proof it belongs to."""
        found = list(self.errors)
        for proof in self.proofs:
            found.extend(f"proof {proof.index}: {check.name}: {check.reason}" for check in proof.checks if not check.ok)
        return found


VerificationMethodResolver = Callable[[str], tuple[dict[str, Any], dict[str, Any]]]
"""Given a verification method id, returns (verification method, its controller document), or raises."""


def loader_method_resolver(loader: DocumentLoader) -> VerificationMethodResolver:
    """Resolves verification methods and controllers through the loader (did:key, or documents it was given)."""

    def resolve(method_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
        method = loader.load(method_id)
        controller = method.get("controller")
        if not isinstance(controller, str):
            raise ProofError(f"verification method {method_id} names no controller")
        return method, loader.load(controller)

    return resolve


def _references(controller: dict[str, Any], relationship: str) -> set[str]:
    found = set()
    for entry in _as_list(controller.get(relationship)):
        ref = entry.get("id") if isinstance(entry, dict) else entry
        if isinstance(ref, str):
            found.add(controller.get("id", "") + ref if ref.startswith("#") else ref)
    return found


def _check_method(result: ProofResult, proof: dict[str, Any], resolve: VerificationMethodResolver) -> PublicKey | None:
    """Resolves the proof's verification method and checks its key and its controller's authorisation."""
    method_id = result.verification_method
    if not isinstance(method_id, str):
        result.fail("verificationMethod", "the proof names no verification method")
        return None
    try:
        method, controller = resolve(method_id)
    except (LookupError, ValueError) as error:
        result.fail("verificationMethod", f"cannot resolve {method_id}: {error}")
        return None
    if method.get("type") != "Multikey" or not isinstance(method.get("publicKeyMultibase"), str):
        result.fail("verificationMethod", f"{method_id} is not a Multikey with publicKeyMultibase")
        return None
    try:
        public_key = decode_public_multikey(method["publicKeyMultibase"])
    except ValueError as error:
        result.fail("verificationMethod", f"{method_id}: {error}")
        return None
    result.ok("verificationMethod")

    purpose = proof.get("proofPurpose")
    if controller.get("id") != method.get("controller"):
        result.fail("proofPurpose", f"controller document {controller.get('id')} is not the method's controller")
    elif not isinstance(purpose, str) or method_id not in _references(controller, purpose):
        result.fail(
            "proofPurpose", f"{method_id} is not authorised for {purpose} by its controller {controller.get('id')}"
        )
    else:
        result.ok("proofPurpose")
    return public_key


def verify(
    document: dict[str, Any],
    *,
    loader: DocumentLoader,
    resolve_verification_method: VerificationMethodResolver | None = None,
    suites: dict[str, Suite] | None = None,
    expected_proof_purpose: str | None = "assertionMethod",
    canonical_form: str | None = None,
) -> VerificationResult:
    """Verifies every Data Integrity proof of `document` (a proof set and/or chain).

    `resolve_verification_method` defaults to the loader (did:key and the documents the loader was given).
    `expected_proof_purpose` (None to accept any) is what the caller relies on: `assertionMethod` for credentials.
    `canonical_form` is the canonical form of the document without its proofs, when the caller already has it (a
    verifier that expanded the document for its own checks), so that the document is canonicalised once.
    """
    if not isinstance(document, dict) or "@context" not in document:
        return VerificationResult([], ["the document is not a JSON-LD object with an @context"])
    proofs = _as_list(document.get("proof"))
    if not proofs:
        return VerificationResult([], ["the document has no proof"])
    verifier = _ProofSetVerifier(
        unsecured=without_proof(document),
        proofs=proofs,
        loader=loader,
        resolve=resolve_verification_method or loader_method_resolver(loader),
        suites=VERIFYING_SUITES if suites is None else suites,
        expected_purpose=expected_proof_purpose,
    )
    if canonical_form is not None:
        verifier.document_canons[(repr(document["@context"]),)] = canonical_form
    return VerificationResult([verifier.check(index, proof) for index, proof in enumerate(proofs)])


@dataclass
class _ProofSetVerifier:
    """What the proofs of one document share, including its canonical forms (one per distinct variant)."""

    unsecured: dict[str, Any]
    proofs: list[Any]
    loader: DocumentLoader
    resolve: VerificationMethodResolver
    suites: dict[str, Suite]
    expected_purpose: str | None
    document_canons: dict[tuple[str, ...], str] = field(default_factory=dict)

    def check(self, index: int, proof: Any) -> ProofResult:
        if not isinstance(proof, dict):
            result = ProofResult(index, None, None)
            result.fail("proof", "a proof must be a JSON object")
            return result
        result = ProofResult(index, proof.get("id"), proof.get("verificationMethod"))
        self._check(result, proof)
        return result

    def _check(self, result: ProofResult, proof: dict[str, Any]) -> None:
        problem = proof_option_problem(proof)
        if problem is not None:
            result.fail(*problem)
            return
        if proof.get("type") != PROOF_TYPE:
            result.fail("type", f"proof type {proof.get('type')!r} is not {PROOF_TYPE}")
            return
        result.ok("type")
        cryptosuite = proof.get("cryptosuite")
        suite = self.suites.get(cryptosuite) if isinstance(cryptosuite, str) else None
        if suite is None:
            result.fail("cryptosuite", f"unsupported cryptosuite {proof.get('cryptosuite')!r}")
            return
        result.ok("cryptosuite")
        try:
            proof_value = proof.get("proofValue")
            signature = multibase_decode(proof_value if isinstance(proof_value, str) else "")  # "" is refused too
        except ValueError as error:
            result.fail("proofValue", str(error))
            return
        result.ok("proofValue")

        context = self.unsecured["@context"]
        if "@context" in proof:
            # the document's @context must start with the proof's, which then stands for it (vc-di-eddsa 3.2.2)
            proof_context = _as_list(proof["@context"])
            if _as_list(context)[: len(proof_context)] != proof_context:
                result.fail("@context", "the document's @context does not start with the proof's @context")
                return
            context = proof["@context"]
            result.ok("@context")
        for name in ("created", "expires"):
            if name in proof and not is_date_time_stamp(proof[name]):
                result.fail(name, f"{proof[name]!r} is not an XSD dateTimeStamp")
                return
        purpose = proof.get("proofPurpose")
        if self.expected_purpose is not None and purpose != self.expected_purpose:
            result.fail("proofPurpose", f"proof purpose {purpose!r} is not the expected {self.expected_purpose!r}")
            return

        secured = {**self.unsecured, "@context": context}
        previous = tuple(_as_list(proof.get("previousProof")))
        if previous:
            try:
                secured = _chain_document(secured, [p for p in self.proofs if p is not proof], list(previous))
            except ProofError as error:
                result.fail("previousProof", str(error))
                return
            result.ok("previousProof")
        try:
            key = (repr(context), *previous)
            if key not in self.document_canons:
                self.document_canons[key] = canonicalize(secured, loader=self.loader)
            data = hash_data(_proof_config_canon(proof, context, self.loader), self.document_canons[key])
        except (StrictExpansionError, DocumentLoaderError, CanonicalizationError) as error:
            result.fail("canonicalization", str(error))
            return
        except JsonLdError as error:  # e.g. a value of the wrong type where JSON-LD expects an IRI
            result.fail("canonicalization", f"the document or the proof is not well-formed JSON-LD ({error.type})")
            return

        public_key = _check_method(result, proof, self.resolve)
        if public_key is None:
            return
        try:
            valid = suite.verify(public_key, signature, data)
        except ProofError as error:
            result.fail("signature", str(error))
            return
        if valid:
            result.ok("signature")
        else:
            result.fail("signature", "the signature does not match the document and proof options")
