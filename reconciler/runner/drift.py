"""Drift: what a plan of every target would change in live rules, with when each live rule last
moved, and the repair when one is asked for. `run_sync` returns a DriftReport; the cli prints it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from reconciler.engine.apply import ApplyReport
from reconciler.engine.model import LiveScope, ScopeRef
from reconciler.engine.plan import Action, Plan, Refusal, ScopePlan
from reconciler.engine.saved import ReviewedPlan
from reconciler.runner.flows import make_reviewed_plan
from reconciler.runner.sessions import open_sessions
from reconciler.runner.workspace import Workspace
from reconciler.runner.writing import Watch, Written, guard_confirm_apply, unwatched

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
    """The drift found, and what became of the repair (`written`: refused by a guard or a policy,
    cancelled at the prompt, applied, stopped midway), or None when no repair was asked for."""

    reviewed: ReviewedPlan
    drifted: list[Drifted]
    written: Written | None = None

    @property
    def plan(self) -> Plan:
        return self.reviewed.plan

    @property
    def refused(self) -> list[Refusal]:
        return [] if self.written is None else self.written.refused

    @property
    def cancelled(self) -> bool:
        return self.written is not None and self.written.cancelled

    @property
    def repair(self) -> ApplyReport | None:
        return None if self.written is None else self.written.report


def _has_changes(scope: ScopePlan) -> bool:
    return bool(scope.changes)


async def run_sync(
    workspace: Workspace,
    *,
    prune: bool | None,
    repair: bool,
    force: bool = False,
    confirm: Callable[[], bool],
    on_planned: Callable[[DriftReport], None] | None = None,
    watch: Watch = unwatched,
) -> DriftReport:
    """Plan every scope; with `repair`, write the plan back as `apply` does (`guard_confirm_apply`).

    `on_planned` sees the report before any repair is asked for (the cli shows the drift there).
    """
    async with open_sessions(workspace) as sessions:
        # Drift shows when each changed rule last changed: the live rules of scopes with changes are kept.
        reviewed = await make_reviewed_plan(workspace, sessions, prune=prune, keep_live=_has_changes)
        report = DriftReport(reviewed, drifted_rules(reviewed))
        if on_planned is not None:
            on_planned(report)
        if repair:
            report.written = await guard_confirm_apply(
                workspace, sessions, reviewed.plan, prune=prune, force=force, confirm=confirm, watch=watch
            )
    return report
