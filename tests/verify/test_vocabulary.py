"""What pages and exports show is what was verified: read from the signed RDF dataset, so JSON-LD-equivalent
spellings of a credential show the same facts, and credentials issued with the project's context of earlier releases
keep verifying, displaying and exporting."""

from __future__ import annotations

import copy
import csv
import io
import json
import re

import pytest

from catalogue import load_catalogue
from credentials.document import OB_CONTEXT, VC_V2_CONTEXT, VOLUNTEER_CONTEXT
from credentials.reading import read_credential
from tests.credentials.helpers import issue, record_body
from tests.pages import post_form
from tests.verify.test_pages import verdict_of

SCHEMA_VALUE = "https://schema.org/value"
XSD = "https://www.w3.org/2001/XMLSchema#"  # as the OB 3.0 context writes its datatypes (https)


def respelled(credential: dict) -> dict:
    """The same statements in other JSON-LD spellings: a one-element array, value objects, a full IRI as a key.
    The RDF dataset, and so the proof, do not change."""
    changed = copy.deepcopy(credential)
    subject = changed["credentialSubject"]
    for identity in subject["identifier"]:
        identity["identityType"] = [identity["identityType"]]
        identity["hashed"] = {"@value": str(identity["hashed"]).lower(), "@type": XSD + "boolean"}
    for result in subject["result"]:
        result[SCHEMA_VALUE] = {"@value": result.pop("value")}
    subject["activityStartDate"] = {"@value": subject["activityStartDate"], "@type": XSD + "date"}
    subject["role"] = [subject["role"]]
    return changed


def _dd(html: str, element_id: str) -> str | None:
    found = re.search(rf'id="{element_id}"[^>]*>\s*([^<]*?)\s*<', html)
    return found[1] if found else None


def test_the_page_shows_what_was_verified_whatever_the_spelling(client, make_org):
    org = make_org("spelling")
    _, issued = issue(client, org, record_body(hours=42))
    credential = respelled(issued["credential"])
    assert credential["credentialSubject"]["identifier"][0]["identityType"] == ["name"]

    html = post_form(client, "/verify", data={"credential": json.dumps(credential)}).text
    assert verdict_of(html) == "valid"  # the proof signs the dataset, not the spelling
    assert _dd(html, "volunteer") == "Kārlis Ozoliņš"
    assert _dd(html, "hours") == "42"
    assert _dd(html, "period") == "2026-06-20 – 2026-06-24"
    assert "Informācijas punkts" in html
    assert 'href="http://data.europa.eu/esco/skill/' in html


def test_a_tampered_respelling_shows_nothing_as_verified_content_it_does_not_hold(client, make_org):
    org = make_org("spelling-bad")
    _, issued = issue(client, org)
    credential = respelled(issued["credential"])
    credential["credentialSubject"]["result"][0][SCHEMA_VALUE] = {"@value": "420"}
    html = post_form(client, "/verify", data={"credential": json.dumps(credential)}).text
    assert verdict_of(html) == "invalid"
    assert _dd(html, "hours") == "420"  # shown as the document states it, under an "invalid" verdict


def test_exports_read_the_dataset_of_a_respelled_vc_api_credential(client, make_org):
    org = make_org("spelling-export")
    _, issued = issue(client, org)
    body = respelled(issued["credential"])
    for key in ("proof", "id", "validFrom", "credentialStatus"):
        body.pop(key)
    response = client.post("/credentials/issue", json={"credential": body}, headers=org.headers())
    assert response.status_code == 201, response.text
    signed = response.json()["verifiableCredential"]
    cid = signed["id"].rsplit("/", 1)[-1]
    rows = list(csv.DictReader(io.StringIO(client.get(f"/credentials/{cid}/export/csv").text.lstrip("\ufeff"))))
    assert (rows[0]["volunteer_name"], rows[0]["hours"], rows[0]["start_date"]) == (
        "Kārlis Ozoliņš",
        "42",
        "2026-06-20",
    )
    assert rows[0]["municipality"] == "Cēsu novads"
    edc = client.get(f"/credentials/{cid}/export/edc")
    assert edc.status_code == 200, edc.text
    person = edc.json()["credentialSubject"]
    assert person["fullName"] == {"lv": "Kārlis Ozoliņš"}
    assert person["hasClaim"]["influencedBy"][0]["workload"] == "PT42H"


# -- credentials issued with the project's context of earlier releases ------------------------------------------------


def earlier_release_shape(credential: dict, base_url: str) -> dict:
    """The credential as earlier releases wrote it: the project's own context and its terms (`missionType`,
    `municipality`, `catalogue`, `competenceAttestation`, `keyCompetence`), unsigned."""
    catalogue = load_catalogue()
    old = copy.deepcopy(credential)
    old.pop("proof")
    old["@context"] = [VC_V2_CONTEXT, OB_CONTEXT, VOLUNTEER_CONTEXT]
    subject = old["credentialSubject"]
    achievement = subject["achievement"]
    attested = {a["targetUrl"]: r["value"] for r in subject["result"] if "alignment" in r for a in r["alignment"]}
    mission = next(a for a in achievement["alignment"] if a["targetType"] == "ext:MissionType")
    achievement["alignment"] = [
        {key: value for key, value in alignment.items() if key != "targetCode"}
        | {
            "competenceAttestation": attested[alignment["targetUrl"]],
            "keyCompetence": list(catalogue.competence(alignment["targetUrl"]).key_competences),
        }
        for alignment in achievement["alignment"]
        if alignment["targetFramework"] == "ESCO"
    ]
    achievement["resultDescription"] = achievement["resultDescription"][:1]
    for key in ("version", "otherIdentifier", "tag"):
        achievement.pop(key)
    achievement["catalogue"] = {
        "id": f"{base_url}/catalogue/versions/{catalogue.version}",
        "catalogueVersion": catalogue.version,
        "catalogueHash": catalogue.hash,
    }
    subject["result"] = subject["result"][:1]
    subject["missionType"] = mission["targetCode"]
    subject["municipality"] = "cesis"
    return old


@pytest.fixture
def stored_old_credential(client, make_org, settings, session_factory):
    """A credential of the earlier shape, signed by the organisation's key and stored as issued (self-attested
    competence included)."""
    from base.db import transaction
    from credentials.service import sign_document
    from credentials.store import CredentialRow
    from issuers import service as issuers
    from issuers.store import OrganisationRow

    org = make_org("earlier-release")
    mission = load_catalogue().mission_types[0]
    optional = [link.uri for link in mission.competences if link.uri not in mission.core_competences][0]
    competences = [mission.core_competences[0], {"uri": optional, "attested_by": "self"}]
    _, issued = issue(client, org, record_body(mission, competences=competences))
    old = earlier_release_shape(issued["credential"], settings.public_base_url)
    with transaction(session_factory) as session:
        ctx = issuers.IssuerContext(settings.public_base_url, settings.encryption_key)
        identity = issuers.signing_identity(session, ctx, session.get(OrganisationRow, org.org_id))
        signed = sign_document(old, identity, issued["credential"]["validFrom"])
        session.get(CredentialRow, issued["credential_id"]).document = json.dumps(signed, ensure_ascii=False)
    return org, issued["credential_id"], signed, optional


def test_credentials_of_the_earlier_vocabulary_keep_verifying_and_displaying(client, stored_old_credential):
    org, cid, signed, optional = stored_old_credential
    assert VOLUNTEER_CONTEXT in client.get(f"/credentials/{cid}").json()["@context"]
    verdict = client.post("/credentials/verify", json={"verifiableCredential": signed}).json()
    assert verdict["verified"] is True, verdict

    html = client.get(f"/v/{cid}").text
    assert verdict_of(html) == "valid"
    assert _dd(html, "volunteer") == "Kārlis Ozoliņš" and _dd(html, "hours") == "42"
    assert _dd(html, "mission") == load_catalogue().mission_types[0].name.lv
    assert re.search(rf'href="{re.escape(optional)}">[^<]*</a>\s*<span class="meta">', html)  # self-attested

    claims = read_credential(signed)
    assert (claims.mission_type, claims.municipality, claims.catalogue_version) == (
        load_catalogue().mission_types[0].code,
        "cesis",
        load_catalogue().version,
    )
    assert {c.uri: c.attested_by for c in claims.competences}[optional] == "self"


def test_credentials_of_the_earlier_vocabulary_keep_exporting(client, stored_old_credential):
    org, cid, signed, optional = stored_old_credential
    rows = list(csv.DictReader(io.StringIO(client.get(f"/credentials/{cid}/export/csv").text.lstrip("\ufeff"))))
    assert (rows[0]["hours"], rows[0]["municipality"], rows[0]["volunteer_name"]) == (
        "42",
        "Cēsu novads",
        "Kārlis Ozoliņš",
    )
    assert optional in rows[0]["competence_uris"]
    edc = client.get(f"/credentials/{cid}/export/edc").json()
    outcomes = edc["credentialSubject"]["hasClaim"]["specifiedBy"]["learningOutcome"]
    assert [o for o in outcomes if o["relatedESCOSkill"]["id"] == optional][0]["additionalNote"]
    volunteer_id = (
        client.get(f"/organisations/{org.slug}/export/credentials.csv", headers=org.headers())
        .text.splitlines()[1]
        .rsplit(",", 1)[-1]
    )
    clr = client.get(f"/volunteers/{volunteer_id}/export/clr", headers=org.headers())
    assert clr.status_code == 200, clr.text
    assert VOLUNTEER_CONTEXT in clr.json()["@context"]  # its achievements repeat the old terms
    verdict = client.post("/credentials/verify", json={"verifiableCredential": clr.json()}).json()
    assert {r["check"]: r["status"] for r in verdict["results"]}["proof"] == "passed", verdict
    assert client.get(f"/credentials/{cid}.pdf", headers=org.headers()).status_code == 200


def test_new_clrs_name_only_published_contexts(client, make_org):
    org = make_org("clr-published")
    issue(client, org)
    volunteer_id = (
        client.get(f"/organisations/{org.slug}/export/credentials.csv", headers=org.headers())
        .text.splitlines()[1]
        .rsplit(",", 1)[-1]
    )
    clr = client.get(f"/volunteers/{volunteer_id}/export/clr", headers=org.headers()).json()
    assert VOLUNTEER_CONTEXT not in clr["@context"]
