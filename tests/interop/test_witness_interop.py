"""Proof sets across implementations (issue 15): a second proof that the JavaScript stack (jsonld-signatures with
the eddsa-rdfc-2022 cryptosuite) adds to a credential the service issued -- a witness, an endorser -- is checked
by our verifier against the witness's own key; the issuer's proof keeps deciding."""

from __future__ import annotations

import copy

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from issuers.multikey import did_key_for, did_key_verification_method_id, encode_ed25519_public, encode_ed25519_secret
from tests.credentials.helpers import issue
from tests.interop.test_interop import node  # noqa: F401  (the session's Node process)


def witness_key() -> dict:
    key = Ed25519PrivateKey.generate()
    return {
        "secretKeyMultibase": encode_ed25519_secret(key),
        "publicKeyMultibase": encode_ed25519_public(key.public_key()),
        "verificationMethod": did_key_verification_method_id(did_key_for(key.public_key())),
    }


def verify(client, credential) -> dict:
    response = client.post("/credentials/verify", json={"verifiableCredential": credential})
    assert response.status_code in (200, 422), response.text
    return response.json()


def test_a_witness_proof_signed_by_the_javascript_stack(node, client, make_org):  # noqa: F811
    org = make_org("js-witness", legal_name="Biedrība „Liecinieks”")
    _, issued = issue(client, org)
    witness = witness_key()
    witnessed = node("sign", credential=issued["credential"], mode="jsigs", **witness)
    assert isinstance(witnessed["proof"], list) and len(witnessed["proof"]) == 2
    assert witnessed["proof"][0] == issued["credential"]["proof"]
    assert witnessed["proof"][1]["verificationMethod"] == witness["verificationMethod"]

    body = verify(client, witnessed)
    assert body["verdict"] == "valid" and body["verified"] is True, body
    assert body["checks"].count("additionalProof") == 1
    assert body["issuer"]["legal_name"] == "Biedrība „Liecinieks”"

    # The witness's proof is checked against the witness's key: a broken one is reported, and decides nothing.
    broken = copy.deepcopy(witnessed)
    broken["proof"][1]["created"] = "2020-01-01T00:00:00Z"
    body = verify(client, broken)
    assert body["verdict"] == "valid" and [w["check"] for w in body["warnings"]] == ["additionalProof"], body

    # The witness's proof alone is not the issuer's: a credential needs a valid proof by its issuer.
    body = verify(client, {**witnessed, "proof": [witnessed["proof"][1]]})
    assert body["verdict"] == "invalid" and body["verified"] is False, body
    # And changing the content breaks both proofs.
    altered = copy.deepcopy(witnessed)
    altered["name"] = "Cits nosaukums"
    assert verify(client, altered)["verdict"] == "invalid"
