"""Shared by the workspace page tests: statements, credentials and batches made through the API, and the check that
a refused form changed nothing."""

from __future__ import annotations

import re

from catalogue import load_catalogue
from tests.authz import database_snapshot
from tests.credentials.records.test_drafts import invite, statement
from tests.pages import csrf_of


def mission_with_options():
    return next(m for m in load_catalogue().mission_types if len(m.competences) > len(m.core_competences))


def submitted_statement(client, org, name: str = "Līga Bērziņa", email: str = "liga@example.lv") -> tuple[str, str]:
    """A volunteer's statement, drafted through the invitation link and submitted; returns (record id, token)."""
    mission = mission_with_options()
    token = invite(client, org, mission)["token"]
    body = {**statement(mission, volunteer={"name": name, "email": email}), "submit": True}
    saved = client.put(f"/invitations/{token}/statement", json=body)
    assert saved.status_code == 200, saved.text
    records = client.get("/records?status=submitted", headers=org.headers()).json()["records"]
    return records[-1]["id"], token


def refused_without_change(session_factory, post, expected: tuple[int, ...] = (403, 404)):
    """`post()` is refused with a readable page and leaves every table as it was."""
    before = database_snapshot(session_factory)
    response = post()
    assert response.status_code in expected, (response.status_code, response.text[:300])
    assert "<html" in response.text
    assert database_snapshot(session_factory) == before


def check_form_refusals(workspace, session_factory, page_url: str, action: str, data: dict, stranger, files=None):
    """The form at `action` (on `page_url`) posted without the token, from another site, by a viewer and by another
    organisation's member: each refused (403, 403, 403, 404), nothing written."""
    client = workspace.client
    token = csrf_of(client.get(page_url).text)
    refused_without_change(
        session_factory, lambda: client.post(action, data=data, files=files, follow_redirects=False), (403,)
    )
    refused_without_change(
        session_factory,
        lambda: client.post(
            action,
            data={**data, "csrf_token": token},
            headers={"origin": "https://evil.example"},
            follow_redirects=False,
        ),
        (403,),
    )
    viewer = workspace.as_role("viewer")
    viewer_page = viewer.get(page_url)
    assert viewer_page.status_code == 200
    assert f'action="{action}' not in viewer_page.text  # no write button for a viewer
    viewer_token = csrf_of(viewer_page.text)
    refused_without_change(
        session_factory,
        lambda: viewer.post(action, data={**data, "csrf_token": viewer_token}, files=files, follow_redirects=False),
        (403,),
    )
    stranger_token = csrf_of(stranger.get("/dashboard").text)
    refused_without_change(
        session_factory,
        lambda: stranger.post(action, data={**data, "csrf_token": stranger_token}, files=files, follow_redirects=False),
        (404,),
    )


HREF = re.compile(r'href="([^"]+)"')


def links_of(html: str) -> list[str]:
    return HREF.findall(html)
