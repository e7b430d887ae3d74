"""Refuses, before any endpoint sees it, request input no endpoint can take: a body larger than the service (or,
for public document endpoints, that address) accepts, and text with a NUL character (PostgreSQL cannot store one, and no name, date or identifier has one).

One place for every path: the URL path, the query parameters, and JSON and form bodies are checked here, so each
endpoint need not. Multipart uploads (files may hold NUL bytes) are only size-bounded here; their text reaches the
database through `refuse_nul_parameters` (volcred.db), and spreadsheet cells are checked row by row by the batches.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from base.errors import UserError
from base.i18n import messages
from volcred.problems import refusal

NUL = "\x00"
KB = 1024
# Uploads (bulk verification takes up to 20 MB, batches 10 MB) are spooled to disk by the multipart parser; other
# bodies are read into memory whole, so they get a much smaller bound (a real credential is under 20 KB).
MAX_UPLOAD_BYTES = 32 * 1024 * KB
MAX_BODY_BYTES = 5 * 1024 * KB
# Public endpoints that take documents anyone may send get tighter bounds; each document is bounded again once
# parsed (verify/limits.py). Real credentials are under 20 KB; a presentation carries a few; a certificate PDF is
# well under 1 MB (the pages accept files up to verify.inputs.MAX_FILE_BYTES), a bulk upload up to
# verify.bulk.MAX_UPLOAD_BYTES. Multipart bodies get a little room for their framing.
ROUTE_BODY_LIMITS: dict[tuple[str, str], int] = {
    ("POST", "/credentials/verify"): 256 * KB + 8 * KB,  # a document, and room for options
    ("POST", "/presentations/verify"): 1024 * KB,
    ("POST", "/verify"): 5 * 1024 * KB + 64 * KB,
    ("POST", "/verify/bulk"): 20 * 1024 * KB + 64 * KB,
    ("POST", "/auth/login"): 16 * KB,
    ("POST", "/oid4vci/token"): 16 * KB,  # wallets: each bounded again (credentials.wallet.offers)
    ("POST", "/oid4vci/credential"): 64 * KB,
}
# Bodies read whole and checked for NUL; no content type at all is read as JSON by FastAPI, so it is checked too.
CHECKED_TYPES = ("application/json", "application/x-www-form-urlencoded", "")


class BodyTooLarge(Exception):
    pass


def nul_error(fields: list[str]) -> UserError:
    return UserError(
        "request.nul_character",
        errors=[{"field": name, "message": messages().text("request.nul_character_field")} for name in fields],
    )


def too_large_error(limit: int) -> UserError:
    return UserError("request.too_large", kind="too_large", kilobytes=limit // KB)


def nul_fields_in_json(document) -> list[str]:
    """Where a parsed JSON document has a NUL in a key or a string, as `a.b.0` paths (iteratively: no depth limit)."""
    found: list[str] = []
    stack: list[tuple[str, object]] = [("", document)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            if NUL in value:
                found.append(path or "body")
        elif isinstance(value, dict):
            for key, item in value.items():
                name = f"{path}.{key}" if path else str(key)
                if NUL in key:
                    found.append(name.replace(NUL, "\\u0000"))
                else:
                    stack.append((name, item))
        elif isinstance(value, list):
            stack.extend((f"{path}.{index}" if path else str(index), item) for index, item in enumerate(value))
    return sorted(found)


def nul_fields_in_pairs(pairs: list[tuple[str, str]]) -> list[str]:
    return sorted({name.replace(NUL, "\\u0000") for name, value in pairs if NUL in name or NUL in value})


def nul_fields_in_body(content_type: str, body: bytes) -> list[str]:
    if content_type == "application/x-www-form-urlencoded":
        if b"%00" not in body and b"\x00" not in body:
            return []
        return nul_fields_in_pairs(parse_qsl(body.decode("latin-1"), keep_blank_values=True))
    # JSON can only spell a NUL as the escape \u0000 (a raw one is invalid JSON): parse only when that is present.
    if b"\\u0000" not in body:
        return []
    try:
        return nul_fields_in_json(json.loads(body))
    except (ValueError, RecursionError):
        return []  # not JSON: the endpoint says so


def _media_type(scope: Scope) -> str:
    for name, value in scope.get("headers") or ():
        if name == b"content-type":
            media_type = value.decode("latin-1").split(";", 1)[0].strip().lower()
            return "application/json" if media_type.endswith("+json") else media_type
    return ""


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers") or ():
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class RequestGuardMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        fields = ["path"] if NUL in scope["path"] else []
        fields += nul_fields_in_pairs(
            parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        )
        if fields:
            await self._refuse(scope, receive, send, nul_error(fields))
            return
        media_type = _media_type(scope)
        limit = ROUTE_BODY_LIMITS.get((scope.get("method", ""), scope["path"])) or (
            MAX_UPLOAD_BYTES if media_type.startswith("multipart/") else MAX_BODY_BYTES
        )
        length = _content_length(scope)
        if length is not None and length > limit:
            await self._refuse(scope, receive, send, too_large_error(limit))
            return
        if media_type in CHECKED_TYPES:
            await self._checked_body(scope, receive, send, media_type, limit)
        else:
            await self._counted_body(scope, receive, send, limit)

    async def _checked_body(self, scope: Scope, receive: Receive, send: Send, media_type: str, limit: int) -> None:
        """Reads the (small) body whole, refuses it if it holds a NUL, else hands it on as it came."""
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client left
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await self._refuse(scope, receive, send, too_large_error(limit))
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        fields = nul_fields_in_body(media_type, body)
        if fields:
            await self._refuse(scope, receive, send, nul_error(fields))
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _counted_body(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        """Streams the body on, counting it (a client need not send Content-Length): past the limit, the request
        fails and the response, whatever the endpoint made of the broken body, is a 413."""
        size, exceeded, started = 0, False, False

        async def counting() -> Message:
            nonlocal size, exceeded
            message = await receive()
            if message["type"] == "http.request":
                size += len(message.get("body", b""))
                if size > limit:
                    exceeded = True
                    raise BodyTooLarge()
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if exceeded:
                if message["type"] == "http.response.start" and not started:
                    started = True
                    await refusal(Request(scope), too_large_error(limit))(scope, receive, send)
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting, guarded_send)
        except BodyTooLarge:
            if not started:
                await self._refuse(scope, receive, send, too_large_error(limit))

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, error: UserError) -> None:
        await refusal(Request(scope), error)(scope, receive, send)
