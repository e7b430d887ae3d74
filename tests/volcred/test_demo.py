"""`volcred demo` gives a new user a working service: organisations, accounts and credentials that verify."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import httpx

from tests.pages import csrf_of


def test_demo_loads_once_and_its_credentials_verify(live_server, database_url, tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "BASE_URL": live_server.url,
        "KEY_ENCRYPTION_KEY": __import__("tests.conftest", fromlist=["TEST_KEK"]).TEST_KEK,
    }
    first = subprocess.run(
        [sys.executable, "-m", "volcred.cli", "demo", "--json"], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert first.returncode == 0, first.stderr
    summary = json.loads(first.stdout)
    assert len(summary["credentials"]) == 5
    verdicts = []
    for link in summary["credentials"]:
        credential_id = link.rsplit("/", 1)[1]
        credential = httpx.get(f"{live_server.url}/credentials/{credential_id}").json()
        verdicts.append(
            httpx.post(f"{live_server.url}/credentials/verify", json={"verifiableCredential": credential}).json()[
                "verdict"
            ]
        )
    assert verdicts == ["valid", "valid", "valid", "valid", "revoked"]
    invitation = httpx.get(summary["invitation"])  # a volunteer can start drafting a statement at once
    assert invitation.status_code == 200 and "Rīgas svētku brīvprātīgais" in invitation.text
    again = subprocess.run(
        [sys.executable, "-m", "volcred.cli", "demo", "--json"], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert again.returncode == 0 and "credentials" not in json.loads(again.stdout)
    registry = httpx.get(f"{live_server.url}/registry").json()["issuers"]
    assert {e["slug"] for e in registry} == {"zala-gauja", "rigas-jauniesi"}

    # The printed demo logins open the workspace and the platform administrator's pages.
    for key, page in (("workspace_login", "/org/zala-gauja"), ("platform_admin", "/admin/organisations")):
        email, password = json.loads(again.stdout)[key].split(" (")[0].split(" / ")
        with httpx.Client(base_url=live_server.url) as browser:
            token = csrf_of(browser.get("/login").text)
            signed_in = browser.post("/login", data={"email": email, "password": password, "csrf_token": token})
            assert signed_in.status_code == 303, key
            assert browser.get(page).status_code == 200, key
