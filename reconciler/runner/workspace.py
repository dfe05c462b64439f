"""A workspace: config, the selected targets and their desired state, loaded once per run."""

from __future__ import annotations

import gc
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from reconciler.engine.model import DesiredState, ScopeRef
from reconciler.engine.shard import Shard
from reconciler.errors import InputError, Problem
from reconciler.project.config import Config, Target, load_config
from reconciler.project.loader import cycle_collection_paused, load_desired
from reconciler.project.parsing import ManifestReader
from reconciler.project.policies import PolicySet, load_policies
from reconciler.project.secretscan import secret_problems
from reconciler.project.trusted import pin_to_base


@dataclass
class Workspace:
    """Config, the selected targets and their desired state: everything known without an API call."""

    config: Config
    targets: list[Target]
    desired: DesiredState
    # Said with every plan of this workspace (a target planned with the base branch's url).
    warnings: list[str] = field(default_factory=list)
    policies: PolicySet | None = None  # compiled once per run; None when the project has no policies

    def prune_for(self, override: bool | None) -> dict[str, bool]:
        """Whether each target prunes; never one whose manifests did not all load."""
        incomplete = self.desired.incomplete_targets
        return {
            t.name: (t.spec.prune if override is None else override) and t.name not in incomplete for t in self.targets
        }


def open_workspace(
    config_path: Path,
    target_names: tuple[str, ...] = (),
    *,
    check_env: bool = True,
    base_config: Path | None = None,
    on_scope: Callable[[ScopeRef], None] | None = None,
    reader: ManifestReader | None = None,
) -> Workspace:
    """Load and validate config, manifests and policies; all problems are raised together as one InputError.

    With `base_config` (the base branch's config, for a pull request's plan), the targets the plan reads
    keep the url and credentials the base branch gives them (`pin_to_base`). `on_scope` is told of each
    scope as soon as it is known, while everything loaded so far is valid (see `load_desired`). `reader`:
    one started early for the manifests (see `load_desired`).
    """
    config = load_config(config_path)
    targets = config.select(target_names)
    try:
        policies = load_policies(config, datetime.now(UTC).date())
    except InputError as exc:
        policies, policy_problems = None, exc.problems
    else:
        policy_problems = []
    # The desired state lives for the whole run: spare the cycle collector from walking it again at every
    # full collection while thousands of answers are parsed (a tenth of a large plan's CPU). Load with the
    # collector paused and freeze the result: loading leaves no reference cycles behind (a unit test keeps
    # it so), so a full collection of it would find nothing. What came before (modules, little garbage)
    # is frozen with it uncollected: a collection first would cost a small project's validate a tenth.
    with cycle_collection_paused():
        try:
            desired = load_desired(config, targets, on_scope=None if policy_problems else on_scope, reader=reader)
        except InputError as exc:
            env_problems = config.check_environment(targets) if check_env else []
            raise InputError(env_problems + policy_problems + exc.problems) from exc
        warnings: list[str] = []
        problems: list[Problem] = secret_problems(desired, config)
        if base_config is not None:
            targets, warnings, problems = pin_to_base(targets, base_config, {ref.target for ref in desired.scopes})
        if check_env:
            problems += config.check_environment(targets)
        problems += policy_problems
        if problems:
            raise InputError(problems)
        gc.freeze()
    return Workspace(config, targets, desired, warnings, policies)


def with_scopes(workspace: Workspace, keep: Callable[[ScopeRef], bool]) -> Workspace:
    """The workspace narrowed to the desired scopes `keep` accepts (targets stay, to be named in warnings)."""
    desired = DesiredState(
        {ref: scope for ref, scope in workspace.desired.scopes.items() if keep(ref)},
        list(workspace.desired.targets_without_manifests),
        workspace.desired.digests,
    )
    return Workspace(workspace.config, workspace.targets, desired, workspace.warnings, workspace.policies)


def shard_workspace(workspace: Workspace, shard: Shard | None) -> Workspace:
    """Only this shard's scopes; a target without manifests is reported by the shard its name falls in."""
    if shard is None:
        return workspace
    narrowed = with_scopes(workspace, shard.holds_scope)
    narrowed.desired.targets_without_manifests = [
        name for name in workspace.desired.targets_without_manifests if shard.holds(name)
    ]
    return narrowed


def written_targets(workspace: Workspace) -> list[Target]:
    """The targets a run of this workspace reads and may write to: those with manifests."""
    with_manifests = {ref.target for ref in workspace.desired.scopes}
    return [target for target in workspace.targets if target.name in with_manifests]
