"""The one async HTTP layer every provider talks through: bounded concurrency, auth, error mapping.

Secrets live only in request headers built here; they never reach messages, logs or plans. Errors
name the host they come from. Each request is logged at DEBUG (method, host, path, status, time,
retry: never a header, body or query string); a host that keeps failing is reported at INFO while
its requests are retried, so a long wait always says what it waits for.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable, Mapping
from json import JSONEncoder
from typing import Any, Protocol
from urllib.parse import urlencode

import httpx

from reconciler.errors import ApiError
from reconciler.http.answers import T, bare_answer, parse_answer
from reconciler.http.holding import HOLD_ANSWERS
from reconciler.http.limits import InFlightLimit, RateLimitThrottle
from reconciler.http.pool import Origin, PooledTransport, UnknownHost, origin_of
from reconciler.http.retry import (
    IDEMPOTENT_METHODS,
    RetryPolicy,
    TransientError,
    already_done,
    send_with_retries,
    transient_answer,
    transport_failure,
)
from reconciler.safetext import escape_controls, register_secrets

log = logging.getLogger("reconciler.http")
# A request failing for this long, or waiting this long for an answer, gets a notice; then at most one
# notice per host every NOTICE_EVERY_S.
NOTICE_AFTER_S = 2.0
SLOW_AFTER_S = 10.0
NOTICE_EVERY_S = 10.0
# The least time an attempt gets once retries have nearly used up `retry_for` (never more than `timeout`).
MIN_ATTEMPT_S = 1.0
# A base URL of a host (no user-info), an optional port and a path, and a path of characters URLs
# carry as they are: a request to such a URL is written straight to the pooled transport, as httpx
# would write it (see `ApiClient._direct_request`).
_PLAIN_BASE = re.compile(r"https?://[^/?#@\s]+(?P<path>/[^?#]*)?")
_PLAIN_PATH = re.compile(r"/[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*")
MAX_URL_LENGTH = 65536  # httpx refuses longer URLs: those still go through it, to fail as they did
_OWN_HEADERS = ("Host", "Content-Length", "Content-Type", "Transfer-Encoding")  # given: httpx builds it
_json_body = JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode  # as httpx's json=
_JSON_TYPE = (b"Content-Type", b"application/json")


def _plain_path(path: str) -> bool:
    return _PLAIN_PATH.fullmatch(path) is not None and "/." not in path


class Authenticator(Protocol):
    """Supplies auth headers; may be asked to drop cached credentials after a 401.

    An authenticator that must ask the API for credentials (an OAuth token) does it through
    `client.exchange_credentials`, so that request is counted and its errors read like any other's.
    """

    async def headers(self, client: ApiClient) -> dict[str, str]: ...

    def invalidate(self, used: Mapping[str, str]) -> bool:
        """Forget the credentials sent in `used`; True when asking again may succeed (a token can be refetched)."""
        ...


class BearerKey:
    """A static API key sent as `Authorization: Bearer <key>` (Primo, ViziVault)."""

    def __init__(self, key: str, extra_headers: dict[str, str] | None = None) -> None:
        self._headers = {"Authorization": f"Bearer {key}", **(extra_headers or {})}

    async def headers(self, client: ApiClient) -> dict[str, str]:
        return self._headers

    def invalidate(self, used: Mapping[str, str]) -> bool:
        return False

    def __repr__(self) -> str:
        return "BearerKey(<redacted>)"


def error_message(response: httpx.Response) -> str:
    """The vendor's own words from an error body, whatever its shape, with control characters escaped."""
    return escape_controls(_error_words(response))


def _error_words(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        text = " ".join(response.text.split())  # one line: an error page's layout means nothing in a message
        return text[:300] if text else response.reason_phrase
    if isinstance(body, dict):
        details = body.get("errors")
        message = body.get("message")
        if isinstance(body.get("status"), dict):  # OneLogin token errors nest it
            message = body["status"].get("message", message)
        if isinstance(details, list) and details:
            parts = []
            for item in details:
                if isinstance(item, dict):
                    msgs = item.get("message")
                    text = "; ".join(map(str, msgs)) if isinstance(msgs, list) else str(msgs)
                    parts.append(f"{item.get('field', '')}: {text}".strip(": "))
            if parts:
                return f"{message or 'Validation failed'}: " + "; ".join(parts)
        if message:
            return str(message)
    return " ".join(str(body).split())[:300]


def answer_failure(response: httpx.Response, method: str, path: str) -> ApiError:
    """The error an unsuccessful answer raises: a TransientError when it is worth retrying."""
    message = error_message(response)
    return transient_answer(response, message, method, path) or ApiError(
        message, status=response.status_code, method=method, path=path
    )


def _as_is(answer: Any) -> Any:
    return answer


class ApiClient:
    """httpx.AsyncClient for one target, at most `concurrency` requests in flight."""

    def __init__(
        self,
        base_url: str,
        authenticator: Authenticator,
        *,
        concurrency: int = 8,
        timeout: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        url = httpx.URL(self.base_url)
        # Host and port only: a URL's user-info could hold a secret, and never reaches a message.
        self.host = url.host if url.port is None else f"{url.host}:{url.port}"
        self._base_path = url.path.rstrip("/")
        self._last_notice = -NOTICE_EVERY_S
        self.authenticator = authenticator
        self.retry = retry or RetryPolicy()
        self.throttle = RateLimitThrottle(self.retry.throttle_reserve)
        self.in_flight = InFlightLimit(concurrency)  # lowered while a rate-limit budget runs low
        self.concurrency = concurrency
        self.requests_sent = 0
        self.transport = transport or PooledTransport(concurrency)
        self.timeout = timeout
        self._timeouts = httpx.Timeout(timeout).as_dict()
        # Building an httpx Request parses its URL again (a third of a read's CPU in the client): requests
        # to a plain base URL go to the pooled transport as their parts, parsed here once.
        plain = _PLAIN_BASE.fullmatch(self.base_url)
        self._direct: tuple[PooledTransport, Origin, bytes, str] | None = None
        if isinstance(self.transport, PooledTransport) and plain and _plain_path(plain["path"] or "/"):
            self._direct = (self.transport, origin_of(url), url.netloc, plain["path"] or "")
        # Requests go to the transport directly: httpx's client layers (URL merging, a cookie jar, auth
        # and redirect flows, event hooks) cost more CPU per request than the transport itself, and an
        # API client wants none of them. An authenticator's own calls (OneLogin's token) go the same way.

    async def aclose(self) -> None:
        await self.transport.aclose()

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        idempotent: bool | None = None,
    ) -> httpx.Response:
        """Send one request, retried while transient (see `retrying`); final failures raise ApiError.

        `idempotent` defaults from the method; a provider marks its upsert POSTs idempotent.
        """
        where = self.where(path)
        reauthenticated = False
        may_have_landed = False  # an earlier attempt failed after the server may have acted on it
        attempts = 0
        started = time.monotonic()

        def limit() -> float:
            # `timeout` covers one attempt's whole answer, however slowly it trickles in; with retries,
            # no attempt runs much past the request's budget either (`retry_for` bounds the request). An
            # attempt started just before the budget ends still gets a second, to fail for its own reason.
            if self.retry.retry_for <= 0:
                return self.timeout
            left = started + self.retry.retry_for - time.monotonic()
            return min(self.timeout, max(left, MIN_ATTEMPT_S))

        async def attempt() -> httpx.Response:
            nonlocal reauthenticated, may_have_landed, attempts
            attempts += 1
            try:
                response, used = await self._send_once(
                    method, path, params=params, json=json, retry=attempts - 1, limit=limit()
                )
            except TransientError as exc:
                may_have_landed |= exc.processed is not False
                raise
            if response.status_code == 401 and not reauthenticated and self.authenticator.invalidate(used):
                reauthenticated = True  # a token may have expired mid-run: fetch a new one, once
                response, used = await self._send_once(
                    method, path, params=params, json=json, retry=attempts - 1, limit=limit()
                )
            if response.is_success or already_done(method, response, may_have_landed):
                return response
            failure = answer_failure(response, method, where)
            may_have_landed |= isinstance(failure, TransientError) and failure.processed is not False
            raise failure

        def waiting(failure: TransientError) -> None:
            self._notice(method, where, failure, attempts, time.monotonic() - started)

        is_idempotent = method.upper() in IDEMPOTENT_METHODS if idempotent is None else idempotent
        return await send_with_retries(
            attempt, policy=self.retry, idempotent=is_idempotent, method=method, path=where, on_retry=waiting
        )

    def where(self, path: str) -> str:
        """What errors and notices name: the host, and the path below the base URL."""
        return f"{self.host}{path}"

    def _waiting(self, why: str, *args: Any) -> None:
        """Say what a run waits for on this host (at most one line per interval)."""
        now = time.monotonic()
        if now - self._last_notice < NOTICE_EVERY_S:
            return
        self._last_notice = now
        log.info("waiting for %s: " + why, self.host, *args)

    def _notice(self, method: str, where: str, failure: TransientError, attempts: int, elapsed: float) -> None:
        """Once a request has been failing a while, say so while it is retried."""
        if elapsed < NOTICE_AFTER_S:
            return
        left = max(0.0, self.retry.retry_for - elapsed)
        self._waiting(
            "%s %s failed %d time(s) in %.0f s (last: %s); retrying for up to %.0f s more",
            method,
            where,
            attempts,
            elapsed,
            failure.api_message if failure.status is None else f"HTTP {failure.status} {failure.api_message}",
            left,
        )

    async def _send_once(
        self, method: str, path: str, *, params: dict[str, Any] | None, json: Any, retry: int, limit: float
    ) -> tuple[httpx.Response, Mapping[str, str]]:
        await self.throttle.before_request(self.retry.retry_for, method, self.where(path))
        async with self.in_flight:
            try:
                headers = await self.authenticator.headers(self)
            except TransientError as exc:
                exc.processed = False  # no token, so this request was never sent
                raise
            response = await self._exchange(
                method, path, params=params, json=json, headers=headers, retry=retry, limit=limit
            )
            self.in_flight.observe(response.headers)
        self.throttle.observe(response.headers)
        return response, headers

    async def _exchange(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None,
        json: Any,
        headers: Mapping[str, str],
        retry: int = 0,
        limit: float | None = None,
    ) -> httpx.Response:
        """One request on the wire, counted and logged; a transport failure becomes a TransientError.

        The whole exchange, from sending to the last byte of the answer, ends within `limit` seconds
        (default: the target's `timeout`): a server that trickles its answer is cut off like a silent one.
        """
        limit = self.timeout if limit is None else limit
        self.requests_sent += 1
        query = urlencode(params) if params else None
        direct = self._direct_request(method, path, query, json, headers)
        request = None
        if direct is None:
            url = self.base_url + path if query is None else f"{self.base_url}{path}?{query}"
            request = httpx.Request(method, url, headers=headers, json=json, extensions={"timeout": self._timeouts})
        sent = time.monotonic()
        slow = asyncio.get_running_loop().call_later(  # a host that answers slowly is named while it is awaited
            SLOW_AFTER_S, self._waiting, "%s %s has had no answer for %.0f s", method, self.where(path), SLOW_AFTER_S
        )
        try:
            try:
                async with asyncio.timeout(limit):
                    if direct is not None and self._direct is not None:
                        transport, origin, _, _ = self._direct
                        response = await transport.send(method.upper(), origin, *direct, self._timeouts)
                    else:
                        assert request is not None  # built above for every request not sent directly
                        response = await self.transport.handle_async_request(request)
                        response.request = request
                    await response.aread()
            except TimeoutError as exc:
                raise httpx.ReadTimeout(f"no whole answer within {limit:g} s", request=request) from exc
        except UnknownHost as exc:
            self._log_request(method, path, "host not found", sent, retry)
            raise ApiError(str(exc), method=method, path=self.where(path), code="host not found") from exc
        except httpx.TransportError as exc:
            failure = transport_failure(exc, method, self.where(path))
            self._log_request(method, path, failure.api_message, sent, retry)
            raise failure from exc
        finally:
            slow.cancel()
        self._log_request(method, path, str(response.status_code), sent, retry)
        return response

    def _direct_request(
        self, method: str, path: str, query: str | None, json: Any, headers: Mapping[str, str]
    ) -> tuple[bytes, list[tuple[bytes, bytes]], bytes] | None:
        """A request's target, headers and body exactly as httpx would write them, or None when httpx must
        build it: a base URL or path it would rewrite (dot segments, characters it escapes), a URL too
        long, a Host or body header given."""
        if self._direct is None:
            return None
        _, _, netloc, base_path = self._direct
        full = base_path + path
        if not _plain_path(full):
            return None
        target = full if query is None else f"{full}?{query}"  # urlencode writes only what httpx keeps
        given = httpx.Headers(headers)
        if len(self.base_url) + len(target) - len(base_path) > MAX_URL_LENGTH or any(h in given for h in _OWN_HEADERS):
            return None
        if json is None:  # httpx gives a POST, PUT or PATCH without a body a Content-Length of 0
            empty = [(b"Content-Length", b"0")] if method.upper() in ("POST", "PUT", "PATCH") else []
            return target.encode("ascii"), [(b"Host", netloc), *empty, *given.raw], b""
        body = _json_body(json).encode("utf-8")
        length = (b"Content-Length", str(len(body)).encode("ascii"))
        return target.encode("ascii"), [(b"Host", netloc), *given.raw, length, _JSON_TYPE], body

    def _log_request(self, method: str, path: str, outcome: str, sent: float, retry: int) -> None:
        if log.isEnabledFor(logging.DEBUG):  # checked first: a large plan sends thousands of requests
            again = f" retry {retry}" if retry else ""
            elapsed_ms = (time.monotonic() - sent) * 1000
            log.debug("%s %s %s%s %s %.0f ms%s", method, self.host, self._base_path, path, outcome, elapsed_ms, again)

    async def exchange_credentials(
        self, method: str, path: str, read: Callable[[Any], T], *, json: Any, headers: Mapping[str, str]
    ) -> T:
        """Ask the API for credentials (an OAuth token) and return its JSON answer.

        Sent once, outside the in-flight limit (the request that needs the token already holds a slot)
        and without retries of its own: a transient failure is retried by the request that needed it.
        Errors are mapped like every other answer's, and never carry the credentials sent; `read`
        takes what the answer grants (see `answer`).
        """
        response = await self._exchange(method, path, params=None, json=json, headers=headers)
        if not response.is_success:
            raise answer_failure(response, method, self.where(path))

        def granted(answer: Any) -> T:
            if isinstance(answer, dict):  # the credentials granted are secrets too: never shown, wherever echoed
                register_secrets(v for k, v in answer.items() if isinstance(v, str) and k.endswith("token"))
            return read(answer)

        return self.answer(response, method, path, granted)

    def answer(self, response: httpx.Response, method: str, path: str, read: Callable[[Any], T]) -> T:
        """`read` applied to a JSON answer: an answer of another shape is an ApiError saying how, in words."""
        return parse_answer(response, method, self.where(path), read)

    async def get_json(self, path: str, *, params: dict[str, Any] | None = None) -> Any:
        return await self.read_json(path, _as_is, params=params)

    async def read_json(
        self, path: str, read: Callable[[Any], T], *, params: dict[str, Any] | None = None, may_wait: bool = False
    ) -> T:
        """GET `path` and apply `read` to its JSON answer (see `answer`). `may_wait`: nothing the read
        sends next depends on this answer (not a page that says whether more follow), so it may wait
        unparsed while HOLD_ANSWERS says so (http/holding.py)."""
        response = await self.request("GET", path, params=params)
        held = HOLD_ANSWERS.get() if may_wait else None
        if held is not None:
            # Only what reading it takes waits (status, content type, body), its Response made when read:
            # the whole exchange is ten times the body of a scope's few rules, a bare Response two thirds.
            status, kind, content = response.status_code, response.headers.get("Content-Type"), response.content
            del response
            return await held.take(lambda: self.answer(bare_answer(status, kind, content), "GET", path, read))
        return self.answer(response, "GET", path, read)
