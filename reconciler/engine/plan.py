"""(desired, live) -> Plan: creates, updates, deletes and reorders per scope, plus what is left alone."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from reconciler.engine.diff import FieldChange, field_changes
from reconciler.engine.model import DesiredScope, LiveRule, LiveScope, ScopeRef
from reconciler.engine.provider import Provider
from reconciler.errors import ApiError

# 2: plans carry the targets they cover and fingerprints of the manifests and live rules they saw.
PLAN_FORMAT_VERSION = 2
ACTIONS = ("create", "update", "delete", "reorder")


@dataclass
class Change:
    """One write the apply will make. `body` is what is sent; `ref` addresses the live rule."""

    action: str
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

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"action": self.action, "identity": self.identity}
        for name in ("before", "after", "body", "ref", "source", "order_before", "order_after", "sequence"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        out["fields"] = [f.to_json() for f in self.fields]
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Change:
        known = {k: v for k, v in data.items() if k != "fields"}
        return cls(**known, fields=[FieldChange.from_json(f) for f in data.get("fields", [])])


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
        )


@dataclass
class Refusal:
    """A safety guard that stops this plan from being applied (see `guards`)."""

    target: str
    guard: str  # "max_change_share" | "delete_all" | "protect"
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

    @property
    def has_errors(self) -> bool:
        return any(s.error for s in self.scopes)

    def to_json(self) -> dict[str, Any]:
        return {
            "format_version": PLAN_FORMAT_VERSION,
            "summary": self.counts(),
            "warnings": self.warnings,
            "refusals": [r.to_json() for r in self.refusals],
            "scopes": [s.to_json() for s in self.scopes],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Plan:
        if data.get("format_version") != PLAN_FORMAT_VERSION:
            raise ValueError(f"unsupported plan format_version {data.get('format_version')!r}")
        return cls(
            [ScopePlan.from_json(s) for s in data["scopes"]],
            list(data.get("warnings", [])),
            [Refusal(**r) for r in data.get("refusals", [])],
        )


def comparable(provider: type[Provider], live: dict[str, Any], desired: dict[str, Any]) -> dict[str, Any]:
    """The live body as it compares to this desired body: server-filled fields the manifest omits are dropped."""
    normalized = provider.normalize(live)
    for name in provider.computed_fields:
        if name not in desired:
            normalized.pop(name, None)
    return normalized


def _match_live(live: list[LiveRule]) -> tuple[dict[str, LiveRule], list[LiveRule]]:
    """Live rules by identity; later rules sharing an identity are extras, never matched twice."""
    by_identity: dict[str, LiveRule] = {}
    extras: list[LiveRule] = []
    for rule in live:
        if rule.identity in by_identity:
            extras.append(rule)
        else:
            by_identity[rule.identity] = rule
    return by_identity, extras


def plan_scope(provider: type[Provider], desired: DesiredScope, live: LiveScope, *, prune: bool) -> ScopePlan:
    scope_plan = ScopePlan(
        desired.ref.target, provider.name, desired.ref.scope, provider.scope_label(desired.ref.scope)
    )
    by_identity, extras = _match_live(live.rules)
    wanted = {rule.identity for rule in desired.rules}
    for rule in desired.rules:
        after = provider.normalize(rule.body)
        current = by_identity.get(rule.identity)
        source = str(rule.location)
        if current is None:
            scope_plan.changes.append(
                Change("create", rule.identity, field_changes({}, after), after=after, body=rule.body, source=source)
            )
            continue
        before = comparable(provider, current.body, after)
        diff = field_changes(before, after)
        if diff:
            scope_plan.changes.append(
                Change(
                    "update",
                    rule.identity,
                    diff,
                    before=before,
                    after=after,
                    body=rule.body,
                    ref=current.ref,
                    source=source,
                )
            )
    leftovers = [r for r in live.rules if r.identity not in wanted or r in extras]
    for rule in leftovers:
        if rule.tombstone:
            continue  # already in the deleted form
        if prune:
            before = provider.normalize(rule.body)
            scope_plan.changes.append(
                Change("delete", rule.identity, field_changes(before, {}), before=before, body=rule.body, ref=rule.ref)
            )
        else:
            scope_plan.unmanaged.append(rule.identity)
    if provider.ordered:
        reorder = _plan_reorder(desired, live, scope_plan.changes, extras)
        if reorder is not None:
            scope_plan.changes.append(reorder)
    return scope_plan


def _plan_reorder(
    desired: DesiredScope, live: LiveScope, changes: list[Change], extras: list[LiveRule]
) -> Change | None:
    """Managed rules must stand in manifest order. Rules left alone keep their slots.

    The scope's order after this apply's deletes and creates (creates are appended) is predicted;
    if the managed rules are out of order in it, one sort puts them in the manifest's order while
    every unmanaged rule keeps its place.
    """
    deleted = {id(c.ref) for c in changes if c.action == "delete"}
    extra_ids = {id(r) for r in extras}
    wanted = {r.identity for r in desired.rules}
    sequence: list[dict[str, Any]] = []
    for rule in live.rules:
        if id(rule.ref) in deleted:
            continue
        managed = rule.identity in wanted and id(rule) not in extra_ids
        sequence.append({"identity": rule.identity} if managed else {"ref": rule.ref})
    sequence += [{"identity": c.identity} for c in changes if c.action == "create"]
    current = [entry["identity"] for entry in sequence if "identity" in entry]
    target = [r.identity for r in desired.rules]
    if current == target:
        return None
    live_refs = {r.identity: r.ref for r in live.rules if r.identity in wanted and id(r) not in extra_ids}
    slots = iter(target)
    new_sequence = []
    for entry in sequence:
        if "identity" in entry:
            name = next(slots)
            new_sequence.append({"identity": name, "ref": live_refs[name]} if name in live_refs else {"identity": name})
        else:
            new_sequence.append(entry)
    before = [r.identity for r in live.rules if r.identity in wanted and id(r) not in extra_ids]
    return Change("reorder", "order", order_before=before, order_after=target, sequence=new_sequence)


def plan_scope_or_error(
    provider: type[Provider], desired: DesiredScope, state: LiveScope | ApiError, prune: bool
) -> ScopePlan:
    """The plan of one scope; a scope whose live state failed to load gets an error and no changes."""
    if isinstance(state, ApiError):
        label = provider.scope_label(desired.ref.scope)
        return ScopePlan(desired.ref.target, provider.name, desired.ref.scope, label, error=str(state))
    return plan_scope(provider, desired, state, prune=prune)


def json_text(document: Any) -> str:
    """A JSON document as every command prints it: indented, non-ASCII text kept as it is."""
    return json.dumps(document, indent=2, ensure_ascii=False)
