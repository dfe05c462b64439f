"""After an apply: each scope it wrote to is read again and planned again; what still differs is reported.

An API can accept a write and not keep it, and another writer can act between the plan and the apply
(two applies at once create the same rules twice). Reading back once per scope catches both in the
run that caused them, instead of in the next plan.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from reconciler.engine.apply import ApplyReport, ScopeCheck
from reconciler.engine.model import DesiredScope, LiveScope, ScopeRef
from reconciler.engine.plan import Change, Plan, ScopePlan
from reconciler.engine.planner import plan_scope
from reconciler.engine.provider import Provider
from reconciler.errors import ApiError


def applied_changes(report: ApplyReport) -> dict[ScopeRef, list[Change]]:
    """The changes applied, by scope: grouped in one pass (scopes x outcomes took minutes at 100,000 rules)."""
    applied: dict[ScopeRef, list[Change]] = {}
    for outcome in report.outcomes:
        if outcome.status == "applied":
            applied.setdefault(ScopeRef(outcome.target, outcome.scope), []).append(outcome.change)
    return applied


def _difference(change: Change) -> str:
    if change.action == "reorder":
        return "the rules are not in the manifest's order"
    if change.action == "create":
        return f"{change.identity!r} is missing"
    if change.action == "update":
        return f"{change.identity!r} differs from its manifest ({', '.join(f.path for f in change.fields)})"
    if change.duplicate:
        return f"{change.identity!r} exists more than once"
    return f"{change.identity!r} is in no manifest"


def check_scope(
    provider: type[Provider], desired: DesiredScope, state: LiveScope | ApiError, applied: list[Change], *, prune: bool
) -> tuple[list[str], ScopePlan | None]:
    """What still differs in one scope after the apply (empty when it matches the manifests), and the
    scope planned again (None when it cannot be read)."""
    if isinstance(state, ApiError):
        return [f"its live rules could not be read again: {state}"], None
    again = plan_scope(provider, desired, state, prune=prune)
    differences = [_difference(change) for change in again.changes]
    # A delete the API answered but did not make, seen even when this run does not prune.
    live_refs = [rule.ref for rule in state.rules if not rule.tombstone]
    planned_deletes = [change.ref for change in again.changes if change.action == "delete"]
    for change in applied:
        if change.action == "delete" and change.ref in live_refs and change.ref not in planned_deletes:
            differences.append(f"{change.identity!r} was deleted and is still there")
    return differences, again


@dataclass
class Verification:
    checks: list[ScopeCheck]
    # Scopes whose only difference this run can mend then and there: copies of rules it created
    # (another writer doing the same at the same time), deleted; the planner always keeps the same copy
    # (the one matching the manifest, else the first), so two runs repairing at once delete the same
    # ones. Or an order left wrong by creates placed at a position (an API that counts positions
    # otherwise, or ignores them), put right by one sort.
    repairs: Plan


def _copies_of_own_creates(again: ScopePlan, differences: list[str], applied: list[Change]) -> bool:
    """Whether all that differs is copies of managed rules, no more of them than this run created: a
    writer doing what this run did, at the same time. Anything else is left to a plan and its guards."""
    copies = [change for change in again.changes if change.duplicate]
    creates = sum(1 for change in applied if change.action == "create")
    return len(copies) == len(again.changes) == len(differences) and len(copies) <= creates


def _order_left_by_placed_creates(again: ScopePlan, differences: list[str], applied: list[Change]) -> bool:
    """Whether all that differs is the order, in a scope where this run created rules at a position."""
    placed = any(change.action == "create" and change.position is not None for change in applied)
    only_order = [change.action for change in again.changes] == ["reorder"] and len(differences) == 1
    return placed and only_order


def verify_scope(
    ref: ScopeRef,
    provider: type[Provider],
    desired: DesiredScope,
    state: LiveScope | ApiError,
    applied: list[Change],
    *,
    label: str,
    prune: bool,
) -> tuple[ScopeCheck, ScopePlan | None]:
    """The check of one scope the apply wrote to, from its live rules read again, and the scope planned
    again when what differs is for this run to mend (see `Verification.repairs`), else None."""
    differences, again = check_scope(provider, desired, state, applied, prune=prune)
    check = ScopeCheck(ref.target, ref.scope, label, differences)
    if again is None or not differences:
        return check, None
    if _copies_of_own_creates(again, differences, applied) or _order_left_by_placed_creates(
        again, differences, applied
    ):
        return check, again
    return check, None


def verification(verdicts: list[tuple[ScopeCheck, ScopePlan | None]]) -> Verification:
    """The verification made of each written scope's verdict (`verify_scope`), in the order given."""
    repairs = Plan([again for _, again in verdicts if again is not None])
    return Verification([check for check, _ in verdicts], repairs)


def verify_plan(
    plan: Plan,
    report: ApplyReport,
    desired: Mapping[ScopeRef, DesiredScope],
    live: Mapping[ScopeRef, LiveScope | ApiError],
    providers: Mapping[str, type[Provider]],
    prune: Mapping[str, bool],
) -> Verification:
    """A check of each scope the apply wrote to, from its live rules read again (`live`)."""
    labels = {scope.ref: scope.label for scope in plan.scopes}
    applied_in = applied_changes(report)
    verdicts = [
        verify_scope(
            ref,
            providers[ref.target],
            desired[ref],
            state,
            applied_in.get(ref, []),
            label=labels.get(ref, ref.scope),
            prune=prune[ref.target],
        )
        for ref, state in sorted(live.items())
    ]
    return verification(verdicts)
