"""Credentials the service issues over HTTP verify with @digitalbazaar/vc (did:web document and status lists handed
to Node offline), and a revocation made through the API is seen by the reference library too."""

from __future__ import annotations

import httpx

from tests.credentials.helpers import record_body
from tests.interop.test_interop import node  # noqa: F401  (the session's Node process)


def fetch(live_server, url: str) -> dict:
    return httpx.get(url).json()


def test_issued_credential_verifies_in_the_reference_library_until_revoked(
    node,
    live_server,
    database_url,  # noqa: F811
    tmp_path,
):
    import json

    from tests.interop.test_statement_interop import create_org_with_cli

    org = create_org_with_cli(live_server, database_url, tmp_path, "Biedrība „Sadarbība”")
    headers = {"Authorization": f"Bearer {org['token']}"}
    record = httpx.post(f"{live_server.url}/records", json=record_body(), headers=headers).json()
    issued = httpx.post(f"{live_server.url}/records/{record['id']}/issue", headers=headers).json()
    credential = issued["credential"]

    did_document = fetch(live_server, f"{live_server.url}/issuers/{org['slug']}/did.json")
    documents = {org["did"]: did_document}

    def status_lists():
        return {
            entry["statusListCredential"]: fetch(live_server, entry["statusListCredential"])
            for entry in credential["credentialStatus"]
        }

    result = node("verify", credential=credential, documents=documents, statusLists=status_lists())
    assert result == {"verified": True, "error": None}

    tampered = json.loads(json.dumps(credential))
    tampered["credentialSubject"]["result"][0]["value"] = "43"
    assert node("verify", credential=tampered, documents=documents, statusLists=status_lists())["verified"] is False

    httpx.post(
        f"{live_server.url}/credentials/{issued['credential_id']}/revoke", json={"reason": "Kļūda"}, headers=headers
    )
    revoked = node("verify", credential=credential, documents=documents, statusLists=status_lists())
    assert revoked["verified"] is False, revoked
    assert "revocation" in (revoked["error"] or ""), revoked
