"""Uploaded bytes -> a credential: one reader for the CLI, the public pages and the bulk check.

A file is either a credential as JSON (UTF-8, with or without a byte order mark) or a certificate PDF carrying the
signed credential as an attachment. Anything else is the user's to fix, said plainly (`UnreadableInput`).
"""

from __future__ import annotations

import json
from typing import Any

# A certificate is well under 1 MB; a credential JSON a few kB. Anything bigger is not one of ours.
MAX_FILE_BYTES = 5 * 1024 * 1024


class UnreadableInput(ValueError):
    """The bytes are neither a credential JSON nor a certificate PDF with an embedded credential."""


def is_pdf(data: bytes) -> bool:
    return data.lstrip()[:5] == b"%PDF-"


def credential_from_bytes(data: bytes) -> Any:
    """The credential in `data` (JSON text or a certificate PDF); raises `UnreadableInput` with the reason."""
    if len(data) > MAX_FILE_BYTES:
        raise UnreadableInput(f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
    if is_pdf(data):
        from credentials.certificate import EmbeddedCredentialError, extract_embedded_credential

        try:
            return extract_embedded_credential(data)
        except EmbeddedCredentialError as error:
            raise UnreadableInput(str(error)) from None
    return credential_from_text(_decode(data))


def credential_from_text(text: str) -> Any:
    if not text.strip():
        raise UnreadableInput("empty")
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise UnreadableInput(f"not JSON ({error.msg}, line {error.lineno})") from None


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UnreadableInput("neither a PDF nor UTF-8 text") from None
