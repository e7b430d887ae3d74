"""Our signer and verifier against the JavaScript reference libraries (@digitalbazaar/vc, data-integrity,
eddsa-rdfc-2022 / ecdsa-rdfc-2019 cryptosuites), in both directions, offline on both sides.

Node runs `serve.mjs` once per session and answers one JSON line per request.
"""

from __future__ import annotations

import copy
import json
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from credentials.proofs.dataintegrity import EcdsaP256Signature, Ed25519Signature, sign, verify
from credentials.proofs.jsonld import UndefinedTermError, default_loader
from credentials.proofs.rdfc import canonicalize
from issuers.multikey import did_key_for, did_key_verification_method_id, encode_p256_secret
from tests.credentials.conftest import fixture, secret_key, vector
from tests.interop.server import NodeServer

HERE = Path(__file__).resolve().parent
CREATED = "2026-06-30T12:00:00Z"
EVERY_CONTROL = "".join(map(chr, range(0x20))) + "\x7f"


@pytest.fixture(scope="session")
def node():
    process = NodeServer()
    yield process
    process.close()


@pytest.fixture
def loader():
    return default_loader()


@pytest.fixture
def issuer_key() -> dict:
    return fixture("test-issuer-key.json")


def _credential(narrative: str | None = None) -> dict:
    credential = fixture("volunteer-ob3.json")
    if narrative is not None:
        credential["credentialSubject"]["achievement"]["criteria"]["narrative"] = narrative
    return credential


def _python_sign(credential: dict, key: dict, loader) -> dict:
    return sign(
        credential,
        suite=Ed25519Signature(secret_key(key)),
        verification_method=key["verificationMethod"],
        created=CREATED,
        loader=loader,
    )


def _node_sign(node, credential: dict, key: dict, mode: str = "vc") -> dict:
    return node(
        "sign",
        credential=credential,
        secretKeyMultibase=key["secretKeyMultibase"],
        publicKeyMultibase=key["publicKeyMultibase"],
        verificationMethod=key["verificationMethod"],
        created=CREATED,
        mode=mode,
    )


NARRATIVES = {
    "plain": None,
    "control characters": "Talka" + EVERY_CONTROL + '"quoted" \\ back\\slash, āčēģīķļņšūž 😀 \u2028 end',
}


@pytest.mark.parametrize("narrative", NARRATIVES.values(), ids=NARRATIVES.keys())
def test_python_signed_credential_verifies_in_node(node, loader, issuer_key, narrative):
    signed = _python_sign(_credential(narrative), issuer_key, loader)
    assert node("verify", credential=signed) == {"verified": True, "error": None}


@pytest.mark.parametrize("narrative", NARRATIVES.values(), ids=NARRATIVES.keys())
def test_node_signed_credential_verifies_in_python(node, loader, issuer_key, narrative):
    signed = _node_sign(node, _credential(narrative), issuer_key)
    result = verify(signed, loader=loader)
    assert result.verified, result.reasons


@pytest.mark.parametrize("narrative", NARRATIVES.values(), ids=NARRATIVES.keys())
def test_same_document_key_and_time_give_the_same_proof(node, loader, issuer_key, narrative):
    credential = _credential(narrative)
    ours, theirs = _python_sign(credential, issuer_key, loader), _node_sign(node, credential, issuer_key)
    assert ours["proof"]["proofValue"] == theirs["proof"]["proofValue"]
    assert ours == theirs


def test_canonical_forms_are_identical_for_control_characters(node, loader):
    credential = _credential(NARRATIVES["control characters"])
    ours = canonicalize(credential, loader=loader)
    assert node("canonize", document=credential) == ours
    assert "\\u001B" in ours and "\\f" in ours and "\\b" in ours


def test_canonical_forms_are_identical_for_iris_with_characters_n_quads_escapes(node, loader):
    credential = _credential()
    credential["credentialSubject"]["achievement"]["id"] = "urn:example:{badge}|2026^`q`"
    ours = canonicalize(credential, loader=loader)
    assert node("canonize", document=credential) == ours
    assert "<urn:example:\\u007Bbadge\\u007D\\u007C2026\\u005E\\u0060q\\u0060>" in ours


def test_w3c_vector_document_both_ways(node, loader):
    pair = vector("eddsa-rdfc-2022/keyPair.json")
    key = {
        "secretKeyMultibase": pair["privateKeyMultibase"],
        "publicKeyMultibase": pair["publicKeyMultibase"],
        "verificationMethod": did_key_verification_method_id(did_key_for(pair["publicKeyMultibase"])),
    }
    theirs = _node_sign(node, vector("eddsa-rdfc-2022/unsigned.json"), key, mode="jsigs")
    ours = sign(
        vector("eddsa-rdfc-2022/unsigned.json"),
        suite=Ed25519Signature(secret_key(pair)),
        verification_method=key["verificationMethod"],
        created=CREATED,
        loader=loader,
    )
    assert ours == theirs
    assert verify(theirs, loader=loader).verified
    assert node("verify", credential=ours, mode="jsigs")["verified"]
    assert node("verify", credential=vector("eddsa-rdfc-2022/signedDataInt.json"), mode="jsigs")["verified"]


def test_ecdsa_both_ways(node, loader):
    assert node("verify", credential=vector("ecdsa-rdfc-2019/signedECDSAP256.json"), mode="jsigs")["verified"]
    private = ec.generate_private_key(ec.SECP256R1())
    did = did_key_for(private.public_key())
    credential = _credential()
    credential["issuer"]["id"] = did
    ours = sign(
        credential,
        suite=EcdsaP256Signature(private),
        verification_method=did_key_verification_method_id(did),
        created=CREATED,
        loader=loader,
    )
    assert node("verify", credential=ours) == {"verified": True, "error": None}
    key = {
        "secretKeyMultibase": encode_p256_secret(private),
        "publicKeyMultibase": did.removeprefix("did:key:"),
        "verificationMethod": did_key_verification_method_id(did),
    }
    theirs = _node_sign(node, credential, key)
    assert theirs["proof"]["cryptosuite"] == "ecdsa-rdfc-2019"
    result = verify(theirs, loader=loader)
    assert result.verified, result.reasons


def test_tampering_fails_on_both_sides(node, loader, issuer_key):
    signed = _python_sign(_credential(), issuer_key, loader)
    tampered = copy.deepcopy(signed)
    tampered["credentialSubject"]["result"][0]["value"] = "43"
    assert not verify(tampered, loader=loader).verified
    assert node("verify", credential=tampered)["verified"] is False


def test_undefined_terms_are_refused_on_both_sides(node, loader, issuer_key):
    credential = _credential()
    credential["credentialSubject"]["foo"] = "bar"
    with pytest.raises(UndefinedTermError, match="foo"):
        _python_sign(credential, issuer_key, loader)
    with pytest.raises(RuntimeError, match="Safe mode validation error"):
        _node_sign(node, credential, issuer_key)


def test_one_shot_scripts(loader, issuer_key):
    def run(script: str, request: dict) -> dict:
        done = subprocess.run(
            ["node", script],
            cwd=HERE,
            input=json.dumps(request),
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=60,
            check=True,
        )
        return json.loads(done.stdout)

    signed = run(
        "sign.mjs",
        {
            "credential": _credential(),
            "created": CREATED,
            **{k: issuer_key[k] for k in ("secretKeyMultibase", "publicKeyMultibase", "verificationMethod")},
        },
    )
    assert signed == _python_sign(_credential(), issuer_key, loader)
    assert run("verify.mjs", {"credential": signed}) == {"verified": True, "error": None}


@pytest.mark.parametrize("number", [42, 1.5, 0.1, 1.5e-7, 1e21])
def test_numbers_we_accept_canonicalize_alike(node, loader, number):
    credential = _credential()
    credential["credentialSubject"]["achievement"]["creditsAvailable"] = number
    assert node("canonize", document=credential) == canonicalize(credential, loader=loader)


def test_the_numbers_we_refuse_are_those_jsonld_js_writes_as_zero(node):
    credential = _credential()
    credential["credentialSubject"]["achievement"]["creditsAvailable"] = 1e-7
    assert '"0"^^<https://www.w3.org/2001/XMLSchema#float>' in node("canonize", document=credential)
