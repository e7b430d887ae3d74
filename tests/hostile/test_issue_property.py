"""A property of the VC-API issuer, over a few hundred documents built from valid and broken parts (contexts, ids,
types, issuers, subjects, dates, statuses, schemas, evidence, terms of use, refresh services, related resources,
names, and arbitrary JSON dropped in anywhere): `POST /credentials/issue` answers 201 or 4xx, never 5xx, and
whatever it signs our verifier (`POST /credentials/verify`) and the Digital Bazaar verifier holding only the
published context packages (tests/interop/published.py) both accept, with the
one verdict its dates call for when it is not (yet) valid.

Derandomized: the same documents on every run (CI reproducibility); under a minute on SQLite.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime

from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from credentials.proofs import vcdm
from tests.interop.published import verify_with_published_contexts

V2 = "https://www.w3.org/ns/credentials/v2"
OB = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
VOCAB = "https://example.org/vocab#"
EXTRA = {"VolunteerTestCredential": VOCAB + "VolunteerTestCredential", "favouriteColour": VOCAB + "favouriteColour"}
EXAMPLES = 400
PAST, FUTURE = "2020-01-01T00:00:00Z", "2999-12-31T23:59:59Z"
ABSENT = object()  # a part left out of the document

SHA384 = "sha384-" + base64.b64encode(hashlib.sha384(b"certificate").digest()).decode()
MULTIHASH = "u" + base64.urlsafe_b64encode(bytes([0x12, 32]) + hashlib.sha256(b"photo").digest()).decode().rstrip("=")


# --- the parts: (valid variants, broken variants) ---------------------------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**60), 2**60)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)
junk_keys = st.sampled_from(
    [
        "@id",
        "@type",
        "@graph",
        "@included",
        "@reverse",
        "@nest",
        "@value",
        "@list",
        "@context",
        "id",
        "type",
        "holder",
        "issuanceDate",
        "unknownTerm",
    ]
) | st.text(max_size=8)


def parts(did: str, base_url: str) -> dict:
    return {
        "@context": (
            [[V2, EXTRA], [V2, EXTRA, {"@vocab": VOCAB}]],
            [
                ABSENT,
                V2,
                [V2],
                [V2, 4],
                [V2, None],
                [V2, {"@vocab": None}],
                [EXTRA, V2],
                [V2, {"VerifiableCredential": VOCAB + "VC"}],
                [V2, {"Ex": "https ://not-a-url#Ex"}],
                [V2, EXTRA, {"@protected": True, "favouriteColour": VOCAB + "x"}, {"favouriteColour": "y:z"}],
                ["https://www.w3.org/2018/credentials/v1"],
                [V2, "https://evil.example/context"],
                [V2, "https ://not-a-url/context"],
                [V2, EXTRA, {"@version": 2}],
            ],
        ),
        "id": (
            [ABSENT, "urn:uuid:8e96ee84-032d-47b2-8d10-86be56032148", "https://university.example/credentials/7"],
            [
                None,
                42,
                "not a url",
                ["urn:uuid:1", "urn:uuid:2"],
                f"{base_url}/credentials/../../x",
                f"{base_url}/credentials/0123456789abcdef0123456789abcdef",
                "_:b0",
                "https://exa mple.org/x",
            ],
        ),
        "type": (
            [["VerifiableCredential"], ["VerifiableCredential", "VolunteerTestCredential"]],
            [
                ABSENT,
                "VerifiableCredential",
                [],
                ["Thing"],
                4,
                None,
                ["VerifiableCredential", 7],
                ["VerifiableCredential", "UndefinedType"],
            ],
        ),
        "issuer": (
            [did, {"id": did, "name": "Biedrība „Zaļā Gauja”"}],
            [
                ABSENT,
                None,
                4,
                [did],
                "did:example:someone-else",
                {"name": "x"},
                {"id": None},
                "not a url",
                did + "\u0000",
                {"id": "did:key:z6Mk\u0000"},
            ],
        ),
        "credentialSubject": (
            [
                {"id": "did:example:volunteer"},
                {"id": "did:example:v", "favouriteColour": "zaļa"},
                [{"id": "did:example:a"}, {"name": "B"}],
                {"name": "Anna", "description": "Talka"},
            ],
            [
                ABSENT,
                {},
                [],
                [{}],
                [{"id": "did:example:a"}, {}],
                "did:example:x",
                None,
                {"id": "not a url"},
                {"id": ["did:example:a", "did:example:b"]},
                {"id": "did:example:v", "notDefined": 1},
            ],
        ),
        # (validFrom, validUntil): without validFrom the service adds the time of issue
        "validity": (
            [
                (ABSENT, ABSENT),
                (PAST, ABSENT),
                (PAST, FUTURE),
                (PAST, "2021-01-01T00:00:00Z"),
                ("2025-06-01T12:30:00.5+03:00", FUTURE),
                ("0001-01-01T00:00:00Z", ABSENT),
                (ABSENT, FUTURE),
                ("2998-01-01T00:00:00-05:00", ABSENT),
            ],
            [
                ("Sat 25 Feb 2023 07:16:31 PM CST", ABSENT),
                ("2026-01-01", ABSENT),
                (20260101, ABSENT),
                ("2026-01-01T00:00:00", FUTURE),
                (None, ABSENT),
                ("2026-02-30T00:00:00Z", ABSENT),
                ("2026-01-01T24:00:00Z", ABSENT),
                ("2026-01-01T00:00:00+15:00", ABSENT),
                (PAST, "tomorrow"),
                (PAST, "2999-12-31"),
                (PAST, None),
                ("2998-01-01T00:00:00Z", PAST),
                (ABSENT, "2021-01-01T00:00:00Z"),
            ],
        ),
        "credentialStatus": ([ABSENT], [{"type": "BitstringStatusListEntry", "statusPurpose": "revocation"}, []]),
        "credentialSchema": (
            [ABSENT, {"id": "https://example.org/schemas/volunteer.json", "type": "JsonSchema"}],
            [
                {"id": "https://example.org/s.json"},
                {"type": "JsonSchema"},
                "https://example.org/s",
                [],
                {"id": "not a url", "type": "JsonSchema"},
            ],
        ),
        "evidence": (
            [
                ABSENT,
                [{"id": "https://example.org/evidence/1", "type": [VOCAB + "Evidence"]}],
                {"type": VOCAB + "Evidence", "description": "Fotogrāfijas"},
            ],
            [
                [{"id": "https://example.org/evidence/1"}],
                [{}],
                ["https://example.org/e"],
                {"type": VOCAB + "Evidence", "id": "not a url"},
                [],
            ],
        ),
        "termsOfUse": (
            [ABSENT, {"type": VOCAB + "IssuerPolicy", "id": "https://example.org/policies/1"}],
            [{"id": "https://example.org/policies/1"}, [], "https://example.org/p"],
        ),
        "refreshService": (
            [ABSENT, {"type": VOCAB + "ManualRefresh", "id": "https://example.org/refresh/1"}],
            [{"id": "https://example.org/refresh/1"}, "https://example.org/refresh"],
        ),
        "relatedResource": (
            [
                ABSENT,
                [{"id": "https://example.org/a.pdf", "digestSRI": SHA384, "mediaType": "application/pdf"}],
                [{"id": "https://example.org/b", "digestMultibase": MULTIHASH}],
            ],
            [
                [{"id": "https://example.org/a"}],
                {"digestSRI": SHA384},
                [
                    {"id": "https://example.org/a", "digestSRI": SHA384},
                    {"id": "https://example.org/a", "digestMultibase": MULTIHASH},
                ],
                [{"id": "https://example.org/a", "digestSRI": "sha384-abc"}],
                ["https://example.org/a"],
            ],
        ),
        "name": (
            [
                ABSENT,
                "Brīvprātīgā darba apliecinājums",
                [{"@value": "Brīvprātīgais", "@language": "lv"}, {"@value": "Volunteer", "@language": "en"}],
                {"@value": "متطوع", "@language": "ar", "@direction": "rtl"},
            ],
            [
                5,
                {"@value": "x", "@language": "not a tag!"},
                {"text": "x"},
                [],
                {"@value": "x", "@language": "en", "extra": "y"},
                {"@value": "x", "@direction": "up"},
            ],
        ),
        "proof": ([ABSENT], [{"type": "DataIntegrityProof"}]),
    }


@st.composite
def documents(draw, did: str, base_url: str) -> tuple[dict, bool]:
    """(a credential, whether it is made of valid parts only: then it must be signed)"""
    table = parts(did, base_url)
    chosen = {name: draw(st.sampled_from(good)) for name, (good, _) in table.items()}
    broken = draw(st.lists(st.sampled_from(sorted(table)), max_size=3, unique=True))
    for name in broken:
        chosen[name] = draw(st.sampled_from(table[name][1]))
    chosen["validFrom"], chosen["validUntil"] = chosen.pop("validity")
    # a copy of its own: the junk below must not reach shared values such as EXTRA
    document = json.loads(json.dumps({name: value for name, value in chosen.items() if value is not ABSENT}))
    junk = draw(st.integers(0, 5))
    if junk == 0:  # arbitrary JSON under any key of any object in the document
        objects = [document]
        for node in objects:
            objects.extend(
                value
                for value in (node.values() if isinstance(node, dict) else node)
                if isinstance(value, (dict, list))
            )
        target = draw(st.sampled_from([node for node in objects if isinstance(node, dict)]))
        target[draw(junk_keys)] = draw(json_values)
    elif junk == 1:  # arbitrary JSON in place of one part
        names = sorted(set(table) - {"validity"}) + ["validFrom", "validUntil"]
        document[draw(st.sampled_from(names))] = draw(json_values)
    return document, not broken and junk > 1


def time_verdict(credential: dict, now: datetime) -> str | None:
    """The verdict a signed credential's dates alone call for, if any."""
    valid_from = vcdm.parse_date_time_stamp(credential.get("validFrom"))
    valid_until = vcdm.parse_date_time_stamp(credential.get("validUntil"))
    if valid_from and valid_from > now:
        return "not_yet_valid"
    if valid_until and valid_until < now:
        return "expired"
    return None


def test_the_issuer_never_fails_and_signs_only_what_both_verifiers_accept(unthrottled_client, make_org, settings):
    client = unthrottled_client
    org = make_org("property")
    headers = org.headers()
    signed: list[tuple[dict, str | None]] = []
    answers = {2: 0, 4: 0}  # by class: 2xx, 4xx

    @hypothesis_settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(documents(org.did, settings.public_base_url))
    def issue(case):
        document, valid = case
        response = client.post("/credentials/issue", json={"credential": document}, headers=headers)
        assert response.status_code == 201 or 400 <= response.status_code < 500, (
            response.status_code,
            response.text,
            document,
        )
        assert response.status_code == 201 or not valid, (response.text, document)
        answers[response.status_code // 100] += 1
        if response.status_code != 201:
            assert response.headers["content-type"] == "application/problem+json", response.text
            return
        credential = response.json()["verifiableCredential"]
        expected = time_verdict(credential, datetime.now(UTC))
        result = client.post("/credentials/verify", json={"verifiableCredential": credential}).json()
        if expected is None:
            assert result["verified"] is True, (result["errors"], document)
        else:
            assert result["verdict"] == expected, (result, document)
            assert {error["check"] for error in result["errors"]} <= {"validFrom", "validUntil"}, result["errors"]
        signed.append((credential, expected))

    issue()
    assert answers[2] == len(signed) >= 40, answers  # the generator reaches both sides of the line
    assert answers[4] >= 100, answers

    prefix = settings.public_base_url
    did_document = client.get(f"/issuers/{org.slug}/did.json").json()
    list_urls = {entry["statusListCredential"] for credential, _ in signed for entry in credential["credentialStatus"]}
    status_lists = {url: client.get(url[len(prefix) :]).json() for url in list_urls}
    results = verify_with_published_contexts(
        [credential for credential, _ in signed], {org.did: did_document, **status_lists}
    )
    for (credential, expected), result in zip(signed, results, strict=True):
        if expected is None:
            assert result["verified"] is True and result["error"] is None, (result, credential)
        else:
            assert result["verified"] is False, (result, credential)
            assert all("validFrom" in part or "validUntil" in part for part in result["error"].split("; ")), result
