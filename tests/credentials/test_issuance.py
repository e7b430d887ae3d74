"""Records become signed credentials; status changes show in the signed status lists."""

from __future__ import annotations

import json
import threading

import pytest
from sqlalchemy import text

from catalogue import load_catalogue
from credentials.proofs.dataintegrity import verify
from credentials.proofs.jsonld import DocumentLoader
from credentials.proofs.statuslist import decode_list, get_bit
from issuers import service as issuers
from tests.credentials.helpers import issue, record_body
from volcred.models import metadata


@pytest.fixture
def mission():
    return load_catalogue().mission_types[0]


def registry_loader(session_factory, base_url):
    def resolve(did):
        with session_factory() as session:
            return issuers.resolve_did(session, base_url, did)

    return DocumentLoader(did_resolver=resolve)


def test_record_is_issued_as_an_open_badge_that_verifies(client, make_org, mission, session_factory, settings):
    org = make_org("festivals")
    record, issued = issue(client, org, record_body(mission))
    assert record["status"] == "approved" and record["volunteer_link"].startswith(settings.public_base_url + "/me/")
    credential = issued["credential"]
    cid = issued["credential_id"]
    assert issued["verify_url"] == f"{settings.public_base_url}/v/{cid}"
    assert issued["pdf_url"] == f"{settings.public_base_url}/credentials/{cid}.pdf"
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert credential["issuer"]["id"] == org.did
    subject = credential["credentialSubject"]
    assert subject["achievement"]["achievementType"] == "CommunityService"
    assert subject["activityStartDate"] == "2026-06-20" and subject["activityEndDate"] == "2026-06-24"
    assert subject["result"][0]["value"] == "42"
    assert subject["achievement"]["resultDescription"][0]["resultType"] == "ext:VolunteerHours"
    assert credential["@context"] == [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ]
    esco = [a for a in subject["achievement"]["alignment"] if a["targetFramework"] == "ESCO"]
    assert [a["targetUrl"] for a in esco] == list(mission.core_competences)
    assert all(a["targetType"] == "ceasn:Competency" for a in esco)
    catalogue = load_catalogue()
    by_type = {a["targetType"]: a for a in subject["achievement"]["alignment"] if a["targetFramework"] != "ESCO"}
    mission_alignment = by_type["ext:MissionType"]
    assert mission_alignment["targetCode"] == mission.code
    assert mission_alignment["targetUrl"] == f"{settings.public_base_url}/catalogue/mission-types/{mission.code}"
    assert catalogue.version in mission_alignment["targetFramework"]
    keys = {
        a["targetCode"]: a
        for a in subject["achievement"]["alignment"]
        if a["targetFramework"].startswith("Key competences for lifelong learning")
    }
    expected_keys = {code for uri in mission.core_competences for code in catalogue.competence(uri).key_competences}
    assert set(keys) == expected_keys
    for code, alignment in keys.items():
        assert alignment["targetUrl"] == f"{settings.public_base_url}/catalogue/key-competences/{code}"
        page = client.get(alignment["targetUrl"].removeprefix(settings.public_base_url))
        assert page.status_code == 200 and page.json()["code"] == code
    assert subject["achievement"]["version"] == catalogue.version
    assert subject["achievement"]["otherIdentifier"][0] == {
        "type": ["IdentifierEntry"],
        "identifier": catalogue.hash,
        "identifierType": "ext:CatalogueHash",
    }
    assert subject["achievement"]["tag"] == ["Cēsu novads"]
    attestations = [r for r in subject["result"] if r["resultDescription"].endswith("#competence-attestation")]
    assert [(r["value"], [a["targetUrl"] for a in r["alignment"]]) for r in attestations] == [
        ("organiser", list(mission.core_competences))
    ]
    identifiers = {i["identityType"]: i for i in subject["identifier"]}
    assert identifiers["name"]["identityHash"] == "Kārlis Ozoliņš"
    assert identifiers["emailAddress"]["hashed"] is True and "karlis" not in identifiers["emailAddress"]["identityHash"]
    assert [s["statusPurpose"] for s in credential["credentialStatus"]] == ["revocation", "suspension"]
    assert credential["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    assert credential["proof"]["verificationMethod"] == f"{org.did}#key-1"

    served = client.get(f"/credentials/{cid}")
    assert served.status_code == 200 and json.loads(served.content) == credential
    result = verify(credential, loader=registry_loader(session_factory, settings.public_base_url))
    assert result.verified, result.reasons
    tampered = json.loads(json.dumps(credential))
    tampered["credentialSubject"]["result"][0]["value"] = "420"
    assert not verify(tampered, loader=registry_loader(session_factory, settings.public_base_url)).verified


def test_issuing_twice_is_refused(client, make_org, mission):
    org = make_org("twice")
    record, _ = issue(client, org, record_body(mission))
    again = client.post(f"/records/{record['id']}/issue", headers=org.headers())
    assert again.status_code == 409


def test_pseudonymous_volunteer_leaves_no_personal_data(client, make_org, mission, session_factory):
    org = make_org("pseudo")
    pseudonym = "VOL-7F3K-29QD-XYZW"
    record, issued = issue(client, org, record_body(mission, volunteer={"pseudonym": pseudonym}))
    subject = issued["credential"]["credentialSubject"]
    assert [i["identityType"] for i in subject["identifier"]] == ["identifier"]
    identity = subject["identifier"][0]
    import hashlib

    assert identity["identityHash"] == "sha256$" + hashlib.sha256((pseudonym + identity["salt"]).encode()).hexdigest()
    assert pseudonym not in json.dumps(issued["credential"])
    # Nothing stored anywhere holds the identifier.
    with session_factory() as session:
        for table in metadata.sorted_tables:
            for row in session.execute(text(f'SELECT * FROM "{table.name}"')):
                assert pseudonym not in repr(row), table.name
    # The same volunteer comes back as the same volunteer.
    second = client.post(
        "/records",
        json=record_body(
            mission, volunteer={"pseudonym": pseudonym}, start_date="2026-07-01", end_date="2026-07-01", hours=5
        ),
        headers=org.headers(),
    ).json()
    assert second["volunteer_id"] == record["volunteer_id"] and "volunteer_link" not in second


def status_bit(client, entry) -> bool:
    status_list = client.get(entry["statusListCredential"])
    assert status_list.status_code == 200
    return get_bit(decode_list(status_list.json()["credentialSubject"]["encodedList"]), int(entry["statusListIndex"]))


def test_revoke_sets_the_bit_in_the_next_fetched_status_list(client, make_org, mission, session_factory, settings):
    org = make_org("revoker")
    _, issued = issue(client, org, record_body(mission))
    revocation = issued["credential"]["credentialStatus"][0]
    assert revocation["statusListCredential"] == f"{settings.public_base_url}/status/revoker/revocation/1"
    path = revocation["statusListCredential"].removeprefix(settings.public_base_url)
    first = client.get(path)
    assert not status_bit(client, {**revocation, "statusListCredential": path})
    assert (
        client.post(f"/credentials/{issued['credential_id']}/revoke", json={}, headers=org.headers()).status_code == 422
    )
    response = client.post(
        f"/credentials/{issued['credential_id']}/revoke", json={"reason": "Kļūda stundās"}, headers=org.headers()
    )
    assert response.status_code == 200 and response.json()["status"] == "revoked"
    after = client.get(path, headers={"If-None-Match": first.headers["etag"]})
    assert after.status_code == 200 and after.headers["etag"] != first.headers["etag"]
    assert "max-age" in after.headers["cache-control"]
    assert status_bit(client, {**revocation, "statusListCredential": path})
    # The status list itself is a signed credential of the same issuer.
    status_credential = after.json()
    assert status_credential["issuer"] == org.did
    assert verify(status_credential, loader=registry_loader(session_factory, settings.public_base_url)).verified
    unchanged = client.get(path, headers={"If-None-Match": after.headers["etag"]})
    assert unchanged.status_code == 304
    # Revocation is final.
    assert client.post(f"/credentials/{issued['credential_id']}/unsuspend", headers=org.headers()).status_code == 409


def test_suspend_and_unsuspend(client, make_org, mission, settings):
    org = make_org("suspender")
    _, issued = issue(client, org, record_body(mission))
    suspension = issued["credential"]["credentialStatus"][1]
    entry = {
        **suspension,
        "statusListCredential": suspension["statusListCredential"].removeprefix(settings.public_base_url),
    }
    cid = issued["credential_id"]
    assert (
        client.post(f"/credentials/{cid}/suspend", json={"reason": "Pārbaude"}, headers=org.headers()).json()["status"]
        == "suspended"
    )
    assert status_bit(client, entry)
    assert client.post(f"/credentials/{cid}/unsuspend", headers=org.headers()).json()["status"] == "active"
    assert not status_bit(client, entry)


def test_other_organisation_cannot_touch_records_or_credentials(client, make_org, mission):
    own, other = make_org("own"), make_org("intruder")
    record, issued = issue(client, own, record_body(mission))
    cid = issued["credential_id"]
    assert client.get(f"/records/{record['id']}", headers=other.headers()).status_code == 404
    assert client.post(f"/records/{record['id']}/issue", headers=other.headers()).status_code == 404
    for action in ("revoke", "suspend", "unsuspend"):
        response = client.post(f"/credentials/{cid}/{action}", json={"reason": "x"}, headers=other.headers())
        assert response.status_code == 404
    assert client.post(f"/credentials/{cid}/suspend", json={"reason": "x"}, headers={}).status_code == 401


def test_vc_api_issue_signs_the_organisations_own_credential(client, make_org, session_factory, settings):
    org = make_org("vcapi")
    body = {
        "credential": {
            "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
            "type": ["VerifiableCredential", "ExampleAchievementCredential"],
            "issuer": org.did,
            "credentialSubject": {"id": "did:example:volunteer", "name": "Test"},
        },
        "options": {"anything": "accepted"},
    }
    response = client.post("/credentials/issue", json=body, headers=org.headers())
    assert response.status_code == 201, response.text
    signed = response.json()["verifiableCredential"]
    assert len(signed["credentialStatus"]) == 2 and signed["id"].startswith(settings.public_base_url)
    assert verify(signed, loader=registry_loader(session_factory, settings.public_base_url)).verified


def test_vc_api_refuses_undefined_terms_and_foreign_issuers(client, make_org):
    org = make_org("strict")
    credential = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "issuer": org.did,
        "credentialSubject": {"id": "did:example:v", "favouriteColour": "green"},
    }
    response = client.post(
        "/credentials/issue", json={"credential": credential}, headers={**org.headers(), "Accept-Language": "en"}
    )
    assert response.status_code == 422
    assert "favouriteColour" in response.json()["detail"]
    foreign = client.post(
        "/credentials/issue",
        json={
            "credential": {
                **credential,
                "issuer": "did:web:elsewhere.example",
                "credentialSubject": {"id": "did:example:v"},
            }
        },
        headers=org.headers(),
    )
    assert foreign.status_code == 422 and foreign.json()["errors"][0]["field"] == "issuer"
    unknown_context = client.post(
        "/credentials/issue",
        json={
            "credential": {
                **credential,
                "@context": ["https://www.w3.org/ns/credentials/v2", "https://evil.example/ctx"],
                "credentialSubject": {"id": "did:example:v"},
            }
        },
        headers=org.headers(),
    )
    assert unknown_context.status_code == 422


def test_concurrent_allocation_never_repeats_an_index(make_org, session_factory):
    from base.db import transaction
    from credentials.status_lists import allocate_status_index
    from issuers.store import OrganisationRow

    org = make_org("concurrent")
    results, errors = [], []

    def worker():
        for _ in range(50):
            try:
                with transaction(session_factory) as session:
                    row = session.get(OrganisationRow, org.org_id)
                    status_list, index = allocate_status_index(session, row, "revocation")
                    results.append((status_list.number, index))
            except Exception as error:  # collected and asserted below, so a failure names its cause
                errors.append(repr(error))

    threads = [threading.Thread(target=worker) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(results) == 1000 and len(set(results)) == 1000


def _list_with_places_left(session_factory, organisation_id: str, purpose: str, left: int):
    """The organisation's first list for `purpose`, with all but `left` of its places given."""
    from base.db import transaction
    from credentials.proofs.statuslist import MIN_LIST_SIZE
    from credentials.status_lists import allocate_status_index, save_allocations
    from issuers.store import OrganisationRow

    with transaction(session_factory) as session:
        first, _ = allocate_status_index(session, session.get(OrganisationRow, organisation_id), purpose)
        first.allocated_count = MIN_LIST_SIZE - left
        save_allocations(session, [first])
    return first


def test_a_new_status_list_begins_when_one_fills(make_org, session_factory):
    from sqlalchemy import select

    from base.db import transaction
    from credentials.proofs.statuslist import MIN_LIST_SIZE, shuffled_index
    from credentials.status_lists import allocate_status_index
    from credentials.store import StatusListRow
    from issuers.store import OrganisationRow

    org = make_org("filling")
    # Every place but the last given: the next allocation must get the last one in the list's order.
    first = _list_with_places_left(session_factory, org.org_id, "suspension", 1)
    last = shuffled_index(first.order_key, MIN_LIST_SIZE - 1, MIN_LIST_SIZE)
    with transaction(session_factory) as session:
        row, index = allocate_status_index(session, session.get(OrganisationRow, org.org_id), "suspension")
        assert (row.number, index, row.is_full) == (1, last, True)
    with transaction(session_factory) as session:
        row, index = allocate_status_index(session, session.get(OrganisationRow, org.org_id), "suspension")
        assert (row.number, row.allocated_count) == (2, 1) and row.size >= MIN_LIST_SIZE
        assert row.order_key != first.order_key and index == shuffled_index(row.order_key, 0, row.size)
    with session_factory() as session:
        lists = session.scalars(select(StatusListRow).where(StatusListRow.purpose == "suspension")).all()
        assert sorted(item.number for item in lists) == [1, 2]
        assert [item.is_full for item in sorted(lists, key=lambda item: item.number)] == [True, False]


def test_a_batch_that_outgrows_a_list_continues_in_the_next(make_org, session_factory):
    """A batch's places run to the end of the list's order, and the rest come from a new list, in one go."""
    from base.db import transaction
    from credentials.proofs.statuslist import MIN_LIST_SIZE, shuffled_index
    from credentials.status_lists import allocate_status_indices
    from issuers.store import OrganisationRow

    org = make_org("outgrowing")
    first = _list_with_places_left(session_factory, org.org_id, "revocation", 3)
    with transaction(session_factory) as session:
        places = allocate_status_indices(session, session.get(OrganisationRow, org.org_id), "revocation", 5)
    assert [places_list.number for places_list, _ in places] == [1, 1, 1, 2, 2]
    ends = range(MIN_LIST_SIZE - 3, MIN_LIST_SIZE)
    assert [index for _, index in places[:3]] == [shuffled_index(first.order_key, n, MIN_LIST_SIZE) for n in ends]
    second = places[3][0]
    assert [index for _, index in places[3:]] == [shuffled_index(second.order_key, n, second.size) for n in (0, 1)]
    assert places[0][0].is_full and (second.allocated_count, second.is_full) == (2, False)


def test_many_records_issue_together_with_distinct_status_places(client, make_org, mission, session_factory, settings):
    from base.db import transaction
    from base.errors import UserError
    from credentials import service as credentials
    from volcred.cli import Runtime

    org = make_org("together")
    ids = [
        client.post(
            "/records",
            json=record_body(mission, volunteer={"name": f"V {i}", "email": f"v{i}@example.lv"}),
            headers=org.headers(),
        ).json()["id"]
        for i in range(4)
    ]
    ctx = issuers.IssuerContext(settings.public_base_url, settings.encryption_key)
    already, _ = issue(client, org, record_body(mission, volunteer={"name": "Cits", "email": "cits@example.lv"}))
    with pytest.raises(UserError):  # all or nothing: one record issued before stops the whole batch
        with transaction(session_factory) as session:
            credentials.issue_records(session, Runtime.operator, ctx, ids + [already["id"]])
    assert all(client.get(f"/records/{i}", headers=org.headers()).json()["status"] == "approved" for i in ids)
    with pytest.raises(ValueError):
        with transaction(session_factory) as session:
            credentials.issue_records(session, Runtime.operator, ctx, ids + ids[:1])
    with transaction(session_factory) as session:
        issued = credentials.issue_records(session, Runtime.operator, ctx, ids)
        documents = [item.document for item in issued]
    places = {
        (entry["statusListCredential"], entry["statusListIndex"])
        for document in documents
        for entry in document["credentialStatus"]
    }
    assert len(places) == 8  # 4 credentials x (revocation, suspension), never shared
    loader = registry_loader(session_factory, settings.public_base_url)
    assert all(verify(document, loader=loader).verified for document in documents)
    assert all(client.get(f"/records/{i}", headers=org.headers()).json()["status"] == "issued" for i in ids)
