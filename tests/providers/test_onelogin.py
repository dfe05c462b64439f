"""OneLogin creates after a lost answer: the rule is looked for and adopted, never created twice."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from reconciler.errors import ApiError
from reconciler.http.client import ApiClient
from reconciler.http.retry import AmbiguousWriteError, RetryPolicy
from reconciler.providers.onelogin import TOKEN_PATH, OneLoginProvider, OneLoginToken

RULE = {"name": "r", "match": "all", "enabled": True, "conditions": [], "actions": [{"action": "set_status"}]}


class FakeApp:
    """Rules of app 1; each create answers as the next entry of `creates` says."""

    def __init__(self, *creates: str) -> None:
        self.creates = list(creates)  # "ok", "write_then_502", "write_then_drop", "drop", "500"
        self.rules: list[dict[str, Any]] = []
        self.posts = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == TOKEN_PATH:
            return httpx.Response(200, json={"access_token": "t", "expires_in": 3600})
        if request.method == "GET":
            enabled = request.url.params.get("enabled", "true") == "true"
            return httpx.Response(200, json=[r for r in self.rules if r["enabled"] == enabled])
        self.posts += 1
        mode = self.creates.pop(0) if self.creates else "ok"
        if mode in ("ok", "write_then_502", "write_then_drop"):
            rule = {**json.loads(request.content), "id": 100 + len(self.rules), "position": len(self.rules) + 1}
            self.rules.append(rule)
        if mode == "write_then_502":
            return httpx.Response(502, json={"message": "Bad Gateway"})
        if mode in ("write_then_drop", "drop"):
            raise httpx.RemoteProtocolError("connection dropped")
        if mode == "500":
            return httpx.Response(500, json={"message": "Internal Server Error"})
        return httpx.Response(201, json={"id": self.rules[-1]["id"]})


def create(app: FakeApp, body: dict[str, Any] = RULE) -> dict[str, Any]:
    api = ApiClient(
        "http://onelogin.test",
        OneLoginToken("id", "secret"),
        transport=httpx.MockTransport(app),
        retry=RetryPolicy(retry_for=5, wait_initial=0.001, wait_max=0.01),
    )

    async def go() -> dict[str, Any]:
        try:
            return await OneLoginProvider(api, {}).create("app:1", body)
        finally:
            await api.aclose()

    return asyncio.run(go())


@pytest.mark.parametrize("lost", ["write_then_502", "write_then_drop"])
def test_a_create_whose_answer_was_lost_is_adopted_not_repeated(lost: str) -> None:
    app = FakeApp(lost)
    assert create(app) == {"id": 100}
    assert app.posts == 1 and len(app.rules) == 1


@pytest.mark.parametrize("lost", ["drop", "500"])
def test_a_create_that_did_not_happen_is_sent_once_more(lost: str) -> None:
    app = FakeApp(lost)
    assert create(app) == {"id": 100}
    assert app.posts == 2 and len(app.rules) == 1


def test_a_disabled_rule_is_found_too() -> None:
    app = FakeApp("write_then_502")
    assert create(app, {**RULE, "enabled": False}) == {"id": 100}
    assert len(app.rules) == 1


def test_a_rule_of_the_same_name_with_other_content_is_not_adopted_nor_doubled() -> None:
    app = FakeApp("drop")
    app.rules.append({**RULE, "match": "any", "id": 7, "position": 1})  # someone else's, meanwhile
    with pytest.raises(ApiError, match="other content"):
        create(app)
    assert app.posts == 1 and len(app.rules) == 1


def test_creates_that_keep_failing_stop_after_a_few_rounds() -> None:
    app = FakeApp("drop", "drop", "drop", "drop")
    with pytest.raises(AmbiguousWriteError):
        create(app)
    assert app.posts == 3 and app.rules == []
