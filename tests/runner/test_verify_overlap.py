"""An apply checks each scope it wrote to as soon as that scope is read back, while other scopes still
write: the checks overlap the writes instead of all running after the last one."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from reconciler.cli import eventloop
from reconciler.engine.apply import ApplyReport
from reconciler.providers.vizivault import ViziVaultProvider
from reconciler.runner import flows
from reconciler.runner.flows import apply_and_verify, make_plan
from reconciler.runner.sessions import open_sessions
from reconciler.runner.workspace import open_workspace
from tests.conftest import Project

VAULT = """\
target: vault-test
rules:
  - key: k
    name: n
    type: data
    constraint: {type: attribute, operator: any, attributes: [SSN]}
    action: {type: block, message: no}
"""


def test_a_written_scope_is_checked_while_another_still_writes(
    drifted: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    drifted.write("rules/vault.yaml", VAULT)
    checked: list[str] = []
    primo_checked = asyncio.Event()
    check, create = flows.verify_scope, ViziVaultProvider.create

    def recorded_check(ref: Any, *args: Any, **kwargs: Any) -> Any:
        checked.append(ref.target)
        if ref.target == "primo-test":
            primo_checked.set()
        return check(ref, *args, **kwargs)

    async def create_once_primo_is_checked(self: ViziVaultProvider, *args: Any) -> dict[str, Any]:
        await asyncio.wait_for(primo_checked.wait(), timeout=5)
        return await create(self, *args)

    monkeypatch.setattr(flows, "verify_scope", recorded_check)
    monkeypatch.setattr(ViziVaultProvider, "create", create_once_primo_is_checked)
    workspace = open_workspace(drifted.root / "reconciler.yaml", ("primo-test", "vault-test"))

    async def run() -> ApplyReport:
        async with open_sessions(workspace) as sessions:
            return await apply_and_verify(workspace, sessions, await make_plan(workspace, sessions))

    report = eventloop.run(run())
    assert [o.status for o in report.outcomes] == ["applied", "applied"]
    assert checked == ["primo-test", "vault-test"]
    assert [(c.target, c.verified) for c in report.checks] == [("primo-test", True), ("vault-test", True)]


def test_a_large_scope_is_checked_off_the_event_loop(drifted: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    threads: dict[str, int] = {}
    check = flows.verify_scope

    def recorded_check(ref: Any, *args: Any, **kwargs: Any) -> Any:
        threads[ref.target] = threading.get_ident()
        return check(ref, *args, **kwargs)

    monkeypatch.setattr(flows, "verify_scope", recorded_check)
    monkeypatch.setattr(flows, "CHECKED_APART", 1)  # the Primo tenant of one rule counts as large
    workspace = open_workspace(drifted.root / "reconciler.yaml", ("primo-test",))

    async def run() -> tuple[ApplyReport, int]:
        async with open_sessions(workspace) as sessions:
            report = await apply_and_verify(workspace, sessions, await make_plan(workspace, sessions))
            return report, threading.get_ident()

    report, loop_thread = eventloop.run(run())
    assert report.ok and [c.verified for c in report.checks] == [True]
    assert threads["primo-test"] != loop_thread
