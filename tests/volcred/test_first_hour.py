"""What a new user meets in the first hour: `volcred serve --port N` and the public URL, `/docs` offline."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time

import httpx

from tests.conftest import TEST_KEK, free_port
from volcred.settings import Settings


def start_service(args: list[str], env: dict, tmp_path) -> subprocess.Popen:
    log = open(tmp_path / "server.log", "wb")
    return subprocess.Popen(
        [sys.executable, "-m", "volcred.cli", "serve", *args],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=tmp_path,
    )


def wait_until_up(process: subprocess.Popen, url: str, tmp_path) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(url + "/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        assert process.poll() is None and time.monotonic() < deadline, (tmp_path / "server.log").read_text()
        time.sleep(0.2)


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


def test_the_public_url_follows_the_port_unless_base_url_is_set(database_url, tmp_path):
    port = free_port()
    env = {key: value for key, value in os.environ.items() if key != "BASE_URL"}
    env.update(DATABASE_URL=database_url, KEY_ENCRYPTION_KEY=TEST_KEK, VOLCRED_DATA_DIR=str(tmp_path / "var"))
    server = start_service(["--port", str(port)], env, tmp_path)
    try:
        wait_until_up(server, f"http://127.0.0.1:{port}", tmp_path)
        platform = httpx.get(f"http://127.0.0.1:{port}/.well-known/did.json", timeout=10).json()
        assert platform["id"] == f"did:web:127.0.0.1%3A{port}"
        assert f"http://127.0.0.1:{port}" in (tmp_path / "server.log").read_text()
    finally:
        stop(server)


def test_a_base_url_that_is_set_wins_over_the_port():
    explicit = Settings(base_url="https://apliecinajumi.example.lv").serving_on("127.0.0.1", 8100)
    assert explicit.public_base_url == "https://apliecinajumi.example.lv"
    assert Settings().serving_on("0.0.0.0", 8100).public_base_url == "http://127.0.0.1:8100"
    assert Settings().serving_on("::1", 8101).public_base_url == "http://[::1]:8101"


def test_docs_load_only_from_this_service(client):
    page = client.get("/docs")
    assert page.status_code == 200
    references = re.findall(r"""(?:src|href|url)\s*[=:]\s*['"]([^'"]+)['"]""", page.text)
    assert len(references) >= 4, references
    for reference in references:
        assert reference.startswith("/"), f"/docs loads {reference} from elsewhere"
        answer = client.get(reference)
        assert answer.status_code == 200 and len(answer.content) > 100, reference
    assert client.get("/openapi.json").json()["paths"]
