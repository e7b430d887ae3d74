"""A third-party wallet client claims a credential from the real service: @sphereon/oid4vci-client (npm), acting as
the holder, takes the offer link from the volunteer's wallet page, resolves it, reads the metadata, exchanges the
pre-authorized code and receives the credential; what it receives is the credential as issued, and the
published-contexts-only JS verifier accepts it."""

from __future__ import annotations

import html
import json
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs, urlsplit

import httpx

from tests.credentials.helpers import record_body
from tests.interop.published import HERE, service_documents, verify_with_published_contexts
from tests.interop.test_statement_interop import create_org_with_cli
from tests.pages import csrf_of

GRANT = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
LINK = re.compile(r'href="(openid-credential-offer://[^"]+)"')


def wallet_claims(offer_link: str) -> dict:
    done = subprocess.run(
        ["node", "wallet_holder.mjs", offer_link], cwd=HERE, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def test_sphereon_wallet_client_claims_the_credential_as_issued(live_server, database_url, tmp_path, capsys):
    base = live_server.url
    org = create_org_with_cli(live_server, database_url, tmp_path, "Biedrība „Maciņš”")
    headers = {"Authorization": f"Bearer {org['token']}"}
    record = httpx.post(f"{base}/records", json=record_body(), headers=headers)
    assert record.status_code == 201, record.text
    issued = httpx.post(f"{base}/records/{record.json()['id']}/issue", headers=headers)
    assert issued.status_code == 201, issued.text
    credential_id = issued.json()["credential_id"]
    volunteer_link = record.json()["volunteer_link"]

    # The volunteer, in a browser, opens the wallet page of the credential and asks for a code.
    page_url = f"{volunteer_link}/credentials/{credential_id}/wallet"
    with httpx.Client() as browser:
        page = browser.get(page_url)
        assert page.status_code == 200, page.text
        shown = browser.post(page_url, data={"csrf_token": csrf_of(page.text)}, headers={"Origin": base})
        assert shown.status_code == 200, shown.text
        stored = browser.get(f"{volunteer_link}/credentials/{credential_id}.json").content
    offer_link = html.unescape(LINK.search(shown.text).group(1))

    claimed = wallet_claims(offer_link)
    assert claimed["issuer"] == base
    assert claimed["format"] == "ldp_vc"
    assert claimed["tokenEndpoint"] == f"{base}/oid4vci/token"
    assert claimed["credentialEndpoint"] == f"{base}/oid4vci/credential"
    assert claimed["tokenType"] == "Bearer"
    [received] = [entry["credential"] for entry in claimed["credentials"]]
    assert received == json.loads(stored) == issued.json()["credential"]

    result = verify_with_published_contexts([received], service_documents([received]))[0]
    assert result == {
        "verified": True,
        "error": None,
        "statuses": [{"purpose": "revocation", "set": False}, {"purpose": "suspension", "set": False}],
    }

    # The offer was single use: the same link a second time gets nothing.
    again = subprocess.run(
        ["node", "wallet_holder.mjs", offer_link], cwd=HERE, capture_output=True, text=True, timeout=120
    )
    assert again.returncode != 0 and "failed" in again.stderr

    # Two wallets racing with one code (the QR seen twice): exactly one gets a token, and that token one credential.
    with httpx.Client() as browser:
        page = browser.get(page_url)
        shown = browser.post(page_url, data={"csrf_token": csrf_of(page.text)}, headers={"Origin": base})
    offer = json.loads(parse_qs(urlsplit(html.unescape(LINK.search(shown.text).group(1))).query)["credential_offer"][0])
    form = {"grant_type": GRANT, "pre-authorized_code": offer["grants"][GRANT]["pre-authorized_code"]}
    with ThreadPoolExecutor(4) as pool:
        tokens = list(pool.map(lambda _: httpx.post(f"{base}/oid4vci/token", data=form, timeout=60), range(4)))
    assert sorted(t.status_code for t in tokens) == [200, 400, 400, 400], [t.text for t in tokens]
    [access] = [t.json()["access_token"] for t in tokens if t.status_code == 200]
    request = {"credential_configuration_id": claimed["configurationIds"][0]}
    bearer = {"Authorization": f"Bearer {access}"}
    with ThreadPoolExecutor(4) as pool:
        answers = list(
            pool.map(
                lambda _: httpx.post(f"{base}/oid4vci/credential", json=request, headers=bearer, timeout=60), range(4)
            )
        )
    assert sorted(a.status_code for a in answers) == [200, 401, 401, 401], [a.text for a in answers]

    versions = json.loads((HERE / "node_modules/@sphereon/oid4vci-client/package.json").read_text())["version"]
    with capsys.disabled():
        print(f"\n@sphereon/oid4vci-client {versions} claimed credential {credential_id} and it verified")
