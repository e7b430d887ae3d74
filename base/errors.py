"""The error a user caused and can fix, shared by every package and mapped once per adapter (HTTP, CLI)."""

from __future__ import annotations

from typing import Any


class UserError(Exception):
    """An error a user caused and can fix, carrying a message key rather than a text.

    `kind` says what went wrong in domain terms; the HTTP adapter maps it to a status, the CLI to an exit code.
    `errors` may list field-level problems: dicts with at least `field` and `message` (a `Text`).
    """

    kinds = ("invalid", "not_found", "conflict", "forbidden", "unauthorised", "gone", "too_large", "too_many_requests")

    def __init__(self, key: str, kind: str = "invalid", errors: list[dict[str, Any]] | None = None, **params: object):
        if kind not in self.kinds:
            raise ValueError(f"unknown error kind {kind!r}")
        super().__init__(key)
        self.key = key
        self.kind = kind
        self.params = params
        self.errors = errors or []
