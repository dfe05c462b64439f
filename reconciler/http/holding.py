"""Answers held unparsed while a project's manifests load, then taken in one at a time.

A read begun while the manifests load keeps its answer as bytes until loading ends (runner/prefetch.py):
parsed, the live rules of a scope take several times their size. When loading ends, a large project
has thousands of such answers waiting. Parsed all at once, they would hold the event loop for as long
as a second, with every request in flight answered and none sent; so each waits for its turn, and
one turn ends before the next begins, with the loop free in between to take in answers and send the
next requests.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar


class AnswerHold:
    """Held until `release`, then one turn at a time, in the order the answers came."""

    def __init__(self) -> None:
        self._released = asyncio.Event()
        self._one_at_a_time = asyncio.Lock()  # first come, first served

    def release(self) -> None:
        self._released.set()

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        await self._released.wait()
        async with self._one_at_a_time:
            # Every answer released at once would otherwise take its turn in the same pass of the loop.
            await asyncio.sleep(0)
            yield


# While set (in the context of a task that reads), answers that may wait do so, unparsed, until the
# hold is released: reads begun while manifests load take it with them (runner/prefetch.py).
HOLD_ANSWERS: ContextVar[AnswerHold | None] = ContextVar("HOLD_ANSWERS", default=None)
