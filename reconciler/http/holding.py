"""Answers held unparsed while a project's manifests load, then read a few milliseconds at a time.

A read begun while the manifests load keeps its answer as bytes until loading ends (runner/prefetch.py):
parsed, the live rules of a scope take several times their size. When loading ends, a large project
has thousands of such answers waiting. Read all at once, they would hold the event loop for as long
as a second, with every request in flight answered and none sent; so one task reads them in order,
in slices of at most SLICE_S, and between two slices the loop takes in answers and sends requests.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, TypeVar

T = TypeVar("T")
SLICE_S = 0.005  # the longest a request in flight waits for held answers before it is taken in


class AnswerHold:
    """`await take(read)` waits until `release`, then returns `read()`, run in its turn."""

    def __init__(self) -> None:
        self._released = False
        self._waiting: deque[tuple[Callable[[], Any], asyncio.Future[Any]]] = deque()
        self._reader: asyncio.Task[None] | None = None

    async def take(self, read: Callable[[], T]) -> T:
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._waiting.append((read, future))
        if self._released:
            self._start_reading()
        return await future

    def release(self) -> None:
        self._released = True
        self._start_reading()

    def _start_reading(self) -> None:
        if self._waiting and (self._reader is None or self._reader.done()):
            self._reader = asyncio.get_running_loop().create_task(self._read_in_slices())

    async def _read_in_slices(self) -> None:
        while self._waiting:
            began = time.perf_counter()
            while self._waiting and time.perf_counter() - began < SLICE_S:
                read, future = self._waiting.popleft()
                if future.cancelled():  # its read was abandoned (a project with a problem)
                    continue
                try:
                    future.set_result(read())
                except Exception as exc:  # the reader's own errors, handed to whoever waits for the answer
                    future.set_exception(exc)
            await asyncio.sleep(0)


# While set (in the context of a task that reads), answers that may wait do so, unparsed, until the
# hold is released: reads begun while manifests load take it with them (runner/prefetch.py).
HOLD_ANSWERS: ContextVar[AnswerHold | None] = ContextVar("HOLD_ANSWERS", default=None)
