"""Helpers for tests of the HTML pages: forms are posted the way a browser does, with the page's CSRF token."""

from __future__ import annotations

import re

CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    """The CSRF token in a page's forms."""
    found = CSRF_INPUT.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def submit(client, page_url: str, action: str, data: dict | None = None, files=None, **kwargs):
    """Opens `page_url` and posts its form to `action` with `data`, as a browser would (the token included);
    redirects are not followed, so the test sees the 303 and where it leads."""
    page = client.get(page_url)
    assert page.status_code == 200, (page_url, page.status_code, page.text[:500])
    body = {**(data or {}), "csrf_token": csrf_of(page.text)}
    return client.post(action, data=body, files=files, follow_redirects=False, **kwargs)


def sign_in(client, email: str, password: str):
    """Signs `client` in through the /login form; returns the response (303 on success)."""
    return submit(client, "/login", "/login", {"email": email, "password": password})
