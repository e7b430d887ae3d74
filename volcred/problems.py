"""RFC 9457 problem details for every error the API returns."""

from __future__ import annotations

import logging
from functools import lru_cache
from http import HTTPStatus
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from base.errors import UserError
from base.i18n import Text, messages, normalise_language
from base.web import page, template_environment

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


def problem(
    request: Request,
    status: int,
    type_slug: str,
    title: str,
    detail: str | None = None,
    headers: dict | None = None,
    **extra,
) -> JSONResponse:
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
    return problem(
        request, status, exc.key.replace(".", "-").replace("_", "-"), title, detail, headers=headers, **extra
    )


# pydantic's error types -> (message key, the context entry its limit is in). pydantic's own texts are English only.
VALIDATION_MESSAGES: dict[str, tuple[str, str | None]] = {
    "missing": ("validation.missing", None),
    "missing_argument": ("validation.missing", None),
    "string_type": ("validation.text", None),
    "string_unicode": ("validation.text", None),
    "int_type": ("validation.whole_number", None),
    "int_parsing": ("validation.whole_number", None),
    "int_from_float": ("validation.whole_number", None),
    "float_type": ("validation.number", None),
    "float_parsing": ("validation.number", None),
    "decimal_type": ("validation.number", None),
    "decimal_parsing": ("validation.number", None),
    "finite_number": ("validation.number", None),
    "bool_type": ("validation.boolean", None),
    "bool_parsing": ("validation.boolean", None),
    "date_type": ("validation.date", None),
    "date_parsing": ("validation.date", None),
    "date_from_datetime_parsing": ("validation.date", None),
    "date_from_datetime_inexact": ("validation.date", None),
    "datetime_type": ("validation.datetime", None),
    "datetime_parsing": ("validation.datetime", None),
    "datetime_from_date_parsing": ("validation.datetime", None),
    "timezone_aware": ("validation.datetime", None),
    "string_too_short": ("validation.text_too_short", "min_length"),
    "string_too_long": ("validation.text_too_long", "max_length"),
    "too_short": ("validation.too_few_items", "min_length"),
    "too_long": ("validation.too_many_items", "max_length"),
    "greater_than": ("validation.greater_than", "gt"),
    "greater_than_equal": ("validation.at_least", "ge"),
    "less_than": ("validation.less_than", "lt"),
    "less_than_equal": ("validation.at_most", "le"),
    "literal_error": ("validation.one_of", "expected"),
    "enum": ("validation.one_of", "expected"),
    "extra_forbidden": ("validation.not_allowed", None),
    "dict_type": ("validation.object", None),
    "model_type": ("validation.object", None),
    "model_attributes_type": ("validation.object", None),
    "list_type": ("validation.list", None),
    "json_invalid": ("validation.json", None),
    "json_type": ("validation.json", None),
    "string_pattern_mismatch": ("validation.pattern", None),
    "url_type": ("validation.url", None),
    "url_parsing": ("validation.url", None),
    "url_scheme": ("validation.url", None),
    "uuid_type": ("validation.uuid", None),
    "uuid_parsing": ("validation.uuid", None),
}


def validation_message(error: dict) -> Text:
    """One pydantic error as a message of our catalogues, in both languages (anything unforeseen: "invalid")."""
    key, limit_name = VALIDATION_MESSAGES.get(error.get("type", ""), ("validation.invalid", None))
    if limit_name is None:
        return messages().text(key)
    limit = (error.get("ctx") or {}).get(limit_name, "")
    if limit_name == "expected":  # "'lv' or 'en'": the one English word goes
        return messages().text(key, allowed=str(limit).replace(" or ", ", "))
    return messages().text(key, limit=limit)


@lru_cache(maxsize=1)
def _page_templates():
    return template_environment()


def error_page(request: Request, error: UserError) -> HTMLResponse:
    """The error as a page a person can read, in the page's language."""
    lang = request_language(request)
    return page(
        request,
        _page_templates(),
        "error.html",
        lang=lang,
        status_code=KIND_STATUS[error.kind],
        title=messages().get(f"problem.{error.kind}", lang),
        detail=messages().get(error.key, lang, **error.params),
        back_href=None,
    )


def refusal(request: Request, error: UserError):
    """problem+json for the API; a readable page for a person whose browser asked for one."""
    accept = request.headers.get("accept", "")
    if "text/html" not in accept or "json" in accept:
        return user_error_response(request, error)
    return error_page(request, error)


def is_page(request: Request) -> bool:
    """Whether the request reached one of the HTML pages (their routers are left out of the OpenAPI description)."""
    route = request.scope.get("route")
    return route is not None and getattr(route, "include_in_schema", True) is False


def sign_in_redirect(request: Request) -> RedirectResponse:
    """To the sign-in page, which comes back here afterwards (a GET; a form's post is not repeated)."""
    back = request.url.path
    if request.method == "GET" and request.url.query:
        back += f"?{request.url.query}"
    return RedirectResponse("/login?" + urlencode({"next": back}), status_code=303)


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(UserError)
    async def user_error(request: Request, exc: UserError):
        if is_page(request):
            if exc.kind == "unauthorised":
                return sign_in_redirect(request)
            return error_page(request, exc)
        return user_error_response(request, exc)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        lang = request_language(request)
        errors = []
        for err in exc.errors():
            location = [str(p) for p in err.get("loc", ()) if p not in ("body",)]
            message = validation_message(err)
            errors.append(
                {
                    "field": ".".join(location),
                    "message": message.in_language(lang),
                    "message_lv": message.lv,
                    "message_en": message.en,
                    "type": err.get("type"),
                }
            )
        return problem(
            request,
            422,
            "validation",
            messages().get("problem.invalid", lang),
            messages().get("problem.validation_detail", lang),
            errors=errors,
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        lang = request_language(request)
        key = {
            404: "problem.not_found",
            405: "problem.method_not_allowed",
            401: "problem.unauthorised",
            403: "problem.forbidden",
        }.get(exc.status_code)
        title = messages().get(key, lang) if key else HTTPStatus(exc.status_code).phrase
        detail = (
            exc.detail if isinstance(exc.detail, str) and exc.detail != HTTPStatus(exc.status_code).phrase else None
        )
        return problem(
            request, exc.status_code, f"http-{exc.status_code}", title, detail, headers=getattr(exc, "headers", None)
        )

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception):
        log.exception("unhandled error: %s", type(exc).__name__)
        lang = request_language(request)
        return problem(
            request,
            500,
            "internal",
            messages().get("problem.internal", lang),
            messages().get("problem.internal_detail", lang),
        )
