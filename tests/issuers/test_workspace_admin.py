"""The platform administrator's pages: organisations waiting first, the registration number's check, verify /
suspend / reinstate with a confirmation, audited; nobody else sees them."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from base.db import transaction
from issuers import service
from issuers.store import AuditEntryRow, OrganisationRow
from tests.authz import database_snapshot
from tests.pages import csrf_of, sign_in, submit


def admin_client(request, app):
    """The platform administrator signed in; closed with the test, so that its app's background workers stop and never
    take a later test's work (an e-mail, say) from the shared PostgreSQL database."""
    with transaction(app.state.session_factory) as session:
        service.create_user(session, "root@platform.example.lv", "Platform", "platform-password-1", platform_admin=True)
    client = TestClient(app)
    client.__enter__()
    request.addfinalizer(lambda: client.__exit__(None, None, None))
    assert sign_in(client, "root@platform.example.lv", "platform-password-1").status_code == 303
    return client


def status_of(session_factory, slug: str) -> str:
    with session_factory() as session:
        return session.scalar(select(OrganisationRow.status).where(OrganisationRow.slug == slug))


def test_the_list_shows_waiting_organisations_first_with_the_number_check_and_register_link(request, app, make_org):
    make_org("aaa-verified", legal_name="AAA biedrība")
    make_org("zzz-pending", status="pending", legal_name="ZZZ biedrība")
    admin = admin_client(request, app)
    page = admin.get("/admin/organisations?lang=en")
    assert page.status_code == 200
    assert page.text.index("ZZZ biedrība") < page.text.index("AAA biedrība")
    assert "Format and check digit correct" in page.text
    assert "info.ur.gov.lv" in page.text
    assert "/admin/organisations/zzz-pending/verify" in page.text
    found = admin.get("/admin/organisations?q=zzz")
    assert "ZZZ biedrība" in found.text and "AAA biedrība" not in found.text
    admin.__exit__(None, None, None)


def test_verify_asks_for_confirmation_then_verifies_and_audits(request, app, make_org, session_factory):
    make_org("waiting", status="pending")
    admin = admin_client(request, app)
    confirm = admin.get("/admin/organisations/waiting/verify?lang=en")
    assert confirm.status_code == 200 and "trusted issuer" in confirm.text
    unconfirmed = submit(admin, "/admin/organisations/waiting/verify", "/admin/organisations/waiting/verify", {})
    assert unconfirmed.status_code == 303 and status_of(session_factory, "waiting") == "pending"
    done = submit(
        admin, "/admin/organisations/waiting/verify", "/admin/organisations/waiting/verify", {"confirmed": "yes"}
    )
    assert done.status_code == 303 and status_of(session_factory, "waiting") == "verified"
    assert "notice=notice.organisation_verify" in done.headers["location"]
    for action, status in (("suspend", "suspended"), ("reinstate", "verified")):
        url = f"/admin/organisations/waiting/{action}"
        assert submit(admin, url, url, {"confirmed": "yes"}).status_code == 303
        assert status_of(session_factory, "waiting") == status
    with session_factory() as session:
        entries = session.scalars(select(AuditEntryRow).where(AuditEntryRow.action == "organisation.status")).all()
        assert [e.details["to"] for e in entries] == ["verified", "suspended", "verified"]
    admin.__exit__(None, None, None)


def test_only_platform_administrators_reach_the_pages_and_nothing_else_is_written(
    app, workspace, make_org, session_factory
):
    make_org("waiting", status="pending")
    owner = workspace.client
    assert owner.get("/admin/organisations").status_code == 404
    assert owner.get("/admin/organisations/waiting/verify").status_code == 404
    before = database_snapshot(session_factory)
    token = csrf_of(owner.get(workspace.home).text)
    refused = owner.post(
        "/admin/organisations/waiting/verify", data={"confirmed": "yes", "csrf_token": token}, follow_redirects=False
    )
    assert refused.status_code == 404
    with TestClient(app) as stranger:
        assert stranger.get("/admin/organisations", follow_redirects=False).status_code == 303  # to sign in
    assert database_snapshot(session_factory) == before
    assert status_of(session_factory, "waiting") == "pending"


def test_the_administrators_form_without_the_token_or_from_another_site_is_refused(
    request, app, make_org, session_factory
):
    make_org("waiting", status="pending")
    admin = admin_client(request, app)
    token = csrf_of(admin.get("/admin/organisations/waiting/verify").text)
    before = database_snapshot(session_factory)
    assert admin.post("/admin/organisations/waiting/verify", data={"confirmed": "yes"}).status_code == 403
    cross = admin.post(
        "/admin/organisations/waiting/verify",
        data={"confirmed": "yes", "csrf_token": token},
        headers={"origin": "https://evil.example"},
    )
    assert cross.status_code == 403
    assert database_snapshot(session_factory) == before
    admin.__exit__(None, None, None)
