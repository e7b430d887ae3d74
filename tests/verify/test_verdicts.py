"""Every verdict of the verifier, on real credentials issued by the service (and a few made to fail)."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from base.db import transaction
from credentials.common import credential_loader
from credentials.proofs.dataintegrity import Ed25519Signature, format_created, sign
from issuers import service as issuers
from issuers.multikey import did_key_for, did_key_verification_method_id
from tests.credentials.helpers import issue, record_body
from tests.pages import post_form


def verify(client, credential, lang="en"):
    response = client.post(
        "/credentials/verify",
        json={"verifiableCredential": credential, "options": {"unknownOption": True}},
        headers={"Accept-Language": lang},
    )
    return response


def sign_as(session_factory, settings, slug, document):
    ctx = issuers.IssuerContext(settings.public_base_url, settings.encryption_key)
    with transaction(session_factory) as session:
        identity = issuers.signing_identity(session, ctx, issuers.get_organisation(session, slug))
    return sign(
        document,
        suite=Ed25519Signature(identity.private_key),
        verification_method=identity.verification_method,
        loader=credential_loader(),
    ), identity.issuer_did


def plain_credential(issuer, **extra):
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
        "type": ["VerifiableCredential"],
        "issuer": issuer,
        "credentialSubject": {"id": "did:example:volunteer", "name": "Test"},
        **extra,
    }


def test_valid_credential_reports_the_registry_issuer(client, make_org):
    org = make_org("valid-org", legal_name="Biedrība „Derīgā”")
    _, issued = issue(client, org)
    response = verify(client, issued["credential"])
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["verified"] is True and body["verdict"] == "valid" and body["errors"] == []
    assert {"shape", "jsonld", "proof", "issuer", "status:revocation", "status:suspension"} <= set(body["checks"])
    assert body["issuer"]["legal_name"] == "Biedrība „Derīgā”"


def test_registry_name_wins_over_the_name_in_the_credential(client, make_org, session_factory, settings):
    org = make_org("real-name", legal_name="Biedrība „Īstā”")
    credential = plain_credential(
        {"id": org.did, "name": "Ministry of Everything"}, validFrom=format_created(datetime.now(UTC))
    )
    signed, _ = sign_as(session_factory, settings, org.slug, credential)
    body = verify(client, signed).json()
    issuer_check = next(r for r in body["results"] if r["check"] == "issuer")
    assert "Biedrība „Īstā”" in issuer_check["reason"] and "Ministry" not in issuer_check["reason"]


def test_tampered_hours_are_invalid(client, make_org):
    org = make_org("tamper")
    _, issued = issue(client, org)
    tampered = copy.deepcopy(issued["credential"])
    tampered["credentialSubject"]["result"][0]["value"] = "43"  # one character changed
    response = verify(client, tampered)
    assert response.status_code == 422
    assert response.json()["verdict"] == "invalid"
    assert any(e["check"] == "proof" for e in response.json()["errors"])


def test_revoked_and_suspended(client, make_org):
    org = make_org("statuses")
    _, revoked = issue(client, org)
    _, suspended = issue(client, org, record_body(start_date="2026-07-01", end_date="2026-07-01", hours=4))
    client.post(f"/credentials/{revoked['credential_id']}/revoke", json={"reason": "Kļūda"}, headers=org.headers())
    client.post(
        f"/credentials/{suspended['credential_id']}/suspend", json={"reason": "Pārbaude"}, headers=org.headers()
    )
    assert verify(client, revoked["credential"]).json()["verdict"] == "revoked"
    body = verify(client, suspended["credential"], lang="lv").json()
    assert body["verdict"] == "suspended" and body["verdict_text"] == "Apturēts"


def test_compromised_key(client, make_org):
    org = make_org("leaky")
    _, before = issue(client, org)
    # Compromised from a moment before issuance: the signature cannot be trusted.
    since = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    client.post(f"/organisations/{org.slug}/keys/key-1/compromise", json={"since": since}, headers=org.headers("admin"))
    body = verify(client, before["credential"]).json()
    assert body["verdict"] == "invalid"
    assert any(e["check"] == "key" for e in body["errors"])


def test_key_compromised_after_issuance_keeps_earlier_credentials(client, make_org):
    org = make_org("later-leak")
    _, issued = issue(client, org)
    client.post(f"/organisations/{org.slug}/keys/key-1/compromise", json={}, headers=org.headers("admin"))
    body = verify(client, issued["credential"]).json()
    assert body["verdict"] == "valid"
    assert any(w["check"] == "key" for w in body["warnings"])


def test_retired_key_still_verifies(client, make_org):
    org = make_org("rotated")
    _, issued = issue(client, org)
    client.post(f"/organisations/{org.slug}/keys/rotate", headers=org.headers("admin"))
    assert verify(client, issued["credential"]).json()["verdict"] == "valid"


def did_key_signed(key=None, **extra):
    """A correctly signed credential from a did:key issuer the registry does not know."""
    key = key or Ed25519PrivateKey.generate()
    did = did_key_for(key.public_key())
    credential = plain_credential(did, validFrom=format_created(datetime.now(UTC)), **extra)
    return sign(
        credential,
        suite=Ed25519Signature(key),
        verification_method=did_key_verification_method_id(did),
        loader=credential_loader(),
    )


def test_unknown_did_key_issuer_is_verified_with_a_warning_over_the_vc_api(client):
    # Trust apart from proof (issue 15): VC-API `verified` reports proof, status and validity; the registry lookup
    # is a check of its own, a warning when the issuer is unknown -- as the VC-API and W3C suites expect.
    signed = did_key_signed()
    response = verify(client, signed)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["verified"] is True and body["verdict"] == "unknown_issuer" and body["errors"] == []
    assert "proof" in body["checks"]  # the signature itself is fine; who made it is not known
    issuer_warning = next(w for w in body["warnings"] if w["check"] == "issuer")
    assert signed["issuer"] in issuer_warning["reason"] and "not in the trust registry" in issuer_warning["reason"]
    assert body["issuer"] is None and body["verdict_text"] == "Correctly signed, but by an issuer we cannot identify"


def test_people_see_three_plainly_different_verdicts(client, make_org):
    """Valid from an organisation the registry knows (green, named as the registry knows it); correctly signed by
    an issuer we cannot identify (amber, saying exactly that); not valid (red, with the reason). Never green for an
    unknown issuer."""
    import re

    org = make_org("three-verdicts", legal_name="Biedrība „Zināmā”")
    _, known = issue(client, org)
    _, altered = issue(client, org, record_body(hours=5, start_date="2026-07-01", end_date="2026-07-01"))
    altered = copy.deepcopy(altered["credential"])
    altered["credentialSubject"]["result"][0]["value"] = "500"
    pages = {
        name: post_form(client, "/verify?lang=en", data={"credential": json.dumps(credential)}).text
        for name, credential in (("known", known["credential"]), ("unknown", did_key_signed()), ("altered", altered))
    }
    tone = {name: re.search(r'class="verdict verdict--(\w+)"', html)[1] for name, html in pages.items()}
    assert tone == {"known": "good", "unknown": "caution", "altered": "bad"}
    assert "Biedrība „Zināmā”" in pages["known"]
    assert "Correctly signed, but by an issuer we cannot identify" in pages["unknown"]
    assert "not in the trust registry" in pages["unknown"] and "Biedrība „Zināmā”" not in pages["unknown"]
    assert "Invalid" in pages["altered"] and "signature does not match the content" in pages["altered"]
    lv = post_form(client, "/verify", data={"credential": json.dumps(did_key_signed())}).text
    assert "Pareizi parakstīts, bet izdevēju nevar identificēt" in lv


def test_tones_of_every_verdict():
    from verify.core import VERDICTS
    from verify.view import tone

    tones = {verdict: tone(verdict) for verdict in VERDICTS}
    assert [v for v, t in tones.items() if t == "good"] == ["valid"]
    assert {v for v, t in tones.items() if t == "caution"} == {"unknown_issuer", "could_not_check"}
    assert {"invalid", "revoked", "suspended", "expired", "not_yet_valid"} == {
        v for v, t in tones.items() if t == "bad"
    }


def test_bulk_check_names_the_unknown_issuer_amber_verdict(client, make_org):
    import csv
    import io
    import zipfile

    org = make_org("bulk-amber")
    _, known = issue(client, org)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a-known.json", json.dumps(known["credential"]))
        archive.writestr("b-unknown.json", json.dumps(did_key_signed()))
    response = client.post("/verify/bulk?lang=en", files={"file": ("two.zip", buffer.getvalue(), "application/zip")})
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [(r["verdict"], bool(r["issuer"])) for r in rows] == [("valid", True), ("unknown_issuer", False)]
    assert rows[1]["reason"].startswith("Correctly signed, but by an issuer we cannot identify: The issuer did:key:")


# -- proof sets and chains: a second proof by another party is allowed -------------------------------------------


def witness_proof(document, key=None, **options):
    key = key or Ed25519PrivateKey.generate()
    did = did_key_for(key.public_key())
    return sign(
        document,
        suite=Ed25519Signature(key),
        verification_method=did_key_verification_method_id(did),
        loader=credential_loader(),
        **options,
    )


def test_a_witness_proof_beside_the_issuers_is_checked_against_its_own_key(client, make_org):
    org = make_org("witnessed")
    _, issued = issue(client, org)
    witnessed = witness_proof(issued["credential"])
    assert len(witnessed["proof"]) == 2
    body = verify(client, witnessed).json()
    assert body["verdict"] == "valid", body
    assert {"proof", "additionalProof"} <= set(body["checks"])
    # A witness proof that does not verify vouches for nothing, and takes nothing from the issuer's proof.
    broken = copy.deepcopy(witnessed)
    broken["proof"][1]["proofValue"] = broken["proof"][1]["proofValue"][:-2] + "11"
    body = verify(client, broken).json()
    assert body["verdict"] == "valid", body
    assert [w["check"] for w in body["warnings"]] == ["additionalProof"]
    # A witness whose DID this service cannot resolve (nothing is fetched): reported, not decisive.
    elsewhere = copy.deepcopy(witnessed)
    elsewhere["proof"][1]["verificationMethod"] = "did:web:witness.example#key-1"
    body = verify(client, elsewhere).json()
    assert body["verdict"] == "valid" and "could not be checked" in body["warnings"][0]["reason"]
    # Without the issuer's own proof, the witness's proof does not make it the issuer's credential.
    only_witness = {**witnessed, "proof": witnessed["proof"][1]}
    body = verify(client, only_witness).json()
    assert body["verdict"] == "invalid" and body["verified"] is False
    assert "None of the signatures is by the issuer" in next(
        e["reason"] for e in body["errors"] if e["check"] == "proof"
    )


def test_w3c_proof_set_and_chain_vectors(client):
    """The vc-di-eddsa proof set and chain vectors: every proof verifies against its own did:key, none of them
    is the issuer's (an https: URL we cannot resolve offline), so the verdict is that it could not be checked --
    never that it was changed, never a 500."""
    from tests.credentials.conftest import vector

    for name in ("signedProofSet1", "signedProofSet2", "signedProofChain1", "signedProofChain2"):
        document = vector(f"eddsa-rdfc-2022/proof-set-chain/{name}.json")
        response = verify(client, document)
        assert response.status_code == 422, (name, response.text)
        body = response.json()
        assert body["verdict"] == "could_not_check", (name, body)
        proofs = document["proof"] if isinstance(document["proof"], list) else [document["proof"]]
        assert body["checks"].count("additionalProof") == len(proofs), (name, body)
        proof_error = next(e for e in body["errors"] if e["check"] == "proof")
        assert (
            "https://vc.example/issuers/5678" in proof_error["reason"] and "cannot be checked" in proof_error["reason"]
        )
    chain = vector("eddsa-rdfc-2022/proof-set-chain/signedProofChain2.json")
    chain["proof"][-1]["previousProof"] = 5  # issue 15: a TypeError and a 500 before
    body = verify(client, chain).json()
    assert body["verdict"] == "could_not_check" and "additionalProof" in [w["check"] for w in body["warnings"]]


def test_proof_set_and_chain_with_the_w3c_keys_and_a_did_key_issuer(client):
    from credentials.proofs.dataintegrity import Ed25519Signature as Suite
    from tests.credentials.conftest import secret_key, vector

    pairs = vector("eddsa-rdfc-2022/proof-set-chain/multiKeyPairs.json")
    keys = [secret_key(pairs[f"keyPair{n}"]) for n in (1, 2, 3)]
    issuer = did_key_for(keys[0].public_key())
    credential = plain_credential(issuer, validFrom="2023-01-01T00:00:00Z")
    signed = sign(
        credential,
        suite=Suite(keys[0]),
        verification_method=did_key_verification_method_id(issuer),
        proof_id="urn:uuid:issuer-proof",
        loader=credential_loader(),
    )
    signed = witness_proof(signed, keys[1], proof_id="urn:uuid:witness-proof")
    signed = witness_proof(signed, keys[2], previous_proof=["urn:uuid:issuer-proof", "urn:uuid:witness-proof"])
    response = verify(client, signed)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["verdict"] == "unknown_issuer" and body["verified"] is True
    assert body["checks"].count("additionalProof") == 2 and "proof" in body["checks"]


def test_unknown_context_is_invalid(client, make_org):
    org = make_org("ctx")
    _, issued = issue(client, org)
    changed = copy.deepcopy(issued["credential"])
    changed["@context"].append("https://evil.example/context.jsonld")
    body = verify(client, changed).json()
    assert body["verdict"] == "invalid"
    assert any(e["check"] == "jsonld" for e in body["errors"])


def test_status_list_that_cannot_be_fetched(client, make_org, session_factory, settings):
    org = make_org("elsewhere")
    credential = plain_credential(
        org.did,
        validFrom=format_created(datetime.now(UTC)),
        credentialStatus={
            "id": "https://status.elsewhere.example/lists/1#5",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": "5",
            "statusListCredential": "https://status.elsewhere.example/lists/1",
        },
    )
    signed, _ = sign_as(session_factory, settings, org.slug, credential)
    response = verify(client, signed)
    assert response.status_code == 422
    assert response.json()["verdict"] == "could_not_check"
    assert response.json()["verified"] is False


@pytest.mark.parametrize("field, delta, verdict", [("validUntil", -1, "expired"), ("validFrom", +1, "not_yet_valid")])
def test_validity_dates(client, make_org, session_factory, settings, field, delta, verdict):
    org = make_org(f"dates-{verdict.replace('_', '-')}")
    when = format_created(datetime.now(UTC) + timedelta(days=delta))
    extra = {field: when}
    if field == "validUntil":
        extra["validFrom"] = format_created(datetime.now(UTC) - timedelta(days=10))
    signed, _ = sign_as(session_factory, settings, org.slug, plain_credential(org.did, **extra))
    body = verify(client, signed).json()
    assert body["verdict"] == verdict, body


def test_malformed_credential(client):
    body = verify(client, {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["Nothing"]}).json()
    assert body["verdict"] == "invalid"
    missing = client.post("/credentials/verify", json={"credential": {}})
    assert missing.status_code == 422 and missing.headers["content-type"] == "application/problem+json"


def test_key_of_another_organisation_cannot_speak_for_the_issuer(client, make_org, session_factory, settings):
    signer, claimed = make_org("signer"), make_org("claimed", legal_name="Biedrība „Uzdotā”")
    credential = plain_credential(claimed.did, validFrom=format_created(datetime.now(UTC)))
    signed, _ = sign_as(session_factory, settings, signer.slug, credential)
    body = verify(client, signed).json()
    assert body["verdict"] != "valid"
    assert any(e["check"] == "proof" for e in body["errors"])


def test_revocation_shows_although_the_list_was_verified_before(client, make_org):
    # Status lists are verified once per version and remembered: a new bit makes a new version.
    org = make_org("remembered")
    _, issued = issue(client, org)
    assert verify(client, issued["credential"]).json()["verdict"] == "valid"
    client.post(f"/credentials/{issued['credential_id']}/revoke", json={"reason": "Kļūda"}, headers=org.headers())
    assert verify(client, issued["credential"]).json()["verdict"] == "revoked"
    client.post(f"/credentials/{issued['credential_id']}/unsuspend", headers=org.headers())
    assert verify(client, issued["credential"]).json()["verdict"] == "revoked"


def test_verification_does_not_wait_for_an_issuing_transaction(client, make_org, session_factory):
    import threading

    from sqlalchemy import update

    from issuers.store import OrganisationRow

    org = make_org("busy")
    _, issued = issue(client, org)
    assert verify(client, issued["credential"]).json()["verdict"] == "valid"  # its status lists are signed now
    writer = session_factory()
    try:
        # a long write transaction (a bulk issuance, say) holds the database's write lock
        writer.execute(update(OrganisationRow).where(OrganisationRow.id == org.org_id).values(website=None))
        answers = []

        def read():
            answers.append(verify(client, issued["credential"]).json()["verdict"])
            answers.append(client.get(f"/v/{issued['credential_id']}").status_code)  # the page the QR code opens

        reader = threading.Thread(target=read)
        reader.start()
        reader.join(timeout=10)
        assert answers == ["valid", 200]
    finally:
        writer.rollback()
        writer.close()


@pytest.mark.parametrize("index", ["-1", " 5", "+5", "5_0", 5])
def test_a_status_list_index_not_written_as_digits_is_not_read(client, make_org, session_factory, settings, index):
    # Python's int() takes all of these, and a negative index read a bit from the end of the list.
    org = make_org(f"index-{abs(hash(str(index))) % 10**6}")
    _, issued = issue(client, org)
    credential = {k: v for k, v in copy.deepcopy(issued["credential"]).items() if k != "proof"}
    for entry in credential["credentialStatus"]:
        entry["statusListIndex"] = index
    signed, _ = sign_as(session_factory, settings, org.slug, credential)
    body = verify(client, signed).json()
    assert body["verdict"] == "could_not_check" and body["verified"] is False, body
    assert {e["check"] for e in body["errors"]} == {"status:revocation", "status:suspension"}
    assert "statusListIndex" in body["errors"][0]["reason"]
