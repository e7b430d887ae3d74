"""Presentations both ways with @digitalbazaar/vc: one signed by the JavaScript library (signPresentation,
challenge and domain) verifies with our `POST /presentations/verify`; one we sign verifies with verifyPresentation."""

from __future__ import annotations

from credentials.proofs.dataintegrity import Ed25519Signature, sign
from tests.credentials.conftest import fixture, secret_key
from tests.credentials.helpers import issue
from tests.interop.test_interop import CREATED, loader, node  # noqa: F401  (fixtures: the session's Node process)

CHALLENGE, DOMAIN = "9f2c1b7e-interop", "https://school.example.lv"


def _holder_key() -> dict:
    return fixture("test-issuer-key.json")  # a did:key of its own: here it speaks as the holder


def _unsigned(key: dict, *credentials) -> dict:
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": key["verificationMethod"].split("#")[0],
        "verifiableCredential": list(credentials),
    }


def test_presentation_signed_by_the_reference_library_verifies_with_ours(node, client, make_org):  # noqa: F811
    org = make_org("interop-vp")
    _, issued = issue(client, org)
    key = _holder_key()
    theirs = node(
        "signPresentation",
        presentation=_unsigned(key, issued["credential"]),
        challenge=CHALLENGE,
        domain=DOMAIN,
        created=CREATED,
        **{k: key[k] for k in ("secretKeyMultibase", "publicKeyMultibase", "verificationMethod")},
    )
    assert theirs["proof"]["challenge"] == CHALLENGE and theirs["proof"]["proofPurpose"] == "authentication"
    request = {"verifiablePresentation": theirs, "options": {"challenge": CHALLENGE, "domain": DOMAIN}}
    response = client.post("/presentations/verify", json=request)
    assert response.status_code == 200, response.text
    assert response.json()["verdict"] == "valid"
    request["options"]["challenge"] = "something-else"
    assert client.post("/presentations/verify", json=request).status_code == 422


def test_our_presentation_verifies_with_the_reference_library(node, loader):  # noqa: F811
    issuer = fixture("test-issuer-key.json")
    credential = sign(
        fixture("volunteer-ob3.json"),
        suite=Ed25519Signature(secret_key(issuer)),
        verification_method=issuer["verificationMethod"],
        created=CREATED,
        loader=loader,
    )
    key = _holder_key()
    ours = sign(
        _unsigned(key, credential),
        suite=Ed25519Signature(secret_key(key)),
        verification_method=key["verificationMethod"],
        proof_purpose="authentication",
        challenge=CHALLENGE,
        domain=DOMAIN,
        created=CREATED,
        loader=loader,
    )
    assert node("verifyPresentation", presentation=ours, challenge=CHALLENGE, domain=DOMAIN) == {
        "verified": True,
        "error": None,
    }
    assert node("verifyPresentation", presentation=ours, challenge="another", domain=DOMAIN)["verified"] is False
    assert (
        node("verifyPresentation", presentation=ours, challenge=CHALLENGE, domain="https://evil.example")["verified"]
        is False
    )
