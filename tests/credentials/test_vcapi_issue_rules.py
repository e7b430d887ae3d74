"""The VC-API issuer (`POST /credentials/issue`) never signs what VC Data Model 2.0 forbids and never answers 500:
each such input gets a 422 problem+json naming the field, in Latvian and English; what it signs, our verifier
accepts. Ids in the service's own URL space are the service's to assign."""

from __future__ import annotations

import base64
import hashlib
import json

import base58
import pytest

from credentials.proofs import vcdm
from tests.credentials.helpers import issue
from tests.pages import post_form

V2 = "https://www.w3.org/ns/credentials/v2"
BASE_URL = "http://127.0.0.1:8000"  # the tests' settings.public_base_url
SHA384 = "sha384-" + base64.b64encode(hashlib.sha384(b"related").digest()).decode()
MULTIHASH = "u" + base64.urlsafe_b64encode(bytes([0x12, 32]) + hashlib.sha256(b"related").digest()).decode().rstrip("=")


@pytest.fixture
def org(make_org):
    return make_org("vcapi-rules")


def credential(org, **fields) -> dict:
    body = {
        "@context": [V2],
        "type": ["VerifiableCredential"],
        "issuer": org.did,
        "credentialSubject": {"id": "did:example:volunteer"},
    }
    body.update(fields)
    return {key: value for key, value in body.items() if value is not ...}


def test_strings_that_are_not_unicode_are_refused(client, org):
    """JSON can escape a lone surrogate, which no UTF-8 document or signature can carry (it was a 500)."""
    for body, field in (
        ('"credentialSubject": {"id": "did:example:x", "name": "a\\ud800b"}', "credentialSubject.name"),
        ('"credentialSubject": {"id": "did:example:x", "\\udfff": 1}', "credentialSubject"),
    ):
        text = '{"credential": {"@context": ["%s"], "type": ["VerifiableCredential"], "issuer": "%s", %s}}' % (
            V2,
            org.did,
            body,
        )
        response = client.post(
            "/credentials/issue", content=text.encode(), headers={**org.headers(), "Content-Type": "application/json"}
        )
        assert response.status_code == 422, response.text
        assert [e["field"] for e in response.json()["errors"]] == [field]


def post(client, org, body: dict, lang: str = "en"):
    return client.post(
        "/credentials/issue", json={"credential": body}, headers={**org.headers(), "Accept-Language": lang}
    )


# What VC DM 2.0 forbids (each seen signed, or answered with 500, before): field -> the credential's changes.
FORBIDDEN = {
    "id null": ("id", {"id": None}),
    "id not a URL": ("id", {"id": "https ://not-a-url/vcs/343cf54b"}),
    "id a list": ("id", {"id": ["urn:uuid:1", "urn:uuid:2"]}),
    "number in @context": ("@context[1]", {"@context": [V2, 4]}),
    "@context a string": ("@context", {"@context": V2}),
    "@context not led by v2": ("@context", {"@context": ["https://www.w3.org/2018/credentials/v1"]}),
    "type missing": ("type", {"type": ...}),
    "type a number": ("type", {"type": 4}),
    "type without VerifiableCredential": ("type", {"type": ["Thing"]}),
    "issuer missing": ("issuer", {"issuer": ...}),
    "issuer null": ("issuer", {"issuer": None}),
    "issuer object without id": ("issuer.id", {"issuer": {"name": "x"}}),
    "termsOfUse without type": ("termsOfUse.type", {"termsOfUse": {"id": "https://example.org/tou"}}),
    "evidence without type": ("evidence[0].type", {"evidence": [{"id": "https://example.org/evidence/1"}]}),
    "evidence id not a URL": ("evidence[0].id", {"evidence": [{"type": ["Evidence"], "id": "not a url"}]}),
    "refreshService without type": ("refreshService.type", {"refreshService": {"id": "https://example.org/r"}}),
    "credentialSchema without type": (
        "credentialSchema.type",
        {"credentialSchema": {"id": "https://example.org/schema.json"}},
    ),
    "credentialSchema without id": ("credentialSchema.id", {"credentialSchema": {"type": "JsonSchema"}}),
    "credentialSchema a string": ("credentialSchema", {"credentialSchema": "https://example.org/schema.json"}),
    "empty credentialSubject": ("credentialSubject", {"credentialSubject": {}}),
    "an empty subject among others": ("credentialSubject[1]", {"credentialSubject": [{"id": "did:example:a"}, {}]}),
    "credentialSubject a string": ("credentialSubject", {"credentialSubject": "did:example:1234"}),
    "credentialSubject missing": ("credentialSubject", {"credentialSubject": ...}),
    "subject id not a URL": ("credentialSubject.id", {"credentialSubject": {"id": "volunteer 7"}}),
    "validFrom not a dateTimeStamp": ("validFrom", {"validFrom": "Sat 25 Feb 2023 07:16:31 PM CST"}),
    "validFrom without time zone": ("validFrom", {"validFrom": "2026-01-01T00:00:00"}),
    "validFrom a date only": ("validFrom", {"validFrom": "2026-01-01"}),
    "validFrom no such day": ("validFrom", {"validFrom": "2026-02-30T00:00:00Z"}),
    "validUntil not a dateTimeStamp": ("validUntil", {"validUntil": "tomorrow"}),
    "validUntil before validFrom": (
        "validUntil",
        {"validFrom": "2026-06-01T00:00:00Z", "validUntil": "2026-05-01T00:00:00Z"},
    ),
    "validUntil before the time of issue": ("validUntil", {"validUntil": "2026-05-01T00:00:00Z"}),
    "relatedResource without digest": ("relatedResource[0]", {"relatedResource": [{"id": "https://example.org/a"}]}),
    "relatedResource without id": ("relatedResource[0].id", {"relatedResource": [{"digestSRI": SHA384}]}),
    "relatedResource ids repeated": (
        "relatedResource[1].id",
        {
            "relatedResource": [
                {"id": "https://example.org/a", "digestSRI": SHA384},
                {"id": "https://example.org/a", "digestSRI": SHA384},
            ]
        },
    ),
    "relatedResource not objects": ("relatedResource[0]", {"relatedResource": ["https://example.org/a"]}),
    "digestSRI malformed": (
        "relatedResource[0].digestSRI",
        {"relatedResource": [{"id": "https://example.org/a", "digestSRI": "sha384-abc"}]},
    ),
    "digestMultibase malformed": (
        "relatedResource[0].digestMultibase",
        {"relatedResource": [{"id": "https://example.org/a", "digestMultibase": "zzzz"}]},
    ),
    "name a number": ("name", {"name": 5}),
    "name with a property a language value has not": (
        "name",
        {"name": {"@value": "x", "@language": "en", "extra": "y"}},
    ),
    "issuer description not a text": ("issuer.description", {"issuer": ...}),
    "credentialStatus sent": ("credentialStatus", {"credentialStatus": {"type": "BitstringStatusListEntry"}}),
    "proof sent": ("proof", {"proof": {"type": "DataIntegrityProof"}}),
    "Open Badge without achievement": (
        "credentialSubject.achievement",
        {
            "@context": [V2, "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
            "type": ["VerifiableCredential", "OpenBadgeCredential"],
        },
    ),
}


NUL_ISSUERS = {"issuer": "did:key:z6Mk\u0000", "issuer.id": {"id": "did:web:127.0.0.1%3A8000:issuers:a\u0000b"}}


@pytest.mark.parametrize("field, issuer", NUL_ISSUERS.items(), ids=NUL_ISSUERS.keys())
def test_an_issuer_with_a_nul_is_refused_before_any_lookup(client, org, field, issuer):
    """The request guard refuses it with the field named (a 500 on PostgreSQL once); the rules refuse it too."""
    response = post(client, org, credential(org, issuer=issuer))
    assert response.status_code == 422, response.text
    assert [error["field"] for error in response.json()["errors"]] == [f"credential.{field}"]
    assert field in {violation.field for violation in vcdm.credential_violations(credential(org, issuer=issuer))}


@pytest.mark.parametrize("field, changes", FORBIDDEN.values(), ids=FORBIDDEN.keys())
def test_what_vc_data_model_2_forbids_is_refused_naming_the_field(client, org, field, changes):
    if changes.get("issuer") is ... and field.startswith("issuer."):
        changes = {"issuer": {"id": org.did, "description": {"@id": "https://example.org/"}}}
    response = post(client, org, credential(org, **changes))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    named = {error["field"]: error for error in problem["errors"]}
    assert field in named, problem["errors"]
    message = named[field]
    assert message["message_en"] and message["message_lv"] and message["message_en"] != message["message_lv"]
    latvian = post(client, org, credential(org, **changes), lang="lv").json()
    assert latvian["detail"] == "Apliecinājumu nevar parakstīt; skatiet laukus sarakstā errors."
    assert any(error["message"] == message["message_lv"] for error in latvian["errors"])


# Malformed JSON-LD (each answered with 500 before): refused with the JSON-LD processor's reason.
MALFORMED = {
    "@vocab null": ({"@context": [V2, {"@vocab": None}]}, None),
    "protected term redefined": (
        {"@context": [V2, {"VerifiableCredential": "https://example.org/#VC"}]},
        "protected term redefinition",
    ),
    "protected term redefined by a later context": (
        {
            "@context": [
                V2,
                {"@protected": True, "Example": "https://example.org/#Example"},
                {"Example": "https://example.org/#Other"},
            ],
            "type": ["VerifiableCredential", "Example"],
        },
        "protected term redefinition",
    ),
    "type mapped to a non-URL": (
        {"@context": [V2, {"Example": "https ://not-a-url#Example"}], "type": ["VerifiableCredential", "Example"]},
        "invalid IRI mapping",
    ),
    "a list of subject ids": ({"credentialSubject": {"id": ["did:example:a", "did:example:b"]}}, None),
    "an undefined term": ({"credentialSubject": {"id": "did:example:v", "favouriteColour": "green"}}, None),
    "an unknown context": ({"@context": [V2, "https://evil.example/context"]}, None),
}


@pytest.mark.parametrize("changes, code", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_json_ld_is_refused_not_a_server_error(client, org, changes, code):
    response = post(client, org, credential(org, **changes))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["detail"]
    if code:
        assert code in problem["detail"]
        assert problem["errors"][0]["field"] == "@context"
    assert post(client, org, credential(org, **changes), lang="lv").json()["detail"] != problem["detail"]


# What VC DM 2.0 (and the W3C test suite) allows: signed, and our verifier accepts it.
ALLOWED = {
    "termsOfUse with a type": {
        "termsOfUse": [{"type": "IssuerPolicy", "id": "https://example.org/policies/1"}],
        "@context": [V2, {"IssuerPolicy": "https://example.org/#IssuerPolicy"}],
    },
    "evidence with a type": {
        "evidence": [{"id": "https://example.org/evidence/1", "type": ["https://example.org/#Evidence"]}]
    },
    "refreshService with a type": {
        "refreshService": {"id": "https://example.org/refresh", "type": "https://example.org/#Refresh"}
    },
    "credentialSchema with id and type": {
        "credentialSchema": [{"id": "https://example.org/schema.json", "type": "JsonSchema"}]
    },
    "relatedResource with digests": {
        "relatedResource": [
            {"id": "https://example.org/a.pdf", "digestSRI": SHA384, "mediaType": "application/pdf"},
            {"id": "https://example.org/b", "digestMultibase": MULTIHASH},
        ]
    },
    "several subjects": {"credentialSubject": [{"id": "did:example:a"}, {"id": "did:example:b"}]},
    "validFrom with milliseconds": {"validFrom": "2026-01-01T00:00:00.123Z"},
    "validFrom with an offset": {"validFrom": "2026-01-01T00:00:00-05:00"},
    "validUntil in the future": {"validFrom": "2026-01-01T00:00:00Z", "validUntil": "2999-12-31T23:59:59Z"},
    "an id of the client's own": {"id": "urn:uuid:8e96ee84-032d-47b2-8d10-86be56032148"},
    "an https id elsewhere": {"id": "https://university.example/credentials/3732"},
    "issuer object with a name": {"issuer": ...},
    "names in two languages": {
        "name": [{"@value": "Brīvprātīgais", "@language": "lv"}, {"@value": "Volunteer", "@language": "en"}],
        "description": "Talka",
    },
    "a name with language and direction": {"name": {"@value": "متطوع", "@language": "ar", "@direction": "rtl"}},
}


@pytest.mark.parametrize("changes", ALLOWED.values(), ids=ALLOWED.keys())
def test_what_vc_data_model_2_allows_is_signed_and_verifies(client, org, changes):
    if changes.get("issuer") is ...:
        changes = {"issuer": {"id": org.did, "name": "Biedrība"}}
    response = post(client, org, credential(org, **changes))
    assert response.status_code == 201, response.text
    signed = response.json()["verifiableCredential"]
    verdict = client.post("/credentials/verify", json={"verifiableCredential": signed}).json()
    assert verdict["verified"] is True, verdict["errors"]


def test_credentials_built_from_records_keep_the_same_rules(client, org):
    _, issued = issue(client, org)
    assert vcdm.credential_violations(issued["credential"]) == []


# --- ids: the service's URL space is the service's ------------------------------------------------------------------


def test_an_organisation_cannot_sign_under_another_organisations_credential_url(client, make_org, settings):
    victim, forger = make_org("victim"), make_org("forger")
    _, genuine = issue(client, victim)
    genuine_url = genuine["credential"]["id"]
    assert genuine_url == f"{settings.public_base_url}/credentials/{genuine['credential_id']}"
    response = post(client, forger, credential(forger, id=genuine_url))
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["id"]
    assert settings.public_base_url in response.json()["errors"][0]["message"]
    # nor under its own: a client never chooses where a credential lives here
    _, own = issue(client, forger)
    assert post(client, forger, credential(forger, id=own["credential"]["id"])).status_code == 422


@pytest.mark.parametrize(
    "claimed",
    [
        f"{BASE_URL}/credentials/../../x",
        f"{BASE_URL}/credentials/%2e%2e/%2e%2e/x",
        f"{BASE_URL.upper()}/credentials/0123456789abcdef0123456789abcdef",
        "http://127.0.0.1:8000/v/0123456789abcdef0123456789abcdef",
        "http://user@127.0.0.1:8000/credentials/0123456789abcdef0123456789abcdef",
    ],
)
def test_ids_in_the_services_url_space_are_refused_however_spelt(client, org, claimed):
    response = post(client, org, credential(org, id=claimed))
    assert response.status_code == 422, response.text
    assert "id" in [e["field"] for e in response.json()["errors"]]


def test_the_service_assigns_the_url_a_credential_is_stored_and_linked_under(client, org, settings):
    signed = post(client, org, credential(org)).json()["verifiableCredential"]
    prefix = f"{settings.public_base_url}/credentials/"
    assert signed["id"].startswith(prefix)
    stored_id = signed["id"][len(prefix) :]
    assert client.get(f"/credentials/{stored_id}").json() == signed
    page = post_form(client, "/verify", data={"credential": json.dumps(signed)}).text
    assert f"/credentials/{stored_id}/export/csv" in page
    # a client's own id is kept, and the pages link no stored credential for it
    foreign = post(client, org, credential(org, id="urn:uuid:0b1e9c1a-6a3f-4c59-9a53-1d2e3f4a5b6c")).json()
    assert foreign["verifiableCredential"]["id"] == "urn:uuid:0b1e9c1a-6a3f-4c59-9a53-1d2e3f4a5b6c"
    page = post_form(client, "/verify", data={"credential": json.dumps(foreign["verifiableCredential"])})
    assert "/export/csv" not in page.text


# --- the rules module on its own ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, moment",
    [
        ("2026-06-24T12:00:00Z", "2026-06-24T12:00:00+00:00"),
        ("2026-06-24T15:00:00.250+03:00", "2026-06-24T15:00:00.250000+03:00"),
        ("0001-01-01T00:00:00+14:00", "0001-01-01T00:00:00+14:00"),
        ("2026-06-24T12:00:00", None),
        ("2026-06-24T24:00:00Z", None),
        ("2026-13-01T00:00:00Z", None),
        ("2026-06-24T12:00:00+15:00", None),
        ("12026-06-24T12:00:00Z", None),
        (" 2026-06-24T12:00:00Z", None),
        (20260624, None),
        (None, None),
    ],
)
def test_date_time_stamps(value, moment):
    parsed = vcdm.parse_date_time_stamp(value)
    assert (parsed.isoformat() if parsed else None) == moment


@pytest.mark.parametrize(
    "value, expected",
    [
        ("https://example.org/a?b#c", True),
        ("did:web:example.org", True),
        ("urn:uuid:1", True),
        ("http://127.0.0.1:8000/x", True),
        ("http://[::1]:8000/x", True),
        ("https ://not-a-url", False),
        ("//not-a-url/x", False),
        ("https://", False),
        ("https://exa mple.org", False),
        ("https://example.org:99999/", False),
        ("https://1.2.3.256/", False),
        ("did:", False),
        ("no scheme", False),
        ("urn:a b", False),
        (None, False),
        (4, False),
        (["https://example.org"], False),
    ],
)
def test_urls(value, expected):
    assert vcdm.is_url(value) is expected


def test_digests_must_be_digests_of_their_algorithm():
    sha256 = hashlib.sha256(b"x").digest()
    assert (
        vcdm.credential_violations(
            {
                "@context": [V2],
                "type": ["VerifiableCredential"],
                "issuer": "did:example:i",
                "credentialSubject": {"id": "did:example:s"},
                "relatedResource": [
                    {
                        "id": "https://example.org/1",
                        "digestMultibase": "z" + base58.b58encode(bytes([0x12, 32]) + sha256).decode(),
                    },
                    {"id": "https://example.org/2", "digestSRI": "sha256-" + base64.b64encode(sha256).decode()},
                ],
            }
        )
        == []
    )
    short = "sha384-" + base64.b64encode(sha256).decode()  # a SHA-256 digest labelled SHA-384
    truncated = "u" + base64.urlsafe_b64encode(bytes([0x12, 32]) + sha256[:20]).decode().rstrip("=")
    fields = [
        v.field
        for v in vcdm.credential_violations(
            {
                "@context": [V2],
                "type": ["VerifiableCredential"],
                "issuer": "did:example:i",
                "credentialSubject": {"id": "did:example:s"},
                "relatedResource": [
                    {"id": "https://example.org/1", "digestSRI": short},
                    {"id": "https://example.org/2", "digestMultibase": truncated},
                ],
            }
        )
    ]
    assert fields == ["relatedResource[0].digestSRI", "relatedResource[1].digestMultibase"]


@pytest.mark.parametrize("moment", ["2026-02-30T00:00:00Z", "2026-01-01T24:00:00Z", "2026-01-01T00:00:00+15:00"])
def test_the_verifier_reads_dates_by_the_same_rule(client, moment):
    """A well-formed time that names no moment is a shape failure in the verifier too (it was a 500)."""
    response = client.post(
        "/credentials/verify",
        json={
            "verifiableCredential": {
                "@context": [V2],
                "type": ["VerifiableCredential"],
                "issuer": "did:example:issuer",
                "credentialSubject": {"id": "did:example:subject"},
                "validFrom": moment,
            }
        },
    )
    assert response.status_code < 500 and response.json()["verified"] is False, response.text
    shape = next(result for result in response.json()["results"] if result["check"] == "shape")
    assert shape["status"] == "failed" and "validFrom" in shape["details"]["fields"]


def test_another_organisations_did_as_issuer_is_forbidden_and_nothing_is_issued(client, org, make_org):
    """The one request that looks the issuer up in the registry: a DID of another organisation is never signed for."""
    other = make_org("vcapi-rules-other")
    response = post(client, org, credential(org, issuer=other.did))
    assert response.status_code == 403, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert post(client, org, credential(org)).status_code == 201  # its own DID, as usual, is signed
