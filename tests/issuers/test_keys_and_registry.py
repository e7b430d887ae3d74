"""Signing keys at rest, did:web documents, rotation and compromise, and the trust registry."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from sqlalchemy import select

from base.db import transaction
from issuers import service
from issuers.did import did_web_document_url, did_web_for, slug_from_did_web
from issuers.keys import KeyDecryptionError, decrypt_private_key
from issuers.multikey import decode_public_multikey, did_key_for
from issuers.store import SigningKeyRow


def context(settings, kek=None):
    return service.IssuerContext(settings.public_base_url, kek or settings.encryption_key)


def identity(session_factory, settings, slug, kek=None):
    with transaction(session_factory) as session:
        return service.signing_identity(session, context(settings, kek), service.get_organisation(session, slug))


def test_private_key_at_rest_is_unreadable_without_the_settings_key(make_org, session_factory, settings):
    org = make_org("secret-keys")
    signer = identity(session_factory, settings, org.slug)
    raw = signer.private_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    with session_factory() as session:
        row = session.scalar(select(SigningKeyRow).where(SigningKeyRow.organisation_id == org.org_id))
        blob = row.encrypted_private_key
    assert raw not in blob and base64.b64encode(raw) not in blob
    wrong_kek = bytes(32)
    with pytest.raises(KeyDecryptionError):
        decrypt_private_key(blob, wrong_kek, row.id)
    with pytest.raises(KeyDecryptionError):
        identity(session_factory, settings, org.slug, kek=wrong_kek)
    # Bound to its row: the same ciphertext under another key id does not open.
    with pytest.raises(KeyDecryptionError):
        decrypt_private_key(blob, settings.encryption_key, "another-row")
    assert decrypt_private_key(blob, settings.encryption_key, row.id).public_key() == signer.private_key.public_key()


def test_private_keys_never_leave_through_the_api(client, make_org):
    org = make_org("no-leaks")
    texts = [
        client.get(f"/organisations/{org.slug}", headers=org.headers("admin")).text,
        client.get(f"/organisations/{org.slug}/keys", headers=org.headers("admin")).text,
        client.get(f"/issuers/{org.slug}/did.json").text,
        client.get("/registry").text,
    ]
    for text in texts:
        assert "encrypted" not in text and "private" not in text.lower() and "secretKey" not in text


@pytest.mark.parametrize(
    "base_url, did, url",
    [
        (
            "http://127.0.0.1:8000",
            "did:web:127.0.0.1%3A8000:issuers:zala",
            "http://127.0.0.1:8000/issuers/zala/did.json",
        ),
        (
            "https://credentials.example.lv",
            "did:web:credentials.example.lv:issuers:zala",
            "https://credentials.example.lv/issuers/zala/did.json",
        ),
        (
            "https://example.lv:8443/volcred/",
            "did:web:example.lv%3A8443:volcred:issuers:zala",
            "https://example.lv:8443/volcred/issuers/zala/did.json",
        ),
    ],
)
def test_did_web_identifiers_with_and_without_port(base_url, did, url):
    assert did_web_for(base_url, "zala") == did
    assert did_web_document_url(did) == url
    assert slug_from_did_web(did + "#key-1", base_url) == "zala"
    assert slug_from_did_web("did:web:elsewhere.example:issuers:zala", base_url) is None


@pytest.mark.parametrize("base_url", ["http://127.0.0.1:8000", "https://vc.example.lv"])
def test_did_document_is_served_and_resolves_from_the_registry(base_url, database_url, tmp_path):
    from fastapi.testclient import TestClient

    from tests.conftest import TEST_KEK
    from volcred.app import create_app
    from volcred.settings import Settings

    settings = Settings(
        data_dir=tmp_path / "v", database_url=database_url, base_url=base_url, key_encryption_key=TEST_KEK
    )
    app = create_app(settings)
    with TestClient(app) as client, transaction(app.state.session_factory) as session:
        from issuers.organisations import OrganisationInput

        org = service.register_organisation(
            session,
            context(settings),
            OrganisationInput(legal_name="Biedrība Ports", registration_number="40003032949", slug="ports"),
        )
        service.verify_now(session, org)
    with TestClient(app) as client:
        document = client.get("/issuers/ports/did.json")
        assert document.headers["content-type"] == "application/did+json"
        body = document.json()
        expected = did_web_for(base_url, "ports")
        assert body["id"] == expected
        assert body["assertionMethod"] == [f"{expected}#key-1"]
        method = body["verificationMethod"][0]
        assert method["type"] == "Multikey" and method["controller"] == expected
        with app.state.session_factory() as session:
            assert service.resolve_did(session, base_url, expected + "#key-1") == body
    app.state.engine.dispose()


def test_rotation_keeps_old_signatures_verifiable(client, make_org, session_factory, settings):
    org = make_org("rotating")
    old = identity(session_factory, settings, org.slug)
    message = b"a credential signed before rotation"
    signature = old.private_key.sign(message)

    assert client.post(f"/organisations/{org.slug}/keys/rotate", headers=org.headers("admin")).status_code == 201
    new = identity(session_factory, settings, org.slug)
    assert new.verification_method == f"{org.did}#key-2" and old.verification_method == f"{org.did}#key-1"

    document = client.get(f"/issuers/{org.slug}/did.json").json()
    assert document["assertionMethod"] == [f"{org.did}#key-1", f"{org.did}#key-2"]
    methods = {m["id"]: m for m in document["verificationMethod"]}
    decode_public_multikey(methods[old.verification_method]["publicKeyMultibase"]).verify(signature, message)
    statuses = [k["status"] for k in client.get(f"/organisations/{org.slug}/keys", headers=org.headers("admin")).json()]
    assert statuses == ["retired", "active"]


def test_compromised_key_leaves_assertion_method_and_is_replaced(client, make_org, session_factory, settings):
    org = make_org("compromised")
    since = (datetime.now(UTC) - timedelta(days=2)).replace(microsecond=0)
    response = client.post(
        f"/organisations/{org.slug}/keys/key-1/compromise",
        json={"since": since.isoformat()},
        headers=org.headers("admin"),
    )
    assert response.status_code == 200, response.text
    document = client.get(f"/issuers/{org.slug}/did.json").json()
    assert document["assertionMethod"] == [f"{org.did}#key-2"]
    assert f"{org.did}#key-1" in [m["id"] for m in document["verificationMethod"]]
    entry = client.get(f"/registry/{org.did}").json()
    key1 = next(k for k in entry["keys"] if k["id"].endswith("#key-1"))
    assert key1["status"] == "compromised"
    assert datetime.fromisoformat(key1["not_trusted_from"]) == since
    assert identity(session_factory, settings, org.slug).verification_method == f"{org.did}#key-2"
    future = client.post(
        f"/organisations/{org.slug}/keys/key-2/compromise",
        json={"since": "2999-01-01T00:00:00Z"},
        headers=org.headers("admin"),
    )
    assert future.status_code == 422


def test_registry_lists_verified_issuers_with_key_history(client, make_org, platform_admin):
    org = make_org("registered", legal_name="Biedrība „Reģistrā”", municipality="Valmieras novads")
    make_org("waiting", status="pending")
    client.post(f"/organisations/{org.slug}/keys/rotate", headers=org.headers("admin"))
    issuers = client.get("/registry").json()["issuers"]
    assert [e["slug"] for e in issuers] == ["registered"]
    entry = issuers[0]
    assert entry["did"] == org.did and entry["legal_name"] == "Biedrība „Reģistrā”"
    assert entry["legal_form"] == "association-or-foundation" and entry["municipality"] == "valmiera"
    assert entry["registration_number"] and entry["status"] == "verified" and entry["verified_since"]
    assert [k["status"] for k in entry["keys"]] == ["retired", "active"]
    # Both DIDs of the organisation are listed and each finds the same entry.
    assert len(entry["dids"]) == 3 and entry["dids"][0] == org.did
    for did in entry["dids"]:
        assert client.get(f"/registry/{did}").json()["registration_number"] == entry["registration_number"]
    assert client.get("/registry/did:web:127.0.0.1%3A8000:issuers:waiting").status_code == 404
    assert client.get("/registry/did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK").status_code == 404

    client.post(f"/organisations/{org.slug}/suspend", headers=platform_admin)
    assert client.get(f"/registry/{org.did}").json()["status"] == "suspended"


def test_organisation_may_issue_under_did_key(client, make_org, session_factory, settings):
    org = make_org("keyed")
    response = client.patch(
        f"/organisations/{org.slug}", json={"issuer_did_method": "key"}, headers=org.headers("admin")
    )
    assert response.status_code == 200 and response.json()["issuer_did_method"] == "key"
    signer = identity(session_factory, settings, org.slug)
    expected = did_key_for(signer.private_key.public_key())
    assert signer.issuer_did == expected
    assert signer.verification_method == f"{expected}#{expected.removeprefix('did:key:')}"
    assert client.get(f"/registry/{expected}").json()["issuer_did"] == expected


def test_suspended_or_pending_organisations_cannot_sign(make_org, session_factory, settings):
    from base.errors import UserError

    for status in ("pending", "suspended"):
        org = make_org(f"cannot-{status}", status=status)
        with pytest.raises(UserError) as error:
            identity(session_factory, settings, org.slug)
        assert error.value.kind == "forbidden"
