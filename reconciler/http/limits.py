"""Requests in flight per target: at most the configured concurrency, and fewer while the API says its
rate-limit budget is running low (`X-RateLimit-Remaining`), back up once the budget is restored.

Fewer requests in flight spend what is left of a window more slowly, so a long plan or apply runs
into the limit later, or not at all, instead of bursting into 429s.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Mapping
from typing import Any

REMAINING_HEADER = "X-RateLimit-Remaining"
# Lowering starts when fewer than this many requests per slot remain in the window.
REQUESTS_PER_SLOT = 10


def rate_limit_remaining(headers: Mapping[str, str]) -> int | None:
    """Requests left in the rate-limit window, or None when the answer does not say."""
    try:
        return int(headers[REMAINING_HEADER])
    except (KeyError, ValueError):
        return None


def allowed_in_flight(configured: int, headers: Mapping[str, str]) -> int:
    """How many requests may be in flight after an answer with these headers (at least 1)."""
    left = rate_limit_remaining(headers)
    if left is None:
        return configured
    return max(1, min(configured, left // REQUESTS_PER_SLOT))


class InFlightLimit:
    """A semaphore whose size can change while requests wait (`async with limit:` around a request)."""

    def __init__(self, configured: int) -> None:
        self.configured = configured
        self.limit = configured
        self.in_flight = 0
        self._waiters: deque[asyncio.Future[None]] = deque()

    async def __aenter__(self) -> None:
        while self.in_flight >= self.limit:
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                await waiter
            except asyncio.CancelledError:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)
                else:
                    self._wake()  # it had been woken: pass the free slot on
                raise
        self.in_flight += 1

    async def __aexit__(self, *exc: Any) -> None:
        self.in_flight -= 1
        self._wake()

    def observe(self, headers: Mapping[str, str]) -> None:
        """Adjust to the rate-limit budget an answer reports."""
        self.limit = allowed_in_flight(self.configured, headers)
        self._wake()

    def _wake(self) -> None:
        free = self.limit - self.in_flight
        while free > 0 and self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                free -= 1
