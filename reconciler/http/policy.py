"""How patiently requests are retried: the one place with the defaults.

Apart from the retry loop (retry.py), so that reading the config needs no HTTP library.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RetryPolicy:
    """How long and how patiently one request is retried (per target: `retry_for` and the waits)."""

    retry_for: float = 60.0  # total seconds one request may take, retries and waits included
    wait_initial: float = 0.2  # first exponential wait; later ones double, plus up to this much jitter
    wait_max: float = 10.0
    throttle_reserve: int = 1  # requests kept in hand below the rate limit: wait for the reset at this many
