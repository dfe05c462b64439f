"""Saved plans: a plan written to a file for review, then applied exactly as reviewed.

A saved plan records what it was made from: a fingerprint of every manifest file that fed it (and of
the config) and of each scope's live rules as read. Applying it re-reads both; if anything changed,
the reviewed changes may no longer be the right ones, so apply refuses and names what changed.
Applying plans again from them and writes only a plan that is the file's own, change for change
(`plan_differences`): nothing the file alone says is acted on.

The file holds what the plan JSON holds (rule bodies, ids, file names), never a credential or URL.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reconciler.engine.model import LiveScope, LiveSummary, ScopeRef
from reconciler.engine.plan import Change, Plan, check_format_version, json_text
from reconciler.engine.shard import Shard
from reconciler.errors import ApiError, ReconcilerError

STALE = "plan is stale, run plan again"


@dataclass
class Fingerprints:
    manifests: dict[str, str] = field(default_factory=dict)
    live: dict[str, str] = field(default_factory=dict)  # "target/scope" -> digest; absent when unread
    names: dict[str, str] = field(default_factory=dict)  # each name a manifest gives -> the id it resolved to

    def to_json(self) -> dict[str, Any]:
        return {"manifests": self.manifests, "live": self.live, "names": self.names}

    @classmethod
    def from_json(cls, data: Any) -> Fingerprints:
        if not isinstance(data, dict):
            raise ValueError("fingerprints must be an object")
        return cls(*(_digests(data, key) for key in ("manifests", "live", "names")))


def _digests(fingerprints: dict[str, Any], key: str) -> dict[str, str]:
    found = fingerprints.get(key, {})
    if not isinstance(found, dict) or not all(isinstance(v, str) for v in found.values()):
        raise ValueError(f"fingerprints.{key} must be an object of texts")
    return dict(found)


@dataclass
class ReviewedPlan:
    """A plan with the targets it covers and the fingerprints of what it was made from."""

    plan: Plan
    targets: list[str]
    fingerprints: Fingerprints
    shard: Shard | None = None
    # The live state the plan was made from (not saved): drift reports read modified dates from it. Of a
    # scope whose rules were let go once planned, only its summary (see `runner.flows.read_and_plan`).
    live: dict[ScopeRef, LiveScope | LiveSummary | ApiError] = field(default_factory=dict, repr=False)
    prune: bool | None = None  # `--prune` as given to plan (None: each target's own setting)

    def to_json(self) -> dict[str, Any]:
        return {
            **self.plan.to_json(),
            "targets": self.targets,
            "shard": None if self.shard is None else str(self.shard),
            "prune": self.prune,
            "fingerprints": self.fingerprints.to_json(),
        }

    def dumps(self) -> str:
        return json_text(self.to_json())

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ReviewedPlan:
        check_format_version(data)
        if "fingerprints" not in data or "targets" not in data:
            raise ReconcilerError("the file is a plan without fingerprints, so it cannot be checked: run plan again")
        shard = Shard.parse(data["shard"]) if data.get("shard") else None
        prune = data.get("prune")
        if prune is not None and not isinstance(prune, bool):
            raise ValueError("prune must be true, false or null")
        fingerprints = Fingerprints.from_json(data["fingerprints"])
        plan, targets = Plan.from_json(data), data["targets"]
        if not isinstance(targets, list) or not all(isinstance(t, str) for t in targets):
            raise ValueError("targets must be a list of target names")
        strays = [str(scope.ref) for scope in plan.scopes if scope.target not in targets]
        if strays:
            raise ValueError(f"scope {strays[0]} is of a target not in `targets`")
        twice = sorted(str(ref) for ref, count in Counter(scope.ref for scope in plan.scopes).items() if count > 1)
        if twice:  # a plan names each scope once: a second block would be compared away, never applied
            raise ValueError(f"scope {twice[0]} is in the plan more than once")
        return cls(plan, targets, fingerprints, shard, prune=prune)

    def refs(self) -> list[ScopeRef]:
        return [scope.ref for scope in self.plan.scopes]


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")


def read_plan_file(path: Path) -> ReviewedPlan:
    try:
        data = json.loads(path.read_text(encoding="utf-8"), parse_constant=_not_json)
    except OSError as exc:
        raise ReconcilerError(f"{path}: cannot read the plan file ({exc.strerror})") from exc
    except json.JSONDecodeError as exc:
        raise ReconcilerError(f"{path}:{exc.lineno}:{exc.colno}: not a plan file: {exc.msg}") from exc
    except UnicodeDecodeError as exc:
        raise ReconcilerError(f"{path}: not a plan file: byte {exc.start} is not UTF-8") from exc
    except ValueError as exc:  # NaN or Infinity: Python reads them, JSON has none, and no plan writes them
        raise ReconcilerError(f"{path}: not a plan file: {exc}") from exc
    if not isinstance(data, dict):
        raise ReconcilerError(f"{path}: not a plan file (expected a JSON object)")
    try:
        return ReviewedPlan.from_json(data)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ReconcilerError(f"{path}: not a plan file this version can read ({exc})") from exc


def moved_names(then: dict[str, str], now: dict[str, str]) -> list[str]:
    """Names that resolve to something else than when the plan was made (a role renamed, an app added)."""
    return [
        f"{name} now resolves to {now.get(name, 'nothing')}; the plan has {then.get(name, 'no such name')}"
        for name in sorted(set(then) | set(now))
        if then.get(name) != now.get(name)
    ]


def plan_differences(saved: Plan, now: Plan) -> list[str]:
    """How a saved plan differs from the plan made now from the same manifests and live rules: each
    scope's changes (everything but the manifest line they come from) and the guards' refusals. A file
    edited after it was made (a refusal removed, an update turned into a delete, a body changed)
    differs, so `apply FILE` never acts on what the file says alone. Policy refusals are not compared:
    apply always takes the policies of now."""
    reasons: list[str] = []
    saved_scopes = {scope.ref: scope for scope in saved.scopes}
    now_scopes = {scope.ref: scope for scope in now.scopes}
    for ref in sorted(set(saved_scopes) | set(now_scopes)):
        before, after = saved_scopes.get(ref), now_scopes.get(ref)
        label = f"{ref.target} · {after.label}" if after is not None else f"{ref.target}/{ref.scope}"
        if after is None:
            reasons.append(f"{label} is in the plan file but in no plan made now")
        elif before is None:
            reasons.append(f"{label} is planned now but not in the plan file")
        elif (before.error is None) != (after.error is None):
            reasons.append(f"{label} is {'un' if after.error else ''}readable now, unlike in the plan file")
        else:
            reasons += _change_differences(label, before.changes, after.changes)
    guards_then, guards_now = _guard_refusals(saved), _guard_refusals(now)
    if sorted(map(json.dumps, guards_then)) != sorted(map(json.dumps, guards_now)):
        then, now_ = _guards(guards_then), _guards(guards_now)
        reasons.append(f"guards tripped: the plan file has {then}, a plan made now has {now_}")
    return reasons


def _change_differences(label: str, saved: list[Change], now: list[Change]) -> list[str]:
    def key(change: Change) -> str:
        return json.dumps(change.comparable(), sort_keys=True)

    saved_keys, now_keys = [key(c) for c in saved], [key(c) for c in now]
    if saved_keys == now_keys:
        return []
    unmatched: dict[str, list[Change]] = {}  # changes planned now that the file does not hold, by key
    for change, text in zip(now, now_keys, strict=True):
        unmatched.setdefault(text, []).append(change)
    only_in_file = []
    for change, text in zip(saved, saved_keys, strict=True):
        if unmatched.get(text):
            unmatched[text].pop()
        else:
            only_in_file.append(change)
    only_now = {id(c): c for changes in unmatched.values() for c in changes}
    reasons = []
    for change in only_in_file:
        other = next((c for c in only_now.values() if c.identity == change.identity), None)
        if other is None:
            reasons.append(f'{label}: the file has {change.action} "{change.identity}", a plan made now does not')
            continue
        del only_now[id(other)]
        now_does = f"another {other.action}" if other.action == change.action else other.action
        reasons.append(f'{label}: the file has {change.action} "{change.identity}", a plan made now has {now_does}')
    reasons += [f'{label}: a plan made now has {c.action} "{c.identity}", the file does not' for c in only_now.values()]
    return reasons or [f"{label}: the changes are in another order than in a plan made now"]


def _guard_refusals(plan: Plan) -> list[dict[str, Any]]:
    return [refusal.to_json() for refusal in plan.refusals if refusal.guard != "policy"]


def _guards(refusals: list[dict[str, Any]]) -> str:
    return ", ".join(f"{r['guard']} ({r['target']})" for r in refusals) or "none"
