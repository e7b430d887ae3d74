"""Every HTML form the service answers is protected against cross-site request forgery (base/csrf.py)."""

from __future__ import annotations

import json

from fastapi.routing import APIRoute

from base.csrf import check_csrf
from tests.credentials.helpers import record_body
from tests.pages import csrf_of


def _dependency_calls(dependant) -> set:
    calls = {dependant.call}
    for sub in dependant.dependencies:
        calls |= _dependency_calls(sub)
    return calls


def test_every_page_that_takes_a_post_checks_the_csrf_token(app):
    unprotected = [
        (route.path, sorted(route.methods))
        for route in app.routes
        if isinstance(route, APIRoute)
        and not route.include_in_schema  # the HTML pages; the JSON API takes bearer tokens, never cookies
        and route.methods - {"GET", "HEAD", "OPTIONS"}
        and check_csrf not in _dependency_calls(route.dependant)
    ]
    assert unprotected == []


def test_the_public_verification_form_needs_its_token(client, make_org):
    org = make_org("csrf-verify")
    record = client.post("/records", json=record_body(), headers=org.headers()).json()
    credential = client.post(f"/records/{record['id']}/issue", headers=org.headers()).json()["credential"]
    client.get("/verify")
    forged = client.post("/verify", data={"credential": json.dumps(credential)}, headers={"accept": "text/html"})
    assert forged.status_code == 403 and "data-verdict" not in forged.text
    token = csrf_of(client.get("/verify").text)
    genuine = client.post("/verify", data={"credential": json.dumps(credential), "csrf_token": token})
    assert genuine.status_code == 200 and 'data-verdict="valid"' in genuine.text


def test_a_volunteers_statement_is_not_saved_from_a_forged_form(client, make_org, session_factory):
    from sqlalchemy import func, select

    from credentials.store import RecordRow

    org = make_org("csrf-invite")
    invitation = client.post("/invitations", json={"mission_type": "event-support"}, headers=org.headers()).json()
    path = f"/invite/{invitation['token']}"
    client.get(path)
    forged = client.post(path, data={"volunteer_mode": "pseudonymous", "hours": "5", "action": "save"})
    assert forged.status_code == 403
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(RecordRow)) == 0


def test_a_browser_gets_its_csrf_cookie_with_a_page_and_an_api_client_gets_none(client, make_org):
    """The API authenticates by bearer token alone: a cookie in its answers would only be sent back for nothing."""
    org = make_org("csrf-cookie")
    api = client.post("/records", json=record_body(), headers=org.headers())
    assert api.status_code == 201 and "set-cookie" not in api.headers
    assert "set-cookie" not in client.get("/health").headers
    page = client.get("/verify")
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["set-cookie"].startswith("vc_csrf=") and "HttpOnly" in page.headers["set-cookie"]
    # The page's form is signed for the cookie it came with: posting it back works.
    genuine = client.post("/verify", data={"credential": "{}", "csrf_token": csrf_of(page.text)})
    assert genuine.status_code != 403
