"""Fixtures: a fresh, migrated database for every test on SQLite or PostgreSQL (chosen by DATABASE_URL),
the app over ASGI, and the real service under uvicorn for end-to-end tests."""

from __future__ import annotations

import base64
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

os.environ.setdefault("VOLCRED_PASSWORD_HASH", "fast")  # real Argon2id at the cheapest cost; see issuers/auth.py
from sqlalchemy import create_engine, text

from base.db import make_engine
from volcred.db import upgrade
from volcred.settings import Settings

REPO = Path(__file__).resolve().parent.parent
# The shared reference data sits beside the checkout; a worktree elsewhere names it with VOLCRED_REFERENCE.
REFERENCE = Path(os.environ.get("VOLCRED_REFERENCE") or REPO.parent / "shared" / "reference")
TEST_KEK = base64.urlsafe_b64encode(b"k" * 32).decode()


def pytest_addoption(parser):
    parser.addoption(
        "--browser-share",
        default="",
        metavar="K/N",
        help="run only every N-th browser test, starting at the K-th (0-based), in collection order; CI gives "
        "1/2 to its SQLite suite and 0/2 to its PostgreSQL suite, so that each browser test runs once per CI run",
    )


def pytest_collection_modifyitems(config, items):
    """Browser tests drive pages, whose behaviour does not depend on the database (the same pages are tested over
    HTTP on both); half of CI's time went into running each of them twice. `--browser-share` splits them."""
    share = config.getoption("--browser-share")
    if not share:
        return
    k, n = (int(part) for part in share.split("/"))
    if not 0 <= k < n:
        raise pytest.UsageError(f"--browser-share {share}: K must be at least 0 and less than N")
    browser = [item for item in items if item.nodeid.startswith("tests/browser/")]
    left_out = [item for index, item in enumerate(browser) if index % n != k]
    if left_out:
        dropped = set(map(id, left_out))
        items[:] = [item for item in items if id(item) not in dropped]
        config.hook.pytest_deselected(items=left_out)


def _is_postgres(url: str | None) -> bool:
    return bool(url) and url.startswith("postgresql")


@pytest.fixture(scope="session")
def database_backend(tmp_path_factory):
    """Migrates once per session; hands out a clean database per test."""
    url = os.environ.get("DATABASE_URL")
    if _is_postgres(url):
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        upgrade(url)
        yield PostgresBackend(url, engine)
        engine.dispose()
    else:
        template = tmp_path_factory.mktemp("db-template") / "template.sqlite3"
        template_url = f"sqlite:///{template}"
        upgrade(template_url)
        make_engine(template_url).dispose()
        yield SqliteBackend(template)


class SqliteBackend:
    name = "sqlite"

    def __init__(self, template: Path):
        self.template = template

    def fresh(self, directory: Path) -> str:
        target = directory / "volcred.sqlite3"
        shutil.copyfile(self.template, target)
        return f"sqlite:///{target}"


class PostgresBackend:
    name = "postgresql"

    def __init__(self, url: str, engine):
        self.url = url
        self.engine = engine

    def fresh(self, directory: Path) -> str:
        with self.engine.begin() as conn:
            tables = (
                conn.execute(
                    text(
                        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
                    )
                )
                .scalars()
                .all()
            )
            if tables:
                conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        return self.url


@pytest.fixture
def database_url(database_backend, tmp_path) -> str:
    return database_backend.fresh(tmp_path)


@pytest.fixture
def settings(database_url, tmp_path, request) -> Settings:
    """A test that asks for `smtp_server` too gets an app whose outbox is sent to that server."""
    mail = request.getfixturevalue("smtp_server").app_settings() if "smtp_server" in request.fixturenames else {}
    return Settings(
        data_dir=tmp_path / "var",
        database_url=database_url,
        base_url="http://127.0.0.1:8000",
        key_encryption_key=TEST_KEK,
        **mail,
    )


@pytest.fixture
def app(settings):
    from volcred.app import create_app

    application = create_app(settings)
    yield application
    application.state.engine.dispose()


@pytest.fixture
def client(app):
    from fastapi.testclient import TestClient

    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def session_factory(app):
    return app.state.session_factory


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def live_server(database_url, tmp_path, request):
    """The real service under uvicorn on a free port, in its own process, sharing the test's database (and sending
    its e-mail to `smtp_server` when the test asks for that too)."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    mail = request.getfixturevalue("smtp_server").environment() if "smtp_server" in request.fixturenames else {}
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "BASE_URL": base_url,
        "KEY_ENCRYPTION_KEY": TEST_KEK,
        "VOLCRED_DATA_DIR": str(tmp_path / "var"),
        **mail,
    }
    log_path = tmp_path / "server.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "volcred.cli", "serve", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=tmp_path,
        )
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(base_url + "/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("the service did not start:\n" + log_path.read_text())
        time.sleep(0.1)
    server = LiveServer(base_url, process, log_path)
    yield server
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


class LiveServer:
    def __init__(self, url: str, process: subprocess.Popen, log_path: Path):
        self.url = url
        self.process = process
        self.log_path = log_path

    def log(self) -> str:
        return self.log_path.read_text()


# --- organisations -------------------------------------------------------------------------------------------------

VALID_REG_NUMBERS = ["40001441955", "40109245038", "90002077052", "50006655194", "40003032949", "40008002279"]


class OrgHandle:
    """A registered organisation as tests use it: slug, DID and bearer tokens of each kind of caller."""

    def __init__(self, slug, did, token, admin_session, coordinator_session, org_id):
        self.slug, self.did, self.token, self.org_id = slug, did, token, org_id
        self.admin_session, self.coordinator_session = admin_session, coordinator_session

    def headers(self, who: str = "token") -> dict:
        secret = {"token": self.token, "admin": self.admin_session, "coordinator": self.coordinator_session}[who]
        return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def make_org(app, settings):
    """Registers and verifies an organisation with an API token, an admin and a coordinator account."""
    from base.db import transaction
    from issuers import service
    from issuers.organisations import OrganisationInput

    used = iter(VALID_REG_NUMBERS)

    def make(slug: str, status: str = "verified", **fields) -> OrgHandle:
        ctx = service.IssuerContext(settings.public_base_url, settings.encryption_key)
        with transaction(app.state.session_factory) as session:
            admin = service.create_user(session, f"admin@{slug}.example.lv", "Admin", "admin-password-1")
            coordinator = service.create_user(session, f"coord@{slug}.example.lv", "Coordinator", "coord-password-1")
            data = OrganisationInput(
                legal_name=fields.pop("legal_name", f"Biedrība {slug}"),
                registration_number=fields.pop("registration_number", next(used)),
                slug=slug,
                municipality=fields.pop("municipality", "Rīga"),
                **fields,
            )
            org = service.register_organisation(session, ctx, data, admin=admin)
            service.add_member(session, _operator(), slug, coordinator.email, "coordinator")
            if status != "pending":
                service.verify_now(session, org)
            if status == "suspended":
                org.status = "suspended"
            _, token = service.issue_organisation_token(session, org, "tests")
            admin_session = service.login(session, admin.email, "admin-password-1")
            coordinator_session = service.login(session, coordinator.email, "coord-password-1")
            return OrgHandle(
                slug,
                service.organisation_did(org, settings.public_base_url),
                token,
                admin_session,
                coordinator_session,
                org.id,
            )

    return make


@pytest.fixture
def platform_admin(app):
    """A bearer token of a platform administrator."""
    from base.db import transaction
    from issuers import service

    with transaction(app.state.session_factory) as session:
        service.create_user(session, "root@platform.example.lv", "Platform", "platform-password-1", platform_admin=True)
        token = service.login(session, "root@platform.example.lv", "platform-password-1")
    return {"Authorization": f"Bearer {token}"}


def _operator():
    from volcred.cli import Runtime

    return Runtime.operator


# --- the workspace (HTML pages, signed in with the session cookie) -------------------------------------------------


class WorkspaceHandle:
    """A verified organisation and a browser-like client signed in as its owner (cookies kept)."""

    def __init__(self, app, org: OrgHandle, client, password: str):
        self.app, self.org, self.client, self.slug = app, org, client, org.slug
        self.home = f"/org/{org.slug}"

    def as_role(self, role: str, email: str | None = None):
        """Another client signed in as a new member of this organisation with `role` (owner, coordinator, viewer)."""
        from fastapi.testclient import TestClient

        from base.db import transaction
        from issuers import service
        from tests.pages import sign_in

        email = email or f"{role}-{len(self._clients)}@{self.slug}.example.lv"
        with transaction(self.app.state.session_factory) as session:
            service.create_user(session, email, role.capitalize(), "member-password-1")
            service.add_member(session, _operator(), self.slug, email, role)
        client = TestClient(self.app)
        client.__enter__()
        self._clients.append(client)
        assert sign_in(client, email, "member-password-1").status_code == 303
        return client

    _clients: list


@pytest.fixture
def workspace(app, client, make_org):
    """Organisation `ws-org`, verified, with its owner (admin@ws-org.example.lv) signed in on `workspace.client`."""
    from tests.pages import sign_in

    org = make_org("ws-org")
    assert sign_in(client, "admin@ws-org.example.lv", "admin-password-1").status_code == 303
    handle = WorkspaceHandle(app, org, client, "admin-password-1")
    handle._clients = []
    yield handle
    for extra in handle._clients:
        extra.__exit__(None, None, None)


@pytest.fixture
def smtp_server():
    """A real SMTP server on loopback that records what it accepts (tests/smtp.py): `.wait_for(n)` gives the
    messages received. The `app`/`client` and `live_server` of a test that asks for it send their e-mail to it."""
    from tests.smtp import SmtpServer

    server = SmtpServer().start()
    yield server
    server.stop()
