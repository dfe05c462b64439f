"""Plan -> applied changes. Every change ends applied, failed (with the API's words) or skipped.

A failed change does not stop the others: scopes run concurrently, and inside a scope a failure
only skips what depends on it (a reorder needs every earlier change of its scope to have landed).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler.engine.plan import APPLY_ORDER, Change, Plan, ScopePlan
from reconciler.engine.provider import Provider
from reconciler.errors import ApiError
from reconciler.http.answers import SHAPE_ERRORS, shape_words


@dataclass
class Outcome:
    target: str
    scope: str
    label: str
    change: Change
    status: str  # "applied" | "failed" | "skipped"
    message: str = ""
    provider: str = ""
    delete_verb: str = "delete"  # the scope's, for reports that name the change

    def to_json(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "scope": self.scope,
            "action": self.change.action,
            "identity": self.change.identity,
            "status": self.status,
            "message": self.message,
        }


@dataclass
class ScopeCheck:
    """A scope the apply wrote to, as read back afterwards: `differences` empty means verified."""

    target: str
    scope: str
    label: str
    differences: list[str] = field(default_factory=list)
    # Copies of managed rules found on reading back (another writer at the same time), then deleted.
    repaired: int = 0

    @property
    def verified(self) -> bool:
        return not self.differences

    def to_json(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "scope": self.scope,
            "verified": self.verified,
            "differences": self.differences,
            "repaired": self.repaired,
        }


@dataclass
class ApplyReport:
    outcomes: list[Outcome] = field(default_factory=list)
    # Filled by verifying after the apply (engine/verify.py): one per scope written to.
    checks: list[ScopeCheck] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def ok(self) -> bool:
        """Every change applied, and every scope written to matches the manifests when read back."""
        return all(o.status == "applied" for o in self.outcomes) and all(c.verified for c in self.checks)


ProgressHook = Callable[[Outcome], None]
# Told of a scope once all its changes have ended, with those applied (never an empty list).
WrittenHook = Callable[[ScopePlan, list[Change]], None]


async def _run_change(provider: Provider, scope: ScopePlan, change: Change, created: dict[str, dict[str, Any]]) -> None:
    body = change.body or {}
    if change.action == "create":
        created[change.identity] = await provider.create(scope.scope, body, change.position)
    elif change.action == "update":
        await provider.update(scope.scope, change.ref or {}, body)
    elif change.action == "delete":
        await provider.delete(scope.scope, change.ref or {}, body)
    elif change.action == "reorder":
        refs = [entry.get("ref") or created[entry["identity"]] for entry in change.sequence or []]
        await provider.reorder(scope.scope, refs)


async def apply_scope(
    provider: Provider, scope: ScopePlan, report: ApplyReport, on_outcome: ProgressHook | None
) -> list[Change]:
    """The scope's changes, in APPLY_ORDER; returns those applied."""
    created: dict[str, dict[str, Any]] = {}
    failed = False
    applied: list[Change] = []

    def record(change: Change, status: str, message: str = "") -> None:
        if status == "applied":
            applied.append(change)
        outcome = Outcome(
            scope.target, scope.scope, scope.label, change, status, message, scope.provider, scope.delete_verb
        )
        report.outcomes.append(outcome)
        if on_outcome:
            on_outcome(outcome)

    async def attempt(change: Change) -> bool:
        try:
            await _run_change(provider, scope, change, created)
        except ApiError as exc:
            if change.duplicate and exc.status == 404:
                # Two applies at once find the same copy and both delete it: the later DELETE finds it
                # gone, which is what it wanted. Any other rule's 404 stays a failure.
                record(change, "applied", "already deleted (by another writer)")
                return True
            record(change, "failed", str(exc))
            return False
        except SHAPE_ERRORS as exc:  # an answer of an unexpected shape fails this change only
            record(change, "failed", f"{provider.client.host}: unexpected answer: {shape_words(exc)}")
            return False
        record(change, "applied")
        return True

    async def side_by_side(group: list[Change]) -> bool:
        """Whether every change of the group was applied. A change alone is awaited, not made a task:
        most scopes of a large apply change one rule, and a task each held the event loop at the start."""
        if len(group) <= 1:
            return all([await attempt(change) for change in group])
        return all(await asyncio.gather(*(attempt(change) for change in group)))

    changes = sorted(scope.changes, key=lambda c: APPLY_ORDER[c.action])
    for action in ("update", "delete"):
        failed |= not await side_by_side([c for c in changes if c.action == action])
    creates = [c for c in changes if c.action == "create"]
    if provider.ordered:
        for change in creates:  # in manifest order: each position counts the creates before it
            failed |= not await attempt(change)
    else:
        failed |= not await side_by_side(creates)
    for change in (c for c in changes if c.action == "reorder"):
        if failed:
            record(change, "skipped", "an earlier change in this scope failed; the next apply reorders")
        else:
            await attempt(change)
    return applied


async def apply_plan(
    plan: Plan,
    providers: Mapping[str, Provider],
    on_outcome: ProgressHook | None = None,
    report: ApplyReport | None = None,
    on_scope_written: WrittenHook | None = None,
) -> ApplyReport:
    """Each scope's changes through its target's provider (`providers` by target name).

    Outcomes are added to `report` as they happen, so a caller that cancels the apply (Ctrl-C) still
    knows what was applied. `on_scope_written` is told of each scope where a change was applied, with
    the changes applied, once all of that scope's changes have ended (while other scopes may still be
    writing).
    """
    report = ApplyReport() if report is None else report

    async def apply_one(scope: ScopePlan) -> None:
        applied = await apply_scope(providers[scope.target], scope, report, on_outcome)
        if applied and on_scope_written is not None:
            on_scope_written(scope, applied)

    await asyncio.gather(*(apply_one(scope) for scope in plan.scopes if scope.changes and not scope.error))
    return report
