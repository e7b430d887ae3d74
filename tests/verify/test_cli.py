"""`volcred verify`: the three verdicts people see, as text and exit codes; never "changed" for what it could not
check (issue 21: a credential issued under another BASE_URL was reported as altered)."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys

from tests.conftest import TEST_KEK
from tests.credentials.helpers import issue


def volcred_verify(path, database_url, tmp_path, base_url="http://127.0.0.1:8000", lang="en"):
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "KEY_ENCRYPTION_KEY": TEST_KEK,
        "VOLCRED_LANG": lang,
        "VOLCRED_DATA_DIR": str(tmp_path / "var"),
        "BASE_URL": base_url,
    }
    return subprocess.run(
        [sys.executable, "-m", "volcred.cli", "verify", str(path)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )


def test_valid_unknown_and_altered_are_three_verdicts_and_three_exit_codes(client, make_org, database_url, tmp_path):
    from tests.verify.test_verdicts import did_key_signed

    org = make_org("cli-three", legal_name="Biedrība „Komandrinda”")
    _, issued = issue(client, org)
    files = {"valid": issued["credential"], "unknown": did_key_signed()}
    altered = copy.deepcopy(issued["credential"])
    altered["credentialSubject"]["result"][0]["value"] = "420"
    files["altered"] = altered
    results = {}
    for name, credential in files.items():
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(credential), encoding="utf-8")
        results[name] = volcred_verify(path, database_url, tmp_path)
    assert {name: r.returncode for name, r in results.items()} == {"valid": 0, "unknown": 3, "altered": 1}, results
    assert results["valid"].stdout.startswith("Valid\n  Biedrība „Komandrinda” (")
    unknown = results["unknown"].stdout
    assert unknown.startswith("Correctly signed, but by an issuer we cannot identify\n")
    assert f"The issuer {files['unknown']['issuer']} is not in this service's trust registry." in unknown
    assert results["altered"].stdout.startswith("Invalid: altered or malformed\n")
    assert "signature does not match the content" in results["altered"].stdout


def test_a_credential_issued_under_another_base_url_is_not_called_changed(client, make_org, database_url, tmp_path):
    org = make_org("cli-base-url")
    _, issued = issue(client, org)  # issued as http://127.0.0.1:8000
    path = tmp_path / "credential.json"
    path.write_text(json.dumps(issued["credential"]), encoding="utf-8")

    moved = volcred_verify(path, database_url, tmp_path, base_url="http://localhost:9000")
    assert moved.returncode == 3, moved.stdout + moved.stderr
    out = moved.stdout
    assert out.startswith("Could not be fully checked\n"), out
    assert "Invalid" not in out and "altered" not in out and "was altered" not in out
    assert "signature could not be checked" in out and "This does not mean the credential was changed." in out
    assert "not a status list of this service" in out  # the status lists could not be read either: said so
    assert "This service runs as http://localhost:9000 (BASE_URL)" in out
    lv = volcred_verify(path, database_url, tmp_path, base_url="http://localhost:9000", lang="lv")
    assert lv.stdout.startswith("Nevarēja pārbaudīt līdz galam\n") and "mainīts" not in lv.stdout.split("\n")[0]

    same = volcred_verify(path, database_url, tmp_path)  # the BASE_URL it was issued under
    assert same.returncode == 0 and same.stdout.startswith("Valid\n"), same.stdout + same.stderr
