"""The authorisation matrix for records and credentials: every caller against every write endpoint."""

from __future__ import annotations

import pytest

from tests.authz import check_matrix
from tests.credentials.helpers import issue, record_body


@pytest.fixture
def orgs(client, make_org):
    own, other = make_org("own-records"), make_org("other-records")
    limited = client.post(
        f"/organisations/{own.slug}/tokens",
        json={"name": "status only", "scopes": ["credentials:status"]},
        headers=own.headers("admin"),
    ).json()["token"]
    return own, other, limited


def matrix(client, session_factory, orgs, platform_admin, call, allowed):
    own, other, limited = orgs
    check_matrix(client, session_factory, own, other, platform_admin, call, allowed, limited)


RECORD_WRITERS = {"own_token", "own_admin", "own_coordinator"}


def test_create_record(client, session_factory, orgs, platform_admin):
    # The body names the organisation: another organisation's caller is then trying to act for it.
    bodies = iter(
        record_body(start_date=f"2026-05-{day:02d}", end_date=f"2026-05-{day:02d}", hours=3, organisation=orgs[0].slug)
        for day in range(1, 29)
    )
    matrix(
        client,
        session_factory,
        orgs,
        platform_admin,
        lambda h, caller: client.post("/records", json=next(bodies), headers=h),
        RECORD_WRITERS,
    )


def test_approve_and_issue_record(client, session_factory, orgs, platform_admin):
    own = orgs[0]
    records = {
        caller: client.post(
            "/records",
            json=record_body(start_date=f"2026-04-{n:02d}", end_date=f"2026-04-{n:02d}", hours=2),
            headers=own.headers(),
        ).json()["id"]
        for n, caller in enumerate(sorted(RECORD_WRITERS) + ["refused"], start=1)
    }
    matrix(
        client,
        session_factory,
        orgs,
        platform_admin,
        lambda h, caller: client.post(f"/records/{records.get(caller, records['refused'])}/issue", headers=h),
        RECORD_WRITERS,
    )


@pytest.mark.parametrize("action", ["revoke", "suspend"])
def test_status_changes(client, session_factory, orgs, platform_admin, action):
    own = orgs[0]
    credentials = {}
    for n, caller in enumerate(sorted(RECORD_WRITERS | {"own_token_no_scope"}) + ["refused"], start=1):
        _, issued = issue(client, own, record_body(start_date=f"2026-03-{n:02d}", end_date=f"2026-03-{n:02d}", hours=2))
        credentials[caller] = issued["credential_id"]
    matrix(
        client,
        session_factory,
        orgs,
        platform_admin,
        lambda h, caller: client.post(
            f"/credentials/{credentials.get(caller, credentials['refused'])}/{action}",
            json={"reason": "matrix"},
            headers=h,
        ),
        RECORD_WRITERS | {"own_token_no_scope"},
    )


def test_vc_api_issue(client, session_factory, orgs, platform_admin):
    own = orgs[0]
    credential = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "issuer": own.did,
        "credentialSubject": {"id": "did:example:someone"},
    }
    matrix(
        client,
        session_factory,
        orgs,
        platform_admin,
        lambda h, caller: client.post("/credentials/issue", json={"credential": credential}, headers=h),
        {"own_token", "own_admin", "own_coordinator"},
    )
