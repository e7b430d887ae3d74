"""Recognition levels end to end below HTTP: a volunteer's credentials of two organisations counted, a level issued
by the platform that verifies, suspended with an e-mail when a counted credential is revoked, reinstated when the
credential is; corrections counted once."""

from __future__ import annotations

import json
import time
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from base.db import transaction
from base.errors import UserError
from base.mail.store import OutboxRow
from credentials.levels import service
from credentials.levels.store import LevelAwardRow
from issuers.service import IssuerContext
from issuers.store import UserRow
from tests.credentials.levels.helpers import ADMIN, issue_held, make_scheme, scheme_form, two_domains, volunteer

TODAY = date(2026, 12, 5)


@pytest.fixture
def ctx(settings):
    return IssuerContext(settings.public_base_url, settings.encryption_key)


def _progress(app, user_id, scheme_id):
    with transaction(app.state.session_factory) as session:
        found = [p for p in service.progress(session, user_id, TODAY) if p.scheme.id == scheme_id][0]
        return found.tally.total, found.reached, [line.reason for line in found.tally.lines]


def _request(app, ctx, user_id, scheme_id, level_id):
    with transaction(app.state.session_factory) as session:
        user = session.get(UserRow, user_id)
        award = service.request_level(session, ctx, user, scheme_id, level_id, "en", TODAY)
        return award.id, json.loads(award.document)


def test_levels_count_across_organisations_and_verify(app, client, make_org, ctx, smtp_server):
    first, second = make_org("levels-a"), make_org("levels-b")
    user_id = volunteer(app)
    culture, other = two_domains()
    a = issue_held(app, client, first, user_id, 30, "2026-03-01", culture)
    b = issue_held(app, client, second, user_id, 25, "2026-11-30", culture)
    issue_held(app, client, second, user_id, 40, "2026-05-01", other, title="Citā jomā")
    scheme_id, levels = make_scheme(app, domains=[culture])
    total, reached, _ = _progress(app, user_id, scheme_id)
    assert total == Decimal(55) and reached == {levels["Silver"]}

    with pytest.raises(UserError) as refused:
        _request(app, ctx, user_id, scheme_id, levels["Gold"])
    assert refused.value.key == "levels.not_reached"

    award_id, document = _request(app, ctx, user_id, scheme_id, levels["Silver"])
    assert document["issuer"]["id"].startswith("did:web:")
    assert document["credentialSubject"]["achievement"]["achievementType"] == "Award"
    assert document["credentialSubject"]["result"][0]["value"] == "55"
    evidence = {item["id"].rsplit("/", 1)[1]: item["narrative"] for item in document["evidence"]}
    assert evidence == {a: "Hours counted: 30", b: "Hours counted: 25"}
    assert document["credentialStatus"][0]["statusPurpose"] == "suspension"

    verified = client.post("/credentials/verify", json={"verifiableCredential": document}).json()
    assert verified["verified"] is True, verified

    with pytest.raises(UserError) as twice:
        _request(app, ctx, user_id, scheme_id, levels["Silver"])
    assert twice.value.key == "levels.already_awarded"

    # Revoking a counted credential leaves 25 h < 50 h: the level is suspended and the volunteer told which.
    revoked = client.post(f"/credentials/{a}/revoke", headers=first.headers(), json={"reason": "Kļūda"})
    assert revoked.status_code == 200, revoked.text
    with transaction(app.state.session_factory) as session:
        award = session.get(LevelAwardRow, award_id)
        assert (award.status, award.status_credential_id) == ("suspended", a)
        mail = session.scalars(select(OutboxRow).where(OutboxRow.kind == "level_suspended")).one()
        assert mail.recipient == "anna@example.lv" and "Silver" in mail.subject
    # The outbox's sender delivers it over SMTP: the volunteer is told which credential it was.
    # (The credentials' own "issued" e-mails to Anna arrived before it.)
    deadline = time.monotonic() + 15
    while not any("Silver" in m.message["Subject"] for m in smtp_server.messages()) and time.monotonic() < deadline:
        time.sleep(0.05)
    [received] = [m for m in smtp_server.messages() if "Silver" in m.message["Subject"]]
    assert received.rcpt_tos == ["anna@example.lv"]
    assert "Jāņu festivāla brīvprātīgais" in received.text and f"/v/{a}" in received.text
    after = client.post("/credentials/verify", json={"verifiableCredential": document}).json()
    assert after["verified"] is False
    assert "suspended" in json.dumps(after).lower()


def test_suspending_and_reinstating_a_counted_credential(app, client, make_org, ctx):
    org = make_org("levels-s")
    user_id = volunteer(app)
    a = issue_held(app, client, org, user_id, 30, "2026-03-01")
    issue_held(app, client, org, user_id, 25, "2026-04-01")
    scheme_id, levels = make_scheme(app)
    award_id, document = _request(app, ctx, user_id, scheme_id, levels["Silver"])
    client.post(f"/credentials/{a}/suspend", headers=org.headers(), json={"reason": "Pārbaude"})
    assert _progress(app, user_id, scheme_id)[0] == Decimal(25)
    with transaction(app.state.session_factory) as session:
        assert session.get(LevelAwardRow, award_id).status == "suspended"
    client.post(f"/credentials/{a}/unsuspend", headers=org.headers())
    with transaction(app.state.session_factory) as session:
        assert session.get(LevelAwardRow, award_id).status == "active"
    assert client.post("/credentials/verify", json={"verifiableCredential": document}).json()["verified"] is True


def test_a_correction_counts_once_and_keeps_the_level_when_it_still_suffices(app, client, make_org, ctx):
    org = make_org("levels-c")
    user_id = volunteer(app)
    a = issue_held(app, client, org, user_id, 40, "2026-03-01")
    issue_held(app, client, org, user_id, 20, "2026-04-01")
    scheme_id, levels = make_scheme(app)
    award_id, _ = _request(app, ctx, user_id, scheme_id, levels["Silver"])
    with transaction(app.state.session_factory) as session:
        from credentials.store import CredentialRow

        record_id = session.get(CredentialRow, a).record_id
    revised = client.post(f"/records/{record_id}/revise", headers=org.headers(), json={"hours": 35})
    assert revised.status_code in (200, 201), revised.text
    issued = client.post(f"/records/{revised.json()['id']}/issue", headers=org.headers())
    assert issued.status_code == 201, issued.text
    # The old 40 h count through the correction's 35 h, once: 55 h.
    total, _, reasons = _progress(app, user_id, scheme_id)
    assert total == Decimal(55)
    with transaction(app.state.session_factory) as session:
        assert session.get(LevelAwardRow, award_id).status == "active"
    # The correction revoked in turn: 20 h left, the level suspended.
    correction = issued.json()["credential_id"]
    client.post(f"/credentials/{correction}/revoke", headers=org.headers(), json={"reason": "Kļūda"})
    with transaction(app.state.session_factory) as session:
        award = session.get(LevelAwardRow, award_id)
        assert (award.status, award.status_credential_id) == ("suspended", correction)


def test_only_platform_administrators_manage_schemes(app):
    from issuers.auth import Principal

    volunteer_principal = Principal(kind="user", user_id="someone")
    with transaction(app.state.session_factory) as session:
        with pytest.raises(UserError) as refused:
            service.create_scheme(session, volunteer_principal, scheme_form())
        assert refused.value.kind == "forbidden"
        with pytest.raises(UserError) as invalid:
            service.create_scheme(session, ADMIN, scheme_form(silver="-3", gold="abc"))
        assert {e["field"] for e in invalid.value.errors} == {"level_1_threshold", "level_2_threshold"}
