"""Retries, Retry-After, rate-limit throttling through the client, and token handling, over httpx.MockTransport."""

from __future__ import annotations

import asyncio
import logging
import re
import socket
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from reconciler.errors import ApiError
from reconciler.http import client as client_module
from reconciler.http.client import ApiClient, BearerKey
from reconciler.http.retry import (
    AmbiguousWriteError,
    RetriesExhausted,
    RetryPolicy,
    TransientError,
    retry_after_seconds,
)
from reconciler.providers.onelogin import TOKEN_PATH, OneLoginToken

FAST = RetryPolicy(retry_for=5.0, wait_initial=0.001, wait_max=0.01)
Handler = Callable[[httpx.Request], httpx.Response]


class Script:
    """Answers requests from a list of answers (a status, a response, or an exception), then 200s."""

    def __init__(self, *answers: int | httpx.Response | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if self.answers else 200
        if isinstance(answer, Exception):
            raise answer
        if isinstance(answer, httpx.Response):
            return answer
        return httpx.Response(answer, json={"message": f"status {answer}"} if answer >= 400 else {"ok": True})


def client(handler: Handler, policy: RetryPolicy = FAST, auth: Any = None) -> ApiClient:
    return ApiClient("http://api.test", auth or BearerKey("k"), transport=httpx.MockTransport(handler), retry=policy)


def call(api: ApiClient, method: str = "GET", idempotent: bool | None = None) -> httpx.Response:
    async def go() -> httpx.Response:
        try:
            return await api.request(method, "/rules", json={} if method != "GET" else None, idempotent=idempotent)
        finally:
            await api.aclose()

    return asyncio.run(go())


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
@pytest.mark.parametrize("status", [500, 502, 503, 504, 429, 408])
def test_idempotent_requests_are_retried_through_transient_answers(method: str, status: int) -> None:
    script = Script(status, status)
    assert call(client(script), method).status_code == 200
    assert len(script.requests) == 3


@pytest.mark.parametrize("error", [httpx.ReadTimeout("slow"), httpx.RemoteProtocolError("dropped")])
def test_timeouts_and_dropped_connections_are_retried_for_reads(error: Exception) -> None:
    script = Script(error, error)
    assert call(client(script)).status_code == 200
    assert len(script.requests) == 3


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422])
def test_final_answers_are_not_retried(status: int) -> None:
    script = Script(status)
    with pytest.raises(ApiError) as caught:
        call(client(script))
    assert caught.value.status == status and not isinstance(caught.value, TransientError)
    assert len(script.requests) == 1
    assert f"status {status}" in str(caught.value)  # the API's own words


@pytest.mark.parametrize(
    "failure", [500, 502, 504, httpx.ReadTimeout("slow"), httpx.RemoteProtocolError("dropped")], ids=str
)
def test_a_non_idempotent_post_is_never_retried_after_an_ambiguous_failure(failure: Any) -> None:
    script = Script(failure)
    with pytest.raises(AmbiguousWriteError):
        call(client(script), "POST")
    assert len(script.requests) == 1


@pytest.mark.parametrize("failure", [429, httpx.ConnectError("refused")], ids=str)
def test_a_non_idempotent_post_is_retried_when_the_server_surely_did_nothing(failure: Any) -> None:
    script = Script(failure)
    assert call(client(script), "POST").status_code == 200
    assert len(script.requests) == 2


def test_a_post_marked_idempotent_is_retried_like_a_put() -> None:
    script = Script(502, httpx.RemoteProtocolError("dropped"))
    assert call(client(script), "POST", idempotent=True).status_code == 200
    assert len(script.requests) == 3


def test_retry_after_is_honoured() -> None:
    script = Script(httpx.Response(429, headers={"Retry-After": "0.3"}, json={"message": "slow down"}))
    started = time.monotonic()
    assert call(client(script)).status_code == 200
    assert time.monotonic() - started >= 0.3
    assert len(script.requests) == 2


def test_retry_after_beyond_the_budget_fails_at_once_with_a_clear_error() -> None:
    script = Script(httpx.Response(503, headers={"Retry-After": "120"}, json={"message": "maintenance"}))
    with pytest.raises(RetriesExhausted) as caught:
        call(client(script, RetryPolicy(retry_for=2.0, wait_initial=0.001, wait_max=0.01)))
    assert len(script.requests) == 1
    assert "maintenance" in str(caught.value) and "retry_for is 2 s" in str(caught.value)
    assert "the server asked to wait 120 s" in str(caught.value)


def test_the_total_time_per_request_is_bounded() -> None:
    script = Script(*[503] * 10_000)
    started = time.monotonic()
    with pytest.raises(RetriesExhausted) as caught:
        call(client(script, RetryPolicy(retry_for=0.3, wait_initial=0.01, wait_max=0.05)))
    elapsed = time.monotonic() - started
    assert 0.3 <= elapsed < 2.0
    assert caught.value.status == 503 and "gave up after" in str(caught.value)
    assert f"{len(script.requests)} attempt(s)" in str(caught.value)


def test_no_retries_when_the_budget_is_zero() -> None:
    script = Script(500)
    with pytest.raises(RetriesExhausted):
        call(client(script, RetryPolicy(retry_for=0)))
    assert len(script.requests) == 1


def test_retry_after_parses_seconds_and_dates() -> None:
    assert retry_after_seconds({"Retry-After": "3"}) == 3.0
    assert retry_after_seconds({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0  # in the past
    assert retry_after_seconds({"Retry-After": "soon"}) is None
    assert retry_after_seconds({}) is None


def rate_limited(remaining: int, reset: float) -> httpx.Response:
    headers = {"X-RateLimit-Limit": "10", "X-RateLimit-Remaining": str(remaining), "X-RateLimit-Reset": str(reset)}
    return httpx.Response(200, headers=headers, json=[])


def test_the_throttle_waits_for_the_reset_instead_of_meeting_a_429() -> None:
    script = Script(rate_limited(1, 0.3), rate_limited(9, 60))
    api = client(script)

    async def go() -> float:
        await api.request("GET", "/a")
        started = time.monotonic()
        await api.request("GET", "/b")
        await api.aclose()
        return time.monotonic() - started

    assert asyncio.run(go()) >= 0.25
    assert api.throttle.waited > 0 and len(script.requests) == 2


def test_the_throttle_does_not_wait_while_the_budget_lasts() -> None:
    script = Script(*[rate_limited(50 - i, 30) for i in range(5)])
    api = client(script)

    async def go() -> None:
        for _ in range(5):
            await api.request("GET", "/a")
        await api.aclose()

    asyncio.run(go())
    assert api.throttle.waited == 0


class TokenServer:
    """A OneLogin-like API: tokens from TOKEN_PATH; rules answer 401 to tokens in `revoked`."""

    def __init__(self, expires_in: int = 3600, token_failures: list[Any] | None = None) -> None:
        self.expires_in = expires_in
        self.issued = 0
        self.revoked: set[str] = set()
        self.token_failures = token_failures or []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == TOKEN_PATH:
            if self.token_failures:
                failure = self.token_failures.pop(0)
                if isinstance(failure, Exception):
                    raise failure
                return httpx.Response(failure, json={"status": {"code": failure, "message": "token trouble"}})
            self.issued += 1
            return httpx.Response(200, json={"access_token": f"t{self.issued}", "expires_in": self.expires_in})
        token = request.headers["Authorization"].split()[-1]
        if token in self.revoked:
            return httpx.Response(401, json={"message": "Unauthorized", "statusCode": 401})
        return httpx.Response(200, json=[])


def run_requests(server: TokenServer, count: int, concurrently: bool = False) -> OneLoginToken:
    token = OneLoginToken("id", "secret")
    api = client(server, auth=token)

    async def go() -> None:
        if concurrently:
            await asyncio.gather(*(api.request("GET", "/api/2/apps/1/rules") for _ in range(count)))
        else:
            for _ in range(count):
                await api.request("GET", "/api/2/apps/1/rules")
        await api.aclose()

    asyncio.run(go())
    return token


def test_the_token_is_fetched_once_per_run() -> None:
    server = TokenServer()
    assert run_requests(server, 20, concurrently=True).fetches == 1


def test_the_token_is_refreshed_before_it_expires() -> None:
    server = TokenServer(expires_in=30)  # inside the refresh margin: every request wants a fresh one
    assert run_requests(server, 3).fetches == 3


def test_a_401_fetches_a_new_token_once_even_for_concurrent_requests() -> None:
    server = TokenServer()
    token = OneLoginToken("id", "secret")
    api = client(server, auth=token)

    async def go() -> None:
        await api.request("GET", "/api/2/apps/1/rules")
        server.revoked.add("t1")  # the token dies mid-run
        await asyncio.gather(*(api.request("GET", "/api/2/apps/1/rules") for _ in range(6)))
        await api.aclose()

    asyncio.run(go())
    assert token.fetches == 2


def test_a_persistent_401_fails_after_one_new_token() -> None:
    server = TokenServer()
    server.revoked.update({"t1", "t2", "t3"})
    with pytest.raises(ApiError) as caught:
        run_requests(server, 1)
    assert caught.value.status == 401 and server.issued == 2


@pytest.mark.parametrize("failure", [500, 429, httpx.RemoteProtocolError("dropped")], ids=str)
def test_a_transient_token_failure_is_retried_even_before_a_create(failure: Any) -> None:
    server = TokenServer(token_failures=[failure])
    token = OneLoginToken("id", "secret")
    api = client(server, auth=token)
    assert call(api, "POST").status_code == 200  # the create was never sent, so retrying it is safe
    assert server.issued == 1


def test_secrets_stay_out_of_errors() -> None:
    server = TokenServer(token_failures=[401])
    with pytest.raises(ApiError) as caught:
        run_requests(server, 1)
    assert "secret" not in str(caught.value) and "token trouble" in str(caught.value)


def test_the_token_request_goes_through_the_client_and_is_counted() -> None:
    server = TokenServer()
    token = OneLoginToken("id", "secret")
    api = ApiClient(
        "http://api.test", token, concurrency=1, transport=httpx.MockTransport(server), retry=FAST
    )  # one slot: the token is fetched inside the request's slot, never waiting for a second one

    async def go() -> None:
        for _ in range(2):
            await api.request("GET", "/api/2/apps/1/rules")
        await api.aclose()

    asyncio.run(go())
    assert server.issued == 1 and api.requests_sent == 3


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (httpx.Response(400, json={"status": {"code": 400, "message": "Invalid grant"}}), "Invalid grant"),
        (httpx.Response(200, text="<html>maintenance</html>"), "HTTP 200: the answer is an HTML page, not JSON"),
        (httpx.Response(200, text=""), "HTTP 200: the answer is empty, not JSON"),
        (httpx.Response(200, json={"status": "ok"}), "the token answer has no 'access_token' field"),
        (httpx.Response(200, json=[]), "the token answer is an empty list, not an object"),
        (httpx.Response(200, json={"access_token": 5}), "'access_token' is a number, not a non-empty text"),
        (httpx.Response(200, json={"access_token": "t", "expires_in": "soon"}), "'expires_in' is not a number"),
    ],
    ids=["vendor error", "HTML", "empty", "no token", "a list", "token a number", "expiry a text"],
)
def test_a_token_failure_reads_like_any_other_api_error(answer: httpx.Response, message: str) -> None:
    def server(request: httpx.Request) -> httpx.Response:
        assert request.url.path == TOKEN_PATH
        return answer

    with pytest.raises(ApiError) as caught:
        call(client(server, auth=OneLoginToken("id", "secret")))
    assert message in str(caught.value) and f"POST api.test{TOKEN_PATH}" in str(caught.value)  # the host named too
    assert "secret" not in str(caught.value)


@pytest.mark.parametrize("lost", [httpx.RemoteProtocolError("dropped"), 502])
def test_a_delete_whose_answer_was_lost_then_404_is_done(lost: Any) -> None:
    script = Script(lost, 404)
    assert call(client(script), "DELETE").status_code == 404
    assert len(script.requests) == 2


def test_a_delete_of_a_missing_rule_is_still_an_error() -> None:
    with pytest.raises(ApiError) as caught:
        call(client(Script(404)), "DELETE")
    assert caught.value.status == 404
    with pytest.raises(ApiError):  # a 429 means nothing was done: the 404 after it is real
        call(client(Script(429, 404)), "DELETE")


def test_request_log_lines_name_method_host_and_path_and_never_a_secret(caplog: pytest.LogCaptureFixture) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=[])

    api = ApiClient(
        "https://user:url-secret@api.test:8443/base",
        BearerKey("key-secret"),
        transport=httpx.MockTransport(answer),
        retry=RetryPolicy(retry_for=0),
    )

    async def go() -> None:
        try:
            await api.get_json("/rules", params={"token": "query-secret", "page": 2})
        finally:
            await api.aclose()

    with caplog.at_level(logging.DEBUG, logger="reconciler.http"):
        asyncio.run(go())
    (line,) = [r.getMessage() for r in caplog.records if r.name == "reconciler.http"]
    assert re.fullmatch(r"GET api\.test:8443 /base/rules 200 \d+ ms", line)
    assert "secret" not in caplog.text


def test_a_slow_answer_is_named_while_it_is_awaited(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(client_module, "SLOW_AFTER_S", 0.05)

    async def slow(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0.3)
        return httpx.Response(200, json=[])

    api = ApiClient("https://api.test", BearerKey("k"), transport=httpx.MockTransport(slow))

    async def go() -> None:
        try:
            await api.get_json("/rules")
            await api.get_json("/rules")  # a second slow answer within the interval: no second line
        finally:
            await api.aclose()

    with caplog.at_level(logging.INFO, logger="reconciler.http"):
        asyncio.run(go())
    lines = [r.getMessage() for r in caplog.records if r.name == "reconciler.http"]
    assert lines == ["waiting for api.test: GET api.test/rules has had no answer for 0 s"]


@pytest.mark.parametrize(("code", "retried"), [(socket.EAI_NONAME, False), (socket.EAI_AGAIN, True)])
def test_a_host_name_that_does_not_resolve_fails_at_once_naming_it(
    code: int, retried: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A mistyped host in a target's url is no outage: retrying it for a minute only hides the typo.
    # A temporary failure of name resolution (EAI_AGAIN) is retried like any connection failure.
    calls: list[str] = []

    def resolve(host: str, *args: Any, **kwargs: Any) -> Any:
        calls.append(host)
        raise socket.gaierror(code, "name does not resolve")

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    api = ApiClient("https://api.nonexistent.test", BearerKey("k"), retry=FAST)
    with pytest.raises(ApiError) as caught:
        call(api)
    assert (len(calls) > 1) == retried
    if not retried:
        assert str(caught.value) == (
            "GET api.nonexistent.test/rules: host not found: the name api.nonexistent.test does not resolve; "
            "check the target's url"
        )
