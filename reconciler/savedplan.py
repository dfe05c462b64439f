"""Saved plans: a plan written to a file for review, then applied exactly as reviewed.

A saved plan records what it was made from: a fingerprint of every manifest file that fed it (and of
the config) and of each scope's live rules as read. Applying it re-reads both; if anything changed,
the reviewed changes may no longer be the right ones, so apply refuses and names what changed.
Applying sends the plan's own changes (bodies, refs, order), never a fresh plan's.

The file holds what the plan JSON holds (rule bodies, ids, file names), never a credential or URL.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reconciler.errors import ApiError, ReconcilerError
from reconciler.live import Sessions, fetch_live
from reconciler.loader import manifest_files
from reconciler.models import LiveScope, ScopeRef
from reconciler.planning import PLAN_FORMAT_VERSION, Plan
from reconciler.rendering import json_text
from reconciler.runner import Workspace, read_and_plan
from reconciler.selection import Shard, shard_workspace
from reconciler.yamlsource import display_path

STALE = "plan is stale, run plan again"


def file_digest(path: Path) -> str:
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def live_digest(scope: LiveScope) -> str:
    """Every field of every live rule, in the API's order: any edit, reorder or new rule changes it."""
    rules = [
        {"identity": r.identity, "body": r.body, "ref": r.ref, "tombstone": r.tombstone, "modified": r.modified}
        for r in scope.rules
    ]
    text = json.dumps(rules, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def manifest_digests(workspace: Workspace) -> dict[str, str]:
    """The config and each manifest file that declares rules of the workspace's scopes, by project path."""
    config = workspace.config
    wanted = {name for scope in workspace.desired.scopes.values() for name in scope.files}
    # Manifests are named as the loader shows them; find each one's path the way the loader did.
    paths = {display_path(path, config.root_dir): path for path in manifest_files(config.rules_dir)}
    files = {config.path.name: config.path, **{name: paths[name] for name in wanted}}
    return {name: file_digest(path) for name, path in sorted(files.items())}


@dataclass
class Fingerprints:
    manifests: dict[str, str] = field(default_factory=dict)
    live: dict[str, str] = field(default_factory=dict)  # "target/scope" -> digest; absent when unread

    def to_json(self) -> dict[str, Any]:
        return {"manifests": self.manifests, "live": self.live}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Fingerprints:
        return cls(dict(data.get("manifests", {})), dict(data.get("live", {})))


@dataclass
class ReviewedPlan:
    """A plan with the targets it covers and the fingerprints of what it was made from."""

    plan: Plan
    targets: list[str]
    fingerprints: Fingerprints
    shard: Shard | None = None
    # The live state the plan was made from (not saved): drift reports read modified dates from it.
    live: dict[ScopeRef, LiveScope | ApiError] = field(default_factory=dict, repr=False)

    def to_json(self) -> dict[str, Any]:
        return {
            **self.plan.to_json(),
            "targets": self.targets,
            "shard": None if self.shard is None else str(self.shard),
            "fingerprints": self.fingerprints.to_json(),
        }

    def dumps(self) -> str:
        return json_text(self.to_json())

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ReviewedPlan:
        version = data.get("format_version")
        if version != PLAN_FORMAT_VERSION:
            raise ReconcilerError(
                f"plan format_version {version!r} is not {PLAN_FORMAT_VERSION}, the one this version reads: "
                "run plan again"
            )
        if "fingerprints" not in data or "targets" not in data:
            raise ReconcilerError("the file is a plan without fingerprints, so it cannot be checked: run plan again")
        shard = Shard.parse(data["shard"]) if data.get("shard") else None
        return cls(Plan.from_json(data), list(data["targets"]), Fingerprints.from_json(data["fingerprints"]), shard)

    def refs(self) -> list[ScopeRef]:
        return [scope.ref for scope in self.plan.scopes]


def read_plan_file(path: Path) -> ReviewedPlan:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ReconcilerError(f"{path}: cannot read the plan file ({exc.strerror})") from exc
    except json.JSONDecodeError as exc:
        raise ReconcilerError(f"{path}:{exc.lineno}:{exc.colno}: not a plan file: {exc.msg}") from exc
    if not isinstance(data, dict):
        raise ReconcilerError(f"{path}: not a plan file (expected a JSON object)")
    try:
        return ReviewedPlan.from_json(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise ReconcilerError(f"{path}: not a plan file this version can read ({exc})") from exc


def write_plan_file(reviewed: ReviewedPlan, path: Path) -> None:
    try:
        path.write_text(reviewed.dumps() + "\n", encoding="utf-8")
    except OSError as exc:
        raise ReconcilerError(f"{path}: cannot write the plan file ({exc.strerror})") from exc


async def make_reviewed_plan(
    workspace: Workspace,
    sessions: Sessions,
    *,
    prune: bool | None = None,
    shard: Shard | None = None,
    on_fetched: Callable[[ScopeRef], None] | None = None,
) -> ReviewedPlan:
    """Read live state once, plan from it, and fingerprint what the plan was made from.

    `workspace` is already narrowed to `shard`; the shard is recorded so that apply narrows alike.
    """
    plan, live = await read_and_plan(workspace, sessions, prune=prune, on_fetched=on_fetched)
    fingerprints = Fingerprints(
        manifest_digests(workspace),
        {str(ref): live_digest(state) for ref, state in sorted(live.items()) if isinstance(state, LiveScope)},
    )
    return ReviewedPlan(plan, [t.name for t in workspace.targets], fingerprints, shard, live)


def plan_workspace(workspace: Workspace, reviewed: ReviewedPlan) -> Workspace:
    """The workspace as the plan saw it: its targets, narrowed to its shard. A manifest declaring a
    scope the plan does not cover is then a file the plan did not see, which makes it stale."""
    return shard_workspace(workspace, reviewed.shard)


def stale_manifests(reviewed: ReviewedPlan, workspace: Workspace) -> list[str]:
    now = manifest_digests(workspace)
    then = reviewed.fingerprints.manifests
    return sorted(name for name in set(now) | set(then) if now.get(name) != then.get(name))


async def check_fresh(reviewed: ReviewedPlan, workspace: Workspace, sessions: Sessions) -> Plan:
    """The saved plan, if the manifests and every scope's live rules are as the plan saw them.

    Raises ReconcilerError naming each changed manifest and each scope whose live rules changed or
    cannot be read now.
    """
    reasons: list[str] = []
    changed_files = stale_manifests(reviewed, workspace)
    if changed_files:
        reasons.append(f"manifests changed since the plan was made: {', '.join(changed_files)}")
    live = await fetch_live(sessions, [ref for ref in reviewed.refs() if str(ref) in reviewed.fingerprints.live])
    labels = {scope.ref: f"{scope.target} · {scope.label}" for scope in reviewed.plan.scopes}
    for ref, state in sorted(live.items()):
        if isinstance(state, ApiError):
            reasons.append(f"live rules of {labels[ref]} could not be read again: {state}")
        elif live_digest(state) != reviewed.fingerprints.live[str(ref)]:
            reasons.append(f"live rules of {labels[ref]} changed since the plan was made")
    if reasons:
        raise ReconcilerError(f"{STALE}:\n  " + "\n  ".join(reasons))
    return reviewed.plan
