"""The engine's data: desired rules from manifests and live rules from APIs, provider-neutral."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from reconciler.errors import Location, Problem


@dataclass(frozen=True, order=True)
class ScopeRef:
    """One independently listed set of rules: a whole tenant, or one OneLogin app."""

    target: str
    scope: str

    def __str__(self) -> str:
        return f"{self.target}/{self.scope}"


# Where a field is in a manifest: (the rule's own path there, the rule's location, the field's path in
# the rule's body) -> its location. One per manifest file, shared by its rules.
Locator = Callable[[tuple[str | int, ...], Location, Sequence[str | int]], Location]


# Slots: a large plan holds one of these per rule (and per live rule), so each byte counts many times.
@dataclass(slots=True)
class DesiredRule:
    """A rule as a manifest declares it. `body` is API-shaped and validated by the provider's model."""

    scope: ScopeRef
    identity: str
    body: dict[str, Any]
    location: Location
    protect: bool = False
    # Where a field of the rule is in its manifest, by its path in `body` (for checks after loading).
    locate: Locator | None = field(default=None, compare=False, repr=False)
    manifest_path: tuple[str | int, ...] = ()  # the rule's own path in its manifest, e.g. ("rules", 3)
    # Values the manifest gives by name, once resolved for this rule's target: {"field", "name", "id"}.
    names: tuple[dict[str, str], ...] = field(default=(), compare=False)
    fields: tuple[str, ...] = ()  # the rule's fields in the order its manifest gives them

    def field_location(self, path: Sequence[str | int]) -> Location:
        return self.locate(self.manifest_path, self.location, path) if self.locate else self.location

    def problem(self, path: Sequence[str | int], message: str) -> Problem:
        """A problem with the field at `path` in this rule's body, located in its manifest."""
        return Problem(self.field_location(path), format_field_path([*self.manifest_path, *path]), message)


@dataclass(slots=True)
class LiveRule:
    """A rule as the API returns it. `ref` is what a write needs to address it (ids, names)."""

    identity: str
    body: dict[str, Any]
    ref: dict[str, Any]
    # A rule that exists in the deleted form (Primo: alerts disabled) counts as absent when unmanaged.
    tombstone: bool = False
    # When the API says the rule last changed (its own timestamp text), for drift reports; None if it doesn't.
    modified: str | None = None


@dataclass
class DesiredScope:
    """Desired rules of one scope, in manifest order (which is the position for ordered providers)."""

    ref: ScopeRef
    rules: list[DesiredRule] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    # Where each manifest names this scope (its header's place and field), for problems with the scope itself.
    origins: list[tuple[Location, str]] = field(default_factory=list)
    # How plans show the scope when manifests name it by a name (`app 'Salesforce' = app 500100`); "": its key.
    label: str = ""


@dataclass
class DesiredState:
    """Every rule of every selected target, grouped by scope; targets without manifests are listed."""

    scopes: dict[ScopeRef, DesiredScope] = field(default_factory=dict)
    targets_without_manifests: list[str] = field(default_factory=list)
    # The digest of every manifest read, by the name files are shown with (`DesiredScope.files`).
    digests: dict[str, str] = field(default_factory=dict)
    # Once the names manifests give are resolved in their tenants: "what, where" -> the id it resolved to.
    names: dict[str, str] | None = None
    # Targets a manifest that failed to load may have held rules for. Loading refuses any problem, so
    # this is defence in depth: a rule missing only because its file failed must never be pruned.
    incomplete_targets: set[str] = field(default_factory=set)

    def scope(self, ref: ScopeRef) -> DesiredScope:
        if ref not in self.scopes:
            self.scopes[ref] = DesiredScope(ref)
        return self.scopes[ref]

    def rule_count(self) -> int:
        return sum(len(s.rules) for s in self.scopes.values())


@dataclass
class LiveScope:
    """What one scope's list calls returned, in the API's order."""

    ref: ScopeRef
    rules: list[LiveRule]

    @property
    def live_count(self) -> int:
        """The rules it holds, not counting those in the deleted form (the guards' base)."""
        return sum(1 for rule in self.rules if not rule.tombstone)


@dataclass(frozen=True, slots=True)
class LiveSummary:
    """A scope read and planned whose live rules were then let go: what later steps still need of them.

    A large plan would otherwise hold every live rule to its end. It is not an empty scope: `live_count`
    is how many live rules the scope holds (so the guards against mass deletes see the right counts),
    and a scope that could not be read stays its error, never a summary.
    """

    ref: ScopeRef
    live_count: int
    digest: str | None = None  # the fingerprint of its live rules, when the plan is fingerprinted


def format_field_path(path: Sequence[str | int]) -> str:
    """`("constraint", "constraints", 1, "countries", 0)` -> `constraint.constraints[1].countries[0]`."""
    out = ""
    for step in path:
        if isinstance(step, int):
            out += f"[{step}]"
        else:
            out += f".{step}" if out else str(step)
    return out
