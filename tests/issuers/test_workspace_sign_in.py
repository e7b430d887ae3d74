"""Signing in to the workspace: the session cookie, CSRF on every form, and one organisation never seeing another's."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.pages import csrf_of, sign_in, submit


def test_sign_in_sets_a_protected_session_cookie_and_leads_to_the_organisation(client, make_org):
    make_org("alpha")
    answer = sign_in(client, "admin@alpha.example.lv", "admin-password-1")
    assert answer.status_code == 303
    cookie = next(h for h in answer.headers.get_list("set-cookie") if h.startswith("vc_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
    assert answer.headers["location"] == "/dashboard"
    assert client.get("/dashboard", follow_redirects=False).headers["location"].startswith("/org/alpha")
    home = client.get("/org/alpha")
    assert home.status_code == 200 and "Biedrība alpha" in home.text


def test_a_wrong_password_shows_the_form_again_with_a_message_and_no_session(client, make_org):
    make_org("alpha")
    answer = sign_in(client, "admin@alpha.example.lv", "not-the-password")
    assert answer.status_code == 401
    assert "vc_session" not in client.cookies
    assert 'value="admin@alpha.example.lv"' in answer.text  # what the person typed stays


def test_pages_of_the_workspace_send_strangers_to_sign_in_and_back(client, make_org):
    make_org("alpha")
    answer = client.get("/org/alpha?lang=en", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=%2Forg%2Falpha%3Flang%3Den"
    login = submit(
        client,
        "/login?next=/org/alpha",
        "/login",
        {"email": "admin@alpha.example.lv", "password": "admin-password-1", "next": "/org/alpha"},
    )
    assert login.headers["location"] == "/org/alpha"


def test_sign_in_never_sends_people_to_another_site(client, make_org):
    make_org("alpha")
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        answer = submit(
            client,
            "/login",
            "/login",
            {"email": "admin@alpha.example.lv", "password": "admin-password-1", "next": target},
        )
        assert answer.headers["location"] == "/dashboard", target


def test_a_form_without_the_token_or_from_another_site_is_refused_and_signs_nobody_in(client, make_org):
    make_org("alpha")
    client.get("/login")  # the browser has its CSRF cookie
    without = client.post(
        "/login",
        data={"email": "admin@alpha.example.lv", "password": "admin-password-1"},
        headers={"accept": "text/html"},
        follow_redirects=False,
    )
    assert without.status_code == 403 and "<html" in without.text
    token = csrf_of(client.get("/login").text)
    cross = client.post(
        "/login",
        data={"email": "admin@alpha.example.lv", "password": "admin-password-1", "csrf_token": token},
        headers={"origin": "https://evil.example"},
        follow_redirects=False,
    )
    assert cross.status_code == 403
    assert "vc_session" not in client.cookies


def test_another_browsers_token_does_not_fit_this_browsers_cookie(app, client, make_org):
    make_org("alpha")
    with TestClient(app) as other:
        foreign_token = csrf_of(other.get("/login").text)
    client.get("/login")
    answer = client.post(
        "/login",
        data={"email": "admin@alpha.example.lv", "password": "admin-password-1", "csrf_token": foreign_token},
        follow_redirects=False,
    )
    assert answer.status_code == 403


def test_signing_out_ends_the_session_at_once(client, make_org):
    make_org("alpha")
    sign_in(client, "admin@alpha.example.lv", "admin-password-1")
    stolen = client.cookies["vc_session"]
    answer = submit(client, "/org/alpha", "/logout")
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login")
    client.cookies.set("vc_session", stolen)  # the old cookie, replayed
    assert client.get("/org/alpha", follow_redirects=False).status_code == 303


def test_a_member_never_sees_another_organisations_workspace(workspace, make_org):
    make_org("other")
    answer = workspace.client.get("/org/other", headers={"accept": "text/html"})
    assert answer.status_code == 404
    assert "Biedrība other" not in answer.text


def test_the_session_cookie_does_not_authorise_the_api(workspace):
    assert workspace.client.get(f"/organisations/{workspace.slug}/tokens").status_code == 401


def test_members_see_their_role(workspace):
    viewer = workspace.as_role("viewer")
    page = viewer.get(workspace.home + "?lang=en")
    assert page.status_code == 200 and "Viewer" in page.text
