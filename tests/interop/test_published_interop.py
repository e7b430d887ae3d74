"""Any verifier can check what the service issues: a JS verifier whose loader holds exactly the contexts published as
npm packages, and no file of this project, verifies fresh credentials from every issuing path of the real service,
status lists included; and our verifier verifies what the JS stack signs in the same vocabulary."""

from __future__ import annotations

import copy
import csv
import io
import time
from collections import Counter

import httpx
import pytest

from catalogue import load_catalogue
from credentials.document import CREDENTIAL_CONTEXTS
from credentials.reading import read_credential
from tests.credentials.batch_helpers import csv_bytes, good_row
from tests.credentials.helpers import record_body
from tests.interop.published import PublishedVerifier, service_documents, verify_with_published_contexts
from tests.interop.test_statement_interop import create_org_with_cli

PUBLISHED = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    "https://w3id.org/security/data-integrity/v2",
    "https://w3id.org/security/multikey/v1",
    "https://www.w3.org/ns/credentials/status/v1",
]


@pytest.fixture(scope="module")
def published():
    verifier = PublishedVerifier()
    yield verifier
    verifier.close()


def test_the_published_packages_hold_every_context_we_name(published):
    urls = set(published.call("publishedContextUrls"))
    assert set(PUBLISHED) <= urls
    assert set(CREDENTIAL_CONTEXTS) <= urls
    assert "https://w3id.org/volunteer-credentials/v1" not in urls


def test_the_verifier_takes_no_context_from_the_caller(published):
    with pytest.raises(RuntimeError, match="takes no context"):
        published.call(
            "verifyPublished",
            credential={},
            documents={"https://w3id.org/volunteer-credentials/v1": {"@context": {"x": "https://example.org/x"}}},
        )


def _issue_every_path(base: str, slug: str, headers: dict) -> dict[str, list[dict]]:
    """Fresh credentials from each issuing path of the live service, by path."""
    catalogue = load_catalogue()
    mission = catalogue.mission_types[0]
    paths: dict[str, list[dict]] = {}

    # 1. POST /records + issue (named and pseudonymous volunteers)
    issued = []
    for body in (record_body(), record_body(volunteer={"pseudonym": "vk-7731-ozols"}, role=None, hours="7.5")):
        record = httpx.post(f"{base}/records", json=body, headers=headers)
        assert record.status_code == 201, record.text
        response = httpx.post(f"{base}/records/{record.json()['id']}/issue", headers=headers)
        assert response.status_code == 201, response.text
        issued.append((record.json()["id"], response.json()))
    paths["records"] = [i["credential"] for _, i in issued]

    # 2. a volunteer's statement, approved with one competence confirmed by the organiser
    invitation = httpx.post(f"{base}/invitations", json={"mission_type": mission.code}, headers=headers).json()
    statement = {
        key: value
        for key, value in record_body(start_date="2026-07-01", end_date="2026-07-03").items()
        if key not in ("mission_type", "title")
    }
    optional = [link.uri for link in mission.competences if link.uri not in mission.core_competences][0]
    statement["competences"] = [{"uri": uri, "note": "Saviem vārdiem."} for uri in mission.core_competences[:1]]
    statement["competences"].append({"uri": optional})
    drafted = httpx.put(f"{base}/invitations/{invitation['token']}/statement", json={**statement, "submit": True})
    assert drafted.status_code == 200, drafted.text
    record_id = drafted.json()["statement"]["id"]
    approved = httpx.post(
        f"{base}/records/{record_id}/approve",
        headers=headers,
        json={"competences": [{"uri": mission.core_competences[0], "attested_by": "organiser"}, optional]},
    )
    assert approved.status_code == 200, approved.text
    statement_issued = httpx.post(f"{base}/records/{record_id}/issue", headers=headers)
    assert statement_issued.status_code == 201, statement_issued.text
    paths["statements"] = [statement_issued.json()["credential"]]

    # 3. a batch (CSV), run by the service's batch runner
    before = set(_credential_ids(base, slug, headers))
    batch = httpx.post(
        f"{base}/batches", files={"file": ("batch.csv", csv_bytes([good_row(i) for i in range(3)]))}, headers=headers
    )
    assert batch.status_code == 202, batch.text
    deadline = time.monotonic() + 120
    while (report := httpx.get(batch.json()["url"], headers=headers).json())["status"] not in ("done", "cancelled"):
        assert time.monotonic() < deadline, report
        time.sleep(0.2)
    new_ids = [i for i in _credential_ids(base, slug, headers) if i not in before]
    assert len(new_ids) == 3, report
    paths["batches"] = [httpx.get(f"{base}/credentials/{i}").json() for i in new_ids]

    # 4. a revision of the first record (issuing it supersedes the first credential)
    revised = httpx.post(f"{base}/records/{issued[0][0]}/revise", json={"hours": 40}, headers=headers)
    assert revised.status_code == 201, revised.text
    correction = httpx.post(f"{base}/records/{revised.json()['id']}/issue", headers=headers)
    assert correction.status_code == 201, correction.text
    paths["revisions"] = [correction.json()["credential"]]

    # 5. VC-API: the organisation's own OB 3.0 document, in the published vocabulary only
    did = paths["records"][0]["issuer"]["id"]
    body = copy.deepcopy(paths["records"][0])
    for key in ("proof", "id", "validFrom", "credentialStatus"):
        body.pop(key)
    body["issuer"] = {"id": did, "type": ["Profile"], "name": "Biedrība „Pārbaude”"}
    body["name"] = "Sadarbības apliecinājums"
    vc_api = httpx.post(f"{base}/credentials/issue", json={"credential": body}, headers=headers)
    assert vc_api.status_code == 201, vc_api.text
    paths["vc-api"] = [vc_api.json()["verifiableCredential"]]
    return paths


def _credential_ids(base: str, slug: str, headers: dict) -> list[str]:
    rows = httpx.get(f"{base}/organisations/{slug}/export/credentials.csv", headers=headers)
    assert rows.status_code == 200, rows.text
    return [row["credential_id"].rsplit("/", 1)[-1] for row in csv.DictReader(io.StringIO(rows.text.lstrip("\ufeff")))]


def test_fresh_credentials_from_every_path_verify_with_published_contexts_only(
    published, live_server, database_url, tmp_path, capsys
):
    org = create_org_with_cli(live_server, database_url, tmp_path, "Biedrība „Atvērtie konteksti”")
    headers = {"Authorization": f"Bearer {org['token']}"}
    paths = _issue_every_path(live_server.url, org["slug"], headers)

    accepted: Counter = Counter()
    for path, credentials in paths.items():
        for credential in credentials:
            assert credential["@context"] == CREDENTIAL_CONTEXTS, (path, credential["@context"])
        results = verify_with_published_contexts(credentials, service_documents(credentials), verifier=published)
        for credential, result in zip(credentials, results):
            superseded = credential is paths["records"][0]  # the revision revoked it
            if superseded:
                assert result["verified"] is False and "revocation" in result["error"], result
                continue
            assert result == {
                "verified": True,
                "error": None,
                "statuses": [{"purpose": "revocation", "set": False}, {"purpose": "suspension", "set": False}],
            }, (path, result)
            accepted[path] += 1
    with capsys.disabled():
        print(
            f"\npublished-contexts JS verifier accepted {sum(accepted.values())} fresh credentials: "
            + ", ".join(f"{path} {count}" for path, count in accepted.items())
        )
    assert accepted == {"records": 1, "statements": 1, "batches": 3, "revisions": 1, "vc-api": 1}

    # What the page shows is what was signed: the statement's competences keep who attested them.
    claims = read_credential(paths["statements"][0])
    assert {c.attested_by for c in claims.competences} == {"organiser", "self"}

    # A suspension made through the API shows in the status list the outside verifier reads.
    suspended = paths["batches"][0]
    cid = suspended["id"].rsplit("/", 1)[-1]
    assert (
        httpx.post(
            f"{live_server.url}/credentials/{cid}/suspend", json={"reason": "Pārbaude"}, headers=headers
        ).status_code
        == 200
    )
    result = verify_with_published_contexts([suspended], service_documents([suspended]), verifier=published)[0]
    assert result["verified"] is False and {"purpose": "suspension", "set": True} in result["statuses"], result


def test_our_verifier_accepts_what_the_js_stack_signs_in_the_same_vocabulary(
    published, live_server, database_url, tmp_path
):
    from tests.credentials.conftest import fixture

    org = create_org_with_cli(live_server, database_url, tmp_path, "Biedrība „Abpusēji”")
    headers = {"Authorization": f"Bearer {org['token']}"}
    record = httpx.post(f"{live_server.url}/records", json=record_body(), headers=headers).json()
    ours = httpx.post(f"{live_server.url}/records/{record['id']}/issue", headers=headers).json()["credential"]

    key = fixture("test-issuer-key.json")
    unsigned = copy.deepcopy(ours)
    for field in ("proof", "credentialStatus"):
        unsigned.pop(field)
    unsigned["issuer"] = {"id": key["verificationMethod"].split("#")[0], "type": ["Profile"], "name": "JS issuer"}
    signed = published.call(
        "signPublished",
        credential=unsigned,
        secretKeyMultibase=key["secretKeyMultibase"],
        publicKeyMultibase=key["publicKeyMultibase"],
        verificationMethod=key["verificationMethod"],
    )
    assert signed["@context"] == CREDENTIAL_CONTEXTS

    verdict = httpx.post(f"{live_server.url}/credentials/verify", json={"verifiableCredential": signed}).json()
    checks = {r["check"]: r["status"] for r in verdict["results"]}
    assert checks["jsonld"] == "passed" and checks["proof"] == "passed", verdict
    tampered = copy.deepcopy(signed)
    tampered["credentialSubject"]["result"][0]["value"] = "420"
    verdict = httpx.post(f"{live_server.url}/credentials/verify", json={"verifiableCredential": tampered}).json()
    assert {r["check"]: r["status"] for r in verdict["results"]}["proof"] == "failed", verdict

    # and the JS verifier agrees with itself on it, contexts from the packages only
    assert (
        verify_with_published_contexts([signed], service_documents([signed]), verifier=published)[0]["verified"] is True
    )
    claims = read_credential(signed)
    assert (claims.hours, claims.volunteer_name, claims.mission_type) == (
        "42",
        "Kārlis Ozoliņš",
        load_catalogue().mission_types[0].code,
    )

    # What earlier releases issued (the project's own context) no such verifier could check; ours still does.
    from credentials.proofs.dataintegrity import Ed25519Signature, sign
    from credentials.proofs.jsonld import default_loader
    from tests.credentials.conftest import secret_key
    from tests.verify.test_vocabulary import earlier_release_shape

    old = earlier_release_shape({**unsigned, "proof": {}}, live_server.url)
    old_signed = sign(
        old,
        suite=Ed25519Signature(secret_key(key)),
        verification_method=key["verificationMethod"],
        created="2026-06-30T12:00:00Z",
        loader=default_loader(),
    )
    refused = verify_with_published_contexts([old_signed], service_documents([old_signed]), verifier=published)[0]
    assert refused["verified"] is False and "volunteer-credentials/v1" in refused["error"], refused
    verdict = httpx.post(f"{live_server.url}/credentials/verify", json={"verifiableCredential": old_signed}).json()
    assert {r["check"]: r["status"] for r in verdict["results"]}["proof"] == "passed", verdict
