"""The commands' shared path: config -> targets -> desired state -> live state -> plan -> apply.

The CLI, the demo and the tests all go through here, so they behave the same.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from reconciler.applying import ApplyReport, ProgressHook, apply_plan
from reconciler.config import Config, Target, load_config
from reconciler.errors import ApiError, InputError
from reconciler.guards import check_guards
from reconciler.live import Sessions, fetch_live
from reconciler.loader import cycle_collection_paused, load_desired
from reconciler.models import DesiredState, LiveScope, ScopeRef
from reconciler.planning import Plan, ScopePlan, plan_scope_or_error
from reconciler.providers import PROVIDERS


@dataclass
class Workspace:
    """Config, the selected targets and their desired state: everything known without an API call."""

    config: Config
    targets: list[Target]
    desired: DesiredState

    def prune_for(self, override: bool | None) -> dict[str, bool]:
        return {t.name: t.spec.prune if override is None else override for t in self.targets}


def open_workspace(config_path: Path, target_names: tuple[str, ...] = (), *, check_env: bool = True) -> Workspace:
    """Load and validate config and manifests; all problems are raised together as one InputError."""
    config = load_config(config_path)
    targets = config.select(target_names)
    problems = config.check_environment(targets) if check_env else []
    # The desired state lives for the whole run: spare the cycle collector from walking it again at every
    # full collection while thousands of answers are parsed (a tenth of a large plan's CPU). Collect what
    # came before (little), then load with the collector paused and freeze the result: loading leaves no
    # reference cycles behind (a unit test keeps it so), so a full collection of it would find nothing.
    gc.collect()
    with cycle_collection_paused():
        try:
            desired = load_desired(config, targets)
        except InputError as exc:
            raise InputError(problems + exc.problems) from exc
        if problems:
            raise InputError(problems)
        gc.freeze()
    return Workspace(config, targets, desired)


def open_sessions(workspace: Workspace, transport: httpx.AsyncBaseTransport | None = None) -> Sessions:
    with_manifests = {ref.target for ref in workspace.desired.scopes}
    return Sessions([t for t in workspace.targets if t.name in with_manifests], transport)


async def make_plan(
    workspace: Workspace,
    sessions: Sessions,
    *,
    prune: bool | None = None,
    on_fetched: Callable[[ScopeRef], None] | None = None,
) -> Plan:
    plan, _ = await read_and_plan(workspace, sessions, prune=prune, on_fetched=on_fetched)
    return plan


async def read_and_plan(
    workspace: Workspace,
    sessions: Sessions,
    *,
    prune: bool | None = None,
    on_fetched: Callable[[ScopeRef], None] | None = None,
) -> tuple[Plan, dict[ScopeRef, LiveScope | ApiError]]:
    """The plan of every desired scope, and the live state it was made from."""
    providers = {t.name: PROVIDERS[t.provider] for t in workspace.targets}
    prune_by_target = workspace.prune_for(prune)
    planned: dict[ScopeRef, ScopePlan] = {}

    def plan_fetched(ref: ScopeRef, state: LiveScope | ApiError) -> None:
        # Each scope is planned as soon as it is read: diffing overlaps the other scopes' round trips.
        desired = workspace.desired.scopes[ref]
        planned[ref] = plan_scope_or_error(providers[ref.target], desired, state, prune_by_target[ref.target])
        if on_fetched is not None:
            on_fetched(ref)

    live = await fetch_live(sessions, workspace.desired.scopes, plan_fetched)
    plan = Plan([planned[ref] for ref in sorted(planned)])
    plan.refusals = check_guards(plan, live, workspace.desired, workspace.targets, providers)
    for name in workspace.desired.targets_without_manifests:
        plan.warnings.append(
            f"target {name!r} has no manifests: it is left alone (an empty config never deletes anything)"
        )
    return plan, live


async def run_apply(plan: Plan, sessions: Sessions, on_outcome: ProgressHook | None = None) -> ApplyReport:
    return await apply_plan(plan, sessions, on_outcome)


def delete_verbs() -> dict[str, str]:
    return {name: cls.delete_verb for name, cls in PROVIDERS.items()}
