"""Public endpoints bounded before any endpoint code runs: requests per client, and the size of the body.

Anyone may post a document to verify, and verification costs CPU. Each guarded route has a throttle scope (requests
per client address, `issuers.throttle`) and a body limit: the body is read here, up to the limit, before the
endpoint sees it, so a body too big is refused after reading no more than the limit whatever Content-Length says
(or without it, chunked). Refusals are problem+json, 413 and 429 with Retry-After.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from catalogue.i18n import messages
from issuers.throttle import Throttle, Throttled
from volcred.problems import problem, request_language

KB = 1024


@dataclass(frozen=True)
class Guard:
    scope: str  # the throttle scope (see `throttle_rates`)
    max_body_bytes: int


# Each document is bounded again once parsed (verify/limits.py). Real credentials are under 20 KB; a presentation carries a few, a certificate PDF is well under 1 MB (the pages
# accept files up to verify.inputs.MAX_FILE_BYTES), a bulk upload up to verify.bulk.MAX_UPLOAD_BYTES. Multipart
# bodies get a little room for their framing.
GUARDS: dict[tuple[str, str], Guard] = {
    ("POST", "/credentials/verify"): Guard("verify", 256 * KB + 8 * KB),  # a document, and room for options
    ("POST", "/presentations/verify"): Guard("verify", 1024 * KB),
    ("POST", "/verify"): Guard("verify", 5 * 1024 * KB + 64 * KB),
    ("POST", "/verify/bulk"): Guard("bulk", 20 * 1024 * KB + 64 * KB),
    ("POST", "/auth/login"): Guard("login_client", 16 * KB),
}


def throttle_rates(settings) -> dict[str, str]:
    return {"verify": settings.verify_rate_limit, "bulk": settings.bulk_rate_limit,
            "login_client": settings.login_client_rate_limit, "login_account": settings.login_account_rate_limit}


class PublicLimitsMiddleware:
    def __init__(self, app: ASGIApp, throttle: Throttle) -> None:
        self.app = app
        self.throttle = throttle

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        guard = GUARDS.get((scope.get("method", ""), scope.get("path", ""))) if scope["type"] == "http" else None
        if guard is None:
            await self.app(scope, receive, send)
            return
        try:
            self.throttle.hit(guard.scope, client_address(scope), "request.too_many")
        except Throttled as error:
            await self._refuse(scope, send, 429, "request.too_many", {"Retry-After": str(error.retry_after)},
                               seconds=error.retry_after)
            return
        body = await _read_body(scope, receive, guard.max_body_bytes)
        if body is None:
            await self._refuse(scope, send, 413, "request.body_too_large", {"Connection": "close"},
                               kilobytes=guard.max_body_bytes // KB)
            return
        await self.app(scope, _replay(body, receive), send)

    async def _refuse(self, scope: Scope, send: Send, status: int, key: str, headers: dict, **params) -> None:
        request = Request(scope)
        lang = request_language(request)
        kind = "too_many_requests" if status == 429 else "too_large"
        response = problem(request, status, key.replace(".", "-").replace("_", "-"),
                           messages().get(f"problem.{kind}", lang), messages().get(key, lang, **params),
                           headers=headers, code=key)
        await response(scope, _nothing_more, send)


def client_address(scope: Scope) -> str:
    """The peer's address (uvicorn puts a trusted proxy's X-Forwarded-For there when told to trust it)."""
    client = scope.get("client")
    return client[0] if client else "unknown"


async def _read_body(scope: Scope, receive: Receive, limit: int) -> bytes | None:
    """The whole body, or None as soon as it is longer than `limit` (nothing more is read then)."""
    declared = dict(scope.get("headers") or []).get(b"content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        return None
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # after the body: the disconnect, when it comes

    return replay


async def _nothing_more() -> Message:
    return {"type": "http.disconnect"}
