"""E-mail templates: each package keeps its own in `<package>/templates/email/`, named `"<package>/<name>"`.

`render_email("issuers/password_reset", "lv", {...})` reads `issuers/templates/email/password_reset.txt` and
`password_reset.html` (the package is imported by its dotted name, e.g. `credentials.records/statement_returned`).
The `.txt` template extends `base/layout.txt` and fills the blocks `subject` (one line) and `body`; the `.html`
template extends `base/layout.html` and fills `body` (the layout prints the subject as the title). Templates get the
caller's context and `lang`, `t(key, **params)` (the message catalogues in the recipient's language),
`format_date(value, length="long")` and `format_number(value)`; every text in them comes from the catalogues.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from jinja2 import (
    BaseLoader,
    Environment,
    PackageLoader,
    StrictUndefined,
    Template,
    TemplateNotFound,
    pass_context,
    select_autoescape,
)

from base import i18n

EMAIL_TEMPLATE_DIR = "templates/email"


class PackageEmailLoader(BaseLoader):
    """Loads `"<package>/<file>"` from `<package>/templates/email/<file>` (Jinja2's PackageLoader per package)."""

    def __init__(self) -> None:
        self._packages: dict[str, PackageLoader] = {}

    def get_source(self, environment: Environment, template: str) -> tuple[str, str | None, Any]:
        package, _, name = template.partition("/")
        if not package or not name:
            raise TemplateNotFound(template)
        loader = self._packages.get(package)
        if loader is None:
            try:
                loader = PackageLoader(package, EMAIL_TEMPLATE_DIR)
            except (ImportError, ValueError):  # no such package, or it keeps no e-mail templates
                raise TemplateNotFound(template) from None
            self._packages[package] = loader
        return loader.get_source(environment, name)


@pass_context
def _t(context: Any, key: str, **params: object) -> str:
    return i18n.messages().get(key, context["lang"], **params)


@pass_context
def _format_date(context: Any, value: date, length: str = "long") -> str:
    return i18n.format_date(value, context["lang"], length)


@pass_context
def _format_number(context: Any, value: int | Decimal | float) -> str:
    return i18n.format_number(value, context["lang"])


def email_environment() -> Environment:
    env = Environment(
        loader=PackageEmailLoader(),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,  # templates are part of the release: no file system check on every message queued
    )
    env.globals.update(t=_t, format_date=_format_date, format_number=_format_number)
    return env


_environment: Environment | None = None


def environment() -> Environment:
    global _environment
    if _environment is None:
        _environment = email_environment()
    return _environment


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def _subject(template: Template, variables: dict[str, Any]) -> str:
    if "subject" not in template.blocks:
        raise ValueError(f"e-mail template {template.name!r} has no subject block")
    text = "".join(template.blocks["subject"](template.new_context(variables)))
    return " ".join(text.split())  # one line: a header cannot hold a line break


def render_email(template: str, language: str, context: dict[str, Any]) -> RenderedEmail:
    """Subject, plain text and HTML of `template` in `language` (an unknown language gives the default one)."""
    lang = i18n.normalise_language(language)
    env = environment()
    variables = {**context, "lang": lang}
    text_template = env.get_template(f"{template}.txt")
    subject = _subject(text_template, variables)
    text = text_template.render(variables)
    html = env.get_template(f"{template}.html").render({**variables, "subject": subject})
    return RenderedEmail(subject=subject, text=text, html=html)
