"""Public endpoints throttled before any endpoint code runs: requests per client address.

Anyone may post a document to verify, and verification costs CPU. Each throttled route has a scope (requests per
client address, `issuers.throttle`); a refusal is a 429 problem+json with Retry-After, sent before the body is read.
The size of each body is bounded by `volcred.request_guard`.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from issuers.throttle import Throttle, Throttled
from volcred.problems import refusal

THROTTLED_ROUTES: dict[tuple[str, str], str] = {
    ("POST", "/credentials/verify"): "verify",
    ("POST", "/presentations/verify"): "verify",
    ("POST", "/verify"): "verify",
    ("POST", "/verify/bulk"): "bulk",
    ("POST", "/auth/login"): "login_client",
    ("POST", "/login"): "login_client",
    ("POST", "/password/forgot"): "login_client",
    ("POST", "/login/link"): "login_client",
    ("POST", "/register"): "login_client",
}


def throttle_rates(settings) -> dict[str, str]:
    return {
        "verify": settings.verify_rate_limit,
        "bulk": settings.bulk_rate_limit,
        "login_client": settings.login_client_rate_limit,
        "login_account": settings.login_account_rate_limit,
        "claim": settings.claim_rate_limit,
    }


class PublicLimitsMiddleware:
    def __init__(self, app: ASGIApp, throttle: Throttle) -> None:
        self.app = app
        self.throttle = throttle

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        throttle_scope = (
            THROTTLED_ROUTES.get((scope.get("method", ""), scope.get("path", ""))) if scope["type"] == "http" else None
        )
        if throttle_scope is not None:
            try:
                self.throttle.hit(throttle_scope, client_address(scope), "request.too_many")
            except Throttled as error:
                await refusal(Request(scope), error)(scope, _nothing_more, send)
                return
        await self.app(scope, receive, send)


def client_address(scope: Scope) -> str:
    """The peer's address (uvicorn puts a trusted proxy's X-Forwarded-For there when told to trust it)."""
    client = scope.get("client")
    return client[0] if client else "unknown"


async def _nothing_more() -> Message:
    return {"type": "http.disconnect"}
