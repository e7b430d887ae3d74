"""Uploaded bytes -> a credential: one reader for the CLI, the public pages and the bulk check.

A file is either a credential as JSON (UTF-8, with or without a byte order mark) or a certificate PDF carrying the
signed credential as an attachment. Anything else is the user's to fix, said plainly (`UnreadableInput`).
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit

from base.i18n import Text, messages
from verify.limits import MAX_DEPTH, OutOfBounds, admit

# A certificate is well under 1 MB; a credential JSON a few kB. Anything bigger is not one of ours.
MAX_FILE_BYTES = 5 * 1024 * 1024


class UnreadableInput(ValueError):
    """The bytes are neither a credential JSON nor a certificate PDF with an embedded credential (or what they
    hold is out of the bounds of `verify.limits`: then `text` says so in both languages)."""

    def __init__(self, detail: str, text: Text | None = None):
        super().__init__(detail)
        self.text = text

    def in_language(self, lang: str) -> str:
        return self.text.in_language(lang) if self.text else str(self)


def is_pdf(data: bytes) -> bool:
    return data.lstrip()[:5] == b"%PDF-"


def credential_from_bytes(data: bytes) -> Any:
    """The credential in `data` (JSON text or a certificate PDF); raises `UnreadableInput` with the reason."""
    if len(data) > MAX_FILE_BYTES:
        raise UnreadableInput(f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
    if is_pdf(data):
        return bounded(credential_from_pdf(data))
    return credential_from_text(_decode(data))


def credential_from_pdf(data: bytes) -> Any:
    from pypdf.errors import PyPdfError

    from credentials.certificates.render import EmbeddedCredentialError, extract_embedded_credential

    try:
        return extract_embedded_credential(data)
    except EmbeddedCredentialError as error:
        raise UnreadableInput(str(error)) from None
    except PyPdfError as error:  # e.g. LimitReachedError: an attachment that inflates beyond pypdf's limit
        raise UnreadableInput(
            f"not a readable PDF: {type(error).__name__}", messages().text("verify.input.unreadable_pdf")
        ) from None
    except RecursionError:  # the attachment's JSON is nested deeper than the parser goes
        raise _out_of_bounds(OutOfBounds("verify.bounds.too_deep", limit=MAX_DEPTH)) from None


def credential_from_text(text: str) -> Any:
    if not text.strip():
        raise UnreadableInput("empty")
    return bounded(parse_json(text))


def parse_json(text: str) -> Any:
    """JSON text -> value; nesting beyond the parser's recursion limit is refused like any other bound."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise UnreadableInput(f"not JSON ({error.msg}, line {error.lineno})") from None
    except RecursionError:
        raise _out_of_bounds(OutOfBounds("verify.bounds.too_deep", limit=MAX_DEPTH)) from None


def bounded(document: Any) -> Any:
    """`document` if it is within the bounds of `verify.limits` (shape and work); else `UnreadableInput`."""
    try:
        admit(document)
    except OutOfBounds as error:
        raise _out_of_bounds(error) from None
    return document


def _out_of_bounds(error: OutOfBounds) -> UnreadableInput:
    return UnreadableInput(error.text.en, error.text)


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UnreadableInput("neither a PDF nor UTF-8 text") from None


# --- a credential named rather than given: a verification link or an id ----------------------------------------------

_LINK_PATH = re.compile(r"/(?:v|credentials)/([A-Za-z0-9-]+?)(?:\.json|\.pdf)?/?$")
BARE_ID = re.compile(r"^[A-Za-z0-9-]{8,}$")


def credential_id_in(reference: str, base_url: str) -> str | None:
    """The credential id a verification link (`/v/{id}`) or credential URL of this service names; a bare id is
    taken as is. A link to another site names nothing here (verification never fetches)."""
    reference = reference.strip()
    if BARE_ID.match(reference):
        return reference
    link, base = _as_url(reference), urlsplit(base_url.rstrip("/"))
    if link is None or link.netloc.lower() != base.netloc.lower() or not link.path.startswith(base.path + "/"):
        return None
    match = _LINK_PATH.search(link.path[len(base.path) :])
    return match[1] if match else None


def link_host(text: str) -> str | None:
    """The host a pasted web address points at, or None when `text` is not a web address."""
    link = _as_url(text.strip())
    return link.netloc if link else None


def _as_url(text: str):
    """`text` as a web address (the scheme may be left out, as people copy links), or None."""
    if not text or any(c.isspace() for c in text) or text.startswith(("{", "[")):
        return None
    link = urlsplit(text if "://" in text else "//" + text)
    if link.scheme not in ("", "http", "https") or "." not in link.netloc and ":" not in link.netloc:
        return None
    return link


def why_unreadable(data: bytes) -> tuple[str, dict]:
    """Why `data`, which `credential_from_bytes` refused, is no credential, as a message key and its parameters
    (for a person: what the file is and what to give instead; the reader's own reason is technical)."""
    if len(data) > MAX_FILE_BYTES:
        return "verify.input.too_large", {"mb": MAX_FILE_BYTES // (1024 * 1024)}
    if is_pdf(data):
        return "verify.input.pdf_without_credential", {}
    try:
        data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return "verify.input.not_text", {}
    return "verify.input.not_a_credential_file", {}
