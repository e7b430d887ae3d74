"""Exports of issue 8: Europass EDC (checked with the ELM 3.2 SHACL shapes), CLR 2.0 and CSV, on real credentials
issued through the API; who may export what; the `volcred export` command."""

from __future__ import annotations

import base64
import copy
import csv
import io
import json
import os
import subprocess
import sys
from datetime import date, timedelta

import pytest
from PIL import Image

from catalogue import load_catalogue
from credentials.proofs.dataintegrity import verify as verify_proofs
from credentials.proofs.jsonld import DocumentLoader, DocumentLoaderError, StrictExpansionError
from tests.authz import check_matrix
from tests.conftest import TEST_KEK
from tests.credentials.helpers import issue, record_body
from verify.exports import shacl
from verify.exports.edc import NON_FORMAL, VOLUNTEERING, iso_duration

CRED = "https://www.w3.org/2018/credentials#"
ELM = "http://data.europa.eu/snb/model/elm/"
SEAL_ADDS = {CRED + "issued", CRED + "issuer", ELM + "eidasLegalIdentifier"}


def edc_of(client, credential_id, **params) -> dict:
    response = client.get(f"/credentials/{credential_id}/export/edc", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def claim(edc: dict) -> dict:
    return edc["credentialSubject"]["hasClaim"]


def alignments(credential: dict) -> list[str]:
    """The credential's ESCO competences (its other alignments name key competences and the mission type)."""
    return [
        a["targetUrl"]
        for a in credential["credentialSubject"]["achievement"]["alignment"]
        if a["targetFramework"] == "ESCO"
    ]


def assert_only_seal_violations(edc: dict) -> None:
    """Conforms to EDC-generic-no-cv + EDC-generic-full apart from what the Europass issuer adds when sealing."""
    violations = shacl.validate(edc)
    assert {v.path for v in violations} == SEAL_ADDS, violations
    eidas = [v for v in violations if v.path == ELM + "eidasLegalIdentifier"]
    assert [v.focus for v in eidas] == [edc["issuer"]["id"]]
    issued = [v for v in violations if v.path == CRED + "issued"]
    assert [v.focus for v in issued] == [edc["id"]]
    # the cred:issuer violation is the IssuerNodeShape failing for that same missing eIDAS identifier
    assert all("IssuerNodeShape" in v.message for v in violations if v.path == CRED + "issuer")


# --- EDC --------------------------------------------------------------------------------------------------------------


def test_edc_of_a_named_volunteer_conforms_apart_from_the_seal(client, make_org):
    org = make_org("edc-named", legal_name="Biedrība „Zaļā Gauja”", address="Rīga, Brīvības iela 1")
    _, issued = issue(client, org)
    credential = issued["credential"]
    edc = edc_of(client, issued["credential_id"])
    assert_only_seal_violations(edc)

    achievement = claim(edc)
    activity = achievement["influencedBy"][0]
    assert achievement["type"] == "LearningAchievement" and activity["type"] == "LearningActivity"
    assert activity["workload"] == "PT42H"
    assert activity["dcType"]["id"] == VOLUNTEERING[0]
    assert activity["temporal"]["startDate"].startswith("2026-06-20")
    assert activity["temporal"]["endDate"].startswith("2026-06-24")
    specification = achievement["specifiedBy"]
    assert specification["learningSetting"]["id"] == NON_FORMAL[0]
    outcomes = specification["learningOutcome"]
    assert [o["relatedESCOSkill"]["id"] for o in outcomes] == alignments(credential)
    assert all(set(o["title"]) == {"lv", "en"} for o in outcomes)
    assert set(achievement["title"]) == {"lv", "en"} and achievement["title"]["en"] != achievement["title"]["lv"]
    assert set(activity["title"]) == {"lv", "en"} and activity["title"]["lv"] == "Jāņu festivāla brīvprātīgais"
    assert achievement["awardedBy"]["awardingBody"]["id"] == org.did
    assert edc["issuer"]["legalName"] == {"lv": "Biedrība „Zaļā Gauja”"}
    assert edc["issuer"]["registration"]["notation"] == credential["issuer"]["otherIdentifier"][0]["identifier"]
    assert edc["credentialSubject"]["fullName"] == {"lv": "Kārlis Ozoliņš"}
    assert edc["validFrom"] == credential["validFrom"] and "issued" not in edc

    # The RDF says the same: expansion with the bundled contexts gives the workload as an xsd:duration.
    nquads = shacl.to_nquads(edc)
    assert f'<{ELM}workload> "PT42H"^^<http://www.w3.org/2001/XMLSchema#duration>' in nquads
    for uri in alignments(credential):
        assert f"<{ELM}relatedESCOSkill> <{uri}>" in nquads

    # One rendered page per language, the credential's language first.
    display = edc["displayParameter"]
    assert [d["language"]["id"][-3:] for d in display["individualDisplay"]] == ["LAV", "ENG"]
    for individual in display["individualDisplay"]:
        png = base64.b64decode(individual["displayDetail"][0]["image"]["content"])
        assert Image.open(io.BytesIO(png)).size == (1280, 905)


def test_edc_names_the_organisation_as_the_registry_does_now(client, make_org):
    org = make_org("edc-renamed", legal_name="Biedrība „Vecais nosaukums”")
    _, issued = issue(client, org)
    renamed = client.patch(
        f"/organisations/{org.slug}", json={"legal_name": "Biedrība „Jaunais nosaukums”"}, headers=org.headers()
    )
    assert renamed.status_code == 200, renamed.text
    edc = edc_of(client, issued["credential_id"])
    assert issued["credential"]["issuer"]["name"] == "Biedrība „Vecais nosaukums”"
    assert edc["issuer"]["legalName"] == {"lv": "Biedrība „Jaunais nosaukums”"}
    assert "Vecais" not in json.dumps(edc, ensure_ascii=False)


def test_edc_of_a_pseudonymous_volunteer_with_fractional_hours(client, make_org):
    org = make_org("edc-pseudo")
    pseudonym = "ozols-7Fq2xKp9"
    mission = load_catalogue().mission_types[0]
    first, *others = load_catalogue().default_competences(mission.code)
    competences = [{"uri": first, "attested_by": "self", "note": "Vadīju grupu"}, *others]
    _, issued = issue(
        client,
        org,
        record_body(
            volunteer={"pseudonym": pseudonym}, hours="7.5", narrative=None, role=None, competences=competences
        ),
    )
    edc = edc_of(client, issued["credential_id"])
    assert_only_seal_violations(edc)
    assert claim(edc)["influencedBy"][0]["workload"] == "PT7H30M"
    outcomes = claim(edc)["specifiedBy"]["learningOutcome"]
    assert [o["relatedESCOSkill"]["id"] for o in outcomes] == [first, *others]
    assert "volunteer" in outcomes[0]["additionalNote"]["noteLiteral"]["en"]  # self-described, organiser-accepted
    assert all("additionalNote" not in o for o in outcomes[1:])
    # The Person is what the shapes require and no more: no name, no identifier, nothing about the person.
    assert set(edc["credentialSubject"]) == {"id", "type", "hasClaim"}
    text = json.dumps(edc, ensure_ascii=False)
    assert pseudonym not in text
    assert issued["credential"]["credentialSubject"]["identifier"][0]["identityHash"] not in text


@pytest.mark.parametrize(
    "hours,duration",
    [(42, "PT42H"), ("7.5", "PT7H30M"), ("0.25", "PT15M"), ("1.01", "PT1H36S"), ("0", "PT0H"), ("12.75", "PT12H45M")],
)
def test_hours_as_xsd_duration(hours, duration):
    assert iso_duration(hours) == duration


def test_uploadable_wrapping_and_stable_id(client, make_org):
    org = make_org("edc-upload")
    _, issued = issue(client, org)
    plain = client.get(f"/credentials/{issued['credential_id']}/export/edc")
    assert plain.headers["content-type"].startswith("application/ld+json")
    upload = client.get(f"/credentials/{issued['credential_id']}/export/edc", params={"uploadable": "true"})
    assert upload.status_code == 200 and "attachment" in upload.headers["content-disposition"]
    body = upload.json()
    assert list(body) == ["credential"]
    assert body["credential"] == plain.json()  # exporting twice gives the same document
    assert body["credential"]["type"] == ["VerifiableCredential", "EuropeanDigitalCredential"]
    assert body["credential"]["credentialSchema"] == [
        {"id": "http://data.europa.eu/snb/model/ap/edc-generic-full", "type": "ShaclValidator2017"}
    ]
    assert body["credential"]["@context"] == [
        "https://www.w3.org/2018/credentials/v1",
        "http://data.europa.eu/snb/model/context/edc-ap",
    ]


def test_edc_expansion_is_offline_and_strict(client, make_org):
    loader = shacl.edc_loader()
    with pytest.raises(DocumentLoaderError):
        loader("https://data.europa.eu/snb/model/context/edc-ap")  # only the bundled URL, never the network
    org = make_org("edc-strict")
    _, issued = issue(client, org)
    edc = edc_of(client, issued["credential_id"])
    edc["credentialSubject"]["nickname"] = "undefined in edc-ap"
    with pytest.raises(StrictExpansionError):
        shacl.to_nquads(edc)


def test_edc_refuses_what_it_cannot_or_should_not_export(client, make_org):
    org = make_org("edc-refuse")
    _, revoked = issue(client, org)
    _, suspended = issue(client, org, record_body(start_date="2026-07-01", end_date="2026-07-01", hours=3))
    client.post(f"/credentials/{revoked['credential_id']}/revoke", json={"reason": "Kļūda"}, headers=org.headers())
    client.post(
        f"/credentials/{suspended['credential_id']}/suspend", json={"reason": "Pārbaude"}, headers=org.headers()
    )
    assert client.get(f"/credentials/{revoked['credential_id']}/export/edc").status_code == 410
    assert client.get(f"/credentials/{suspended['credential_id']}/export/edc").status_code == 409
    missing = client.get("/credentials/0123456789abcdef0123456789abcdef/export/edc")
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"
    assert client.get(f"/credentials/{revoked['credential_id']}/export/pdf").status_code == 404
    # A credential an organisation had signed through the VC-API is not a volunteer credential.
    body = {
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
        "type": ["VerifiableCredential"],
        "issuer": org.did,
        "credentialSubject": {"name": "Test"},
    }
    vc_api = client.post("/credentials/issue", json={"credential": body}, headers=org.headers()).json()
    vc_id = vc_api["verifiableCredential"]["id"].rsplit("/", 1)[1]
    assert client.get(f"/credentials/{vc_id}/export/edc").status_code == 422


# --- CLR --------------------------------------------------------------------------------------------------------------


def verify_over_api(client, credential) -> dict:
    return client.post("/credentials/verify", json={"verifiableCredential": credential}).json()


def test_clr_bundles_the_credentials_as_issued_and_verifies(client, make_org):
    org = make_org("clr-org")
    created, first = issue(client, org)
    _, second = issue(client, org, record_body(start_date="2026-07-01", end_date="2026-07-03", hours="12.5"))
    issue(client, org, record_body(volunteer={"name": "Cita Persona", "email": "cita@example.lv"}))
    response = client.get(f"/volunteers/{created['volunteer_id']}/export/clr", headers=org.headers())
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    clr = response.json()
    assert clr["type"] == ["VerifiableCredential", "ClrCredential"]
    assert clr["credentialSubject"]["type"] == ["ClrSubject"]
    assert clr["@context"][:3] == [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ]

    # Each credential byte for byte as the service serves it, and each still verifies on its own.
    embedded = clr["credentialSubject"]["verifiableCredential"]
    served = [json.loads(client.get(f"/credentials/{i['credential_id']}").content) for i in (first, second)]
    assert embedded == served
    assert [a["id"] for a in clr["credentialSubject"]["achievement"]] == [
        c["credentialSubject"]["achievement"]["id"] for c in served
    ]
    for credential in embedded:
        assert verify_over_api(client, credential)["verdict"] == "valid"

    # The bundle verifies with the project's verifier, the platform named as its signer...
    result = verify_over_api(client, clr)
    assert result["verdict"] == "valid", result
    assert clr["issuer"]["id"] == clr["proof"]["verificationMethod"].split("#")[0]
    assert "platform" in next(r for r in result["results"] if r["check"] == "issuer")["reason_en"]
    # ...and with the Data Integrity core against the DID document the platform publishes.
    did_document = client.get("/.well-known/did.json").json()
    assert did_document["id"] == clr["issuer"]["id"] == "did:web:127.0.0.1%3A8000"
    loader = DocumentLoader(did_resolver=lambda did: did_document)
    assert verify_proofs(clr, loader=loader).verified

    # The platform's signature covers the embedded credentials: change one and the bundle fails.
    tampered = copy.deepcopy(clr)
    tampered["credentialSubject"]["verifiableCredential"][1]["credentialSubject"]["result"][0]["value"] = "125"
    assert not verify_proofs(tampered, loader=loader).verified
    assert verify_over_api(client, tampered)["verdict"] == "invalid"


def test_clr_leaves_out_revoked_credentials(client, make_org):
    org = make_org("clr-revoked")
    created, first = issue(client, org)
    _, second = issue(client, org, record_body(start_date="2026-07-01", end_date="2026-07-01", hours=2))
    client.post(f"/credentials/{first['credential_id']}/revoke", json={"reason": "Kļūda"}, headers=org.headers())
    clr = client.get(f"/volunteers/{created['volunteer_id']}/export/clr", headers=org.headers()).json()
    assert [c["id"] for c in clr["credentialSubject"]["verifiableCredential"]] == [second["credential"]["id"]]
    client.post(f"/credentials/{second['credential_id']}/revoke", json={"reason": "Kļūda"}, headers=org.headers())
    nothing = client.get(f"/volunteers/{created['volunteer_id']}/export/clr", headers=org.headers())
    assert nothing.status_code == 409 and nothing.headers["content-type"] == "application/problem+json"


@pytest.fixture
def orgs(client, make_org):
    own, other = make_org("clr-own"), make_org("clr-other")
    limited = client.post(
        f"/organisations/{own.slug}/tokens",
        json={"name": "records", "scopes": ["records:write"]},
        headers=own.headers("admin"),
    ).json()["token"]
    return own, other, limited


def test_only_the_volunteers_organisation_exports_their_clr(client, session_factory, orgs, platform_admin):
    own, other, limited = orgs
    created, issued = issue(client, own)
    # The first CLR ever also makes the platform's key: a refused caller must not even cause that.
    own_people = {"own_token", "own_token_no_scope", "own_admin", "own_coordinator"}
    check_matrix(
        client,
        session_factory,
        own,
        other,
        platform_admin,
        lambda h, caller: client.get(f"/volunteers/{created['volunteer_id']}/export/clr", headers=h),
        own_people,
        limited,
    )
    check_matrix(
        client,
        session_factory,
        own,
        other,
        platform_admin,
        lambda h, caller: client.get(f"/credentials/{issued['credential_id']}/export/clr", headers=h),
        own_people,
        limited,
    )


def test_personal_link_sees_only_its_own_credentials(client, make_org):
    first_org, second_org = make_org("link-first"), make_org("link-second")
    # The same person, known to two organisations: two volunteer rows, two personal links.
    created_a, issued_a = issue(client, first_org)
    created_b, issued_b = issue(client, second_org)
    link_a = created_a["volunteer_link"].rsplit("/me/", 1)[1]
    link_b = created_b["volunteer_link"].rsplit("/me/", 1)[1]
    clr_a = client.get(f"/me/{link_a}/export/clr")
    assert clr_a.status_code == 200, clr_a.text
    assert [c["id"] for c in clr_a.json()["credentialSubject"]["verifiableCredential"]] == [
        issued_a["credential"]["id"]
    ]
    clr_b = client.get(f"/me/{link_b}/export/clr").json()
    assert [c["id"] for c in clr_b["credentialSubject"]["verifiableCredential"]] == [issued_b["credential"]["id"]]
    assert verify_over_api(client, clr_b)["verdict"] == "valid"
    wrong = client.get("/me/not-a-real-link/export/clr")
    assert wrong.status_code == 404 and wrong.headers["content-type"] == "application/problem+json"


def test_pseudonymous_clr_carries_only_what_the_credentials_state(client, make_org):
    org = make_org("clr-pseudo")
    created, issued = issue(client, org, record_body(volunteer={"pseudonym": "priede-42abcXYZ"}))
    clr = client.get(f"/volunteers/{created['volunteer_id']}/export/clr", headers=org.headers()).json()
    assert clr["credentialSubject"]["identifier"] == issued["credential"]["credentialSubject"]["identifier"]
    assert "priede-42abcXYZ" not in json.dumps(clr)


# --- CSV --------------------------------------------------------------------------------------------------------------


def parse_csv(body: bytes, delimiter: str = ",") -> list[dict]:
    assert body.startswith(b"\xef\xbb\xbf"), "UTF-8 with a byte-order mark"
    return list(csv.DictReader(io.StringIO(body[3:].decode("utf-8")), delimiter=delimiter))


def test_csv_of_a_named_and_a_pseudonymous_credential(client, make_org):
    org = make_org("csv-org", legal_name="Nodibinājums „Ūdens”")
    _, named = issue(client, org)
    _, pseudo = issue(client, org, record_body(volunteer={"pseudonym": "liepa-9x8y7z6w"}, hours="7.5"))

    response = client.get(f"/credentials/{named['credential_id']}/export/csv")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    [row] = parse_csv(response.content)
    credential = named["credential"]
    assert row["credential_id"] == credential["id"]
    assert row["issuer_legal_name"] == "Nodibinājums „Ūdens”"
    assert row["issuer_registration_number"] == credential["issuer"]["otherIdentifier"][0]["identifier"]
    assert row["hours"] == "42" and row["status"] == "active" and row["volunteer_name"] == "Kārlis Ozoliņš"
    assert row["competence_uris"].split("; ") == alignments(credential)
    assert row["municipality"] == "Cēsu novads" and row["start_date"] == "2026-06-20"
    assert row["mission_type_lv"] and row["mission_type_en"] and row["competences_en"]
    assert row["verify_url"] == named["verify_url"]

    semicolon = client.get(f"/credentials/{pseudo['credential_id']}/export/csv", params={"sep": "semicolon"})
    assert b"\r\n" in semicolon.content
    [row] = parse_csv(semicolon.content, delimiter=";")
    assert row["hours"] == "7,5" and row["volunteer_name"] == ""
    assert "liepa-9x8y7z6w" not in semicolon.content.decode("utf-8-sig")
    assert client.get(f"/credentials/{pseudo['credential_id']}/export/csv", params={"sep": "tab"}).status_code == 422


def test_csv_keeps_formulas_out_of_spreadsheets(client, make_org):
    org = make_org("csv-formula")
    _, issued = issue(client, org, record_body(title='=HYPERLINK("http://example.org","x")'))
    [row] = parse_csv(client.get(f"/credentials/{issued['credential_id']}/export/csv").content)
    assert row["title"].startswith("'=")


def test_organisation_csv_with_period_and_status(client, session_factory, orgs, platform_admin):
    own, other, limited = orgs
    created, first = issue(client, own)
    _, second = issue(client, own, record_body(volunteer={"pseudonym": "berzs-1a2b3c4d"}))
    issue(client, other)
    client.post(f"/credentials/{second['credential_id']}/revoke", json={"reason": "Kļūda"}, headers=own.headers())
    url = f"/organisations/{own.slug}/export/credentials.csv"

    rows = parse_csv(client.get(url, headers=own.headers("coordinator")).content)
    assert [r["credential_id"] for r in rows] == [first["credential"]["id"], second["credential"]["id"]]
    assert [r["status"] for r in rows] == ["active", "revoked"]
    assert rows[0]["volunteer_name"] == "Kārlis Ozoliņš" and rows[0]["volunteer_id"] == created["volunteer_id"]
    assert rows[1]["volunteer_name"] == "" and "berzs-1a2b3c4d" not in json.dumps(rows)

    # All credentials were issued today (in Latvia); the period is inclusive.
    from credentials.common import today_in_latvia

    today = today_in_latvia()

    def count(**period):
        response = client.get(url, params=period, headers=own.headers())
        assert response.status_code == 200, response.text
        return len(parse_csv(response.content))

    assert count(**{"from": today.isoformat(), "to": today.isoformat()}) == 2
    assert count(**{"from": (today + timedelta(days=1)).isoformat()}) == 0
    assert count(to=(today - timedelta(days=1)).isoformat()) == 0
    bad = client.get(url, params={"from": "2026-02-30"}, headers=own.headers())
    assert bad.status_code == 422
    backwards = client.get(
        url, params={"from": today.isoformat(), "to": (today - timedelta(days=1)).isoformat()}, headers=own.headers()
    )
    assert backwards.status_code == 422

    check_matrix(
        client,
        session_factory,
        own,
        other,
        platform_admin,
        lambda h, caller: client.get(url, headers=h),
        {"own_token", "own_token_no_scope", "own_admin", "own_coordinator"},
        limited,
    )


# --- the command line -------------------------------------------------------------------------------------------------


def volcred(args, settings, tmp_path):
    environment = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "VOLCRED_DATA_DIR": str(tmp_path / "var"),
        "BASE_URL": settings.public_base_url,
        "KEY_ENCRYPTION_KEY": TEST_KEK,
        "VOLCRED_LANG": "en",
    }
    return subprocess.run(
        [sys.executable, "-m", "volcred.cli", "export", *args], capture_output=True, env=environment, cwd=tmp_path
    )


def test_volcred_export(client, make_org, settings, tmp_path):
    org = make_org("cli-export")
    _, issued = issue(client, org, record_body(hours="7.5"))
    credential_file = tmp_path / "credential.json"
    credential_file.write_text(json.dumps(issued["credential"], ensure_ascii=False), encoding="utf-8")

    out = tmp_path / "europass.json"
    result = volcred(["edc", str(credential_file), "--out", str(out), "--uploadable"], settings, tmp_path)
    assert result.returncode == 0, result.stderr.decode()
    assert json.loads(out.read_text(encoding="utf-8")) == {"credential": edc_of(client, issued["credential_id"])}

    result = volcred(["csv", issued["credential_id"], "--sep", "semicolon"], settings, tmp_path)
    assert result.returncode == 0, result.stderr.decode()
    [row] = parse_csv(result.stdout, delimiter=";")
    assert row["hours"] == "7,5"

    result = volcred(["clr", issued["credential"]["id"]], settings, tmp_path)
    assert result.returncode == 0, result.stderr.decode()
    clr = json.loads(result.stdout)
    assert clr["credentialSubject"]["verifiableCredential"] == [issued["credential"]]
    assert verify_over_api(client, clr)["verdict"] == "valid"

    altered = dict(issued["credential"], name="Cits nosaukums")
    credential_file.write_text(json.dumps(altered), encoding="utf-8")
    result = volcred(["edc", str(credential_file)], settings, tmp_path)
    assert result.returncode == 2 and b"not the credential as it was issued" in result.stderr
    assert b"Traceback" not in result.stderr


def test_exports_are_listed_in_the_openapi_document(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert {
        "/credentials/{credential_id}/export/{export_format}",
        "/volunteers/{volunteer_id}/export/clr",
        "/me/{token}/export/clr",
        "/organisations/{slug}/export/credentials.csv",
        "/.well-known/did.json",
    } <= set(paths)


def test_issue_date_is_the_day_in_latvia():
    from verify.exports.table import issued_on

    assert issued_on("2026-06-30T22:30:00Z") == "2026-07-01"  # 01:30 in Riga (UTC+3 in summer)
    assert issued_on("2026-12-31T21:59:59Z") == "2026-12-31"  # 23:59 in Riga (UTC+2 in winter)
    assert date.fromisoformat(issued_on("2026-01-01T00:00:00Z"))
