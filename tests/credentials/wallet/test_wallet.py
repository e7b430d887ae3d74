"""Wallets (OID4VCI 1.0, pre-authorized code flow, ldp_vc): the volunteer's offer page, the metadata, and every error
of the token and credential endpoints, as the specifications name them."""

from __future__ import annotations

import html
import json
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from base.db import transaction, utcnow
from credentials.document import CREDENTIAL_CONTEXTS
from credentials.wallet import offers
from credentials.wallet.service import create_offer
from credentials.wallet.store import WalletOfferRow
from issuers.store import audit_entries
from tests.credentials.helpers import issue, record_body
from tests.pages import csrf_of, post_form

BASE = "http://127.0.0.1:8000"
GRANT = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
LINK = re.compile(r'href="(openid-credential-offer://[^"]+)"')


def offer_from_page(client, page_url: str) -> dict:
    """Opens the wallet page, asks for a code (the form), and reads the credential offer from the deep link."""
    response = post_form(client, page_url)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "private, no-store"
    link = html.unescape(LINK.search(response.text).group(1))
    assert link.startswith("openid-credential-offer://?credential_offer=")
    return json.loads(parse_qs(urlsplit(link).query)["credential_offer"][0])


def code_of(offer: dict) -> str:
    return offer["grants"][GRANT]["pre-authorized_code"]


def exchange(client, code: str, **extra):
    return client.post("/oid4vci/token", data={"grant_type": GRANT, "pre-authorized_code": code, **extra})


def fetch(client, access_token: str, body: dict | None = None, **kwargs):
    return client.post(
        "/oid4vci/credential",
        json=body if body is not None else {"credential_configuration_id": offers.CONFIGURATION_ID},
        headers={"Authorization": f"Bearer {access_token}"},
        **kwargs,
    )


@pytest.fixture
def issued(client, make_org):
    org = make_org("wallet-org")
    record, issued = issue(client, org)
    link = record["volunteer_link"].removeprefix(BASE)
    return org, link, issued


def test_the_volunteer_page_links_each_active_credential_to_its_wallet_page(client, issued):
    org, link, credential = issued
    cid = credential["credential_id"]
    page = client.get(link + "?lang=en")
    assert f'href="{link}/credentials/{cid}/wallet?lang=en"' in page.text and "Add to a digital wallet" in page.text
    for lang, words in {"lv": "Digitālais maks", "en": "digital wallet", "ru": "кошелька", "uk": "гаманця"}.items():
        wallet = client.get(f"{link}/credentials/{cid}/wallet?lang={lang}")
        assert wallet.status_code == 200 and words in wallet.text
        assert "openid-credential-offer://" not in wallet.text  # a code only when asked for
        assert wallet.headers["referrer-policy"] == "same-origin"
    stale = csrf_of(client.get(f"{link}/credentials/{cid}/wallet").text)  # a tab opened before the revocation
    client.post(f"/credentials/{cid}/revoke", json={"reason": "Kļūda"}, headers=org.headers())
    assert "/wallet" not in client.get(link).text
    assert "<form" not in client.get(f"{link}/credentials/{cid}/wallet").text
    refused = client.post(f"{link}/credentials/{cid}/wallet?lang=en", data={"csrf_token": stale})
    assert refused.status_code == 200 and "revoked or suspended" in refused.text
    assert "openid-credential-offer://" not in refused.text


def test_another_volunteers_credential_has_no_wallet_page(client, make_org):
    org = make_org("wallet-separate")
    mine, _ = issue(client, org)
    _, theirs = issue(client, org, record_body(volunteer={"name": "Cits Cilvēks", "email": "cits@example.lv"}))
    link = mine["volunteer_link"].removeprefix(BASE)
    assert client.get(f"{link}/credentials/{theirs['credential_id']}/wallet").status_code == 404
    assert client.get(f"/me/vol_unknown/credentials/{theirs['credential_id']}/wallet").status_code == 404


def test_offer_page_shows_a_qr_and_the_deep_link_of_a_final_spec_offer(client, issued):
    _, link, credential = issued
    page_url = f"{link}/credentials/{credential['credential_id']}/wallet?lang=en"
    response = post_form(client, page_url)
    assert 'src="data:image/svg+xml;base64,' in response.text and "QR code: the credential offer" in response.text
    assert "The code works once, until" in response.text
    offer = offer_from_page(client, page_url)
    assert offer["credential_issuer"] == BASE
    assert offer["credential_configuration_ids"] == [offers.CONFIGURATION_ID]
    assert set(offer["grants"][GRANT]) == {"pre-authorized_code"}  # no transaction code


def test_metadata_announces_the_ldp_vc_configuration_of_the_issued_credential(client, issued):
    _, _, credential = issued
    metadata = client.get("/.well-known/openid-credential-issuer").json()
    assert metadata["credential_issuer"] == BASE
    assert metadata["credential_endpoint"] == BASE + "/oid4vci/credential"
    assert "authorization_servers" not in metadata  # the issuer is its own authorization server
    configuration = metadata["credential_configurations_supported"][offers.CONFIGURATION_ID]
    assert configuration["format"] == "ldp_vc"
    assert configuration["credential_definition"] == {
        "@context": credential["credential"]["@context"],
        "type": credential["credential"]["type"],
    }
    assert credential["credential"]["@context"] == CREDENTIAL_CONTEXTS
    assert (
        "proof_types_supported" not in configuration and "cryptographic_binding_methods_supported" not in configuration
    )
    assert {d["locale"] for d in configuration["credential_metadata"]["display"]} == {"lv", "en", "ru", "uk"}
    assert credential["credential"]["proof"]["cryptosuite"] in configuration["credential_signing_alg_values_supported"]
    server = client.get("/.well-known/oauth-authorization-server").json()
    assert server["issuer"] == BASE and server["token_endpoint"] == BASE + "/oid4vci/token"
    assert server["grant_types_supported"] == [GRANT] and server["pre-authorized_grant_anonymous_access_supported"]


def test_the_code_gives_the_credential_once_byte_for_byte(client, issued, session_factory):
    org, link, credential = issued
    cid = credential["credential_id"]
    offer = offer_from_page(client, f"{link}/credentials/{cid}/wallet")
    token = exchange(client, code_of(offer))
    assert token.status_code == 200, token.text
    assert token.headers["cache-control"] == "no-store"
    body = token.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 300
    delivered = fetch(client, body["access_token"])
    assert delivered.status_code == 200, delivered.text
    stored = client.get(f"{link}/credentials/{cid}.json").content
    assert delivered.content == b'{"credentials":[{"credential":' + stored + b"}]}"
    assert delivered.json()["credentials"][0]["credential"] == credential["credential"]

    # The code and the token are single use, and both are stored only as hashes.
    assert exchange(client, code_of(offer)).json()["error"] == "invalid_grant"
    again = fetch(client, body["access_token"])
    assert again.status_code == 401 and again.json()["error"] == "invalid_token"
    assert again.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    with transaction(session_factory) as session:
        row = session.scalars(select(WalletOfferRow).where(WalletOfferRow.credential_id == cid)).one()
        assert code_of(offer) not in (row.code_hash, row.access_token_hash)
        assert body["access_token"] not in (row.code_hash, row.access_token_hash)
        assert row.used_at and row.delivered_at
        actions = [entry.action for entry in audit_entries(session, subject_id=cid)]
    assert actions[-2:] == ["credential.wallet_offer", "credential.wallet_deliver"]


def test_a_new_offer_replaces_the_unused_one(client, issued):
    _, link, credential = issued
    page_url = f"{link}/credentials/{credential['credential_id']}/wallet"
    first, second = offer_from_page(client, page_url), offer_from_page(client, page_url)
    assert exchange(client, code_of(first)).json()["error"] == "invalid_grant"
    assert exchange(client, code_of(second)).status_code == 200


def test_expired_codes_and_tokens_are_refused(client, issued, session_factory):
    _, _, credential = issued
    cid = credential["credential_id"]
    with transaction(session_factory) as session:
        old = create_offer(session, cid, BASE, now=utcnow() - offers.CODE_LIFETIME - timedelta(seconds=1))
    assert exchange(client, code_of(old.offer)).json() == {
        "error": "invalid_grant",
        "error_description": "The pre-authorized code is unknown, expired or already used.",
    }
    with transaction(session_factory) as session:
        fresh = create_offer(session, cid, BASE)
    token = exchange(client, code_of(fresh.offer)).json()["access_token"]
    with transaction(session_factory) as session:
        row = session.scalars(select(WalletOfferRow).where(WalletOfferRow.credential_id == cid)).one()
        row.token_expires_at = utcnow() - timedelta(seconds=1)
    assert fetch(client, token).status_code == 401


def test_a_credential_revoked_after_the_offer_is_not_delivered(client, issued):
    org, link, credential = issued
    cid = credential["credential_id"]
    offer = offer_from_page(client, f"{link}/credentials/{cid}/wallet")
    token = exchange(client, code_of(offer)).json()["access_token"]
    client.post(f"/credentials/{cid}/revoke", json={"reason": "Kļūda"}, headers=org.headers())
    refused = fetch(client, token)
    assert refused.status_code == 400 and refused.json()["error"] == "credential_request_denied"


@pytest.mark.parametrize(
    ("data", "content_type", "error"),
    [
        ({"pre-authorized_code": "vco_x"}, None, "invalid_request"),
        ({"grant_type": "authorization_code", "code": "x"}, None, "unsupported_grant_type"),
        ({"grant_type": GRANT}, None, "invalid_request"),
        ({"grant_type": GRANT, "pre-authorized_code": "vco_x", "tx_code": "1234"}, None, "invalid_request"),
        ({"grant_type": GRANT, "pre-authorized_code": "not-ours"}, None, "invalid_grant"),
        ({"grant_type": GRANT, "pre-authorized_code": "vco_" + "x" * 200}, None, "invalid_grant"),
        ({"grant_type": GRANT, "pre-authorized_code": "vco_unknown"}, None, "invalid_grant"),
        ({"grant_type": GRANT, "pre-authorized_code": "vco_x"}, "application/json", "invalid_request"),
    ],
)
def test_token_endpoint_errors(client, data, content_type, error):
    if content_type == "application/json":
        response = client.post("/oid4vci/token", json=data)
    else:
        response = client.post("/oid4vci/token", data=data)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == error and response.json()["error_description"]
    assert response.headers["cache-control"] == "no-store"


def test_token_endpoint_refuses_repeated_oversized_and_malformed_forms(client):
    form = {"content-type": offers.FORM}
    repeated = client.post(
        "/oid4vci/token", content=f"grant_type={GRANT}&grant_type={GRANT}&pre-authorized_code=vco_x", headers=form
    )
    assert repeated.json() == {
        "error": "invalid_request",
        "error_description": "Parameters sent more than once: grant_type.",
    }
    big = client.post("/oid4vci/token", content=b"grant_type=" + b"a" * 5000, headers=form)
    assert big.status_code == 400 and big.json()["error"] == "invalid_request"
    many = client.post("/oid4vci/token", content="&".join(f"p{i}=1" for i in range(30)), headers=form)
    assert many.status_code == 400 and many.json()["error"] == "invalid_request"
    not_utf8 = client.post("/oid4vci/token", content=b"grant_type=\xff", headers=form)
    assert not_utf8.status_code == 400 and not_utf8.json()["error"] == "invalid_request"


def test_credential_endpoint_errors(client, issued):
    _, link, credential = issued
    offer = offer_from_page(client, f"{link}/credentials/{credential['credential_id']}/wallet")
    token = exchange(client, code_of(offer)).json()["access_token"]

    def error_of(response, status=400):
        assert response.status_code == status, response.text
        return response.json()["error"]

    missing = client.post("/oid4vci/credential", json={"credential_configuration_id": offers.CONFIGURATION_ID})
    assert error_of(missing, 401) == "invalid_token" and missing.headers["www-authenticate"] == "Bearer"
    basic = client.post("/oid4vci/credential", json={}, headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert error_of(basic, 401) == "invalid_token"
    assert error_of(fetch(client, "vcw_unknown"), 401) == "invalid_token"
    assert error_of(fetch(client, "x" * 500), 401) == "invalid_token"
    assert error_of(fetch(client, token, {})) == "invalid_credential_request"
    assert (
        error_of(fetch(client, token, {"credential_configuration_id": "Other"})) == "unknown_credential_configuration"
    )
    assert error_of(fetch(client, token, {"credential_identifier": "x"})) == "unknown_credential_identifier"
    with_proof = {"credential_configuration_id": offers.CONFIGURATION_ID, "proofs": {"jwt": ["e30.e30.sig"]}}
    assert error_of(fetch(client, token, with_proof)) == "invalid_credential_request"
    encrypted = {"credential_configuration_id": offers.CONFIGURATION_ID, "credential_response_encryption": {}}
    assert error_of(fetch(client, token, encrypted)) == "invalid_encryption_parameters"
    assert error_of(fetch(client, token, [1])) == "invalid_credential_request"
    bearer = {"Authorization": f"Bearer {token}"}
    not_json = client.post("/oid4vci/credential", content=b"{", headers={**bearer, "content-type": "application/json"})
    assert error_of(not_json) == "invalid_credential_request"
    as_form = client.post("/oid4vci/credential", data={"credential_configuration_id": "x"}, headers=bearer)
    assert error_of(as_form) == "invalid_credential_request"
    padded = {"credential_configuration_id": offers.CONFIGURATION_ID, "pad": "x" * 20000}
    assert error_of(fetch(client, token, padded)) == "invalid_credential_request"
    # None of these used the token up.
    assert fetch(client, token).status_code == 200
