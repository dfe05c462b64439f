"""Ctrl-C and SIGTERM during an apply: stop writing, say what was applied and what was not, and exit
130 or 143 (128 + the signal), as shells and CI runners expect, never a bare "Aborted!".

Only the writing part runs under these handlers: a confirmation prompt before it keeps the ordinary
Ctrl-C (nothing is changed yet).
"""

from __future__ import annotations

import signal
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

INTERRUPTS = (signal.SIGINT, signal.SIGTERM)


async def until_interrupted(work: Coroutine[Any, Any, T]) -> tuple[T | None, int | None]:
    """Run `work`, cancelling it on SIGINT or SIGTERM: (its result, None), or (None, the signal number)."""
    import asyncio  # here: a command's help needs no event loop

    loop = asyncio.get_running_loop()
    task = asyncio.ensure_future(work)
    received: list[int] = []

    def stop(signum: int) -> None:
        if not received:  # a second Ctrl-C while stopping changes nothing
            received.append(signum)
            task.cancel()

    for signum in INTERRUPTS:
        loop.add_signal_handler(signum, stop, signum)
    try:
        return await task, None
    except asyncio.CancelledError:
        if not received:
            raise
        return None, received[0]
    finally:
        for signum in INTERRUPTS:
            loop.remove_signal_handler(signum)


def exit_status(signum: int) -> int:
    return 128 + signum
