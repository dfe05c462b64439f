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

    try:
        import uvloop
    except ImportError:  # not on every platform (Windows): the standard loop works the same, slower
        return asyncio.run(main)
    return uvloop.run(main)
