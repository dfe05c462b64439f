"""Answers held unparsed: a read begun while manifests load keeps its answer as bytes until loading ends."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from reconciler.errors import ApiError
from reconciler.http.client import HOLD_ANSWERS, ApiClient, BearerKey


def test_an_answer_that_may_wait_is_parsed_once_the_hold_ends() -> None:
    sent: list[str] = []
    parsed: list[Any] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request.url.path)
        return httpx.Response(200, json=[{"id": len(sent)}])

    def read(body: Any) -> Any:
        parsed.append(body)
        return body

    async def go() -> tuple[Any, Any]:
        api = ApiClient("http://api.test", BearerKey("k"), transport=httpx.MockTransport(answer))
        hold = asyncio.Event()

        async def reads() -> tuple[Any, Any]:
            HOLD_ANSWERS.set(hold)  # this task's context, as the loading's reads set it
            page = await api.read_json("/pages", read)  # a page says whether more follow: never held
            assert parsed == [[{"id": 1}]]
            return page, await api.read_json("/rules", read, may_wait=True)

        task = asyncio.create_task(reads())
        for _ in range(50):
            await asyncio.sleep(0)
        assert sent == ["/pages", "/rules"] and len(parsed) == 1  # answered, not parsed
        assert HOLD_ANSWERS.get() is None  # only the reading task holds
        hold.set()
        result = await task
        await api.aclose()
        return result

    assert asyncio.run(go()) == ([{"id": 1}], [{"id": 2}])
    assert parsed == [[{"id": 1}], [{"id": 2}]]


def test_a_held_answer_is_read_as_it_came() -> None:
    """While it waits only its status, content type and body are kept: an HTML page is still said to be one."""

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text="<html>sign in</html>", headers={"Content-Type": "text/html", "X-Big": "x"})

    async def go() -> None:
        api = ApiClient("http://api.test", BearerKey("k"), transport=httpx.MockTransport(answer))
        hold = asyncio.Event()
        HOLD_ANSWERS.set(hold)
        task = asyncio.create_task(api.read_json("/rules", lambda body: body, may_wait=True))
        await asyncio.sleep(0.01)
        hold.set()
        try:
            await task
        finally:
            await api.aclose()

    with pytest.raises(ApiError, match="HTML page"):
        asyncio.run(go())
