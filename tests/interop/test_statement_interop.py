"""A volunteer-drafted statement, approved and issued by the real service, verifies with @digitalbazaar/vc; its
correction supersedes it, and the reference library then refuses the old credential and accepts the new one."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import httpx

from catalogue import load_catalogue
from tests.conftest import TEST_KEK
from tests.credentials.helpers import record_body
from tests.interop.test_interop import node  # noqa: F401  (the session's Node process)


def create_org_with_cli(live_server, database_url, tmp_path, name: str) -> dict:
    """`volcred org create --json` against the live server's database: {"slug", "did", "token"}."""
    env = {**os.environ, "BASE_URL": live_server.url, "KEY_ENCRYPTION_KEY": TEST_KEK, "DATABASE_URL": database_url}
    created = subprocess.run(
        [sys.executable, "-m", "volcred.cli", "org", "create", "--name", name, "--reg-no", "40008002279", "--json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert created.returncode == 0, created.stderr
    return json.loads(created.stdout)


def test_drafted_statement_and_its_correction_in_the_reference_library(
    node,
    live_server,
    database_url,  # noqa: F811
    tmp_path,
):
    org = create_org_with_cli(live_server, database_url, tmp_path, "Biedrība „Talka”")
    headers = {"Authorization": f"Bearer {org['token']}"}
    mission = load_catalogue().mission_types[0]
    invitation = httpx.post(
        f"{live_server.url}/invitations", json={"mission_type": mission.code}, headers=headers
    ).json()
    body = {key: value for key, value in record_body().items() if key not in ("mission_type", "title")}
    body["competences"] = [{"uri": uri, "note": "Saviem vārdiem."} for uri in mission.core_competences]
    drafted = httpx.put(f"{live_server.url}/invitations/{invitation['token']}/statement", json={**body, "submit": True})
    assert drafted.status_code == 200, drafted.text
    record_id = drafted.json()["statement"]["id"]
    assert httpx.post(f"{live_server.url}/records/{record_id}/approve", headers=headers).status_code == 200
    issued = httpx.post(f"{live_server.url}/records/{record_id}/issue", headers=headers).json()
    credential = issued["credential"]
    assert {
        r["value"]
        for r in credential["credentialSubject"]["result"]
        if r["resultDescription"].endswith("#competence-attestation")
    } == {"self"}

    documents = {org["did"]: httpx.get(f"{live_server.url}/issuers/{org['slug']}/did.json").json()}

    def check(document):
        lists = {
            entry["statusListCredential"]: httpx.get(entry["statusListCredential"]).json()
            for entry in document["credentialStatus"]
        }
        return node("verify", credential=document, documents=documents, statusLists=lists)

    assert check(credential) == {"verified": True, "error": None}

    revised = httpx.post(f"{live_server.url}/records/{record_id}/revise", json={"hours": 40}, headers=headers).json()
    corrected = httpx.post(f"{live_server.url}/records/{revised['id']}/issue", headers=headers).json()
    old = check(credential)
    assert old["verified"] is False and "revocation" in (old["error"] or ""), old
    assert check(corrected["credential"]) == {"verified": True, "error": None}
    status = httpx.get(f"{live_server.url}/credentials/{issued['credential_id']}/status").json()
    assert (status["reason"], status["superseded_by"]) == ("superseded", corrected["credential_id"])
