"""Safety guards: plans that would do too much damage are refused before any write.

- `max_change_share`: updating or deleting more than this share of a target's live rules (once the
  target has `max_change_share_min_rules` or more) needs `apply --force`;
- `max_update_share`, `max_delete_share`: when set, the same for updates alone and deletes alone, as
  octoDNS's update and delete thresholds (a target may allow wide edits but few deletes);
- `delete_all`: deleting every live rule of a target needs `apply --force`;
- `protect`: a protected rule is never deleted or disabled; `--force` does not get past it. Rules are
  protected by `protect: true` in their manifest, or by identity in the target's `protect` list in
  reconciler.yaml, which keeps protecting a rule after its manifest block is removed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from reconciler.engine.model import DesiredState, LiveScope, LiveSummary, ScopeRef
from reconciler.engine.plan import Change, Plan, Refusal, ScopePlan
from reconciler.engine.provider import Provider
from reconciler.errors import ApiError

FORCE_HINT = "review the plan, then run `apply --force` if it is what you want"


@dataclass(frozen=True)
class GuardPolicy:
    """One target's guard settings, built by the config (the engine reads no config)."""

    target: str
    max_change_share: float = 0.3
    max_change_share_min_rules: int = 10
    protect: frozenset[str] = frozenset()
    max_update_share: float | None = None  # None: only max_change_share counts updates
    max_delete_share: float | None = None


def check_guards(
    plan: Plan,
    live: Mapping[ScopeRef, LiveScope | LiveSummary | ApiError],
    desired: DesiredState,
    policies: list[GuardPolicy],
    providers: Mapping[str, type[Provider]],
) -> list[Refusal]:
    """Every guard the plan trips, per target."""
    refusals: list[Refusal] = []
    for policy in policies:
        scopes = [s for s in plan.scopes if s.target == policy.target and not s.error]
        if not scopes:
            continue
        provider = providers[policy.target]
        refusals += _protected(policy, scopes, desired, provider)
        # A scope planned and let go counts its live rules as one still held does; an unread one counts none.
        live_count = sum(
            state.live_count
            for ref, state in live.items()
            if ref.target == policy.target and not isinstance(state, ApiError)
        )
        refusals += _mass_change(policy, scopes, live_count)
    return refusals


def blocking(refusals: list[Refusal], force: bool) -> list[Refusal]:
    """The refusals that stop an apply: all of them, or with --force those it does not override."""
    return [r for r in refusals if not (force and r.force_overrides)]


def _mass_change(policy: GuardPolicy, scopes: list[ScopePlan], live_count: int) -> list[Refusal]:
    changes = [c for s in scopes for c in s.changes]
    deletes = sum(1 for c in changes if c.action == "delete")
    changed = deletes + sum(1 for c in changes if c.action == "update")
    if live_count and deletes >= live_count:
        return [
            Refusal(
                policy.target,
                "delete_all",
                f"the plan deletes every live rule of target {policy.target!r} ({live_count})",
                FORCE_HINT,
                force_overrides=True,
            )
        ]
    if not live_count or live_count < policy.max_change_share_min_rules:
        return []
    updates = changed - deletes
    limits = [
        ("max_delete_share", "deletes", deletes, policy.max_delete_share),
        ("max_update_share", "updates", updates, policy.max_update_share),
        ("max_change_share", "updates or deletes", changed, policy.max_change_share),
    ]
    return [
        Refusal(
            policy.target,
            key,
            f"the plan {what} {count} of the {live_count} live rules of target {policy.target!r} "
            f"({count / live_count:.0%}), more than {key} {share:.0%}",
            f"{FORCE_HINT}, or raise targets.{policy.target}.{key} in reconciler.yaml",
            force_overrides=True,
        )
        for key, what, count, share in limits
        if share is not None and count / live_count > share
    ]


def _protected(
    policy: GuardPolicy, scopes: list[ScopePlan], desired: DesiredState, provider: type[Provider]
) -> list[Refusal]:
    by_config = set(policy.protect)
    refusals = []
    for scope in scopes:
        in_manifests = desired.scopes.get(scope.ref)
        by_manifest = {r.identity: str(r.location) for r in in_manifests.rules if r.protect} if in_manifests else {}
        for change in scope.changes:
            verb = _harm(change, provider)
            if verb is None or (change.identity not in by_config and change.identity not in by_manifest):
                continue
            where = (
                f"targets.{policy.target}.protect in reconciler.yaml"
                if change.identity in by_config
                else f"protect: true at {by_manifest[change.identity]}"
            )
            refusals.append(
                Refusal(
                    policy.target,
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
    """'delete' or 'disable' when the change takes a rule away, else None. Deleting an extra copy of a
    managed rule takes nothing away: the copy the manifest describes stays."""
    if change.action == "delete":
        return None if change.duplicate else provider.delete_verb
    turns_off = (
        change.action == "update"
        and change.after is not None
        and change.before is not None
        and provider.is_disabled(change.after)
        and not provider.is_disabled(change.before)
    )
    return "disable" if turns_off else None
