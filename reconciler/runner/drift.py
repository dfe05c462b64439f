"""Drift: what a plan of every target would change in live rules, with when each live rule last
moved, and the repair when one is asked for. `run_sync` returns a DriftReport; the cli prints it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from reconciler.engine.apply import ApplyReport
from reconciler.engine.guards import blocking
from reconciler.engine.model import LiveScope, ScopeRef
from reconciler.engine.plan import Action, Plan, Refusal
from reconciler.engine.saved import ReviewedPlan
from reconciler.runner.flows import apply_and_verify, make_reviewed_plan
from reconciler.runner.sessions import open_sessions
from reconciler.runner.workspace import Workspace

# Changes to a rule that is live: its last-modified date says when the live side moved.
LIVE_RULE_ACTIONS = (Action.UPDATE, Action.DELETE)


@dataclass(frozen=True)
class Drifted:
    """A live rule that differs from its manifest, with when the API says it last changed."""

    ref: ScopeRef
    label: str
    action: str
    identity: str
    modified: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "target": self.ref.target,
            "scope": self.ref.scope,
            "action": self.action,
            "identity": self.identity,
            "modified": self.modified,
        }


def drifted_rules(reviewed: ReviewedPlan) -> list[Drifted]:
    out = []
    for scope in reviewed.plan.scopes:
        live = reviewed.live.get(scope.ref)
        dates = {r.identity: r.modified for r in live.rules} if isinstance(live, LiveScope) else {}
        for change in scope.changes:
            modified = dates.get(change.identity) if change.action in LIVE_RULE_ACTIONS else None
            out.append(Drifted(scope.ref, f"{scope.target} · {scope.label}", change.action, change.identity, modified))
    return out


@dataclass
class DriftReport:
    """The drift found, and what became of the repair: applied (`repair`), refused by a guard
    (`refused`), cancelled at the prompt, or not asked for."""

    reviewed: ReviewedPlan
    drifted: list[Drifted]
    refused: list[Refusal] = field(default_factory=list)
    repair: ApplyReport | None = None
    cancelled: bool = False

    @property
    def plan(self) -> Plan:
        return self.reviewed.plan


async def run_sync(
    workspace: Workspace,
    *,
    prune: bool | None,
    repair: bool,
    force: bool = False,
    confirm: Callable[[], bool],
    on_planned: Callable[[DriftReport], None] | None = None,
    repair_report: ApplyReport | None = None,
) -> DriftReport:
    """Plan every scope; with `repair`, apply the plan once the guards pass and `confirm` agrees.

    `on_planned` sees the report before any repair is asked for (the cli shows the drift there); the
    repair's outcomes go into `repair_report` as they happen (an interrupted repair can say what it did).
    """
    async with open_sessions(workspace) as sessions:
        reviewed = await make_reviewed_plan(workspace, sessions, prune=prune)
        plan = reviewed.plan
        report = DriftReport(reviewed, drifted_rules(reviewed))
        report.refused = blocking(plan.refusals, force) if repair else []
        if on_planned is not None:
            on_planned(report)
        if repair and plan.has_changes and not report.refused:
            if confirm():
                report.repair = await apply_and_verify(workspace, sessions, plan, prune=prune, report=repair_report)
            else:
                report.cancelled = True
    return report
