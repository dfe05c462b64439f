"""Rule tests wired to the project: cases against the manifests (offline) or the live rules, the impact
of a plan on them, and recording outcomes as expectations. Returns values, prints nothing."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from reconciler.engine.behaviour import Evaluator
from reconciler.engine.model import LiveScope, ScopeRef
from reconciler.engine.plan import APPLY_ORDER, Plan, ScopePlan
from reconciler.engine.read import fetch_live
from reconciler.engine.ruletests import CaseImpact, CaseResult, RuleCase, case_impact, run_case
from reconciler.errors import ApiError, ReconcilerError
from reconciler.project.ruletest_record import record_expectations
from reconciler.project.ruletests import load_cases
from reconciler.providers.registry import EVALUATORS
from reconciler.runner.resolve import resolved_ref
from reconciler.runner.sessions import Sessions
from reconciler.runner.workspace import Workspace


def _matches(case: RuleCase, pattern: str) -> bool:
    wanted = pattern.casefold()
    names = (case.name.casefold(), case.title.casefold())
    if re.search(r"[*?\[]", pattern):
        return any(fnmatchcase(name, wanted) for name in names)
    return any(wanted in name for name in names)


def select_cases(cases: Sequence[RuleCase], pattern: str | None) -> list[RuleCase]:
    """`-k PATTERN`: cases whose name or `file::name` matches a glob, or contains the text (any case)."""
    return [case for case in cases if not pattern or _matches(case, pattern)]


def _evaluator(workspace: Workspace, ref: ScopeRef) -> type[Evaluator]:
    return EVALUATORS[workspace.config.targets[ref.target].provider]  # cases exist only where one does


def run_offline(workspace: Workspace, cases: Sequence[RuleCase]) -> list[CaseResult]:
    """Every case against its scope's rules as the manifests declare them."""
    results = []
    for case in cases:
        rules = [rule.body for rule in workspace.desired.scopes[case.ref].rules]
        results.append(run_case(_evaluator(workspace, case.ref), rules, case))
    return results


async def run_live(workspace: Workspace, sessions: Sessions, cases: Sequence[RuleCase]) -> list[CaseResult]:
    """Every case against its scope's live rules: one read-only list per scope."""
    live = await fetch_live(sessions.providers, sorted({c.ref for c in cases}))
    results = []
    for case in cases:
        state = live[case.ref]
        if isinstance(state, ApiError):
            results.append(CaseResult(case, error=f"live rules could not be read: {state}"))
            continue
        rules = [rule.body for rule in state.rules if not rule.tombstone]
        results.append(run_case(_evaluator(workspace, case.ref), rules, case))
    return results


def _ref_key(ref: Mapping[str, Any] | None) -> str:
    return repr(sorted((ref or {}).items()))


def rules_after(scope: ScopePlan, live: LiveScope) -> list[dict[str, Any]]:
    """The scope's live rules as they will be once the plan's changes are applied, in apply's order and
    their new order: updates replace bodies, deletes leave, creates join at their position (else at
    the end), a reorder sets the whole order."""
    slots: list[tuple[str, str, dict[str, Any]]] = [  # (ref key, identity, body)
        (_ref_key(rule.ref), rule.identity, rule.body) for rule in live.rules if not rule.tombstone
    ]
    for change in sorted(scope.changes, key=lambda c: APPLY_ORDER[c.action]):
        if change.action == "create" and change.body is not None:
            at = len(slots) if change.position is None else change.position - 1
            slots.insert(at, ("", change.identity, change.body))
        elif change.action == "update" and change.body is not None:
            slots = [(k, i, change.body if k == _ref_key(change.ref) else b) for k, i, b in slots]
        elif change.action == "delete":
            slots = [slot for slot in slots if slot[0] != _ref_key(change.ref)]
        elif change.action == "reorder" and change.sequence:
            by_ref = {k: (k, i, b) for k, i, b in slots if k}
            created = {i: (k, i, b) for k, i, b in slots if not k}
            slots = [
                by_ref[_ref_key(item["ref"])] if "ref" in item else created[item["identity"]]
                for item in change.sequence
                if ("ref" in item and _ref_key(item["ref"]) in by_ref) or item.get("identity") in created
            ]
    return [body for _, _, body in slots]


def plan_impact(
    workspace: Workspace, plan: Plan, live: Mapping[ScopeRef, LiveScope | ApiError], cases: Sequence[RuleCase]
) -> list[CaseImpact]:
    """Each case whose outcome under the live rules differs from its outcome once the plan is applied."""
    scopes = {scope.ref: scope for scope in plan.scopes}
    impact = []
    for case in cases:
        ref = resolved_ref(workspace.desired, case.ref, workspace.config.targets[case.ref.target].provider_class)
        scope, state = scopes.get(ref), live.get(ref)
        if scope is None or not isinstance(state, LiveScope) or not scope.changes:
            continue
        before = [rule.body for rule in state.rules if not rule.tombstone]
        entry = case_impact(_evaluator(workspace, case.ref), case, scope.label, before, rules_after(scope, state))
        if entry is not None:
            impact.append(entry)
    return impact


def load_workspace_cases(
    workspace: Workspace, pattern: str | None = None, *, check_rules: bool = True
) -> list[RuleCase]:
    """The workspace's cases (narrowed by `-k`); see `load_cases` for `check_rules`."""
    cases = load_cases(workspace.config, workspace.targets, workspace.desired, check_rules=check_rules)
    selected = select_cases(cases, pattern)
    if cases and not selected:
        # A mistyped -k in CI must not turn the check green with nothing run.
        raise ReconcilerError(f"-k {pattern!r} matches none of the {len(cases)} case(s): nothing was run")
    return selected


def record_outcomes(workspace: Workspace, results: Sequence[CaseResult]) -> list[tuple[RuleCase, str]]:
    """Writes each recordable case's current outcome into its file as its expectation, marked recorded.
    Returns each case with what happened to it: `recorded`, `kept` (a hand-written expectation), or
    why it could not be recorded."""
    report: list[tuple[RuleCase, str]] = []
    by_file: dict[Path, dict[int, dict[str, Any]]] = {}
    for result in results:
        case = result.case
        if not case.recordable:
            report.append((case, "kept"))
        elif result.got is None or case.path is None:
            report.append((case, f"not recorded: {result.error}"))
        else:
            by_file.setdefault(case.path, {})[case.index] = _evaluator(workspace, case.ref).recorded(result.got)
            report.append((case, "recorded"))
    for path, outcomes in by_file.items():
        record_expectations(path, outcomes)
    return report
