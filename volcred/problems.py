"""RFC 9457 problem details for every error the API returns."""

from __future__ import annotations

import logging
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from catalogue.i18n import Text, UserError, messages, normalise_language

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://volunteer-credentials.example/problems/"  # stable identifiers, not fetched

KIND_STATUS = {
    "invalid": 422,
    "not_found": 404,
    "conflict": 409,
    "forbidden": 403,
    "unauthorised": 401,
    "gone": 410,
    "too_large": 413,
    "too_many_requests": 429,
}


def request_language(request: Request) -> str:
    return normalise_language(request.query_params.get("lang") or request.headers.get("accept-language"))


def problem(request: Request, status: int, type_slug: str, title: str, detail: str | None = None,
            headers: dict | None = None, **extra) -> JSONResponse:
    body = {"type": PROBLEM_BASE + type_slug, "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body["instance"] = request.url.path
    body["request_id"] = getattr(request.state, "request_id", None) or request.scope.get("state", {}).get("request_id")
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _render_errors(errors: list[dict], lang: str) -> list[dict]:
    rendered = []
    for error in errors:
        item = dict(error)
        message = item.get("message")
        if isinstance(message, Text):
            item["message"] = message.in_language(lang)
            item["message_lv"], item["message_en"] = message.lv, message.en
        rendered.append(item)
    return rendered


def user_error_response(request: Request, exc: UserError) -> JSONResponse:
    lang = request_language(request)
    status = KIND_STATUS[exc.kind]
    title = messages().get(f"problem.{exc.kind}", lang)
    detail = messages().get(exc.key, lang, **exc.params)
    extra = {"code": exc.key}
    if exc.errors:
        extra["errors"] = _render_errors(exc.errors, lang)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    if status == 429:  # issuers.throttle.Throttled: when to try again
        headers = {"Retry-After": str(exc.params.get("seconds", 1))}
    return problem(request, status, exc.key.replace(".", "-").replace("_", "-"), title, detail, headers=headers,
                   **extra)


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(UserError)
    async def user_error(request: Request, exc: UserError):
        return user_error_response(request, exc)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        lang = request_language(request)
        errors = []
        for err in exc.errors():
            location = [str(p) for p in err.get("loc", ()) if p not in ("body",)]
            errors.append({"field": ".".join(location), "message": err.get("msg", ""), "type": err.get("type")})
        return problem(request, 422, "validation", messages().get("problem.invalid", lang),
                       messages().get("problem.validation_detail", lang), errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        lang = request_language(request)
        key = {404: "problem.not_found", 405: "problem.method_not_allowed", 401: "problem.unauthorised",
               403: "problem.forbidden"}.get(exc.status_code)
        title = messages().get(key, lang) if key else HTTPStatus(exc.status_code).phrase
        detail = exc.detail if isinstance(exc.detail, str) and exc.detail != HTTPStatus(exc.status_code).phrase else None
        return problem(request, exc.status_code, f"http-{exc.status_code}", title, detail,
                       headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception):
        log.exception("unhandled error: %s", type(exc).__name__)
        lang = request_language(request)
        return problem(request, 500, "internal", messages().get("problem.internal", lang),
                       messages().get("problem.internal_detail", lang))
