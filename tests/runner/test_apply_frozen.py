"""The plan and the live state it was made from are out of the cycle collector's reach while an apply
writes: the full collections that the writes' allocations set off do not walk them again."""

from __future__ import annotations

import gc
from typing import Any

import pytest

from reconciler.cli import eventloop
from reconciler.engine.apply import ApplyReport
from reconciler.providers.primo import PrimoProvider
from reconciler.runner.flows import apply_and_verify, make_plan
from reconciler.runner.sessions import open_sessions
from reconciler.runner.workspace import open_workspace
from tests.conftest import Project


def test_what_the_plan_holds_is_frozen_before_the_first_write(
    drifted: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace = open_workspace(drifted.root / "reconciler.yaml", ("primo-test",))
    frozen_at_write: list[bool] = []
    create = PrimoProvider.create

    async def run() -> ApplyReport:
        async with open_sessions(workspace) as sessions:
            plan = await make_plan(workspace, sessions)
            before = gc.get_freeze_count()  # loading froze the desired state; the plan came after

            async def recorded_create(self: PrimoProvider, *args: Any) -> dict[str, Any]:
                frozen_at_write.append(gc.get_freeze_count() > before)
                return await create(self, *args)

            monkeypatch.setattr(PrimoProvider, "create", recorded_create)
            return await apply_and_verify(workspace, sessions, plan)

    report = eventloop.run(run())
    assert report.ok and frozen_at_write == [True]
