"""The commands' shared path: desired state -> live state -> plan -> apply, and saved plans.

The CLI, the demo and the tests all go through here, so they behave the same. Nothing here prints.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Awaitable, Callable, MutableMapping
from functools import partial

from reconciler.engine.apply import ApplyReport, ProgressHook, ScopeCheck, WrittenHook, apply_plan
from reconciler.engine.digest import live_digest, live_fingerprint
from reconciler.engine.guards import check_guards
from reconciler.engine.model import LiveScope, LiveSummary, ScopeRef
from reconciler.engine.plan import Change, Plan, ScopePlan
from reconciler.engine.planner import plan_scope_or_error
from reconciler.engine.read import fetch_live, fetch_scope, read_each
from reconciler.engine.saved import STALE, Fingerprints, ReviewedPlan, moved_names, plan_differences
from reconciler.engine.shard import Shard
from reconciler.engine.verify import Verification, verification, verify_plan, verify_scope
from reconciler.errors import ApiError, ReconcilerError
from reconciler.runner.policing import gate_plan
from reconciler.runner.resolve import resolve_names
from reconciler.runner.sessions import Sessions, cancel_all
from reconciler.runner.workspace import Workspace, shard_workspace

# A written scope of this many live rules or more is checked in a worker thread (see apply_and_verify).
CHECKED_APART = 500


async def make_plan(
    workspace: Workspace,
    sessions: Sessions,
    *,
    prune: bool | None = None,
    on_fetched: Callable[[ScopeRef], None] | None = None,
) -> Plan:
    plan, _ = await read_and_plan(workspace, sessions, prune=prune, on_fetched=on_fetched)
    return plan


# What a plan keeps of the live state: each scope's rules whole, or once let go their summary, or its read error.
LiveState = dict[ScopeRef, LiveScope | LiveSummary | ApiError]


async def read_and_plan(
    workspace: Workspace,
    sessions: Sessions,
    *,
    prune: bool | None = None,
    on_fetched: Callable[[ScopeRef], None] | None = None,
    started: MutableMapping[ScopeRef, Awaitable[LiveScope | ApiError]] | None = None,
    keep_live: Callable[[ScopePlan], bool] | None = None,
    fingerprinted: bool = False,
) -> tuple[Plan, LiveState]:
    """The plan of every desired scope, and what it keeps of the live state it was made from (names
    resolved first; `started`: reads begun while the manifests loaded, see `runner.prefetch`).

    A scope's live rules are let go as soon as the scope is planned, its summary kept instead (with the
    fingerprint of its rules when `fingerprinted`), unless `keep_live` asks for them given the scope's
    plan: at 100,000 rules, the live rules held to the end were the largest part of a plan's memory.
    """
    await resolve_names(workspace.desired, sessions)
    providers = {t.name: t.provider_class for t in workspace.targets}
    prune_by_target = workspace.prune_for(prune)
    planned: dict[ScopeRef, ScopePlan] = {}
    read: LiveState = {}

    def plan_fetched(ref: ScopeRef, state: LiveScope | ApiError) -> None:
        # Each scope is planned as soon as it is read: diffing overlaps the other scopes' round trips.
        desired = workspace.desired.scopes[ref]
        scope_plan = plan_scope_or_error(providers[ref.target], desired, state, prune_by_target[ref.target])
        planned[ref] = scope_plan
        kept: LiveScope | LiveSummary | ApiError = state
        if isinstance(state, LiveScope) and not (keep_live is not None and keep_live(scope_plan)):
            kept = LiveSummary(ref, state.live_count, live_digest(state) if fingerprinted else None)
        read[ref] = kept
        if on_fetched is not None:
            on_fetched(ref)

    refs = list(workspace.desired.scopes)
    await read_each(sessions.providers, refs, plan_fetched, started)
    live = {ref: read[ref] for ref in refs}
    plan = Plan([planned[ref] for ref in sorted(planned)], list(workspace.warnings))
    plan.refusals = check_guards(plan, live, workspace.desired, [t.guard_policy for t in workspace.targets], providers)
    for name in workspace.desired.targets_without_manifests:
        plan.warnings.append(
            f"target {name!r} has no manifests: it is left alone (an empty config never deletes anything); "
            "to delete its rules, give it a manifest with `rules: []` (one per app for OneLogin) and prune"
        )
    return gate_plan(workspace, plan), live


async def run_apply(
    plan: Plan,
    sessions: Sessions,
    on_outcome: ProgressHook | None = None,
    report: ApplyReport | None = None,
    on_scope_written: WrittenHook | None = None,
) -> ApplyReport:
    """Apply the plan (see `apply_plan`)."""
    return await apply_plan(plan, sessions.providers, on_outcome, report, on_scope_written)


async def apply_and_verify(
    workspace: Workspace,
    sessions: Sessions,
    plan: Plan,
    *,
    prune: bool | None = None,
    on_outcome: ProgressHook | None = None,
    report: ApplyReport | None = None,
) -> ApplyReport:
    """Apply the plan, then read again every scope it wrote to (one list per scope) and record in the
    report what still differs from the manifests: a write the API did not keep, another writer's.
    Outcomes go into `report` as they happen (see `apply_plan`).

    Each written scope is read back and checked as soon as its own changes have ended: those reads
    overlap the other scopes' writes, and the checks the round trips of the reads still in flight,
    instead of all waiting for the last write.

    Copies of the rules it created, made by another writer at the same time (two applies at once), are
    deleted then and there (no more than it created), and those scopes are read once more.
    """
    # The plan and the live state it was made from live until the apply ends: out of the cycle
    # collector, as the desired state is, the full collections the writes' allocations set off walk
    # neither (at 12,000 rules one took 40 ms as the writes began, every answer waiting).
    gc.freeze()
    providers = {t.name: t.provider_class for t in workspace.targets}
    prune_by_target = workspace.prune_for(prune)
    checking: dict[ScopeRef, asyncio.Task[tuple[ScopeCheck, ScopePlan | None]]] = {}

    async def read_back_and_check(scope: ScopePlan, applied: list[Change]) -> tuple[ScopeCheck, ScopePlan | None]:
        state = await fetch_scope(sessions.providers, scope.ref)
        desired = workspace.desired.scopes[scope.ref]
        provider, pruned = providers[scope.target], prune_by_target[scope.target]
        check = partial(verify_scope, scope.ref, provider, desired, state, applied, label=scope.label, prune=pruned)
        if isinstance(state, LiveScope) and len(state.rules) >= CHECKED_APART:
            # Planning a large scope again held the event loop (2,000 ViziVault rules: 35 ms) with other
            # scopes' requests in flight: in a worker thread, the loop still takes their answers meanwhile.
            return await asyncio.to_thread(check)
        return check()

    def written(scope: ScopePlan, applied: list[Change]) -> None:
        checking[scope.ref] = asyncio.create_task(read_back_and_check(scope, applied))

    try:
        report = await run_apply(plan, sessions, on_outcome, report, written)
        verdicts = await asyncio.gather(*(checking[ref] for ref in sorted(checking)))
    except BaseException:  # interrupted: no read-back is left running
        await cancel_all(checking.values())
        raise
    verified = verification(verdicts)
    report.checks = verified.checks
    repairs = verified.repairs
    if not repairs.scopes:
        return report
    await run_apply(repairs, sessions, on_outcome, report)
    again, _ = await _verify(workspace, sessions, repairs, report, prune, [scope.ref for scope in repairs.scopes])
    by_ref = {(check.target, check.scope): check for check in again.checks}
    counts = {scope.ref: len(scope.changes) for scope in repairs.scopes}
    for index, check in enumerate(report.checks):
        replaced = by_ref.get((check.target, check.scope))
        if replaced is not None:
            replaced.repaired = counts[ScopeRef(check.target, check.scope)]
            report.checks[index] = replaced
    return report


async def _verify(
    workspace: Workspace, sessions: Sessions, plan: Plan, report: ApplyReport, prune: bool | None, refs: list[ScopeRef]
) -> tuple[Verification, dict[ScopeRef, LiveScope | ApiError]]:
    live = await fetch_live(sessions.providers, refs)
    providers = {t.name: t.provider_class for t in workspace.targets}
    verification = verify_plan(plan, report, workspace.desired.scopes, live, providers, workspace.prune_for(prune))
    return verification, live


def manifest_digests(workspace: Workspace) -> dict[str, str]:
    """The config and each manifest file that declares rules of the workspace's scopes, by project path."""
    desired = workspace.desired
    wanted = {name for scope in desired.scopes.values() for name in scope.files}
    # Digests of the bytes the loaders read: nothing lists or reads the rules folder again.
    files = {workspace.config.path.name: workspace.config.digest, **{name: desired.digests[name] for name in wanted}}
    return dict(sorted(files.items()))


async def make_reviewed_plan(
    workspace: Workspace,
    sessions: Sessions,
    *,
    prune: bool | None = None,
    shard: Shard | None = None,
    on_fetched: Callable[[ScopeRef], None] | None = None,
    fingerprinted: bool = True,
    started: MutableMapping[ScopeRef, Awaitable[LiveScope | ApiError]] | None = None,
    keep_live: Callable[[ScopePlan], bool] | None = None,
) -> ReviewedPlan:
    """Read live state once, plan from it, and fingerprint what the plan was made from.

    `workspace` is already narrowed to `shard`; the shard is recorded so that apply narrows alike.
    Fingerprints (hashing every manifest and every live rule) are made only when `fingerprinted`:
    a plan only shown on a terminal needs none. The plan keeps the live rules of the scopes `keep_live`
    asks for (rule tests' impact, drift's dates), of the others their summary (see `read_and_plan`).
    """
    plan, live = await read_and_plan(
        workspace,
        sessions,
        prune=prune,
        on_fetched=on_fetched,
        started=started,
        keep_live=keep_live,
        fingerprinted=fingerprinted,
    )
    fingerprints = Fingerprints()
    if fingerprinted:
        fingerprints = Fingerprints(
            manifest_digests(workspace),
            {str(ref): live_fingerprint(s) for ref, s in sorted(live.items()) if not isinstance(s, ApiError)},
            dict(sorted((workspace.desired.names or {}).items())),
        )
    return ReviewedPlan(plan, [t.name for t in workspace.targets], fingerprints, shard, live, prune)


def plan_workspace(workspace: Workspace, reviewed: ReviewedPlan) -> Workspace:
    """The workspace as the plan saw it: its targets, narrowed to its shard. A manifest declaring a
    scope the plan does not cover is then a file the plan did not see, which makes it stale."""
    return shard_workspace(workspace, reviewed.shard)


def stale_manifests(reviewed: ReviewedPlan, workspace: Workspace) -> list[str]:
    now = manifest_digests(workspace)
    then = reviewed.fingerprints.manifests
    return sorted(name for name in set(now) | set(then) if now.get(name) != then.get(name))


async def check_fresh(reviewed: ReviewedPlan, workspace: Workspace, sessions: Sessions) -> Plan:
    """The plan to apply for a saved plan: made again now from the manifests, the config's guards and the
    live rules, and applied only if it is the file's plan and nothing it was made from changed.

    Nothing the file says is acted on: a file edited after it was made (a refusal removed, an action or
    a body changed, fingerprints dropped) differs from the plan made now. Raises ReconcilerError naming
    each changed manifest, each scope whose live rules changed or cannot be read now, and each
    difference between the two plans.
    """
    reasons: list[str] = []
    changed_files = stale_manifests(reviewed, workspace)
    if changed_files:
        reasons.append(f"manifests changed since the plan was made: {', '.join(changed_files)}")
    now, live = await read_and_plan(workspace, sessions, prune=reviewed.prune, fingerprinted=True)
    reasons += moved_names(reviewed.fingerprints.names, workspace.desired.names or {})
    labels = {scope.ref: f"{scope.target} · {scope.label}" for scope in now.scopes}
    then = reviewed.fingerprints.live
    for ref, state in sorted(live.items()):
        if isinstance(state, ApiError):
            if str(ref) in then:
                reasons.append(f"live rules of {labels[ref]} could not be read again: {state}")
        elif str(ref) not in then:
            reasons.append(f"live rules of {labels[ref]} have no fingerprint in the plan file")
        elif live_fingerprint(state) != then[str(ref)]:
            reasons.append(f"live rules of {labels[ref]} changed since the plan was made")
    if not reasons:  # with its inputs unchanged, a plan differs from the file's only if the file was edited
        reasons += [f"the plan file differs from a plan made now: {r}" for r in plan_differences(reviewed.plan, now)]
    if reasons:
        raise ReconcilerError(f"{STALE}:\n  " + "\n  ".join(reasons))
    # The policies are those of now (read_and_plan evaluated them), not of when the plan was made.
    return now
