"""Published rate limits, met before they answer 429: requests in flight per target and the throttle.

`InFlightLimit`: at most the configured concurrency, and fewer while the API says its rate-limit
budget is running low (`X-RateLimit-Remaining`), back up once the budget is restored. Fewer requests
in flight spend what is left of a window more slowly, so a long plan or apply runs into the limit
later, or not at all, instead of bursting into 429s.

`RateLimitThrottle`: when the budget is all but spent, wait for the window to reset (within the
request's retry budget) rather than send a request the API would refuse.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any

from reconciler.http.retry import RetriesExhausted

log = logging.getLogger("reconciler.http")

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


class RateLimitThrottle:
    """Waits for the window to reset when `X-RateLimit-Remaining` runs low, instead of meeting a 429.

    APIs that do not send the headers are never throttled. Requests in flight are counted down locally,
    so concurrent requests do not all spend the last few slots.
    """

    def __init__(self, reserve: int = 1, clock: Callable[[], float] = time.monotonic) -> None:
        self.reserve = reserve
        self._clock = clock
        self._remaining: int | None = None
        self._reset_at = 0.0
        self._lock = asyncio.Lock()
        self.waited = 0.0

    def observe(self, headers: Mapping[str, str]) -> None:
        remaining = rate_limit_remaining(headers)
        try:
            reset_in = float(headers["X-RateLimit-Reset"])
        except (KeyError, ValueError):
            return
        if remaining is None:
            return
        reset_at = self._clock() + reset_in
        same_window = self._remaining is not None and abs(reset_at - self._reset_at) < 1.0
        # Answers arrive out of order: within one window the lowest count is the freshest.
        self._remaining = min(self._remaining, remaining) if same_window and self._remaining is not None else remaining
        self._reset_at = reset_at

    async def before_request(self, max_wait: float, method: str, path: str) -> None:
        async with self._lock:
            if self._remaining is not None and self._remaining <= self.reserve:
                wait = self._reset_at - self._clock()
                if wait > 0:
                    if wait > max_wait:
                        raise RetriesExhausted(
                            f"rate limit nearly spent and the window resets in {wait:.0f} s, "
                            "beyond this request's retry_for budget",
                            method=method,
                            path=path,
                        )
                    self.waited += wait
                    log.info("waiting %.0f s for a rate-limit window to reset before %s %s", wait, method, path)
                    await asyncio.sleep(wait)
                self._remaining = None  # a new window: the next answer tells the new count
            if self._remaining is not None:
                self._remaining -= 1
