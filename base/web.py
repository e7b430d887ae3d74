"""The shared site: a Jinja2 environment over the packages' template directories, whose pages extend
`layout.html` (header with the service name and a LV/EN/RU/UK switch, main, footer) and use `/static/site.css`.

A package with pages of its own (the catalogue's too) passes its template directory first, so its templates are found before the shared
ones and may `{% extends "layout.html" %}`:

    env = template_environment([Path(__file__).parent / "templates"])
    html = render_page(env, "verify/result.html", lang=lang, url=str(request.url), verdict=...)

Templates get `lang`, `t(key, **params)` (the message catalogue in the page language), `language_links`,
`static(path)` and the filter `localised` (a catalogue text in the page language, or its English marked as such).
`page()` renders one for a request (with its CSRF token and a notice after a redirect) and `see_other()` is the
redirect after a form's write (POST, redirect, GET).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context, select_autoescape
from markupsafe import Markup, escape

from base.csrf import csrf_token
from base.errors import UserError
from base.i18n import LANGUAGES, Text, messages

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent / "static"
STATIC_URL = "/static"

PRIVATE_PAGE = {"Referrer-Policy": "same-origin", "Cache-Control": "private, no-store", "X-Robots-Tag": "noindex"}
"""Headers of a page that is one person's own or is opened by a secret link: out of shared caches and search engines,
and its address out of other sites' referrers. Not `no-referrer`: a browser then sends `Origin: null` with the
page's own forms, which the CSRF check (base.csrf) refuses."""


@pass_context
def _translate(context: Any, key: str, **params: object) -> str:
    return messages().get(key, context["lang"], **params)


@pass_context
def _localised(context: Any, value: Any) -> Markup:
    """`{{ entry.name|localised }}`: a data text (a catalogue label, which has `in_language` and `language_shown`) in
    the page language; where it has none yet (Russian or Ukrainian), its English in a span that says so (`lang`), for
    screen readers. Not for attributes, `<title>` or `<option>`, which take no markup: use `in_language` there."""
    lang = context["lang"]
    shown = value.language_shown(lang)
    text = value.in_language(lang)
    return escape(text) if shown == lang else Markup('<span lang="{}">{}</span>').format(shown, text)


def static_url(path: str) -> str:
    return f"{STATIC_URL}/{path.lstrip('/')}"


def template_environment(directories: Sequence[Path] = ()) -> Environment:
    """Templates from `directories` first, then the shared ones; HTML is autoescaped and undefined names fail loudly."""
    env = Environment(
        loader=FileSystemLoader([*map(str, directories), str(TEMPLATE_DIR)]),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(t=_translate, static=static_url)
    env.filters["localised"] = _localised
    return env


def language_links(url: str, lang: str) -> list[dict[str, Any]]:
    """One link per language to the same page: the path and query kept, only `lang` changed."""
    parts = urlsplit(url)
    query = [(key, value) for key, value in parse_qsl(parts.query, keep_blank_values=True) if key != "lang"]
    return [
        {
            "code": code,
            "label": messages().get("site.language_name", code),
            "href": f"{parts.path or '/'}?{urlencode([*query, ('lang', code)])}",
            "current": code == lang,
        }
        for code in LANGUAGES
    ]


def render_page(env: Environment, template: str, *, lang: str, url: str, **context: Any) -> str:
    """Render a page in `lang`; `url` is the current request's URL (for the language switch)."""
    return env.get_template(template).render(lang=lang, language_links=language_links(url, lang), **context)


NOTICE_PREFIX = "notice."


def _notice(request: Request, lang: str) -> str | None:
    """The message a redirect asked the next page to show (`?notice=notice.saved`): a key of the catalogues, never
    text from the URL, so a link cannot make the page say anything else."""
    key = request.query_params.get("notice", "")
    if not key.startswith(NOTICE_PREFIX) or key not in messages().texts:
        return None
    return messages().get(key, lang)


def page(
    request: Request, env: Environment, template: str, *, lang: str, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """A page for this request: `csrf_token` for its forms, `notice` from a redirect, the language switch."""
    context.setdefault("notice", _notice(request, lang))
    html = render_page(env, template, lang=lang, url=str(request.url), csrf_token=csrf_token(request), **context)
    return HTMLResponse(html, status_code=status_code)


def see_other(url: str, notice: str | None = None) -> RedirectResponse:
    """The answer to a form's successful write: 303 to the page that shows the result (a reload will not post
    again), optionally with a notice key for it to show."""
    if notice:
        url += ("&" if "?" in url else "?") + urlencode({"notice": notice})
    return RedirectResponse(url, status_code=303)


def error_message(error: UserError, lang: str) -> str:
    return messages().get(error.key, lang, **error.params)


def field_errors(error: UserError, lang: str) -> dict[str, str]:
    """The error's messages by form field, to show next to each field (a field the error names without a message of
    its own gets the error's message)."""
    shown: dict[str, str] = {}
    for item in error.errors:
        name = str(item.get("field") or "")
        if not name or name in shown:
            continue
        message = item.get("message")
        if isinstance(message, Text):
            shown[name] = message.in_language(lang)
        elif isinstance(message, str) and message:
            shown[name] = message
        else:
            shown[name] = error_message(error, lang)
    return shown
