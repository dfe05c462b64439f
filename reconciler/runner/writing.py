"""The one path from a shown plan to written changes, for `apply`, `apply FILE` and `sync --repair`:
the guards first, then the confirmation, then the writes and their verification.

Nothing here prints or reads a terminal: the cli passes `confirm` (a prompt, or --auto-approve) and
`watch` (a progress display and the signal handlers around the writes), and prints the `Written`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from reconciler.engine.apply import ApplyReport, ProgressHook
from reconciler.engine.guards import blocking
from reconciler.engine.plan import Plan, Refusal
from reconciler.runner.flows import apply_and_verify
from reconciler.runner.sessions import Sessions
from reconciler.runner.workspace import Workspace

# Starts the writes, reporting each outcome to the hook given.
StartWrites = Callable[[ProgressHook | None], Coroutine[Any, Any, ApplyReport]]
# Runs the writes that `StartWrites` starts; returns the signal that stopped them, or None.
Watch = Callable[[Plan, StartWrites], Awaitable[int | None]]


@dataclass
class Written:
    """What became of a plan offered for writing: refused by a guard or a policy (`refused`), cancelled
    at the prompt, applied (`report`), or stopped by a signal midway (`stopped_by`, with `report` so
    far). A plan with no change, and not refused, is none of these."""

    refused: list[Refusal] = field(default_factory=list)
    cancelled: bool = False
    report: ApplyReport | None = None
    stopped_by: int | None = None


async def unwatched(plan: Plan, start: StartWrites) -> int | None:
    """The writes with nothing around them (no progress display, no signal handlers)."""
    await start(None)
    return None


async def guard_confirm_apply(
    workspace: Workspace,
    sessions: Sessions,
    plan: Plan,
    *,
    prune: bool | None,
    force: bool,
    confirm: Callable[[], bool],
    watch: Watch = unwatched,
) -> Written:
    """Refuse a plan a guard or a policy stops (`--force` gets past what it may), ask only when there is
    something to write, then apply and read back. Outcomes go into the report as they land, so a run
    stopped midway can say what it did."""
    refused = blocking(plan.refusals, force)
    if refused or not plan.has_changes:
        return Written(refused=refused)
    if not confirm():
        return Written(cancelled=True)
    report = ApplyReport()

    def start(on_outcome: ProgressHook | None) -> Coroutine[Any, Any, ApplyReport]:
        return apply_and_verify(workspace, sessions, plan, prune=prune, on_outcome=on_outcome, report=report)

    stopped_by = await watch(plan, start)
    return Written(report=report, stopped_by=stopped_by)
