"""Cross-site request forgery protection for the HTML forms: a signed double-submit token.

Every browser gets a random `vc_csrf` cookie (HttpOnly, SameSite=Lax) from `CsrfMiddleware`; every form carries
`csrf_token(request)`, an HMAC of that cookie under the service's secret, in a hidden field (or, from a script, the
`X-CSRF-Token` header). A page router declares `dependencies=[CSRF_PROTECTED]`, so each of its unsafe requests must
carry the token that matches the browser's own cookie and, where the browser says where the request came from
(`Origin`, `Sec-Fetch-Site`), come from this site. Another site can make a browser post a form, but cannot read the
cookie or the token, and cannot make the browser lie about the origin.

The JSON API is not behind this: it authenticates by bearer token only, never by cookie, so a forged cross-site
request carries no credentials there.

The secret is `app.state.csrf_secret` (bytes), set by the wiring.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from http.cookies import SimpleCookie
from urllib.parse import urlsplit

from fastapi import Depends, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from base.errors import UserError

COOKIE = "vc_csrf"
FIELD = "csrf_token"
HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class CsrfMiddleware:
    """Gives a browser without one its `vc_csrf` cookie, on the first page (HTML) it gets: forms come only in pages,
    and the API's clients (bearer tokens, no cookies) get none."""

    def __init__(self, app: ASGIApp, secure: bool = False) -> None:
        self.app = app
        self.secure = secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or _cookie_in(scope):
            await self.app(scope, receive, send)
            return
        value = secrets.token_urlsafe(32)  # a page's forms are signed for it (csrf_token) before it is sent
        scope.setdefault("state", {})["csrf_cookie"] = value

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start" and _is_page(message):
                cookie = SimpleCookie()
                cookie[COOKIE] = value
                cookie[COOKIE].update({"path": "/", "httponly": True, "samesite": "Lax", "secure": self.secure})
                message["headers"] = [*message["headers"], (b"set-cookie", cookie[COOKIE].OutputString().encode())]
            await send(message)

        await self.app(scope, receive, send_with_cookie)


def _is_page(start: Message) -> bool:
    return any(name == b"content-type" and value.startswith(b"text/html") for name, value in start.get("headers", ()))


def _cookie_in(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"cookie":
            cookie = SimpleCookie()
            cookie.load(value.decode("latin-1"))
            if COOKIE in cookie and cookie[COOKIE].value:
                return cookie[COOKIE].value
    return None


def _browser_secret(request: Request) -> str | None:
    return request.cookies.get(COOKIE) or request.scope.get("state", {}).get("csrf_cookie")


def csrf_token(request: Request) -> str:
    """The token this browser's forms carry: an HMAC of its cookie, so it cannot be made without the server."""
    browser = _browser_secret(request) or ""
    return hmac.new(request.app.state.csrf_secret, browser.encode(), hashlib.sha256).hexdigest()


def _same_origin(request: Request, origin: str) -> bool:
    if origin == "null":
        return False
    ours = {f"{request.url.scheme}://{request.url.netloc}"}
    settings = getattr(request.app.state, "settings", None)
    public = getattr(settings, "public_base_url", None)
    if public:
        parts = urlsplit(public)
        ours.add(f"{parts.scheme}://{parts.netloc}")
    return origin.rstrip("/") in ours


async def check_csrf(request: Request) -> None:
    """Refuses (403) an unsafe request without this browser's token, or sent from another site."""
    if request.method in SAFE_METHODS:
        return
    origin = request.headers.get("origin")
    if request.headers.get("sec-fetch-site") == "cross-site" or (origin and not _same_origin(request, origin)):
        raise UserError("request.csrf_origin", kind="forbidden")
    given = request.headers.get(HEADER)
    if given is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()  # parsed once: the endpoint's Form() parameters read the same
            value = form.get(FIELD)
            given = value if isinstance(value, str) else None
    if not given or not request.cookies.get(COOKIE) or not hmac.compare_digest(given, csrf_token(request)):
        raise UserError("request.csrf_token", kind="forbidden")


CSRF_PROTECTED = Depends(check_csrf)
