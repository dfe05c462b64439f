"""A scope whose changes have all ended is announced at once, while other scopes still write: its
read-back (verify) can start then, instead of waiting for the slowest scope."""

from __future__ import annotations

import asyncio
from typing import Any

from reconciler.engine.apply import apply_plan
from reconciler.engine.plan import Action, Change, Plan, ScopePlan
from reconciler.errors import ApiError


class WaitingProvider:
    """Creates in scope `slow` wait until scope `fast` has been announced as written."""

    ordered = False

    def __init__(self, announced: asyncio.Event) -> None:
        self.announced = announced

    async def create(self, scope: str, body: dict[str, Any], position: int | None) -> dict[str, Any]:
        if scope == "slow":
            await asyncio.wait_for(self.announced.wait(), timeout=5)
        return {"id": body["name"]}


class FailingProvider:
    ordered = False

    async def create(self, scope: str, body: dict[str, Any], position: int | None) -> dict[str, Any]:
        raise ApiError("POST api.test/rules: HTTP 500", status=500, method="POST")


def scope(name: str) -> ScopePlan:
    return ScopePlan("t", "test", name, name, [Change(Action.CREATE, f"{name}-rule", body={"name": name})])


def test_a_written_scope_is_announced_while_another_still_writes() -> None:
    async def run() -> list[str]:
        announced = asyncio.Event()
        order: list[str] = []

        def written(done: ScopePlan, applied: list[Change]) -> None:
            assert [change.identity for change in applied] == [f"{done.scope}-rule"]
            order.append(done.scope)
            if done.scope == "fast":
                announced.set()

        provider = WaitingProvider(announced)
        report = await apply_plan(Plan([scope("slow"), scope("fast")]), {"t": provider}, on_scope_written=written)  # type: ignore[dict-item]
        assert [o.status for o in report.outcomes] == ["applied", "applied"]
        return order

    assert asyncio.run(run()) == ["fast", "slow"]


def test_a_scope_where_nothing_was_applied_is_not_announced() -> None:
    announced: list[str] = []
    plan = Plan([scope("broken")])
    report = asyncio.run(
        apply_plan(plan, {"t": FailingProvider()}, on_scope_written=lambda s, _: announced.append(s.scope))
    )  # type: ignore[dict-item]
    assert [o.status for o in report.outcomes] == ["failed"]
    assert announced == []
