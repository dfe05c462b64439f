"""A plan: per scope, the creates, updates, deletes and reorders apply will make, plus what is left alone;
and its JSON document (format_version, checked in one place)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import reconciler  # the package root: its version, the ground every layer stands on
from reconciler.engine.diff import FieldChange
from reconciler.engine.model import ScopeRef
from reconciler.engine.policy import PolicyReport
from reconciler.engine.ruletests import CaseImpact
from reconciler.errors import ReconcilerError

# 2: plans carry the targets they cover and fingerprints of the manifests and live rules they saw.
PLAN_FORMAT_VERSION = 2


class Action(StrEnum):
    """What a change does to a rule; serialised as its plain string in JSON plans."""

    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    REORDER = "reorder"


ACTIONS = tuple(Action)
# The order apply makes a scope's changes in: updates first (they keep positions), then deletes, then
# creates (each at its position, in manifest order), then the one sort, needed only when rules
# already live stand out of order.
APPLY_ORDER = {Action.UPDATE: 0, Action.DELETE: 1, Action.CREATE: 2, Action.REORDER: 3}


def check_format_version(data: dict[str, Any]) -> None:
    """Every reader of a plan document checks its version here, before reading anything else."""
    version = data.get("format_version")
    if version != PLAN_FORMAT_VERSION:
        raise ReconcilerError(
            f"plan format_version {version!r} is not {PLAN_FORMAT_VERSION}, the one this version reads: run plan again"
        )


# A change's fields written to JSON when set, in this order.
OPTIONAL_FIELDS = (
    *("before", "after", "body", "ref", "source"),
    *("order_before", "order_after", "sequence", "position", "names"),
)


@dataclass
class Change:
    """One write the apply will make. `body` is what is sent; `ref` addresses the live rule."""

    action: Action
    identity: str
    fields: list[FieldChange] = field(default_factory=list)
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    body: dict[str, Any] | None = None
    ref: dict[str, Any] | None = None
    source: str | None = None
    # Reorder only: managed rules' order before and after, and the full new order of the scope:
    # {"identity", "ref"} for a live managed rule, {"identity"} for one this apply creates,
    # {"ref"} for a rule left alone.
    order_before: list[str] | None = None
    order_after: list[str] | None = None
    sequence: list[dict[str, Any]] | None = None
    # Delete only: the live rule is an extra copy of a managed rule (the copy the manifest describes stays).
    duplicate: bool = False
    # Create in an ordered scope only: the 1-based slot it is created at (None: last), so that creates
    # made in manifest order leave the scope in order without a sort.
    position: int | None = None
    # Values the manifest gives by name, with the ids they resolved to: {"field", "name", "id"}.
    names: list[dict[str, str]] | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"action": self.action, "identity": self.identity}
        for name in OPTIONAL_FIELDS:
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        if self.duplicate:
            out["duplicate"] = True
        out["fields"] = [f.to_json() for f in self.fields]
        return out

    def comparable(self) -> Any:
        """What the change does, as JSON, without where a manifest says it: equal for the same change
        planned from another commit, or planned again from the same manifests and live rules."""
        what = {k: v for k, v in self.to_json().items() if k != "source"}
        return json.loads(json.dumps(what, sort_keys=True, ensure_ascii=False, default=str))

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Change:
        known = {k: v for k, v in data.items() if k not in ("fields", "action")}
        return cls(Action(data["action"]), **known, fields=[FieldChange.from_json(f) for f in data.get("fields", [])])


@dataclass
class ScopePlan:
    """The plan of one scope. `error` set means live state could not be read: nothing is planned."""

    target: str
    provider: str
    scope: str
    label: str
    changes: list[Change] = field(default_factory=list)
    unmanaged: list[str] = field(default_factory=list)
    error: str | None = None
    # What this provider calls a delete (Primo disables): set by the planner, so renderers need only the plan.
    delete_verb: str = "delete"

    @property
    def ref(self) -> ScopeRef:
        return ScopeRef(self.target, self.scope)

    def to_json(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "provider": self.provider,
            "scope": self.scope,
            "label": self.label,
            "error": self.error,
            "changes": [c.to_json() for c in self.changes],
            "unmanaged": self.unmanaged,
            "delete_verb": self.delete_verb,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ScopePlan:
        return cls(
            target=data["target"],
            provider=data["provider"],
            scope=data["scope"],
            label=data["label"],
            changes=[Change.from_json(c) for c in data.get("changes", [])],
            unmanaged=list(data.get("unmanaged", [])),
            error=data.get("error"),
            delete_verb=data.get("delete_verb", "delete"),
        )


@dataclass
class Refusal:
    """A safety guard that stops this plan from being applied (see `guards`)."""

    target: str
    guard: str  # "max_change_share" | "max_update_share" | "max_delete_share" | "delete_all" | "protect" | "policy"
    message: str
    how_to_proceed: str
    force_overrides: bool  # True when `apply --force` gets past it

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Plan:
    scopes: list[ScopePlan] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    refusals: list[Refusal] = field(default_factory=list)
    policy: PolicyReport | None = None  # None when the project has no policies
    # Rule-test cases whose outcome the plan changes (empty without test files): the behaviour change.
    impact: list[CaseImpact] = field(default_factory=list)
    made_by: str = reconciler.__version__  # the reconciler version that made the plan (a saved plan keeps its own)

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(ACTIONS, 0)
        for scope in self.scopes:
            for change in scope.changes:
                counts[change.action] += 1
        counts["unmanaged"] = sum(len(s.unmanaged) for s in self.scopes)
        counts["errors"] = sum(1 for s in self.scopes if s.error)
        return counts

    @property
    def has_changes(self) -> bool:
        return any(s.changes for s in self.scopes)

    def targets(self) -> list[str]:
        """The targets the plan covers, in plan order."""
        return list(dict.fromkeys(s.target for s in self.scopes))

    def digest(self, target: str) -> str:
        """What one target's plan would do, as a digest: plans of the same changes made from other commits
        (or with rules moved within their files) have the same digest, so a workflow can tell reviewers
        that the plan changed, and approvers whether it is the plan that was reviewed."""
        scopes = [
            {
                "scope": s.scope,
                "unreadable": s.error is not None,
                "changes": [c.comparable() for c in s.changes],
            }
            for s in self.scopes
            if s.target == target
        ]
        refusals = [r.to_json() for r in self.refusals if r.target == target]
        text = json.dumps([scopes, refusals], sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
        return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()

    @property
    def has_errors(self) -> bool:
        return any(s.error for s in self.scopes)

    def to_json(self) -> dict[str, Any]:
        document = {
            "format_version": PLAN_FORMAT_VERSION,
            "reconciler_version": self.made_by,
            "summary": self.counts(),
            "warnings": self.warnings,
            "refusals": [r.to_json() for r in self.refusals],
            "scopes": [s.to_json() for s in self.scopes],
            "impact": [i.to_json() for i in self.impact],
        }
        if self.policy is not None:
            document["policy"] = self.policy.to_json()
        return document

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Plan:
        check_format_version(data)
        return cls(
            [ScopePlan.from_json(s) for s in data["scopes"]],
            list(data.get("warnings", [])),
            [Refusal(**r) for r in data.get("refusals", [])],
            PolicyReport.from_json(data["policy"]) if data.get("policy") is not None else None,
            impact=[CaseImpact.from_json(i) for i in data.get("impact", [])],
            made_by=str(data.get("reconciler_version", "unknown")),
        )


def json_text(document: Any) -> str:
    """A JSON document as every command prints it: indented, non-ASCII text kept as it is."""
    return json.dumps(document, indent=2, ensure_ascii=False)
