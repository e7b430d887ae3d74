"""A level credential the platform signs verifies with the published-contexts-only JS verifier (status list
included), and shows suspended there once a counted credential's revocation leaves it under its threshold."""

from __future__ import annotations

import json
from datetime import date

import httpx
import pytest

from base.db import transaction
from credentials.holders import service as holders
from credentials.levels import service
from issuers import service as issuers
from issuers.service import IssuerContext
from issuers.store import UserRow
from tests.credentials.helpers import record_body
from tests.credentials.levels.helpers import ADMIN, scheme_form
from tests.interop.published import PublishedVerifier, service_documents, verify_with_published_contexts
from tests.interop.test_statement_interop import create_org_with_cli


@pytest.fixture(scope="module")
def published():
    verifier = PublishedVerifier()
    yield verifier
    verifier.close()


def test_a_level_credential_verifies_with_published_contexts_only(
    published, live_server, session_factory, settings, database_url, tmp_path
):
    org = create_org_with_cli(live_server, database_url, tmp_path, "Biedrība „Līmeņi”")
    headers = {"Authorization": f"Bearer {org['token']}"}
    counted = []
    for hours, end in ((30, "2026-03-10"), (25, "2026-04-10")):
        body = record_body(hours=hours, start_date=end[:-2] + "01", end_date=end)
        record = httpx.post(f"{live_server.url}/records", json=body, headers=headers)
        assert record.status_code == 201, record.text
        issued = httpx.post(f"{live_server.url}/records/{record.json()['id']}/issue", headers=headers)
        assert issued.status_code == 201, issued.text
        counted.append(issued.json()["credential_id"])
    ctx = IssuerContext(live_server.url, settings.encryption_key)  # the live server's key (TEST_KEK) and address
    with transaction(session_factory) as session:
        user = issuers.create_user(session, "anna@example.lv", "Anna Ozola", "anna-password-1")
        holder = holders.holder_for_user(session, user.id, "lv")
        for credential_id in counted:
            holders.hold(session, holder, credential_id, "email")
        scheme = service.create_scheme(session, ADMIN, scheme_form())
        silver = service.scheme_levels(session, scheme.id)[0]
    with transaction(session_factory) as session:
        award = service.request_level(
            session, ctx, session.get(UserRow, user.id), scheme.id, silver.id, "lv", date(2026, 12, 5)
        )
        award_id = award.id
    level = httpx.get(f"{live_server.url}/levels/credentials/{award_id}").json()
    result = verify_with_published_contexts([level], service_documents([level]), verifier=published)[0]
    assert result["verified"] is True, result
    assert result["statuses"] == [{"purpose": "suspension", "set": False}]
    ours = httpx.post(f"{live_server.url}/credentials/verify", json={"verifiableCredential": level}).json()
    assert ours["verified"] is True, json.dumps(ours)

    revoked = httpx.post(
        f"{live_server.url}/credentials/{counted[0]}/revoke", json={"reason": "Kļūda"}, headers=headers
    )
    assert revoked.status_code == 200, revoked.text
    after = verify_with_published_contexts([level], service_documents([level]), verifier=published)[0]
    assert after["verified"] is False
    assert after["statuses"] == [{"purpose": "suspension", "set": True}]
