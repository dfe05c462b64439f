"""Requests in flight: bounded by the configured concurrency, lowered while a rate-limit budget runs low;
the throttle that waits for a window to reset."""

from __future__ import annotations

import asyncio

import pytest

from reconciler.http.limits import REQUESTS_PER_SLOT, InFlightLimit, RateLimitThrottle, allowed_in_flight
from reconciler.http.retry import RetriesExhausted


@pytest.mark.parametrize(
    ("remaining", "expected"),
    [
        (None, 16),  # no rate-limit headers: the configured value
        ("not a number", 16),
        ("100000", 16),
        (str(16 * REQUESTS_PER_SLOT), 16),
        (str(8 * REQUESTS_PER_SLOT), 8),
        (str(REQUESTS_PER_SLOT - 1), 1),
        ("0", 1),  # never zero: the request that hits the limit gets the API's 429 and its Retry-After
    ],
)
def test_allowed_in_flight_follows_the_remaining_budget(remaining: str | None, expected: int) -> None:
    headers = {} if remaining is None else {"X-RateLimit-Remaining": remaining}
    assert allowed_in_flight(16, headers) == expected


async def _peak_in_flight(limit: InFlightLimit, tasks: int, headers_after: dict[str, str] | None = None) -> int:
    peak = 0

    async def request(index: int) -> None:
        nonlocal peak
        async with limit:
            peak = max(peak, limit.in_flight)
            await asyncio.sleep(0.001)
            if headers_after is not None and index == 0:
                limit.observe(headers_after)

    await asyncio.gather(*(request(i) for i in range(tasks)))
    return peak


def test_never_more_in_flight_than_configured() -> None:
    limit = InFlightLimit(4)
    assert asyncio.run(_peak_in_flight(limit, 50)) == 4
    assert limit.in_flight == 0


def test_a_low_budget_lowers_the_limit_and_a_restored_one_raises_it() -> None:
    limit = InFlightLimit(8)
    low = {"X-RateLimit-Remaining": str(2 * REQUESTS_PER_SLOT)}

    async def scenario() -> tuple[int, int]:
        await _peak_in_flight(limit, 20, headers_after=low)
        lowered = await _peak_in_flight(limit, 20)
        limit.observe({"X-RateLimit-Remaining": "5000"})
        restored = await _peak_in_flight(limit, 20)
        return lowered, restored

    lowered, restored = asyncio.run(scenario())
    assert (limit.limit, lowered, restored) == (8, 2, 8)


def test_a_cancelled_waiter_gives_its_slot_back() -> None:
    async def scenario() -> int:
        limit = InFlightLimit(1)
        async with limit:
            waiter = asyncio.ensure_future(limit.__aenter__())
            await asyncio.sleep(0)
            waiter.cancel()
            with pytest.raises(asyncio.CancelledError):
                await waiter
        async with limit:  # the slot is free again
            return limit.in_flight

    assert asyncio.run(scenario()) == 1


def test_the_throttle_counts_requests_in_flight() -> None:
    now = [0.0]
    throttle = RateLimitThrottle(reserve=1, clock=lambda: now[0])
    throttle.observe({"X-RateLimit-Remaining": "3", "X-RateLimit-Reset": "0"})

    async def go() -> None:
        for _ in range(2):  # 3 -> 2 -> 1 without waiting: the reset is now, so no sleep is needed
            await throttle.before_request(10, "GET", "/")

    asyncio.run(go())
    assert throttle.waited == 0
    throttle.observe({"X-RateLimit-Remaining": "1", "X-RateLimit-Reset": "100"})
    with pytest.raises(RetriesExhausted, match="window resets in 100 s"):
        asyncio.run(throttle.before_request(10, "GET", "/"))


def test_out_of_order_answers_keep_the_lowest_count_of_a_window() -> None:
    throttle = RateLimitThrottle(clock=lambda: 0.0)
    throttle.observe({"X-RateLimit-Remaining": "4", "X-RateLimit-Reset": "10"})
    throttle.observe({"X-RateLimit-Remaining": "7", "X-RateLimit-Reset": "10"})
    assert throttle._remaining == 4
    throttle.observe({"X-RateLimit-Remaining": "99", "X-RateLimit-Reset": "60"})  # a new window
    assert throttle._remaining == 99
