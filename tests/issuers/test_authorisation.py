"""Every write endpoint of the issuers package against every kind of caller."""

from __future__ import annotations

import pytest

from tests.authz import check_matrix


@pytest.fixture
def orgs(client, make_org):
    own, other = make_org("own-org"), make_org("other-org")
    limited = client.post(
        f"/organisations/{own.slug}/tokens",
        json={"name": "records only", "scopes": ["records:write"]},
        headers=own.headers("admin"),
    ).json()["token"]
    return own, other, limited


def matrix(client, session_factory, orgs, platform_admin, call, allowed):
    own, other, limited = orgs
    check_matrix(
        client, session_factory, own, other, platform_admin, lambda h, caller: call(own, h, caller), allowed, limited
    )


def test_update_organisation(client, session_factory, orgs, platform_admin):
    matrix(
        client,
        session_factory,
        orgs,
        platform_admin,
        lambda own, h, caller: client.patch(
            f"/organisations/{own.slug}", json={"website": "https://new.example.lv"}, headers=h
        ),
        {"own_token", "own_admin"},
    )


def test_upload_logo(client, session_factory, orgs, platform_admin):
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><rect width="4" height="4"/></svg>'
    matrix(
        client,
        session_factory,
        orgs,
        platform_admin,
        lambda own, h, caller: client.put(f"/organisations/{own.slug}/logo", files={"file": ("l.svg", svg)}, headers=h),
        {"own_token", "own_admin"},
    )


def test_upload_signature(client, session_factory, orgs, platform_admin):
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><path d="M0 0 L4 4"/></svg>'
    matrix(
        client,
        session_factory,
        orgs,
        platform_admin,
        lambda own, h, caller: client.put(
            f"/organisations/{own.slug}/signature", files={"file": ("s.svg", svg)}, headers=h
        ),
        {"own_token", "own_admin"},
    )


@pytest.mark.parametrize("action", ["verify", "suspend", "reinstate"])
def test_status_changes_are_for_platform_admins_only(client, session_factory, orgs, platform_admin, action):
    matrix(
        client,
        session_factory,
        orgs,
        platform_admin,
        lambda own, h, caller: client.post(f"/organisations/{own.slug}/{action}", headers=h),
        {"platform_admin"},
    )


def test_rotate_key(client, session_factory, orgs, platform_admin):
    matrix(
        client,
        session_factory,
        orgs,
        platform_admin,
        lambda own, h, caller: client.post(f"/organisations/{own.slug}/keys/rotate", headers=h),
        {"own_token", "own_admin"},
    )


def test_mark_key_compromised(client, session_factory, orgs, platform_admin):
    matrix(
        client,
        session_factory,
        orgs,
        platform_admin,
        lambda own, h, caller: client.post(f"/organisations/{own.slug}/keys/key-1/compromise", json={}, headers=h),
        {"own_token", "own_admin"},
    )


def test_create_token(client, session_factory, orgs, platform_admin):
    matrix(
        client,
        session_factory,
        orgs,
        platform_admin,
        lambda own, h, caller: client.post(f"/organisations/{own.slug}/tokens", json={"name": "ci"}, headers=h),
        {"own_token", "own_admin"},
    )


def test_revoke_token(client, session_factory, orgs, platform_admin):
    own = orgs[0]
    target = client.post(
        f"/organisations/{own.slug}/tokens", json={"name": "to revoke"}, headers=own.headers("admin")
    ).json()["id"]
    matrix(
        client,
        session_factory,
        orgs,
        platform_admin,
        lambda own, h, caller: client.post(f"/organisations/{own.slug}/tokens/{target}/revoke", headers=h),
        {"own_token", "own_admin"},
    )


def test_add_member(client, session_factory, orgs, platform_admin):
    from base.db import transaction
    from issuers import service

    with transaction(session_factory) as session:
        service.create_user(session, "new@person.example.lv", "New Person", "new-person-password")
    matrix(
        client,
        session_factory,
        orgs,
        platform_admin,
        lambda own, h, caller: client.post(
            f"/organisations/{own.slug}/members",
            json={"email": "new@person.example.lv", "role": "coordinator"},
            headers=h,
        ),
        {"own_token", "own_admin"},
    )


def test_remove_member(client, session_factory, orgs, platform_admin):
    from sqlalchemy import select

    from issuers.store import UserRow

    own = orgs[0]
    from base.db import transaction
    from issuers import service

    with transaction(session_factory) as session:
        service.create_user(session, "second@own-org.example.lv", "Second", "second-password-1")
    client.post(
        f"/organisations/{own.slug}/members",
        json={"email": "second@own-org.example.lv", "role": "coordinator"},
        headers=own.headers("admin"),
    )
    with session_factory() as session:
        ids = dict(session.execute(select(UserRow.email, UserRow.id)).all())
    # Each allowed caller removes a different member; refused ones aim at the coordinator.
    targets = {"own_admin": ids["coord@own-org.example.lv"], "own_token": ids["second@own-org.example.lv"]}
    matrix(
        client,
        session_factory,
        orgs,
        platform_admin,
        lambda own, h, caller: client.delete(
            f"/organisations/{own.slug}/members/{targets.get(caller, ids['coord@own-org.example.lv'])}", headers=h
        ),
        {"own_token", "own_admin"},
    )


def test_other_organisations_token_cannot_be_revoked_through_own_organisation(client, orgs):
    own, other, _ = orgs
    foreign = client.post(
        f"/organisations/{other.slug}/tokens", json={"name": "x"}, headers=other.headers("admin")
    ).json()["id"]
    response = client.post(f"/organisations/{own.slug}/tokens/{foreign}/revoke", headers=own.headers("admin"))
    assert response.status_code == 404
    assert (
        client.get(f"/organisations/{other.slug}/tokens", headers=other.headers("admin")).json()[-1]["revoked_at"]
        is None
    )


def test_revoked_and_expired_tokens_stop_working(client, orgs):
    own = orgs[0]
    created = client.post(f"/organisations/{own.slug}/tokens", json={"name": "short"}, headers=own.headers("admin"))
    secret, token_id = created.json()["token"], created.json()["id"]
    headers = {"Authorization": f"Bearer {secret}"}
    assert (
        client.patch(
            f"/organisations/{own.slug}", json={"website": "https://a.example.lv"}, headers=headers
        ).status_code
        == 200
    )
    client.post(f"/organisations/{own.slug}/tokens/{token_id}/revoke", headers=own.headers("admin"))
    assert (
        client.patch(
            f"/organisations/{own.slug}", json={"website": "https://b.example.lv"}, headers=headers
        ).status_code
        == 401
    )
    past = client.post(
        f"/organisations/{own.slug}/tokens",
        json={"name": "old", "expires_at": "2020-01-01T00:00:00Z"},
        headers=own.headers("admin"),
    )
    assert past.status_code == 422


def test_tokens_are_stored_only_as_hashes(client, session_factory, orgs):
    from sqlalchemy import select

    from issuers.store import ApiTokenRow

    own = orgs[0]
    secret = client.post(f"/organisations/{own.slug}/tokens", json={"name": "x"}, headers=own.headers("admin")).json()[
        "token"
    ]
    with session_factory() as session:
        stored = [(r.token_hash, r.prefix) for r in session.scalars(select(ApiTokenRow))]
    assert all(secret != h and secret[10:] not in h for h, _ in stored)
    listed = client.get(f"/organisations/{own.slug}/tokens", headers=own.headers("admin")).text
    assert secret not in listed
