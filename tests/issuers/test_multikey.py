"""Multikey and did:key against the W3C vectors' keys, plus the errors a caller sees on bad input."""

from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from issuers import multikey
from tests.conftest import REFERENCE

VECTORS = REFERENCE / "vectors"


def _pair(path):
    data = json.loads((VECTORS / path).read_text())
    return data["publicKeyMultibase"], data.get("secretKeyMultibase") or data["privateKeyMultibase"]


def test_ed25519_vector_keys_round_trip():
    public_mk, secret_mk = _pair("eddsa-rdfc-2022/keyPair.json")
    secret = multikey.decode_secret_multikey(secret_mk)
    assert isinstance(secret, Ed25519PrivateKey)
    assert multikey.encode_ed25519_secret(secret) == secret_mk
    assert multikey.encode_ed25519_public(secret.public_key()) == public_mk
    public = multikey.decode_public_multikey(public_mk)
    assert isinstance(public, Ed25519PublicKey)
    assert multikey.encode_public_multikey(public) == public_mk
    assert public_mk.startswith("z6Mk") and secret_mk.startswith("z3u2")


def test_p256_vector_keys_round_trip():
    public_mk, secret_mk = _pair("ecdsa-rdfc-2019/p256KeyPair.json")
    secret = multikey.decode_secret_multikey(secret_mk)
    assert isinstance(secret, ec.EllipticCurvePrivateKey)
    assert multikey.encode_secret_multikey(secret) == secret_mk
    assert multikey.encode_p256_public(secret.public_key()) == public_mk
    public = multikey.decode_public_multikey(public_mk)
    assert isinstance(public, ec.EllipticCurvePublicKey)
    assert public.public_numbers() == secret.public_key().public_numbers()
    assert public_mk.startswith("zDn")


def test_fresh_keys_have_the_documented_prefixes():
    ed = Ed25519PrivateKey.generate()
    assert multikey.encode_public_multikey(ed.public_key()).startswith("z6Mk")
    assert multikey.encode_secret_multikey(ed).startswith("z3u2")
    p256 = ec.generate_private_key(ec.SECP256R1())
    assert multikey.encode_public_multikey(p256.public_key()).startswith("zDn")


def test_did_key_document_shape():
    public_mk, _ = _pair("eddsa-rdfc-2022/keyPair.json")
    did = multikey.did_key_for(multikey.decode_public_multikey(public_mk))
    assert did == "did:key:" + public_mk
    assert multikey.did_key_for(public_mk) == did
    vm_id = f"{did}#{public_mk}"
    assert multikey.did_key_verification_method_id(vm_id) == vm_id
    document = multikey.did_key_document(vm_id)
    assert document == {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": did,
        "verificationMethod": [{"id": vm_id, "type": "Multikey", "controller": did, "publicKeyMultibase": public_mk}],
        "authentication": [vm_id],
        "assertionMethod": [vm_id],
        "capabilityInvocation": [vm_id],
        "capabilityDelegation": [vm_id],
    }


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "non-empty"),
        ("u7QE", "base58btc"),
        ("z0OIl", "not valid base58btc"),
        ("z" + "1" * 10, "unsupported public Multikey header"),
        (multikey.multibase_encode(b"\xed\x01" + b"\x01" * 31), "must hold 32 key bytes, got 31"),
        (multikey.multibase_encode(b"\x80\x24" + b"\x04" + b"\x01" * 32), "compressed point"),
        (multikey.multibase_encode(b"\x80\x24" + b"\x02" + b"\xff" * 32), "not hold a point on the curve"),
    ],
)
def test_malformed_public_multikeys_are_refused_clearly(value, message):
    with pytest.raises(ValueError, match=message):
        multikey.decode_public_multikey(value)


def test_malformed_secret_and_did_are_refused_clearly():
    with pytest.raises(ValueError, match="unsupported secret Multikey header 0xed01"):
        multikey.decode_secret_multikey(_pair("eddsa-rdfc-2022/keyPair.json")[0])
    with pytest.raises(ValueError, match="outside the curve order"):
        multikey.decode_secret_multikey(multikey.multibase_encode(b"\x86\x26" + b"\xff" * 32))
    with pytest.raises(ValueError, match="not a did:key"):
        multikey.did_key_document("did:web:example.org")
    with pytest.raises(ValueError, match="only P-256"):
        multikey.encode_public_multikey(ec.generate_private_key(ec.SECP384R1()).public_key())
