"""Answers held unparsed: a read begun while manifests load keeps its answer as bytes until loading ends."""

from __future__ import annotations

import asyncio
import itertools
import time
from typing import Any

import httpx
import pytest

from reconciler.errors import ApiError
from reconciler.http.client import ApiClient, BearerKey
from reconciler.http.holding import HOLD_ANSWERS, SLICE_S, AnswerHold


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
        hold = AnswerHold()

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
        hold.release()
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
        hold = AnswerHold()
        HOLD_ANSWERS.set(hold)
        task = asyncio.create_task(api.read_json("/rules", lambda body: body, may_wait=True))
        await asyncio.sleep(0.01)
        hold.release()
        try:
            await task
        finally:
            await api.aclose()

    with pytest.raises(ApiError, match="HTML page"):
        asyncio.run(go())


def test_held_answers_are_taken_a_slice_at_a_time() -> None:
    """Thousands of answers held while a large project loads: parsed all in one go, they would stop the
    event loop for as long as a second, with no request sent meanwhile."""
    events: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=[])

    def read(body: Any) -> Any:
        time.sleep(0.002)  # each answer takes a while to read: a slice holds two or three
        events.append("parse")
        return body

    async def go() -> None:
        api = ApiClient("http://api.test", BearerKey("k"), transport=httpx.MockTransport(answer))
        hold = AnswerHold()

        async def held_read(path: str) -> Any:
            HOLD_ANSWERS.set(hold)
            return await api.read_json(path, read, may_wait=True)

        reads = [asyncio.create_task(held_read(f"/rules/{n}")) for n in range(12)]
        for _ in range(50):
            await asyncio.sleep(0)
        assert events == []
        ticking = True

        async def ticker() -> None:  # stands for the loop's other work: answers to take in, requests to send
            while ticking:
                events.append("tick")
                await asyncio.sleep(0)

        tick_task = asyncio.create_task(ticker())
        hold.release()
        await asyncio.gather(*reads)
        ticking = False
        await tick_task
        await api.aclose()

    asyncio.run(go())
    slices = [len(list(run)) for parsed, run in itertools.groupby(events) if parsed == "parse"]
    assert sum(slices) == 12
    assert len(slices) >= 4 and max(slices) <= 1 + int(SLICE_S / 0.002), slices


def test_a_held_read_given_up_is_never_read() -> None:
    """A project found to have a problem cancels its early reads: their answers are dropped unread."""
    read_paths: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=[request.url.path])

    async def go() -> Any:
        api = ApiClient("http://api.test", BearerKey("k"), transport=httpx.MockTransport(answer))
        hold = AnswerHold()

        async def held_read(path: str) -> Any:
            HOLD_ANSWERS.set(hold)
            return await api.read_json(path, lambda body: read_paths.append(body[0]) or body, may_wait=True)

        given_up, kept = asyncio.create_task(held_read("/given-up")), asyncio.create_task(held_read("/kept"))
        for _ in range(50):
            await asyncio.sleep(0)
        given_up.cancel()
        hold.release()
        result = await kept
        await api.aclose()
        return result

    assert asyncio.run(go()) == ["/kept"]
    assert read_paths == ["/kept"]
