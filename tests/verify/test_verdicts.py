"""Every verdict of the verifier, on real credentials issued by the service (and a few made to fail)."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta, timezone

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from credentials.dataintegrity import Ed25519Signature, format_created, sign
from credentials.service import credential_loader
from issuers import service as issuers
from issuers.multikey import did_key_for, did_key_verification_method_id
from tests.credentials.helpers import issue, record_body
from volcred.db import transaction


def verify(client, credential, lang="en"):
    response = client.post("/credentials/verify", json={"verifiableCredential": credential,
                                                         "options": {"unknownOption": True}},
                           headers={"Accept-Language": lang})
    return response


def sign_as(session_factory, settings, slug, document):
    ctx = issuers.IssuerContext(settings.public_base_url, settings.encryption_key)
    with transaction(session_factory) as session:
        identity = issuers.signing_identity(session, ctx, issuers.get_organisation(session, slug))
    return sign(document, suite=Ed25519Signature(identity.private_key), verification_method=identity.verification_method,
                loader=credential_loader()), identity.issuer_did


def plain_credential(issuer, **extra):
    return {"@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
            "type": ["VerifiableCredential"], "issuer": issuer,
            "credentialSubject": {"id": "did:example:volunteer", "name": "Test"}, **extra}


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
    credential = plain_credential({"id": org.did, "name": "Ministry of Everything"},
                                  validFrom=format_created(datetime.now(timezone.utc)))
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
    client.post(f"/credentials/{suspended['credential_id']}/suspend", json={"reason": "Pārbaude"}, headers=org.headers())
    assert verify(client, revoked["credential"]).json()["verdict"] == "revoked"
    body = verify(client, suspended["credential"], lang="lv").json()
    assert body["verdict"] == "suspended" and body["verdict_text"] == "Apturēts"


def test_compromised_key(client, make_org):
    org = make_org("leaky")
    _, before = issue(client, org)
    # Compromised from a moment before issuance: the signature cannot be trusted.
    since = (datetime.now(timezone.utc) - timedelta(hours=1)).isoformat()
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


def test_unknown_did_key_issuer(client):
    key = Ed25519PrivateKey.generate()
    did = did_key_for(key.public_key())
    credential = plain_credential(did, validFrom=format_created(datetime.now(timezone.utc)))
    signed = sign(credential, suite=Ed25519Signature(key), verification_method=did_key_verification_method_id(did),
                  loader=credential_loader())
    body = verify(client, signed).json()
    assert body["verdict"] == "unknown_issuer"
    assert "proof" in body["checks"]  # the signature itself is fine; who made it is not known


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
    credential = plain_credential(org.did, validFrom=format_created(datetime.now(timezone.utc)), credentialStatus={
        "id": "https://status.elsewhere.example/lists/1#5", "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation", "statusListIndex": "5",
        "statusListCredential": "https://status.elsewhere.example/lists/1"})
    signed, _ = sign_as(session_factory, settings, org.slug, credential)
    response = verify(client, signed)
    assert response.status_code == 422
    assert response.json()["verdict"] == "could_not_check"
    assert response.json()["verified"] is False


@pytest.mark.parametrize("field, delta, verdict", [("validUntil", -1, "expired"), ("validFrom", +1, "not_yet_valid")])
def test_validity_dates(client, make_org, session_factory, settings, field, delta, verdict):
    org = make_org(f"dates-{verdict.replace('_', '-')}")
    when = format_created(datetime.now(timezone.utc) + timedelta(days=delta))
    extra = {field: when}
    if field == "validUntil":
        extra["validFrom"] = format_created(datetime.now(timezone.utc) - timedelta(days=10))
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
    credential = plain_credential(claimed.did, validFrom=format_created(datetime.now(timezone.utc)))
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
