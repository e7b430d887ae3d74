"""Verifiers keep what they read about an issuer between requests (verify.store.IssuerSnapshots): every change a
verifier must see is seen by the very next verification, and a verification of a known issuer costs one query."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import event, select

from base.db import transaction
from credentials import service as credentials
from credentials import status_lists as credentials_status_lists
from issuers import service as issuers
from issuers.store import OrganisationRow
from tests.credentials.helpers import issue, record_body
from tests.verify.test_verdicts import verify
from verify.core import verify_credential
from verify.store import ServicePorts, verify_with_service
from volcred.cli import Runtime


def on_day(day: int) -> dict:
    """A record of its own (one volunteer, one mission type and period per record)."""
    return record_body(start_date=f"2026-07-{day:02d}", end_date=f"2026-07-{day:02d}", hours=4)


def version(session_factory, slug: str) -> int:
    with transaction(session_factory) as session:
        return session.scalar(select(OrganisationRow.verification_version).where(OrganisationRow.slug == slug))


def test_a_revocation_is_seen_by_the_next_verification(client, make_org):
    org = make_org("snap-revoke")
    _, issued = issue(client, org)
    _, other = issue(client, org, on_day(1))
    assert verify(client, issued["credential"]).json()["verdict"] == "valid"  # the issuer is now remembered
    assert verify(client, other["credential"]).json()["verdict"] == "valid"

    client.post(f"/credentials/{issued['credential_id']}/revoke", json={"reason": "Kļūda"}, headers=org.headers())
    assert verify(client, issued["credential"]).json()["verdict"] == "revoked"
    assert verify(client, other["credential"]).json()["verdict"] == "valid"

    client.post(f"/credentials/{other['credential_id']}/suspend", json={"reason": "Pārbaude"}, headers=org.headers())
    assert verify(client, other["credential"]).json()["verdict"] == "suspended"
    client.post(f"/credentials/{other['credential_id']}/unsuspend", json={}, headers=org.headers())
    assert verify(client, other["credential"]).json()["verdict"] == "valid"
    # and the public page, which reads through the same snapshots
    page = client.get(f"/v/{issued['credential_id']}")
    assert 'data-verdict="revoked"' in page.text


def test_a_key_compromise_is_seen_by_the_next_verification(client, make_org):
    org = make_org("snap-leak")
    _, issued = issue(client, org)
    assert verify(client, issued["credential"]).json()["verdict"] == "valid"
    since = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    answer = client.post(
        f"/organisations/{org.slug}/keys/key-1/compromise", json={"since": since}, headers=org.headers("admin")
    )
    assert answer.status_code == 200, answer.text
    body = verify(client, issued["credential"]).json()
    assert body["verdict"] == "invalid" and any(e["check"] == "key" for e in body["errors"])


def test_a_new_key_and_a_suspended_issuer_are_seen_by_the_next_verification(client, make_org, platform_admin):
    org = make_org("snap-rotate")
    _, before = issue(client, org)
    assert verify(client, before["credential"]).json()["verdict"] == "valid"
    assert client.post(f"/organisations/{org.slug}/keys/rotate", headers=org.headers("admin")).status_code in (200, 201)
    _, after = issue(client, org, on_day(2))  # signed with key-2, which the remembered DID document did not have
    assert after["credential"]["proof"]["verificationMethod"].endswith("#key-2")
    assert verify(client, after["credential"]).json()["verdict"] == "valid"

    assert client.post(f"/organisations/{org.slug}/suspend", headers=platform_admin).status_code == 200
    body = verify(client, after["credential"]).json()
    assert any(w["check"] == "issuer" for w in body["warnings"]), body


def test_a_renamed_issuer_is_named_anew(client, make_org):
    org = make_org("snap-rename", legal_name="Biedrība „Vecais vārds”")
    _, issued = issue(client, org)
    assert verify(client, issued["credential"]).json()["issuer"]["legal_name"] == "Biedrība „Vecais vārds”"
    changed = client.patch(
        f"/organisations/{org.slug}", json={"legal_name": "Biedrība „Jaunais vārds”"}, headers=org.headers("admin")
    )
    assert changed.status_code == 200, changed.text
    assert verify(client, issued["credential"]).json()["issuer"]["legal_name"] == "Biedrība „Jaunais vārds”"


def test_the_version_moves_with_what_verifiers_read_and_only_then(client, make_org, session_factory, settings):
    org = make_org("snap-version")
    start = version(session_factory, org.slug)
    _, issued = issue(client, org)
    _, second = issue(client, org, on_day(3))
    # Issuing takes status indices (allocation) and nothing a verifier reads: issuance bursts keep the snapshot.
    assert version(session_factory, org.slug) == start
    ctx = issuers.IssuerContext(settings.public_base_url, settings.encryption_key)
    with transaction(session_factory) as session:  # (re-)signing a list whose bits did not change
        credentials_status_lists.signed_status_list(session, ctx, org.slug, "revocation", 1)
    assert version(session_factory, org.slug) == start
    client.post(f"/credentials/{issued['credential_id']}/revoke", json={"reason": "Kļūda"}, headers=org.headers())
    revoked = version(session_factory, org.slug)
    assert revoked > start
    client.post(f"/credentials/{second['credential_id']}/suspend", json={"reason": "Pārbaude"}, headers=org.headers())
    assert version(session_factory, org.slug) > revoked
    before_rotation = version(session_factory, org.slug)
    client.post(f"/organisations/{org.slug}/keys/rotate", headers=org.headers("admin"))
    assert version(session_factory, org.slug) > before_rotation


def test_an_uncommitted_change_never_reaches_other_verifications(client, make_org, session_factory, settings):
    """A revocation that is rolled back must not leave its bits behind under a version number that the next real
    change will take."""
    org = make_org("snap-rollback")
    _, issued = issue(client, org)
    _, other = issue(client, org, on_day(4))
    ctx = issuers.IssuerContext(settings.public_base_url, settings.encryption_key)
    assert verify_with_service(session_factory, ctx, issued["credential"]).verdict == "valid"

    session = session_factory()
    try:
        credentials.change_credential_status(session, Runtime.operator, issued["credential_id"], "revoke", "Kļūda")
        session.flush()
        inside = ServicePorts(session, ctx)  # sees its own uncommitted revocation
        assert verify_credential(issued["credential"], inside).verdict == "revoked"
    finally:
        session.rollback()
        session.close()

    # The next real change takes the version the rolled-back one had: its own bits must be what is answered.
    client.post(f"/credentials/{other['credential_id']}/revoke", json={"reason": "Kļūda"}, headers=org.headers())
    assert verify_with_service(session_factory, ctx, issued["credential"]).verdict == "valid"
    assert verify_with_service(session_factory, ctx, other["credential"]).verdict == "revoked"


def test_a_verification_of_a_known_issuer_costs_one_query(client, make_org, session_factory, settings):
    org = make_org("snap-queries")
    _, first = issue(client, org)
    _, second = issue(client, org, on_day(3))
    ctx = issuers.IssuerContext(settings.public_base_url, settings.encryption_key)
    assert verify_with_service(session_factory, ctx, first["credential"]).verdict == "valid"

    statements: list[str] = []
    engine = session_factory.kw["bind"]

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        assert verify_with_service(session_factory, ctx, second["credential"]).verdict == "valid"
    finally:
        event.remove(engine, "before_cursor_execute", count)
    queries = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(queries) == 1 and "verification_version" in queries[0], statements


def test_status_lists_signed_before_a_key_compromise_are_signed_again(client, make_org):
    """Lists signed with a key later reported compromised cannot be trusted by anyone: without signing them again,
    every credential of the organisation would be 'could not check' until its next status change."""
    org = make_org("snap-leak-lists")
    _, issued = issue(client, org)
    assert verify(client, issued["credential"]).json()["verdict"] == "valid"  # the lists are now signed by key-1
    answer = client.post(f"/organisations/{org.slug}/keys/key-1/compromise", json={}, headers=org.headers("admin"))
    assert answer.status_code == 200, answer.text

    body = verify(client, issued["credential"]).json()
    assert body["verdict"] == "valid", body  # issued before the compromise: valid, with a warning about the key
    assert any(w["check"] == "key" for w in body["warnings"])
    status_list = client.get(issued["credential"]["credentialStatus"][0]["statusListCredential"]).json()
    assert status_list["proof"]["verificationMethod"].endswith("#key-2")
