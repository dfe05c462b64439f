"""Safety guards: plans that would do too much damage are refused before any write.

- `max_change_share`: updating or deleting more than this share of a target's live rules (once the
  target has `max_change_share_min_rules` or more) needs `apply --force`;
- `delete_all`: deleting every live rule of a target needs `apply --force`;
- `protect`: a protected rule is never deleted or disabled; `--force` does not get past it. Rules are
  protected by `protect: true` in their manifest, or by identity in the target's `protect` list in
  reconciler.yaml, which keeps protecting a rule after its manifest block is removed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from reconciler.config import Target
from reconciler.errors import ApiError
from reconciler.models import DesiredState, LiveScope, ScopeRef
from reconciler.planning import Change, Plan, Refusal, ScopePlan
from reconciler.providers.base import Provider

FORCE_HINT = "review the plan, then run `apply --force` if it is what you want"


def check_guards(
    plan: Plan,
    live: Mapping[ScopeRef, LiveScope | ApiError],
    desired: DesiredState,
    targets: list[Target],
    providers: Mapping[str, type[Provider]],
) -> list[Refusal]:
    """Every guard the plan trips, per target."""
    refusals: list[Refusal] = []
    for target in targets:
        scopes = [s for s in plan.scopes if s.target == target.name and not s.error]
        if not scopes:
            continue
        provider = providers[target.name]
        refusals += _protected(target, scopes, desired, provider)
        live_count = sum(
            sum(1 for rule in state.rules if not rule.tombstone)
            for ref, state in live.items()
            if ref.target == target.name and isinstance(state, LiveScope)
        )
        refusals += _mass_change(target, scopes, live_count)
    return refusals


def blocking(refusals: list[Refusal], force: bool) -> list[Refusal]:
    """The refusals that stop an apply: all of them, or with --force those it does not override."""
    return [r for r in refusals if not (force and r.force_overrides)]


def _mass_change(target: Target, scopes: list[ScopePlan], live_count: int) -> list[Refusal]:
    changes = [c for s in scopes for c in s.changes]
    deletes = sum(1 for c in changes if c.action == "delete")
    changed = deletes + sum(1 for c in changes if c.action == "update")
    if live_count and deletes >= live_count:
        return [
            Refusal(
                target.name,
                "delete_all",
                f"the plan deletes every live rule of target {target.name!r} ({live_count})",
                FORCE_HINT,
                force_overrides=True,
            )
        ]
    share = target.spec.max_change_share
    if live_count >= target.spec.max_change_share_min_rules and live_count and changed / live_count > share:
        return [
            Refusal(
                target.name,
                "max_change_share",
                f"the plan updates or deletes {changed} of the {live_count} live rules of target {target.name!r} "
                f"({changed / live_count:.0%}), more than max_change_share {share:.0%}",
                f"{FORCE_HINT}, or raise targets.{target.name}.max_change_share in reconciler.yaml",
                force_overrides=True,
            )
        ]
    return []


def _protected(
    target: Target, scopes: list[ScopePlan], desired: DesiredState, provider: type[Provider]
) -> list[Refusal]:
    by_config = set(target.spec.protect)
    refusals = []
    for scope in scopes:
        in_manifests = desired.scopes.get(scope.ref)
        by_manifest = {r.identity: str(r.location) for r in in_manifests.rules if r.protect} if in_manifests else {}
        for change in scope.changes:
            verb = _harm(change, provider)
            if verb is None or (change.identity not in by_config and change.identity not in by_manifest):
                continue
            where = (
                f"targets.{target.name}.protect in reconciler.yaml"
                if change.identity in by_config
                else f"protect: true at {by_manifest[change.identity]}"
            )
            refusals.append(
                Refusal(
                    target.name,
                    "protect",
                    f"the plan would {verb} {json.dumps(change.identity)} in {scope.label}, "
                    f"which is protected ({where})",
                    "--force does not override protection: keep the rule as it is in the manifests (or turn prune "
                    "off), or remove its protection first if it really must go",
                    force_overrides=False,
                )
            )
    return refusals


def _harm(change: Change, provider: type[Provider]) -> str | None:
    """'delete' or 'disable' when the change takes a rule away, else None."""
    if change.action == "delete":
        return provider.delete_verb
    turns_off = (
        change.action == "update"
        and change.after is not None
        and change.before is not None
        and provider.is_disabled(change.after)
        and not provider.is_disabled(change.before)
    )
    return "disable" if turns_off else None
