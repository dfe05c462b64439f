"""Resolving names in turns: a large project's reads go on while its 10,000 scopes resolve."""

from __future__ import annotations

import asyncio
import itertools

from reconciler.runner.resolve import SCOPES_PER_TURN, gather_in_turns


def test_scopes_resolve_in_order_with_the_loop_free_between_turns() -> None:
    ticks: list[int] = []
    ticks_seen: list[int] = []

    async def each(item: int) -> int:
        ticks_seen.append(len(ticks))
        return item * 2

    async def go() -> list[int]:
        running = True

        async def ticker() -> None:  # stands for the answers to take in and the requests to send
            while running:
                ticks.append(1)
                await asyncio.sleep(0)

        task = asyncio.create_task(ticker())
        await asyncio.sleep(0)
        results = await gather_in_turns(list(range(5 * SCOPES_PER_TURN)), each)
        running = False
        await task
        return results

    assert asyncio.run(go()) == [n * 2 for n in range(5 * SCOPES_PER_TURN)]
    turns = [ticks_seen[n * SCOPES_PER_TURN] for n in range(5)]
    assert all(later > earlier for earlier, later in itertools.pairwise(turns)), turns
    assert all(seen == ticks_seen[0] for seen in ticks_seen[:SCOPES_PER_TURN])  # one turn: one go
