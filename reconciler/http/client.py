"""The one async HTTP layer every provider talks through: bounded concurrency, auth, error mapping.

Secrets live only in request headers built here; they never reach messages, logs or plans.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol
from urllib.parse import urlencode

import httpx

from reconciler.errors import ApiError
from reconciler.http.limits import InFlightLimit
from reconciler.http.pool import PooledTransport
from reconciler.http.retry import (
    IDEMPOTENT_METHODS,
    RateLimitThrottle,
    RetryPolicy,
    TransientError,
    already_done,
    send_with_retries,
    transient_answer,
    transport_failure,
)


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
    """The vendor's own words from an error body, whatever its shape."""
    try:
        body = response.json()
    except ValueError:
        text = response.text.strip()
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
    return str(body)[:300]


def answer_failure(response: httpx.Response, method: str, path: str) -> ApiError:
    """The error an unsuccessful answer raises: a TransientError when it is worth retrying."""
    message = error_message(response)
    return transient_answer(response, message, method, path) or ApiError(
        message, status=response.status_code, method=method, path=path
    )


def json_answer(response: httpx.Response, method: str, path: str) -> Any:
    try:
        return response.json()
    except ValueError as exc:
        raise ApiError("answer is not JSON", status=response.status_code, method=method, path=path) from exc


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
        self.authenticator = authenticator
        self.retry = retry or RetryPolicy()
        self.throttle = RateLimitThrottle(self.retry.throttle_reserve)
        self.in_flight = InFlightLimit(concurrency)  # lowered while a rate-limit budget runs low
        self.concurrency = concurrency
        self.requests_sent = 0
        self.transport = transport or PooledTransport(concurrency)
        self._timeouts = httpx.Timeout(timeout).as_dict()
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
        reauthenticated = False
        may_have_landed = False  # an earlier attempt failed after the server may have acted on it

        async def attempt() -> httpx.Response:
            nonlocal reauthenticated, may_have_landed
            try:
                response, used = await self._send_once(method, path, params=params, json=json)
            except TransientError as exc:
                may_have_landed |= exc.processed is not False
                raise
            if response.status_code == 401 and not reauthenticated and self.authenticator.invalidate(used):
                reauthenticated = True  # a token may have expired mid-run: fetch a new one, once
                response, used = await self._send_once(method, path, params=params, json=json)
            if response.is_success or already_done(method, response, may_have_landed):
                return response
            failure = answer_failure(response, method, path)
            may_have_landed |= isinstance(failure, TransientError) and failure.processed is not False
            raise failure

        is_idempotent = method.upper() in IDEMPOTENT_METHODS if idempotent is None else idempotent
        return await send_with_retries(attempt, policy=self.retry, idempotent=is_idempotent, method=method, path=path)

    async def _send_once(
        self, method: str, path: str, *, params: dict[str, Any] | None, json: Any
    ) -> tuple[httpx.Response, Mapping[str, str]]:
        await self.throttle.before_request(self.retry.retry_for, method, path)
        async with self.in_flight:
            try:
                headers = await self.authenticator.headers(self)
            except TransientError as exc:
                exc.processed = False  # no token, so this request was never sent
                raise
            response = await self._exchange(method, path, params=params, json=json, headers=headers)
            self.in_flight.observe(response.headers)
        self.throttle.observe(response.headers)
        return response, headers

    async def _exchange(
        self, method: str, path: str, *, params: dict[str, Any] | None, json: Any, headers: Mapping[str, str]
    ) -> httpx.Response:
        """One request on the wire, counted; a transport failure becomes a TransientError."""
        self.requests_sent += 1
        url = f"{self.base_url}{path}?{urlencode(params)}" if params else self.base_url + path
        request = httpx.Request(method, url, headers=headers, json=json, extensions={"timeout": self._timeouts})
        try:
            response = await self.transport.handle_async_request(request)
            response.request = request
            await response.aread()
        except httpx.TransportError as exc:
            raise transport_failure(exc, method, path) from exc
        return response

    async def exchange_credentials(self, method: str, path: str, *, json: Any, headers: Mapping[str, str]) -> Any:
        """Ask the API for credentials (an OAuth token) and return its JSON answer.

        Sent once, outside the in-flight limit (the request that needs the token already holds a slot)
        and without retries of its own: a transient failure is retried by the request that needed it.
        Errors are mapped like every other answer's, and never carry the credentials sent.
        """
        response = await self._exchange(method, path, params=None, json=json, headers=headers)
        if not response.is_success:
            raise answer_failure(response, method, path)
        return json_answer(response, method, path)

    async def get_json(self, path: str, *, params: dict[str, Any] | None = None) -> Any:
        return json_answer(await self.request("GET", path, params=params), "GET", path)
