"""The ground everything stands on: health, problem details, request ids, migrations, CLI."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import uuid
import weakref

import httpx
import pytest
from sqlalchemy import create_engine, inspect, text

from volcred.db import downgrade, upgrade
from volcred.models import metadata


def test_health_reports_database(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"
    assert response.headers["x-request-id"]


def test_health_speaks_latvian_first(client):
    assert client.get("/health").json()["message"] == "Pakalpojums darbojas"
    assert (
        client.get("/health", headers={"Accept-Language": "en-GB,en;q=0.8"}).json()["message"] == "Service is running"
    )


def test_unknown_path_is_problem_json(client):
    response = client.get("/no/such/thing", headers={"Accept-Language": "en"})
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 404 and body["title"] == "Not found" and body["instance"] == "/no/such/thing"
    assert body["request_id"] == response.headers["x-request-id"]


def test_client_request_id_is_kept_and_bad_one_replaced(client):
    assert client.get("/health", headers={"X-Request-ID": "abc-123"}).headers["x-request-id"] == "abc-123"
    replaced = client.get("/health", headers={"X-Request-ID": "bad id\nwith newline"}).headers["x-request-id"]
    assert replaced != "bad id\nwith newline" and len(replaced) == 16


def test_openapi_document_is_served(client):
    assert client.get("/openapi.json").json()["info"]["title"] == "volunteer-credentials"
    assert client.get("/docs").status_code == 200


@pytest.fixture
def empty_database_url(tmp_path):
    """A database with nothing in it, on the engine under test."""
    url = os.environ.get("DATABASE_URL")
    if not (url and url.startswith("postgresql")):
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    name = f"migrate_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


def test_migrations_from_empty_to_head_and_back(empty_database_url):
    upgrade(empty_database_url)
    engine = create_engine(empty_database_url)
    tables = set(inspect(engine).get_table_names())
    assert set(metadata.tables) <= tables, "every model table exists after upgrade"
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    engine.dispose()
    downgrade(empty_database_url, "base")
    engine = create_engine(empty_database_url)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()


def test_models_match_migrations(database_url):
    """A model change without a migration is caught here, not in production."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    engine = create_engine(database_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), metadata)
    engine.dispose()
    assert diff == []


def test_cli_help_lists_commands():
    result = subprocess.run([sys.executable, "-m", "volcred.cli", "--help"], capture_output=True, text=True)
    assert result.returncode == 0
    for command in ("serve", "db", "demo"):
        assert command in result.stdout


def test_cli_db_upgrade_creates_database(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}", "VOLCRED_LANG": "en"}
    result = subprocess.run(
        [sys.executable, "-m", "volcred.cli", "db", "upgrade"], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert "Database upgraded" in result.stdout
    assert (tmp_path / "cli.sqlite3").exists()


def test_live_server_answers_over_http(live_server):
    response = httpx.get(live_server.url + "/health")
    assert response.status_code == 200
    # The access log names the route, never the full path with its identifiers.
    httpx.get(live_server.url + "/no/such/secret-token-value")
    assert "secret-token-value" not in live_server.log()


def test_a_closed_app_leaves_nothing_alive(settings):
    """An app served and closed is freed whole (its engine, caches, workers' state): a process that makes apps,
    as the test suite does one per test, must not grow with each. FastAPI keeps endpoints in a process-wide cache,
    so an endpoint that closed over its app kept every app ever made."""
    from fastapi.testclient import TestClient

    from volcred.app import create_app

    def serve_and_close() -> weakref.ref:
        app = create_app(settings)
        with TestClient(app) as client:
            for path in ("/docs", "/health", "/catalogue/browse", "/login", "/openapi.json"):
                assert client.get(path).status_code == 200
        app.state.engine.dispose()
        return weakref.ref(app)

    made = [serve_and_close() for _ in range(2)]
    gc.collect()
    assert [ref() for ref in made] == [None, None]
