"""`volcred org create` and `volcred admin create`: interfaces outside tools rely on."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import httpx

from tests.conftest import TEST_KEK


def volcred(args, database_url, tmp_path, **env):
    environment = {
        **os.environ,
        "DATABASE_URL": database_url,
        "VOLCRED_DATA_DIR": str(tmp_path / "var"),
        "VOLCRED_LANG": "en",
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "volcred.cli", *args],
        capture_output=True,
        text=True,
        env=environment,
        cwd=tmp_path,
        input=env.get("STDIN"),
    )


def test_org_create_prints_slug_did_and_a_working_token(live_server, database_url, tmp_path):
    result = volcred(
        ["org", "create", "--name", "Biedrība „Ķekavas bērni”", "--reg-no", "40008002279", "--json"],
        database_url,
        tmp_path,
        BASE_URL=live_server.url,
        KEY_ENCRYPTION_KEY=TEST_KEK,
    )
    assert result.returncode == 0, result.stderr
    created = json.loads(result.stdout)
    assert set(created) == {"slug", "did", "token"}
    assert created["slug"] == "biedriba-kekavas-berni"
    port = live_server.url.rsplit(":", 1)[1]
    assert created["did"] == f"did:web:127.0.0.1%3A{port}:issuers:biedriba-kekavas-berni"
    # The organisation is verified at once and its token acts for it over HTTP.
    response = httpx.patch(
        f"{live_server.url}/organisations/{created['slug']}",
        json={"website": "https://k.example.lv"},
        headers={"Authorization": f"Bearer {created['token']}"},
    )
    assert response.status_code == 200 and response.json()["status"] == "verified"
    did_doc = httpx.get(f"{live_server.url}/issuers/{created['slug']}/did.json").json()
    assert did_doc["id"] == created["did"]


def test_org_create_with_bad_number_fails_readably(database_url, tmp_path):
    result = volcred(["org", "create", "--name", "X Biedrība", "--reg-no", "123"], database_url, tmp_path)
    assert result.returncode == 2
    assert "registration_number: The registration number must be 11 digits" in result.stderr
    assert "Traceback" not in result.stderr


def test_admin_create_makes_a_platform_administrator(client, database_url, tmp_path):
    result = volcred(
        ["admin", "create", "--email", "ops@platform.example.lv", "--name", "Ops", "--password", "operator-password"],
        database_url,
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    token = client.post("/auth/login", json={"email": "ops@platform.example.lv", "password": "operator-password"})
    assert token.status_code == 200


def test_org_create_with_did_key_issues_under_the_did_key(client, database_url, tmp_path):
    # Issue 15: until now only PATCH /organisations/{slug} switched an organisation to did:key.
    result = volcred(
        ["org", "create", "--name", "Biedrība „Atslēga”", "--reg-no", "40008002279", "--did-method", "key", "--json"],
        database_url,
        tmp_path,
        KEY_ENCRYPTION_KEY=TEST_KEK,
    )
    assert result.returncode == 0, result.stderr
    created = json.loads(result.stdout)
    assert created["did"].startswith("did:key:z6Mk")
    headers = {"Authorization": f"Bearer {created['token']}"}
    organisation = client.get(f"/organisations/{created['slug']}", headers=headers).json()
    assert organisation["issuer_did_method"] == "key"

    from tests.credentials.helpers import record_body

    record = client.post("/records", json=record_body(), headers=headers)
    issued = client.post(f"/records/{record.json()['id']}/issue", headers=headers)
    assert issued.status_code == 201, issued.text
    credential = issued.json()["credential"]
    assert credential["issuer"]["id"] == created["did"]
    assert credential["proof"]["verificationMethod"].startswith(created["did"] + "#")
    verdict = client.post("/credentials/verify", json={"verifiableCredential": credential}).json()
    assert verdict["verdict"] == "valid" and verdict["issuer"]["legal_name"] == "Biedrība „Atslēga”", verdict


def test_org_create_did_method_web_is_the_default_and_others_are_refused(database_url, tmp_path):
    web = volcred(
        ["org", "create", "--name", "Biedrība Tīmeklis", "--reg-no", "40008002279", "--did-method", "web", "--json"],
        database_url,
        tmp_path,
        KEY_ENCRYPTION_KEY=TEST_KEK,
    )
    assert web.returncode == 0 and json.loads(web.stdout)["did"].startswith("did:web:"), web.stderr
    other = volcred(
        ["org", "create", "--name", "Biedrība Cita", "--reg-no", "40001441955", "--did-method", "ion"],
        database_url,
        tmp_path,
        KEY_ENCRYPTION_KEY=TEST_KEK,
    )
    assert other.returncode == 2 and "The issuer DID method must be “web” or “key”." in other.stderr
    assert "Traceback" not in other.stderr
    listed = volcred(["org", "list", "--json"], database_url, tmp_path, KEY_ENCRYPTION_KEY=TEST_KEK)
    assert [entry["legal_name"] for entry in json.loads(listed.stdout)] == ["Biedrība Tīmeklis"]
