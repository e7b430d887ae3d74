"""Data Integrity proofs: every step of the published vectors, proof sets and chains, and the refusals."""

from __future__ import annotations

import copy
import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from credentials.proofs.dataintegrity import (
    EcdsaP256Signature,
    Ed25519Signature,
    ProofError,
    format_created,
    hash_data,
    sign,
    verify,
)
from credentials.proofs.jsonld import DocumentLoader
from credentials.proofs.rdfc import canonicalize
from issuers.multikey import did_key_for, did_key_verification_method_id, multibase_encode
from tests.credentials.conftest import fixture, secret_key, vector, vector_text

EDDSA = "eddsa-rdfc-2022"


def _method(key_pair: dict) -> str:
    return did_key_verification_method_id(did_key_for(key_pair["publicKeyMultibase"]))


def _steps(directory: str, document: dict, loader, suffix: str = "DataInt") -> bytes:
    """Checks the canonical forms and hashes of a vector directory; returns hashData."""
    config = vector(f"{directory}/proofConfig{suffix}.json")
    config.setdefault("@context", document["@context"])
    document_canon = canonicalize(document, loader=loader)
    proof_canon = canonicalize(config, loader=loader)
    assert document_canon == vector_text(f"{directory}/canonDoc{suffix}.txt")
    assert proof_canon == vector_text(f"{directory}/proofCanon{suffix}.txt")
    assert hashlib.sha256(document_canon.encode()).hexdigest() == vector_text(f"{directory}/docHash{suffix}.txt")
    assert hashlib.sha256(proof_canon.encode()).hexdigest() == vector_text(f"{directory}/proofHash{suffix}.txt")
    data = hash_data(proof_canon, document_canon)
    assert data.hex() == vector_text(f"{directory}/combinedHash{suffix}.txt")
    return data


@pytest.mark.parametrize(
    ("directory", "document", "loader_name"),
    [
        ("eddsa-rdfc-2022", "eddsa-rdfc-2022/unsigned.json", "loader"),
        ("eddsa-rdfc-2022/employ", "eddsa-rdfc-2022/employmentAuth.json", "citizenship_loader"),
    ],
)
def test_eddsa_vectors_step_by_step(request, directory, document, loader_name):
    loader = request.getfixturevalue(loader_name)
    unsigned = vector(document)
    data = _steps(directory, unsigned, loader)
    key_pair = vector("eddsa-rdfc-2022/keyPair.json")
    suite = Ed25519Signature(secret_key(key_pair))
    signature = suite.sign(data)
    assert signature.hex() == vector_text(f"{directory}/sigHexDataInt.txt")
    assert multibase_encode(signature) == vector_text(f"{directory}/sigBTC58DataInt.txt")

    config = vector(f"{directory}/proofConfigDataInt.json")
    signed = sign(
        unsigned,
        suite=suite,
        verification_method=config["verificationMethod"],
        created=config["created"],
        loader=loader,
    )
    expected_text = vector_text(f"{directory}/signedDataInt.json")
    assert json.dumps(signed, indent=2) == expected_text  # byte for byte, key order included
    assert verify(json.loads(expected_text), loader=loader).verified


@pytest.mark.parametrize(
    ("directory", "document", "loader_name"),
    [
        ("ecdsa-rdfc-2019", "ecdsa-rdfc-2019/unsigned.json", "loader"),
        ("ecdsa-rdfc-2019/employ", "ecdsa-rdfc-2019/employmentAuth.json", "citizenship_loader"),
    ],
)
def test_ecdsa_vectors_step_by_step(request, directory, document, loader_name):
    loader = request.getfixturevalue(loader_name)
    data = _steps(directory, vector(document), loader, suffix="ECDSAP256")
    signed = vector(f"{directory}/signedECDSAP256.json")
    assert signed["proof"]["proofValue"] == vector_text(f"{directory}/sigBTC58ECDSAP256.txt")
    key = secret_key(vector("ecdsa-rdfc-2019/p256KeyPair.json")).public_key()
    signature = bytes.fromhex(vector_text(f"{directory}/sigHexECDSAP256.txt"))
    assert EcdsaP256Signature().verify(key, signature, data)
    result = verify(signed, loader=loader)
    assert result.verified, result.reasons


def test_ecdsa_signatures_of_ours_verify(loader):
    key = ec.generate_private_key(ec.SECP256R1())
    public = did_key_for(key.public_key())
    signed = sign(
        vector("ecdsa-rdfc-2019/unsigned.json"),
        suite=EcdsaP256Signature(key),
        verification_method=did_key_verification_method_id(public),
        loader=loader,
    )
    assert signed["proof"]["cryptosuite"] == "ecdsa-rdfc-2019"
    assert verify(signed, loader=loader).verified


def test_open_badges_vector_reproduces_and_verifies(loader, ob_loader):
    expected = vector("ob3-eddsa-rdfc-2022/obv3p0/expected.json")
    signed = vector("ob3-eddsa-rdfc-2022/obv3p0/signed.json")
    assert verify(signed, loader=ob_loader).verified
    key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(expected["privateKeyHex(seed||pub)"])[:32])
    unsigned = {k: v for k, v in signed.items() if k != "proof"}
    config = {k: v for k, v in signed["proof"].items() if k != "proofValue"}
    document_canon = canonicalize(unsigned, loader=loader)
    proof_canon = canonicalize({**config, "@context": unsigned["@context"]}, loader=loader)
    assert hashlib.sha256(document_canon.encode()).hexdigest() == expected["documentHashHex"]
    assert hashlib.sha256(proof_canon.encode()).hexdigest() == expected["proofHashHex"]
    data = hash_data(proof_canon, document_canon)
    assert data.hex() == expected["dataToSignHex"]
    assert Ed25519Signature(key).sign(data).hex() == expected["signatureHex"]
    ours = sign(
        unsigned,
        suite=Ed25519Signature(key),
        verification_method=config["verificationMethod"],
        created=config["created"],
        loader=loader,
    )
    assert ours["proof"]["proofValue"] == expected["proofValue"] == signed["proof"]["proofValue"]


def test_proof_sets_and_chains_reproduce_byte_for_byte(loader):
    base = "eddsa-rdfc-2022/proof-set-chain"
    pairs = vector(f"{base}/multiKeyPairs.json")
    steps = [
        (1, "proofSetConfig1", "signedProofSet1"),
        (2, "proofSetConfig2", "signedProofSet2"),
        (3, "proofChainConfig1", "signedProofChain1"),
        (4, "proofChainConfig2", "signedProofChain2"),
    ]
    document = vector(f"{base}/unsigned.json")
    for number, config_name, signed_name in steps:
        config = vector(f"{base}/{config_name}.json")
        pair = pairs[f"keyPair{number}"]
        assert config["verificationMethod"] == _method(pair)
        document = sign(
            document,
            suite=Ed25519Signature(secret_key(pair)),
            verification_method=config["verificationMethod"],
            created=config["created"],
            proof_id=config.get("id"),
            previous_proof=config.get("previousProof"),
            loader=loader,
        )
        assert json.dumps(document, indent=2) == vector_text(f"{base}/{signed_name}.json")
        result = verify(document, loader=loader)
        assert result.verified, result.reasons
        assert len(result.proofs) == number
    assert document["proof"][2] == vector(f"{base}/proofChainConfigSigned1.json")
    assert document["proof"][3] == vector(f"{base}/proofChainConfigSigned2.json")


def test_chained_proof_signs_the_document_with_the_proofs_it_names(loader):
    base = "eddsa-rdfc-2022/proof-set-chain"
    temporary = vector(f"{base}/proofChainTempDoc1.json")
    chain_proof = vector(f"{base}/proofChainConfigSigned1.json")
    pair = vector(f"{base}/multiKeyPairs.json")["keyPair3"]
    config = {k: v for k, v in chain_proof.items() if k != "proofValue"}
    data = hash_data(
        canonicalize({**config, "@context": temporary["@context"]}, loader=loader),
        canonicalize(temporary, loader=loader),
    )
    assert multibase_encode(Ed25519Signature(secret_key(pair)).sign(data)) == chain_proof["proofValue"]


def test_a_broken_chain_is_reported(loader):
    chain = vector("eddsa-rdfc-2022/proof-set-chain/signedProofChain2.json")
    chain["proof"] = [
        proof for proof in chain["proof"] if proof.get("id") != "urn:uuid:d94f792a-c546-4d06-b38a-da070ab56c23"
    ]
    result = verify(chain, loader=loader)
    assert not result.verified
    assert any(
        "previousProof names proofs the document does not have: urn:uuid:d94f792a" in reason
        for reason in result.reasons
    )
    with pytest.raises(ProofError, match="previousProof names proofs"):
        sign(
            vector("eddsa-rdfc-2022/unsigned.json"),
            suite=Ed25519Signature(Ed25519PrivateKey.generate()),
            verification_method="did:key:z6Mk#z6Mk",
            previous_proof="urn:uuid:missing",
            loader=loader,
        )


# -- tampering and refusals ------------------------------------------------------------------------------------------

SIGNED = [
    ("eddsa-rdfc-2022/signedDataInt.json", "loader"),
    ("ecdsa-rdfc-2019/signedECDSAP256.json", "loader"),
    ("eddsa-rdfc-2022/proof-set-chain/signedProofChain2.json", "loader"),
    ("ob3-eddsa-rdfc-2022/obv3p0/signed.json", "ob_loader"),
]


def _flip_one_character(value: str) -> str:
    index = len(value) // 2
    return value[:index] + ("x" if value[index] != "x" else "y") + value[index + 1 :]


@pytest.mark.parametrize(("path", "loader_name"), SIGNED)
def test_changing_one_character_of_the_document_fails(request, path, loader_name):
    loader = request.getfixturevalue(loader_name)
    document = vector(path)
    document["credentialSubject"]["id"] = _flip_one_character(document["credentialSubject"]["id"])
    result = verify(document, loader=loader)
    assert not result.verified
    assert all(check.name == "signature" for proof in result.proofs for check in proof.checks if not check.ok)


@pytest.mark.parametrize(("path", "loader_name"), SIGNED)
def test_changing_one_character_of_the_proof_fails(request, path, loader_name):
    loader = request.getfixturevalue(loader_name)
    document = vector(path)
    proof = document["proof"][-1] if isinstance(document["proof"], list) else document["proof"]
    created = proof["created"]
    proof["created"] = created[:-2] + str((int(created[-2]) + 1) % 10) + "Z"
    assert not verify(document, loader=loader).verified
    document = vector(path)
    proof = document["proof"][0] if isinstance(document["proof"], list) else document["proof"]
    proof["proofValue"] = proof["proofValue"][:-1] + ("2" if proof["proofValue"][-1] != "2" else "3")
    assert not verify(document, loader=loader).verified


@pytest.fixture
def signed_ob(loader) -> tuple[dict, dict]:
    key = fixture("test-issuer-key.json")
    credential = fixture("volunteer-ob3.json")
    signed = sign(
        credential,
        suite=Ed25519Signature(secret_key(key)),
        verification_method=key["verificationMethod"],
        created=datetime(2026, 6, 30, 12, 0, 5, 987000, tzinfo=UTC),
        loader=loader,
    )
    return signed, key


def test_volunteer_credential_signs_and_verifies(loader, signed_ob):
    signed, key = signed_ob
    assert signed["proof"]["created"] == "2026-06-30T12:00:05Z"  # no fractional seconds
    result = verify(signed, loader=loader)
    assert result.verified, result.reasons
    assert {check.name for check in result.proofs[0].checks} == {
        "type",
        "cryptosuite",
        "proofValue",
        "verificationMethod",
        "proofPurpose",
        "signature",
    }


def _reasons(document, loader, **options) -> list[str]:
    result = verify(document, loader=loader, **options)
    assert not result.verified
    return result.reasons


def test_refusals_name_their_reason(loader, signed_ob):
    signed, _ = signed_ob

    def changed(**proof_changes):
        document = copy.deepcopy(signed)
        document["proof"].update(proof_changes)
        return document

    assert "unsupported cryptosuite 'bbs-2023'" in _reasons(changed(cryptosuite="bbs-2023"), loader)[0]
    assert "is not DataIntegrityProof" in _reasons(changed(type="Ed25519Signature2020"), loader)[0]
    assert "base58btc" in _reasons(changed(proofValue="u" + signed["proof"]["proofValue"][1:]), loader)[0]
    assert "not an XSD dateTimeStamp" in _reasons(changed(created="2026-06-30 12:00:05"), loader)[0]
    assert "not the expected 'assertionMethod'" in _reasons(changed(proofPurpose="authentication"), loader)[0]
    assert (
        "does not start with the proof's @context"
        in _reasons(
            changed(
                **{"@context": ["https://www.w3.org/ns/credentials/v2", "https://w3id.org/security/data-integrity/v2"]}
            ),
            loader,
        )[0]
    )
    other = did_key_verification_method_id(did_key_for(Ed25519PrivateKey.generate().public_key()))
    assert any("signature does not match" in reason for reason in _reasons(changed(verificationMethod=other), loader))
    p256 = did_key_verification_method_id(did_key_for(ec.generate_private_key(ec.SECP256R1()).public_key()))
    assert any("needs an Ed25519 key" in reason for reason in _reasons(changed(verificationMethod=p256), loader))
    assert any(
        "cannot resolve did:web:nowhere.example#k" in reason
        for reason in _reasons(changed(verificationMethod="did:web:nowhere.example#k"), loader)
    )
    assert _reasons({k: v for k, v in signed.items() if k != "proof"}, loader) == ["the document has no proof"]


@pytest.mark.parametrize(
    "option",
    [
        "previousProof",
        "cryptosuite",
        "proofPurpose",
        "verificationMethod",
        "id",
        "challenge",
        "domain",
        "nonce",
        "proofValue",
        "type",
    ],
)
@pytest.mark.parametrize(
    "value", [5, True, None, ["a", 5], {}, {"@id": 5}, {"@value": "x"}, {"@type": 5}, {"@list": [1]}]
)
def test_proof_options_of_the_wrong_type_are_a_reason_not_an_exception(loader, signed_ob, option, value):
    # Issue 15: `previousProof: 5` and `cryptosuite: []` raised TypeError, JSON-LD objects in the options PyLD errors.
    document = copy.deepcopy(signed_ob[0])
    document["proof"][option] = value
    result = verify(document, loader=loader)
    assert not result.verified
    assert [check.name for check in result.proofs[0].checks if not check.ok] == [option]
    assert f"{option} must be a string" in result.reasons[0]


@pytest.mark.parametrize(
    "keyword",
    [
        "@id",
        "@type",
        "@value",
        "@graph",
        "@included",
        "@reverse",
        "@list",
        "@set",
        "@language",
        "@direction",
        "@index",
        "@nest",
    ],
)
def test_json_ld_keywords_inside_a_proof_are_refused(loader, signed_ob, keyword):
    document = copy.deepcopy(signed_ob[0])
    document["proof"][keyword] = 5
    assert f"cannot carry the JSON-LD keyword {keyword}" in _reasons(document, loader)[0]


def test_a_chain_link_naming_a_proof_by_number_is_a_reason(loader):
    chain = vector("eddsa-rdfc-2022/proof-set-chain/signedProofChain2.json")
    chain["proof"][0]["id"] = 7  # and a proof whose id is not a string is never found by previousProof
    chain["proof"][-1]["previousProof"] = ["urn:uuid:d94f792a-c546-4d06-b38a-da070ab56c23"]
    result = verify(chain, loader=loader)
    assert not result.verified and any("id must be a string" in reason for reason in result.reasons)


@pytest.mark.parametrize("spelling", [" ", "\n", "\t", "0", "l", "é"])
def test_only_the_canonical_base58btc_spelling_of_a_signature_verifies(loader, signed_ob, spelling):
    # Issue 20 item 8: the base58 library strips whitespace, so a proofValue with a trailing space verified.
    document = copy.deepcopy(signed_ob[0])
    assert verify(document, loader=loader).verified
    document["proof"]["proofValue"] += spelling
    reasons = _reasons(document, loader)
    assert "proofValue" in reasons[0] and "base58btc" in reasons[0]


def test_a_method_its_controller_does_not_authorise_is_refused(signed_ob):
    signed, key = signed_ob
    did = key["verificationMethod"].split("#")[0]
    controller = {
        "id": did,
        "verificationMethod": [
            {
                "id": key["verificationMethod"],
                "type": "Multikey",
                "controller": did,
                "publicKeyMultibase": key["publicKeyMultibase"],
            }
        ],
        "authentication": [key["verificationMethod"]],
    }
    resolver_loader = DocumentLoader(did_resolver=lambda _: controller)
    reasons = _reasons(signed, resolver_loader)
    assert any("is not authorised for assertionMethod" in reason for reason in reasons)
    # a relative reference ("#fragment") in the relationship counts, resolved against the controller's id
    relative = {**controller, "assertionMethod": ["#" + key["verificationMethod"].split("#")[1]]}
    result = verify(
        signed,
        loader=resolver_loader,
        resolve_verification_method=lambda _: (controller["verificationMethod"][0], relative),
    )
    assert result.verified, result.reasons


def test_sign_validates_its_inputs(loader):
    suite = Ed25519Signature(Ed25519PrivateKey.generate())
    unsigned = vector("eddsa-rdfc-2022/unsigned.json")
    with pytest.raises(ProofError, match="not an XSD dateTimeStamp"):
        sign(unsigned, suite=suite, verification_method="did:key:z6Mk#z6Mk", created="yesterday", loader=loader)
    with pytest.raises(ProofError, match="timezone-aware"):
        format_created(datetime(2026, 1, 1))
    with pytest.raises(ProofError, match="no private key"):
        sign(unsigned, suite=Ed25519Signature(), verification_method="did:key:z6Mk#z6Mk", loader=loader)
    with pytest.raises(ProofError, match="with an @context"):
        sign({"id": "urn:x"}, suite=suite, verification_method="did:key:z6Mk#z6Mk", loader=loader)
    assert format_created(datetime(2026, 1, 1, 3, tzinfo=timezone(timedelta(hours=2)))) == "2026-01-01T01:00:00Z"


def test_sign_adds_the_data_integrity_context_to_a_vc_1_document(loader):
    document = {
        "@context": ["https://www.w3.org/2018/credentials/v1"],
        "type": ["VerifiableCredential"],
        "issuer": "did:example:issuer",
        "issuanceDate": "2026-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:subject"},
    }
    key = Ed25519PrivateKey.generate()
    signed = sign(
        document,
        suite=Ed25519Signature(key),
        verification_method=did_key_verification_method_id(did_key_for(key.public_key())),
        loader=loader,
    )
    assert signed["@context"][-1] == "https://w3id.org/security/data-integrity/v2"
    assert "proof" not in document
    assert verify(signed, loader=loader).verified


def test_document_is_canonicalized_once_per_sign_and_once_per_proof_set(loader, monkeypatch, signed_ob):
    from credentials.proofs import dataintegrity

    calls = []
    real = dataintegrity.canonicalize

    def counting(document, *, loader):
        calls.append("proof" if "proofPurpose" in document else "document")
        return real(document, loader=loader)

    monkeypatch.setattr(dataintegrity, "canonicalize", counting)
    signed, _ = signed_ob
    second = sign(
        signed,
        suite=Ed25519Signature(Ed25519PrivateKey.generate()),
        verification_method=did_key_verification_method_id(did_key_for(Ed25519PrivateKey.generate().public_key())),
        loader=loader,
    )
    assert calls.count("document") == 1
    calls.clear()
    verify(second, loader=loader)
    assert calls.count("document") == 1 and calls.count("proof") == 2
