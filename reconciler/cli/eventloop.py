"""Running the engine's coroutines: on uvloop where it is installed, else on asyncio's own loop.

A plan of thousands of scopes is thousands of requests; uvloop makes each one's socket work and
scheduling cheaper (about a tenth less client CPU per request in the benchmark).
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run(main: Coroutine[Any, Any, T]) -> T:
    import asyncio  # here: a command's help needs no event loop

    results: list[T] = []

    async def kept_apart() -> None:
        # The result leaves through a list, not as the main task's result: on Python 3.11, asyncio's
        # runner ends with `signal.getsignal(SIGINT)`, which formats its handler, and with it the main
        # task and that task's result. For a workspace of 100,000 rules that repr cost seconds.
        results.append(await main)

    try:
        import uvloop
    except ImportError:  # not on every platform (Windows): the standard loop works the same, slower
        asyncio.run(kept_apart())
    else:
        uvloop.run(kept_apart())
    return results[0]
