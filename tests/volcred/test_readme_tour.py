"""The README's tour, pasted in order as a new user would, against the real service under uvicorn on a fresh
database that already holds the demo data (as after `scripts/serve`); and what `volcred org create` says when the
registration number is taken or mistyped."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import httpx

from tests.conftest import REPO, TEST_KEK

TOUR_MARKER = "<!-- tour: tests/volcred/test_readme_tour.py runs this block as it stands -->"


def tour_block() -> str:
    readme = (REPO / "README.md").read_text()
    assert TOUR_MARKER in readme, "the README lost its tour"
    after = readme[readme.index(TOUR_MARKER) + len(TOUR_MARKER) :]
    match = re.match(r"\s*```sh\n(.*?)\n```", after, re.S)
    assert match, "the tour marker must stand right above a ```sh block"
    return match[1]


def user_directory(tmp_path: Path) -> Path:
    """A directory laid out as the top of a clone: `.venv/bin/volcred` and `.venv/bin/python` of this test run."""
    home = tmp_path / "clone"
    (home / ".venv" / "bin").mkdir(parents=True)
    for name, target in (("python", Path(sys.executable)), ("volcred", Path(sys.executable).parent / "volcred")):
        assert target.exists(), target
        (home / ".venv" / "bin" / name).symlink_to(target)
    return home


def environment(live_server, database_url, tmp_path) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "BASE_URL": live_server.url,
        "KEY_ENCRYPTION_KEY": TEST_KEK,
        "VOLCRED_DATA_DIR": str(tmp_path / "var"),
        "LANG": "C.UTF-8",
    }


def test_the_readme_tour_runs_as_pasted(live_server, database_url, tmp_path):
    env = environment(live_server, database_url, tmp_path)
    home = user_directory(tmp_path)
    demo = subprocess.run(
        [str(home / ".venv/bin/volcred"), "demo"], cwd=home, env=env, capture_output=True, text=True, timeout=300
    )
    assert demo.returncode == 0, demo.stderr

    tour = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", tour_block()], cwd=home, env=env, capture_output=True, text=True, timeout=600
    )
    assert tour.returncode == 0, f"stdout:\n{tour.stdout}\nstderr:\n{tour.stderr}"
    lines = tour.stdout.splitlines()
    assert lines[0].startswith('{"slug": "biedriba-upes-krasts", "did": "did:web:'), lines[0]
    page = next(line for line in lines if line.startswith("The verification page"))
    assert page.split(": ", 1)[1].startswith(f"{live_server.url}/v/")
    assert lines.count("Derīgs") == 2  # `volcred verify` of the PDF and of the JSON (Latvian by default)
    assert lines[-3:] == ["true", "revoked", "revoked"]
    assert (home / "certificate.pdf").read_bytes().startswith(b"%PDF-")
    # And the page the QR code leads to says so too.
    credential_id = page.rsplit("/", 1)[1]
    assert 'data-verdict="revoked"' in httpx.get(f"{live_server.url}/v/{credential_id}", timeout=30).text


def test_a_taken_or_mistyped_registration_number_says_what_to_do(database_url, tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "KEY_ENCRYPTION_KEY": TEST_KEK,
        "VOLCRED_DATA_DIR": str(tmp_path / "var"),
        "VOLCRED_LANG": "en",
    }
    home = user_directory(tmp_path)
    volcred = str(home / ".venv/bin/volcred")
    assert subprocess.run([volcred, "demo"], cwd=home, env=env, capture_output=True, timeout=300).returncode == 0

    taken = subprocess.run(
        [volcred, "org", "create", "--name", "Biedrība „Otrā”", "--reg-no", "40001441955"],
        cwd=home,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert taken.returncode == 2
    assert "already registered" in taken.stderr and "volcred org list" in taken.stderr
    assert "test number listed in the README" in taken.stderr

    mistyped = subprocess.run(
        [volcred, "org", "create", "--name", "Biedrība „Otrā”", "--reg-no", "50006655195"],
        cwd=home,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert mistyped.returncode == 2
    assert "check digit" in mistyped.stderr and "test numbers listed in the README" in mistyped.stderr
    listed = subprocess.run(
        [volcred, "org", "create", "--name", "Biedrība „Otrā”", "--reg-no", "50006655194"],
        cwd=home,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert listed.returncode == 0, listed.stderr  # the number the message suggests works
