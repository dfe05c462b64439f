"""Saved plans: a plan written to a file for review, then applied exactly as reviewed.

A saved plan records what it was made from: a fingerprint of every manifest file that fed it (and of
the config) and of each scope's live rules as read. Applying it re-reads both; if anything changed,
the reviewed changes may no longer be the right ones, so apply refuses and names what changed.
Applying sends the plan's own changes (bodies, refs, order), never a fresh plan's.

The file holds what the plan JSON holds (rule bodies, ids, file names), never a credential or URL.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reconciler.engine.model import LiveScope, ScopeRef
from reconciler.engine.plan import Plan, check_format_version, json_text
from reconciler.engine.shard import Shard
from reconciler.errors import ApiError, ReconcilerError
from reconciler.safetext import write_text_file

STALE = "plan is stale, run plan again"


@dataclass
class Fingerprints:
    manifests: dict[str, str] = field(default_factory=dict)
    live: dict[str, str] = field(default_factory=dict)  # "target/scope" -> digest; absent when unread
    names: dict[str, str] = field(default_factory=dict)  # each name a manifest gives -> the id it resolved to

    def to_json(self) -> dict[str, Any]:
        return {"manifests": self.manifests, "live": self.live, "names": self.names}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Fingerprints:
        return cls(dict(data.get("manifests", {})), dict(data.get("live", {})), dict(data.get("names", {})))


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
        check_format_version(data)
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
        write_text_file(path, reviewed.dumps() + "\n")
    except OSError as exc:
        raise ReconcilerError(f"{path}: cannot write the plan file ({exc.strerror})") from exc


def moved_names(then: dict[str, str], now: dict[str, str]) -> list[str]:
    """Names that resolve to something else than when the plan was made (a role renamed, an app added)."""
    return [
        f"{name} now resolves to {now.get(name, 'nothing')}; the plan has {then.get(name, 'no such name')}"
        for name in sorted(set(then) | set(now))
        if then.get(name) != now.get(name)
    ]
