"""The shared site: a Jinja2 environment over the packages' template directories, whose pages extend
`layout.html` (header with the service name and a LV/EN/RU/UK switch, main, footer) and use `/static/site.css`.

A package with pages of its own (the catalogue's too) passes its template directory first, so its templates are found before the shared
ones and may `{% extends "layout.html" %}`:

    env = template_environment([Path(__file__).parent / "templates"])
    html = render_page(env, "verify/result.html", lang=lang, url=str(request.url), verdict=...)

Templates get `lang`, `t(key, **params)` (the message catalogue in the page language), `language_links`,
`static(path)` and the filter `localised` (a catalogue text in the page language, or its English marked as such).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context, select_autoescape
from markupsafe import Markup, escape

from base.i18n import LANGUAGES, messages

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent / "static"
STATIC_URL = "/static"


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
