"""Retries of transient API failures (throttling ahead of published rate limits is in `limits`).

What is retried: answers 408, 429, 500, 502, 503 and 504, timeouts and dropped connections, while
the request is idempotent (GET, PUT, DELETE, and writes a provider marks idempotent, such as
upserts). A 429 and a connection that never opened are retried for every request: the server did
not do the work. Any other failure of a non-idempotent write is *ambiguous* (the work may have been
done) and is raised at once as `AmbiguousWriteError`, for the provider to resolve.

The backoff loop is stamina's (exponential with jitter); a server's `Retry-After` replaces the
exponential wait through stamina's backoff hook. Every request has a total time budget.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping

import httpx
import stamina

from reconciler.errors import ApiError
from reconciler.http.policy import RetryPolicy

# stamina logs each scheduled retry at WARNING; without a handler Python would print them bare on
# stderr. Applications that configure logging still receive them.
logging.getLogger("stamina").addHandler(logging.NullHandler())
log = logging.getLogger("reconciler.http")

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
TRANSIENT_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
# Failures after which the server cannot have done the work, whatever the method.
_NOT_PROCESSED_STATUSES = frozenset({429})
_NOT_SENT_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class TransientError(ApiError):
    """A failure worth retrying; `retry_after` is the server's requested wait in seconds, if it gave one."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        method: str = "",
        path: str = "",
        retry_after: float | None = None,
        processed: bool | None = None,
    ) -> None:
        super().__init__(message, status=status, method=method, path=path)
        self.retry_after = retry_after
        # False: the server surely did not do the work; None: it may have.
        self.processed = processed


class AmbiguousWriteError(ApiError):
    """A non-idempotent write failed in a way that leaves unknown whether it took effect."""


class RetriesExhausted(ApiError):
    """A request still failed when its time budget ran out."""


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """`Retry-After` in seconds (the delta form; an HTTP date is honoured too)."""
    value = headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        from email.utils import parsedate_to_datetime

        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def transient_answer(response: httpx.Response, message: str, method: str, path: str) -> TransientError | None:
    """The error to retry for this answer, or None when the answer is final."""
    if response.status_code not in TRANSIENT_STATUSES:
        return None
    return TransientError(
        message,
        status=response.status_code,
        method=method,
        path=path,
        retry_after=retry_after_seconds(response.headers),
        processed=False if response.status_code in _NOT_PROCESSED_STATUSES else None,
    )


def already_done(method: str, response: httpx.Response, may_have_landed: bool) -> bool:
    """A DELETE answered 404 after an earlier attempt may have landed: that attempt deleted it."""
    return method.upper() == "DELETE" and response.status_code == 404 and may_have_landed


def transport_failure(exc: httpx.TransportError, method: str, path: str) -> TransientError:
    if isinstance(exc, httpx.TimeoutException) and not isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout):
        message = "request timed out"
    else:
        message = f"connection failed ({type(exc).__name__})"
    processed = False if isinstance(exc, _NOT_SENT_ERRORS) else None
    return TransientError(message, method=method, path=path, processed=processed)


async def send_with_retries(
    send: Callable[[], Awaitable[httpx.Response]],
    *,
    policy: RetryPolicy,
    idempotent: bool,
    method: str,
    path: str,
    clock: Callable[[], float] = time.monotonic,
    on_retry: Callable[[TransientError], None] | None = None,
) -> httpx.Response:
    """Run `send` (which raises TransientError for retryable failures) until it succeeds or the budget ends.

    Non-transient errors pass through at once. An ambiguous failure of a non-idempotent request becomes
    AmbiguousWriteError; running out of time becomes RetriesExhausted naming the last failure.
    `on_retry` hears of each failure that will be retried (to say what a run is waiting for).
    """
    started = clock()
    deadline = started + policy.retry_for
    attempts = 1
    try:  # nearly every request succeeds at once: the retry machinery is entered only after a failure
        return await send()
    except TransientError as exc:
        first_failure: TransientError | None = exc

    def backoff(exc: Exception) -> bool | float:
        if not isinstance(exc, TransientError):
            return False
        if not idempotent and exc.processed is not False:
            return False
        left = deadline - clock()
        if exc.retry_after is not None:
            decision: bool | float = exc.retry_after if exc.retry_after <= left else False
        else:
            decision = left > 0
        if decision is not False and on_retry is not None:
            on_retry(exc)
        return decision

    try:
        async for attempt in stamina.retry_context(
            on=backoff,
            attempts=None if policy.retry_for > 0 else 1,  # a zero budget means: never retry
            timeout=policy.retry_for if policy.retry_for > 0 else None,
            wait_initial=policy.wait_initial,
            wait_max=policy.wait_max,
            wait_jitter=policy.wait_initial,
        ):
            with attempt:
                if first_failure is not None:  # stamina judges the failure of the attempt made above
                    failure, first_failure = first_failure, None
                    raise failure
                attempts += 1
                return await send()
    except TransientError as exc:
        if not idempotent and exc.processed is not False:
            raise AmbiguousWriteError(exc.api_message, status=exc.status, method=method, path=path) from exc
        elapsed = clock() - started
        asked = f"; the server asked to wait {exc.retry_after:g} s" if exc.retry_after else ""
        raise RetriesExhausted(
            f"{exc.api_message} (gave up after {attempts} attempt(s) in {elapsed:.1f} s{asked}; "
            f"retry_for is {policy.retry_for:g} s)",
            status=exc.status,
            method=method,
            path=path,
        ) from exc
    raise AssertionError("unreachable: stamina either returns, retries or raises")  # pragma: no cover
