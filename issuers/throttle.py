"""Per-client (and per-account) request throttling: one mechanism for every public endpoint that needs it.

A moving window per key, kept in the process's memory by the `limits` library. With several worker processes each
keeps its own windows, so a client gets up to that many times the rate: still a bound, and no shared store to run.
"""

from __future__ import annotations

import math
import time

from limits import parse_many
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from base.errors import UserError


class Throttled(UserError):
    """Too many requests from this client (or for this account): retry after `retry_after` seconds."""

    def __init__(self, key: str, retry_after: int):
        super().__init__(key, kind="too_many_requests", seconds=retry_after)
        self.retry_after = retry_after


class Throttle:
    """Named scopes, each with one or more rates (`"30/second;600/minute"`), counted per key (a client address,
    an account). `enabled=False` counts nothing (benchmarks offer hundreds of requests a second from one client)."""

    def __init__(self, rates: dict[str, str], enabled: bool = True):
        self.enabled = enabled
        self.rates = {scope: parse_many(value) for scope, value in rates.items()}
        self.limiter = MovingWindowRateLimiter(MemoryStorage())

    def hit(self, scope: str, key: str, message_key: str) -> None:
        """Counts one request of `key` in `scope`; raises `Throttled` when that exceeds a rate."""
        if not self.enabled:
            return
        for item in self.rates[scope]:
            if not self.limiter.hit(item, scope, key):
                raise Throttled(message_key, self._retry_after(item, scope, key))

    def check(self, scope: str, key: str, message_key: str) -> None:
        """Raises `Throttled` when `key` has used up a rate of `scope`, without counting this request."""
        if not self.enabled:
            return
        for item in self.rates[scope]:
            if not self.limiter.test(item, scope, key):
                raise Throttled(message_key, self._retry_after(item, scope, key))

    def _retry_after(self, item, scope: str, key: str) -> int:
        reset = self.limiter.get_window_stats(item, scope, key).reset_time
        return max(1, math.ceil(reset - time.time()))
