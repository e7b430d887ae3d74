"""Volunteer-drafted statements: invitation -> draft -> submit -> return -> edit -> resubmit -> approve -> issue,
with the provenance of each competence in the credential, and who may do what."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from catalogue import load_catalogue
from credentials.proofs import shapes
from credentials.proofs.dataintegrity import without_proof
from credentials.proofs.jsonld import DocumentLoader
from credentials.reading import read_claims
from tests.authz import database_snapshot
from tests.credentials.helpers import issue, record_body


@pytest.fixture
def mission():
    catalogue = load_catalogue()
    return next(m for m in catalogue.mission_types if len(m.competences) > len(m.core_competences))


def invite(client, org, mission, **changes) -> dict:
    body = {
        "mission_type": mission.code,
        "title": "Rudens talka",
        "start_date": "2026-10-01",
        "end_date": "2026-10-05",
        **changes,
    }
    response = client.post("/invitations", json=body, headers=org.headers())
    assert response.status_code == 201, response.text
    return response.json()


def statement(mission, **changes) -> dict:
    core = list(mission.core_competences)
    optional = [link.uri for link in mission.competences if link.uri not in core]
    body = {
        "volunteer": {"name": "Līga Bērziņa", "email": "liga@example.lv"},
        "start_date": "2026-10-01",
        "end_date": "2026-10-05",
        "hours": "18,5",
        "municipality": "Cēsu novads",
        "role": "Grupas vadītāja",
        "narrative": "Vadīju piecu cilvēku grupu.",
        "competences": [core[0], {"uri": optional[0], "note": "Iemācījos plānot darbu citiem."}],
    }
    body.update(changes)
    return body


def test_statement_from_invitation_to_issued_credential_keeps_provenance(client, make_org, mission, settings):
    org = make_org("youth-centre")
    invitation = invite(client, org, mission)
    token = invitation["token"]
    assert invitation["url"] == f"{settings.public_base_url}/invite/{token}"

    fresh = client.get(f"/invitations/{token}/statement")
    assert fresh.status_code == 200 and fresh.json()["status"] == "new"
    assert fresh.json()["invitation"]["mission_type"] == mission.code
    assert fresh.headers["cache-control"] == "private, no-store"

    saved = client.put(f"/invitations/{token}/statement", json=statement(mission))
    assert saved.status_code == 200, saved.text
    assert saved.json()["status"] == "draft"
    assert saved.json()["volunteer_link"].startswith(f"{settings.public_base_url}/me/")
    record_id = saved.json()["statement"]["id"]

    # The organiser cannot approve a draft the volunteer is still writing.
    early = client.post(f"/records/{record_id}/approve", headers=org.headers())
    assert early.status_code == 409

    submitted = client.post(f"/invitations/{token}/submit")
    assert submitted.json()["status"] == "submitted"
    waiting = client.get("/records", params={"status": "submitted"}, headers=org.headers()).json()["records"]
    assert [r["id"] for r in waiting] == [record_id] and waiting[0]["source"] == "volunteer"

    # Submitted means locked for the volunteer until the organiser returns it.
    locked = client.put(f"/invitations/{token}/statement", json=statement(mission))
    assert locked.status_code == 409

    returned = client.post(
        f"/records/{record_id}/return",
        json={"review_comment": "Lūdzu, norādi precīzas stundas."},
        headers=org.headers(),
    )
    assert returned.status_code == 200 and returned.json()["status"] == "returned"
    assert returned.json()["review_comment"] == "Lūdzu, norādi precīzas stundas."
    empty = client.post(f"/records/{record_id}/return", json={"comment": "  "}, headers=org.headers())
    assert empty.status_code == 422
    seen = client.get(f"/invitations/{token}/statement").json()
    assert seen["status"] == "returned" and seen["review_comment"] == "Lūdzu, norādi precīzas stundas."
    assert client.post(f"/records/{record_id}/issue", headers=org.headers()).status_code == 409

    edited = client.put(f"/invitations/{token}/statement", json=statement(mission, hours="20", submit=True))
    assert edited.status_code == 200, edited.text
    assert edited.json()["status"] == "submitted" and edited.json()["statement"]["hours"] == "20"
    assert "volunteer_link" not in edited.json()  # shown once only

    # Edit then accept: the organiser confirms one competence themselves and corrects the role.
    core = list(mission.core_competences)
    optional = [link.uri for link in mission.competences if link.uri not in core][0]
    approved = client.post(
        f"/records/{record_id}/approve",
        headers=org.headers(),
        json={
            "role": "Grupas vadītāja (5 cilvēki)",
            "competences": [{"uri": core[0], "attested_by": "organiser"}, optional],
        },
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"
    assert client.get(f"/invitations/{token}/statement").json()["status"] == "approved"

    issued = client.post(f"/records/{record_id}/issue", headers=org.headers())
    assert issued.status_code == 201, issued.text
    assert client.get(f"/invitations/{token}/statement").json()["status"] == "issued"
    credential = issued.json()["credential"]
    alignments = {a["targetUrl"]: a for a in credential["credentialSubject"]["achievement"]["alignment"]}
    attested = {
        r["value"]: [a["targetUrl"] for a in r["alignment"]]
        for r in credential["credentialSubject"]["result"]
        if r["resultDescription"].endswith("#competence-attestation")
    }
    assert attested == {"organiser": [core[0]], "self": [optional]}
    assert alignments[optional]["targetDescription"] == "Iemācījos plānot darbu citiem."
    assert credential["credentialSubject"]["role"] == "Grupas vadītāja (5 cilvēki)"
    assert credential["credentialSubject"]["result"][0]["value"] == "20"

    # A verifier tells the two apart from the signed dataset, not from a bare JSON key.
    claims = read_claims(shapes.quads(without_proof(credential), loader=DocumentLoader()), credential)
    assert {c.uri: c.attested_by for c in claims.competences} == {core[0]: "organiser", optional: "self"}
    verdict = client.post("/credentials/verify", json={"verifiableCredential": credential}).json()
    assert verdict["verified"] is True, verdict


def test_invalid_draft_reports_fields_and_expired_invitation_cannot_start(client, make_org, mission, session_factory):
    org = make_org("talkas")
    token = invite(client, org, mission)["token"]
    bad = client.put(
        f"/invitations/{token}/statement",
        json=statement(mission, hours="0", end_date="2026-09-01", competences=["http://x/y"]),
    )
    assert bad.status_code == 422
    fields = {e["field"] for e in bad.json()["errors"]}
    assert {"hours", "end_date", "competences[0]"} <= fields
    assert client.get(f"/invitations/{token}/statement").json()["status"] == "new"

    other = invite(client, org, mission)["token"]
    with session_factory() as session, session.begin():
        session.execute(
            text("UPDATE invitations SET expires_at = :past WHERE record_id IS NULL"),
            {"past": "2020-01-01 00:00:00+00:00"},
        )
    gone = client.put(f"/invitations/{other}/statement", json=statement(mission))
    assert gone.status_code == 410
    assert client.get("/invitations/not-a-token/statement").status_code == 404


def test_pseudonymous_volunteer_leaves_no_personal_data(client, make_org, mission, session_factory):
    org = make_org("anon-org")
    token = invite(client, org, mission)["token"]
    refused = client.put(
        f"/invitations/{token}/statement", json=statement(mission, volunteer={"pseudonymous": True, "name": "Līga"})
    )
    # A name alongside the pseudonymous flag is refused rather than silently kept or dropped.
    assert refused.status_code == 422, refused.text
    saved = client.put(
        f"/invitations/{token}/statement",
        json=statement(
            mission, volunteer={"pseudonymous": True}, submit=True, narrative="Palīdzēju talkā.", role="Talcinieks"
        ),
    )
    assert saved.status_code == 200, saved.text
    pseudonym = saved.json()["pseudonym"]
    assert len(pseudonym) >= 16 and saved.json()["volunteer_link"]
    record_id = saved.json()["statement"]["id"]
    assert client.post(f"/records/{record_id}/approve", headers=org.headers()).status_code == 200
    credential = client.post(f"/records/{record_id}/issue", headers=org.headers()).json()["credential"]
    identifiers = credential["credentialSubject"]["identifier"]
    assert [i["identityType"] for i in identifiers] == ["identifier"] and identifiers[0]["hashed"] is True

    dump = json.dumps(database_snapshot(session_factory), ensure_ascii=False)
    assert pseudonym not in dump
    assert "Līga" not in dump and "liga@example.lv" not in dump
    with session_factory() as session:
        volunteer = session.execute(text("SELECT kind, name, email FROM volunteers")).one()
    assert tuple(volunteer) == ("pseudonymous", None, None)


def test_only_the_own_organisation_reviews_and_the_token_reaches_only_its_draft(
    client, make_org, mission, session_factory
):
    own, other = make_org("own-drafts"), make_org("other-drafts")
    first = invite(client, own, mission)["token"]
    second = invite(client, own, mission)["token"]
    saved = client.put(f"/invitations/{first}/statement", json=statement(mission, submit=True)).json()
    record_id = saved["statement"]["id"]
    assert client.get(f"/invitations/{second}/statement").json()["statement"] is None

    before = database_snapshot(session_factory)
    for call in (
        lambda h: client.post(f"/records/{record_id}/approve", headers=h),
        lambda h: client.post(f"/records/{record_id}/return", json={"comment": "x"}, headers=h),
        lambda h: client.post(f"/records/{record_id}/revise", json={"hours": 3}, headers=h),
        lambda h: client.post(f"/records/{record_id}/issue", headers=h),
        lambda h: client.get(f"/records/{record_id}", headers=h),
    ):
        for headers in (other.headers(), other.headers("admin"), {}):
            response = call(headers)
            assert response.status_code in (401, 403, 404), response.text
    assert (
        client.post(
            "/invitations", json={"mission_type": mission.code, "organisation": own.slug}, headers=other.headers()
        ).status_code
        == 403
    )
    assert client.post("/invitations", json={"mission_type": mission.code}).status_code == 401
    assert database_snapshot(session_factory) == before

    # The coordinator of the organisation may review.
    assert client.post(f"/records/{record_id}/approve", headers=own.headers("coordinator")).status_code == 200


def test_record_body_can_be_issued_twice_in_one_organisation_for_two_periods(client, make_org):
    org = make_org("twice")
    issue(client, org)
    issue(client, org, record_body(start_date="2026-07-01", end_date="2026-07-02", hours=8))
    # The same volunteer, mission type and period once more is the same record: a conflict, not a second one.
    again = client.post("/records", json=record_body(), headers=org.headers())
    assert again.status_code == 409 and again.json()["code"] == "record.duplicate"


def test_invitation_is_checked_against_the_catalogue(client, make_org, mission):
    org = make_org("inviting")
    bad = client.post(
        "/invitations",
        json={
            "mission_type": "no-such-mission",
            "municipality": "Atlantīda",
            "start_date": "2026-10-05",
            "end_date": "2026-10-01",
            "valid_days": 0,
        },
        headers=org.headers(),
    )
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"mission_type", "municipality", "end_date", "valid_days"}
    good = invite(client, org, mission, municipality="Cēsu novads", title=None)
    assert good["title"] == mission.name.lv
    prefilled = client.get(f"/invitations/{good['token']}/statement").json()["invitation"]
    assert prefilled["municipality"] and prefilled["start_date"] == "2026-10-01"
    # The link's token is not stored, only its hash.
    with client.app.state.session_factory() as session:
        stored = session.execute(text("SELECT token_hash FROM invitations")).scalars().all()
    assert good["token"] not in stored and len(stored) == 1
