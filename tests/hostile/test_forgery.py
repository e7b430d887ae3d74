"""Forgeries and malformed proofs against the verifier (issue 20 items 3 and 8, issue 15): a forger holding a
stolen key cannot borrow a genuine credential's public id, and no proof of the wrong shape ends in a 500."""

from __future__ import annotations

import copy
import json
import re
from datetime import UTC, datetime, timedelta

from base.db import transaction
from credentials.common import credential_loader
from credentials.proofs.dataintegrity import Ed25519Signature, format_created, sign, without_proof
from issuers import service as issuers
from tests.credentials.helpers import issue
from tests.pages import post_form

NAME, HOURS = "Kārlis Ozoliņš", "42"  # as tests.credentials.helpers.record_body issues them


def verify(client, credential, lang="en"):
    return client.post(
        "/credentials/verify", json={"verifiableCredential": credential}, headers={"Accept-Language": lang}
    )


def stolen_identity(session_factory, settings, slug):
    """The organisation's active signing key, as a thief who copied it would hold it."""
    ctx = issuers.IssuerContext(settings.public_base_url, settings.encryption_key)
    with transaction(session_factory) as session:
        return issuers.signing_identity(session, ctx, issuers.get_organisation(session, slug))


def replaced(value, old: str, new: str):
    """`value` with every string equal to `old` replaced by `new`, however the credential's vocabulary nests it."""
    if isinstance(value, dict):
        return {key: replaced(item, old, new) for key, item in value.items()}
    if isinstance(value, list):
        return [replaced(item, old, new) for item in value]
    return new if value == old else value


def forge(genuine: dict, identity, created: datetime) -> dict:
    """The genuine credential's id, issuer and status entries, another volunteer, 400 hours and another title,
    signed with the stolen key."""
    forged = replaced(replaced(without_proof(copy.deepcopy(genuine)), NAME, "Mallory Viltniece"), HOURS, "400")
    forged["name"] = "Valdes priekšsēdētāja vietniece"
    assert forged != without_proof(genuine)
    return sign(
        forged,
        suite=Ed25519Signature(identity.private_key),
        verification_method=identity.verification_method,
        created=format_created(created),
        loader=credential_loader(),
    )


def test_a_forgery_signed_with_a_compromised_key_does_not_borrow_a_genuine_id(
    client, make_org, session_factory, settings
):
    org = make_org("forged-id", legal_name="Biedrība „Īstā”")
    _, genuine = issue(client, org)
    identity = stolen_identity(session_factory, settings, org.slug)
    compromise = client.post(f"/organisations/{org.slug}/keys/key-1/compromise", json={}, headers=org.headers("admin"))
    assert compromise.status_code == 200, compromise.text

    after = forge(genuine["credential"], identity, datetime.now(UTC) + timedelta(seconds=1))
    assert after["id"] == genuine["credential"]["id"]  # ids are public: the QR code and /v/ link carry them
    body = verify(client, after).json()
    assert body["verdict"] == "invalid" and body["verified"] is False, body
    assert any(e["check"] == "key" for e in body["errors"])
    # Backdating the proof changes nothing: only the document this service stored is exempt.
    backdated = forge(genuine["credential"], identity, datetime.now(UTC) - timedelta(days=30))
    assert verify(client, backdated).json()["verdict"] == "invalid"
    # Nor does carrying the genuine proof beside the forged one.
    both = {**backdated, "proof": [genuine["credential"]["proof"], backdated["proof"]]}
    assert verify(client, both).json()["verdict"] == "invalid"

    # The public page says so too, and offers none of the genuine credential's exports.
    page = post_form(client, "/verify?lang=en", data={"credential": json.dumps(after)})
    assert re.search(r'data-verdict="invalid"', page.text) and "/export/edc" not in page.text

    # The genuine credential, issued before the compromise, stays valid (with a warning about the key).
    kept = verify(client, genuine["credential"]).json()
    assert kept["verdict"] == "valid", kept
    assert any(w["check"] == "key" for w in kept["warnings"])


def test_the_exemption_is_for_the_same_issuer_only(client, make_org, session_factory, settings):
    """A credential of one organisation cannot lend its id to another's compromised key."""
    genuine_org, leaky = make_org("genuine-owner"), make_org("leaky-other")
    _, genuine = issue(client, genuine_org)
    _, own = issue(client, leaky)
    identity = stolen_identity(session_factory, settings, leaky.slug)
    client.post(f"/organisations/{leaky.slug}/keys/key-1/compromise", json={}, headers=leaky.headers("admin"))
    forged = forge(own["credential"], identity, datetime.now(UTC) + timedelta(seconds=1))
    forged = sign(
        {**without_proof(forged), "id": genuine["credential"]["id"]},
        suite=Ed25519Signature(identity.private_key),
        verification_method=identity.verification_method,
        loader=credential_loader(),
    )
    assert verify(client, forged).json()["verdict"] == "invalid"
    assert verify(client, own["credential"]).json()["verdict"] == "valid"


def test_a_proof_value_with_a_trailing_space_does_not_verify(client, make_org):
    org = make_org("trailing-space")
    _, issued = issue(client, org)
    spaced = copy.deepcopy(issued["credential"])
    spaced["proof"]["proofValue"] += " "
    body = verify(client, spaced).json()
    assert body["verdict"] == "invalid", body
    assert any("base58btc" in reason for e in body["errors"] for reason in e.get("details", {}).get("reasons", []))


WRONG_VALUES = [
    5,
    1.5,
    True,
    None,
    [],
    [5],
    ["urn:a", 5],
    {},
    {"@id": 5},
    {"@value": 5},
    {"@type": 5},
    {"@list": [1]},
    "z1 ",
]
PROOF_FIELDS = [
    "previousProof",
    "cryptosuite",
    "type",
    "proofValue",
    "verificationMethod",
    "proofPurpose",
    "created",
    "expires",
    "@context",
    "id",
    "challenge",
    "domain",
    "nonce",
]
KEYWORDS = [
    "@id",
    "@type",
    "@value",
    "@graph",
    "@reverse",
    "@included",
    "@list",
    "@set",
    "@language",
    "@direction",
    "@index",
    "@nest",
]


def test_no_proof_of_the_wrong_shape_ends_in_a_500(lenient_client, make_org):
    client = lenient_client
    org = make_org("proof-shapes")
    _, issued = issue(client, org)
    genuine = issued["credential"]
    answers: dict[int, int] = {}
    server_errors = []

    def attempt(document, what):
        response = verify(client, document)
        answers[response.status_code] = answers.get(response.status_code, 0) + 1
        if response.status_code >= 500:
            server_errors.append(what)
        elif response.status_code == 422 and "verdict" in response.json():
            assert response.json()["verdict"] != "valid", what

    for field in PROOF_FIELDS + KEYWORDS:
        for value in WRONG_VALUES:
            document = copy.deepcopy(genuine)
            document["proof"][field] = value
            attempt(document, (field, value))
    for value in WRONG_VALUES:  # a proof set whose second member names its predecessor wrongly
        document = copy.deepcopy(genuine)
        document["proof"] = [genuine["proof"], {**genuine["proof"], "id": value, "previousProof": value}]
        attempt(document, ("set", value))
    assert server_errors == [], server_errors
    assert answers.keys() <= {200, 422}, answers


def test_no_presentation_proof_of_the_wrong_shape_ends_in_a_500(lenient_client, make_org):
    from tests.verify.test_presentations import CHALLENGE, DOMAIN, presentation

    client = lenient_client
    org = make_org("vp-shapes")
    _, issued = issue(client, org)
    vp = presentation(issued["credential"])
    server_errors = []
    for field in [
        "challenge",
        "domain",
        "previousProof",
        "cryptosuite",
        "proofPurpose",
        "verificationMethod",
        "@id",
        "@type",
    ]:
        for value in WRONG_VALUES:
            document = copy.deepcopy(vp)
            document["proof"][field] = value
            response = client.post(
                "/presentations/verify",
                json={"verifiablePresentation": document, "options": {"challenge": CHALLENGE, "domain": DOMAIN}},
            )
            if response.status_code >= 500:
                server_errors.append((field, value))
            else:
                assert response.status_code == 422 and response.json()["verified"] is False, (field, value)
    assert server_errors == [], server_errors


# Values that broke something once, or could: wrong JSON types, JSON-LD keyword objects, NUL bytes (PostgreSQL
# refuses them in a query), numbers beyond 2^53, DIDs and ids shaped like ours.
HOSTILE_VALUES = [
    None,
    0,
    -1,
    2**70,
    1.5,
    True,
    "",
    "x",
    "z1 ",
    "\u0000",
    [],
    [None],
    ["a", 5],
    {},
    {"@id": 5},
    {"@value": 5},
    {"@type": 5},
    {"@list": [1]},
    {"@id": "_:b0"},
    {"@vocab": None},
    {"@context": 5},
    "did:key:z6Mk\u0000",
    "did:web:127.0.0.1%3A8000:issuers:a\u0000b",
    "http://127.0.0.1:8000/credentials/\u0000",
    "2026-01-01T00:00:00Z",
    "https://www.w3.org/ns/credentials/v2",
]
HOSTILE_KEYS = [
    "@id",
    "@type",
    "id",
    "type",
    "@context",
    "@graph",
    "@included",
    "proof",
    "credentialStatus",
    "previousProof",
]


def _paths(value, prefix=()):
    if prefix:
        yield prefix
    children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in children:
        yield from _paths(child, prefix + (key,))


def mutated(document: dict, rnd) -> dict:
    """The document with one to three values replaced, or members added, somewhere in it (the proof included)."""
    document = copy.deepcopy(document)
    for _ in range(rnd.choice([1, 1, 2, 3])):
        path = rnd.choice(list(_paths(document)))
        parent = document
        for step in path[:-1]:
            parent = parent[step]
        if isinstance(parent, dict) and rnd.random() < 0.3:
            parent[rnd.choice(HOSTILE_KEYS)] = copy.deepcopy(rnd.choice(HOSTILE_VALUES))
        else:
            parent[path[-1]] = copy.deepcopy(rnd.choice(HOSTILE_VALUES))
    return document


def test_mutated_credentials_and_presentations_get_a_verdict_never_a_500(lenient_client, make_org):
    """A seeded mutation run (issue 15, "the verifier never fails with 500"): 200 credentials with hostile values
    anywhere and 100 presentations, through the VC-API."""
    import random

    from tests.verify.test_presentations import CHALLENGE, DOMAIN, presentation

    client = lenient_client
    org = make_org("mutations")
    _, issued = issue(client, org)
    rnd = random.Random(20261205)
    counts: dict[str, int] = {}
    server_errors = []
    for n in range(200):
        document = mutated(issued["credential"], rnd)
        response = verify(client, document)
        counts[f"api {response.status_code}"] = counts.get(f"api {response.status_code}", 0) + 1
        if response.status_code >= 500:
            server_errors.append(("api", n))
    vp = presentation(issued["credential"])
    for n in range(100):
        response = client.post(
            "/presentations/verify",
            json={"verifiablePresentation": mutated(vp, rnd), "options": {"challenge": CHALLENGE, "domain": DOMAIN}},
        )
        counts[f"vp {response.status_code}"] = counts.get(f"vp {response.status_code}", 0) + 1
        if response.status_code >= 500:
            server_errors.append(("vp", n))
    assert server_errors == [], (server_errors, counts)
    assert counts.get("api 422", 0) > 150  # nearly every mutation breaks the signature, and is said to


def test_a_document_borrowing_a_genuine_id_is_not_shown_with_its_status_and_exports(client, make_org):
    """A correctly signed credential from an unknown did:key issuer that carries one of our credentials' ids gets the
    amber verdict, and the page links neither the genuine credential's downloads nor its status."""
    from tests.verify.test_verdicts import did_key_signed

    org = make_org("borrowed-id")
    _, genuine = issue(client, org)
    stored_id = genuine["credential_id"]
    borrowing = did_key_signed(id=genuine["credential"]["id"])
    page = post_form(client, "/verify?lang=en", data={"credential": json.dumps(borrowing)})
    assert page.status_code == 200 and 'data-verdict="unknown_issuer"' in page.text
    assert f'href="/credentials/{stored_id}' not in page.text
    own = post_form(client, "/verify?lang=en", data={"credential": json.dumps(genuine["credential"])})
    assert 'data-verdict="valid"' in own.text and f"/credentials/{stored_id}/export/edc" in own.text
