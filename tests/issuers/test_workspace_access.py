"""The way in: the landing page, registering an organisation, a forgotten password and joining by invitation."""

from __future__ import annotations

import re
import time

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from base.mail import OutboxRow
from issuers.store import AccountTokenRow, OrganisationRow
from tests.authz import database_snapshot
from tests.pages import csrf_of, sign_in, submit


def mailed_link(smtp_server, to: str, path: str) -> str:
    """The newest e-mail that reached `to` over SMTP: the path of its link under `path` (the outbox erases a
    message's text once it is sent, so the link is read where the person would read it)."""
    pattern = re.compile(rf"https?://[^/\s]+({re.escape(path)}[A-Za-z0-9_\-]+)")
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        for received in reversed(smtp_server.messages()):
            if to in received.rcpt_tos and (found := pattern.search(received.text)):
                return found.group(1)
        time.sleep(0.05)
    raise AssertionError(f"no e-mail to {to} with a link under {path}")


def count(session_factory, row) -> int:
    with session_factory() as session:
        return session.scalar(select(func.count()).select_from(row))


def test_the_landing_page_says_what_the_service_is_and_leads_on(client):
    page = client.get("/", headers={"accept": "text/html"})
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    for href in (
        'href="/verify?lang=lv"',
        'href="/catalogue/browse?lang=lv"',
        'href="/login?lang=lv"',
        'href="/register?lang=lv"',
    ):
        assert href in page.text
    assert "Volunteer credentials" in client.get("/?lang=en").text


# --- a forgotten password ----------------------------------------------------------------------------------------


def test_forgotten_password_end_to_end_through_the_e_mail(client, make_org, session_factory, smtp_server):
    make_org("alpha")
    other_device = TestClient(client.app)
    with other_device:
        assert sign_in(other_device, "admin@alpha.example.lv", "admin-password-1").status_code == 303
        assert other_device.get("/org/alpha").status_code == 200

        answer = submit(client, "/password/forgot", "/password/forgot", {"email": "Admin@alpha.example.lv"})
        assert answer.status_code == 200
        link = mailed_link(smtp_server, "admin@alpha.example.lv", "/password/reset/")
        with session_factory() as session:
            stored = session.scalars(select(AccountTokenRow)).one()
            assert stored.purpose == "password_reset" and link.rsplit("/", 1)[-1] not in stored.token_hash

        form = client.get(link)
        # Not "no-referrer": a browser would then post the form with `Origin: null`, which the CSRF check refuses.
        assert form.status_code == 200 and form.headers["referrer-policy"] == "same-origin"
        differ = submit(client, link, link, {"password": "a-new-password-1", "password_again": "another-one-12"})
        assert differ.status_code == 422 and 'id="password_again-error"' in differ.text
        short = submit(client, link, link, {"password": "short", "password_again": "short"})
        assert short.status_code == 422 and 'id="password-error"' in short.text

        done = submit(client, link, link, {"password": "a-new-password-1", "password_again": "a-new-password-1"})
        assert done.status_code == 303 and "vc_session" in client.cookies
        assert client.get(done.headers["location"]).status_code == 200

        # the link works once; the other device's session has ended; the new password signs in, the old does not
        assert client.get(link).status_code == 404
        assert other_device.get("/org/alpha", follow_redirects=False).status_code == 303
        with TestClient(client.app) as fresh:
            assert sign_in(fresh, "admin@alpha.example.lv", "admin-password-1").status_code == 401
            assert sign_in(fresh, "admin@alpha.example.lv", "a-new-password-1").status_code == 303


def test_forgotten_password_answers_the_same_for_unknown_addresses_and_sends_nothing(client, make_org, session_factory):
    make_org("alpha")
    known = submit(client, "/password/forgot", "/password/forgot", {"email": "admin@alpha.example.lv"})
    unknown = submit(client, "/password/forgot", "/password/forgot", {"email": "nobody@alpha.example.lv"})
    assert known.status_code == unknown.status_code == 200

    def sentence(html: str) -> str:
        return re.search(r'role="status">([^<]+)<', html).group(1)

    assert sentence(known.text) == sentence(unknown.text)
    assert count(session_factory, OutboxRow) == 1 and count(session_factory, AccountTokenRow) == 1


def test_forgotten_password_is_throttled_per_address(client, make_org):
    make_org("alpha")
    answers = [
        submit(client, "/password/forgot", "/password/forgot", {"email": "admin@alpha.example.lv"}).status_code
        for _ in range(7)
    ]
    assert answers[:5] == [200] * 5 and answers[-1] == 429


def test_an_expired_or_unknown_reset_link_is_refused(client, make_org, session_factory, smtp_server):
    from datetime import timedelta

    from base.db import transaction, utcnow

    make_org("alpha")
    submit(client, "/password/forgot", "/password/forgot", {"email": "admin@alpha.example.lv"})
    link = mailed_link(smtp_server, "admin@alpha.example.lv", "/password/reset/")
    with transaction(session_factory) as session:
        session.scalars(select(AccountTokenRow)).one().expires_at = utcnow() - timedelta(seconds=1)
    assert client.get(link).status_code == 404
    assert client.get("/password/reset/vca_made-up").status_code == 404


# --- registering an organisation ---------------------------------------------------------------------------------

REGISTRATION = {
    "name": "Ilze Bērziņa",
    "email": "ilze@upes-krasts.example.lv",
    "password": "upes-krasts-parole",
    "legal_name": "Biedrība „Upes krasts”",
    "registration_number": "50006655194",
    "legal_form": "association-or-foundation",
    "municipality": "cesis",
    "contact_email": "",
    "contact_phone": "",
}


def test_registration_creates_the_account_and_organisation_and_signs_in(client, session_factory):
    assert client.get("/register").status_code == 200
    answer = submit(client, "/register", "/register", REGISTRATION)
    assert answer.status_code == 303, answer.text[:2000]
    assert answer.headers["location"].startswith("/org/biedriba-upes-krasts")
    home = client.get(answer.headers["location"])
    assert home.status_code == 200 and "Biedrība „Upes krasts”" in home.text
    assert "gaida apstiprinājumu" in home.text  # the notice: waiting for verification, prepare meanwhile
    with session_factory() as session:
        org = session.scalars(select(OrganisationRow)).one()
        assert org.status == "pending" and org.contact_email == REGISTRATION["email"]


def test_registration_with_bad_fields_shows_each_message_by_its_field_and_writes_nothing(client, session_factory):
    client.get("/register")
    before = database_snapshot(session_factory)
    bad = {
        **REGISTRATION,
        "name": "",
        "email": "not-an-address",
        "password": "short",
        "legal_name": "X",
        "registration_number": "40003032940",
        "municipality": "atlantis",
    }
    answer = submit(client, "/register?lang=en", "/register?lang=en", bad)
    assert answer.status_code == 422
    for field in ("name", "email", "password", "legal_name", "registration_number", "municipality"):
        assert f'id="{field}-error"' in answer.text, field
        assert f'aria-describedby="{field}-error"' in answer.text or f"{field}-hint {field}-error" in answer.text
    assert "check digit" in answer.text  # the registration number's own explanation, in the page's language
    assert 'value="Ilze' not in answer.text and 'value="not-an-address"' in answer.text  # what was typed stays
    assert database_snapshot(session_factory) == before


def test_a_registration_number_already_registered_is_named_at_its_field(client, make_org, session_factory):
    make_org("alpha", registration_number="50006655194")
    client.get("/register")
    before = database_snapshot(session_factory)
    answer = submit(client, "/register", "/register", REGISTRATION)
    assert answer.status_code == 422 and 'id="registration_number-error"' in answer.text
    assert database_snapshot(session_factory) == before


def test_registration_refuses_a_form_without_the_token_or_from_another_site(client, session_factory):
    token = csrf_of(client.get("/register").text)
    before = database_snapshot(session_factory)
    assert client.post("/register", data=REGISTRATION, follow_redirects=False).status_code == 403
    cross = client.post(
        "/register",
        data={**REGISTRATION, "csrf_token": token},
        headers={"origin": "https://evil.example"},
        follow_redirects=False,
    )
    assert cross.status_code == 403
    assert database_snapshot(session_factory) == before


# --- joining by invitation ---------------------------------------------------------------------------------------


def invite(workspace, email: str, role: str = "coordinator"):
    base = f"{workspace.home}/settings/members"
    return submit(workspace.client, base, f"{base}/invite", {"email": email, "role": role})


def test_an_invitee_without_an_account_creates_one_and_joins_with_the_role(
    workspace, app, session_factory, smtp_server
):
    assert invite(workspace, "new.person@example.lv", "viewer").status_code == 303
    link = mailed_link(smtp_server, "new.person@example.lv", "/invitations/member/")
    with TestClient(app) as invitee:
        page = invitee.get(link)
        assert page.status_code == 200 and "Biedrība ws-org" in page.text
        missing = submit(invitee, link, link, {"name": "", "password": "jauna-parole-123"})
        assert missing.status_code == 422 and 'id="name-error"' in missing.text
        joined = submit(invitee, link, link, {"name": "Jauna Persona", "password": "jauna-parole-123"})
        assert joined.status_code == 303 and joined.headers["location"].startswith(workspace.home)
        assert invitee.get(workspace.home).status_code == 200
        assert invitee.get(link).status_code == 404  # used once
    members = workspace.client.get(f"{workspace.home}/settings/members").text
    assert "Jauna Persona" in members


def test_an_invitee_with_an_account_signs_in_and_accepts(workspace, app, make_org, session_factory, smtp_server):
    make_org("beta")
    assert invite(workspace, "admin@beta.example.lv").status_code == 303
    link = mailed_link(smtp_server, "admin@beta.example.lv", "/invitations/member/")
    with TestClient(app) as invitee:
        page = invitee.get(link)
        assert "next=/invitations/member/" in page.text  # asked to sign in first
        assert sign_in(invitee, "admin@beta.example.lv", "admin-password-1").status_code == 303
        accepted = submit(invitee, link, link, {})
        assert accepted.status_code == 303 and accepted.headers["location"].startswith(workspace.home)
        assert invitee.get(workspace.home).status_code == 200


# --- one's own account -------------------------------------------------------------------------------------------


def test_the_account_page_changes_the_password_and_ends_the_other_sessions(workspace, app, session_factory):
    with TestClient(app) as other_device:
        assert sign_in(other_device, "admin@ws-org.example.lv", "admin-password-1").status_code == 303
        page = workspace.client.get("/account?lang=en")
        assert page.status_code == 200 and "admin@ws-org.example.lv" in page.text and "Biedrība ws-org" in page.text
        before = database_snapshot(session_factory)
        wrong = submit(
            workspace.client,
            "/account",
            "/account/password",
            {"current_password": "not-it", "password": "new-password-12", "password_again": "new-password-12"},
        )
        assert wrong.status_code == 422 and 'id="current_password-error"' in wrong.text
        assert database_snapshot(session_factory) == before
        changed = submit(
            workspace.client,
            "/account",
            "/account/password",
            {
                "current_password": "admin-password-1",
                "password": "new-password-12",
                "password_again": "new-password-12",
            },
        )
        assert changed.status_code == 303
        assert workspace.client.get(workspace.home).status_code == 200  # this session stays
        assert other_device.get(workspace.home, follow_redirects=False).status_code == 303  # the other one ended
    with TestClient(app) as fresh:
        assert sign_in(fresh, "admin@ws-org.example.lv", "new-password-12").status_code == 303


def test_the_way_in_forms_are_refused_without_the_token_or_from_another_site(workspace, session_factory, smtp_server):
    client = workspace.client
    submit(client, "/password/forgot", "/password/forgot", {"email": "admin@ws-org.example.lv"})
    reset = mailed_link(smtp_server, "admin@ws-org.example.lv", "/password/reset/")
    invite(workspace, "someone@example.lv")
    invitation = mailed_link(smtp_server, "someone@example.lv", "/invitations/member/")
    forms = [
        ("/password/forgot", "/password/forgot", {"email": "admin@ws-org.example.lv"}),
        (reset, reset, {"password": "a-new-password-1", "password_again": "a-new-password-1"}),
        (invitation, invitation, {"name": "X", "password": "a-new-password-1"}),
        ("/account", "/account/password", {"current_password": "admin-password-1", "password": "p-12345678901"}),
    ]
    for page, action, data in forms:
        token = csrf_of(client.get(page).text)
        before = database_snapshot(session_factory)
        assert client.post(action, data=data, follow_redirects=False).status_code == 403, action
        cross = client.post(
            action,
            data={**data, "csrf_token": token},
            headers={"origin": "https://evil.example"},
            follow_redirects=False,
        )
        assert cross.status_code == 403, action
        assert database_snapshot(session_factory) == before, action
