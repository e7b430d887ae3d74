"""Holders: one place per account or pocket; a credential is held by one holder only."""

from __future__ import annotations

import pytest

from base.db import transaction
from base.errors import UserError
from credentials.holders import service
from issuers import service as issuers
from tests.credentials.helpers import issue


@pytest.fixture
def org(make_org):
    return make_org("holders")


def test_an_account_has_one_holder_made_on_first_use(app):
    with transaction(app.state.session_factory) as session:
        user = issuers.create_user(session, "volunteer@example.lv", "Volunteer", "volunteer-password-1")
        first = service.holder_for_user(session, user.id, "uk")
        again = service.holder_for_user(session, user.id, "lv")
        assert first.id == again.id
        assert first.language == "uk"
        assert service.holder_of_user(session, user.id).id == first.id


def test_a_pocket_is_found_by_its_link_only(app):
    with transaction(app.state.session_factory) as session:
        pocket, token = service.create_pocket(session, "lv")
        assert pocket.access_token_hash != token and token not in pocket.access_token_hash
        assert service.pocket_by_token(session, token).id == pocket.id
        for wrong in (token[:-1] + ("A" if token[-1] != "A" else "B"), "vcp_", "x" * 200, ""):
            with pytest.raises(UserError) as refused:
                service.pocket_by_token(session, wrong)
            assert refused.value.kind == "not_found"


def test_a_credential_is_held_once_and_by_one_holder(app, client, org):
    _, issued = issue(client, org)
    credential_id = issued["credential_id"]
    with transaction(app.state.session_factory) as session:
        mine, _ = service.create_pocket(session)
        theirs, _ = service.create_pocket(session)
        service.hold(session, mine, credential_id, "code")
        service.hold(session, mine, credential_id, "code")  # again: nothing changes
        with pytest.raises(UserError) as refused:
            service.hold(session, theirs, credential_id, "email")
        assert refused.value.kind == "conflict"
        assert [row.id for row in service.held_credentials(session, mine)] == [credential_id]
        assert service.held_credentials(session, theirs) == []
