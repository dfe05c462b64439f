"""The small contract every vendor provider implements; the engine knows nothing else about vendors.

Offline hooks (class methods) describe the manifest format and how rules compare; online hooks
(instance methods) read and write one target's rules through an ApiClient.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict

from reconciler.engine.model import DesiredRule, LiveRule
from reconciler.errors import Problem

if TYPE_CHECKING:
    from reconciler.http.client import ApiClient, Authenticator  # types only: no HTTP stack to load rules


class NoScope(BaseModel):
    """Manifest header of providers whose whole tenant is one scope."""

    model_config = ConfigDict(extra="forbid")


class NoOptions(BaseModel):
    """A target's `options` for providers that take none: any option given is a mistake."""

    model_config = ConfigDict(extra="forbid")


class Provider(ABC):
    name: ClassVar[str]
    # Manifest model of one rule (pydantic, extra fields forbidden) and of the file's scope fields.
    rule_model: ClassVar[type[BaseModel]]
    scope_model: ClassVar[type[BaseModel]] = NoScope
    # The target's `options:` in reconciler.yaml, checked like rules (a misspelt option is an error).
    options_model: ClassVar[type[BaseModel]] = NoOptions
    credential_names: ClassVar[tuple[str, ...]]
    # True when the order of rules in a scope is part of the desired state (the plan shows reorders).
    ordered: ClassVar[bool] = False
    # Top-level fields the server fills in when a manifest leaves them out: compared only when given.
    computed_fields: ClassVar[frozenset[str]] = frozenset()
    # The body field that holds a rule's identity: a created rule's diff lists it first.
    identity_field: ClassVar[str]
    # List fields whose order means nothing to the API (normalize sorts them): diffs name their items.
    unordered_lists: ClassVar[frozenset[str]] = frozenset()
    # Word the plan uses for a delete ("delete", or "disable" where deleting means disabling).
    delete_verb: ClassVar[str] = "delete"

    def __init__(self, client: ApiClient, options: dict[str, Any]) -> None:
        self.client = client
        self.options = options

    # ---- offline hooks ---------------------------------------------------------------------------
    @classmethod
    def scope_of(cls, header: BaseModel) -> str:
        """The scope key named by a manifest's header fields."""
        return cls.name

    @classmethod
    def scope_label(cls, scope: str) -> str:
        """How a scope is shown to people."""
        return scope

    @classmethod
    @abstractmethod
    def identity(cls, body: dict[str, Any]) -> str:
        """The rule's identity inside its scope (what matches a manifest rule to a live one)."""

    @classmethod
    def normalize(cls, body: dict[str, Any]) -> dict[str, Any]:
        """Canonical form for comparison: no server-set fields, equivalent forms made equal."""
        return body

    @classmethod
    def is_disabled(cls, body: dict[str, Any]) -> bool:
        """True when this body switches the rule off (what `protect` forbids, like a delete)."""
        return False

    @classmethod
    def to_body(cls, rule: BaseModel) -> dict[str, Any]:
        """API-shaped body of a validated manifest rule."""
        return rule.model_dump(mode="json", exclude_none=True)

    @classmethod
    def to_manifest(cls, live_body: dict[str, Any]) -> dict[str, Any]:
        """The manifest form of a live rule (for `import`): server-set fields and defaults left out,
        keys in the rule model's order. Raises pydantic's ValidationError when the live rule cannot be
        written as a manifest rule."""
        fields = {k: v for k, v in live_body.items() if k in cls.rule_model.model_fields}
        rule = cls.rule_model.model_validate(fields)
        return rule.model_dump(mode="json", exclude_none=True, exclude_defaults=True)

    @classmethod
    def scope_header(cls, scope: str) -> dict[str, Any]:
        """The manifest header fields that name a scope (the inverse of `scope_of`)."""
        return {}

    @classmethod
    def rule_problems(cls, body: dict[str, Any]) -> list[tuple[tuple[str | int, ...], str]]:
        """Checks of one model-valid rule that need the whole rule: (field path in the body, message)."""
        return []

    @classmethod
    def check_scope(cls, rules: list[DesiredRule]) -> list[Problem]:
        """Checks across the rules of one scope (beyond the per-rule model). Override to add some."""
        return []

    @classmethod
    @abstractmethod
    def authenticator(cls, credentials: dict[str, str], options: dict[str, Any]) -> Authenticator:
        """How requests to this provider authenticate, from the target's resolved credentials."""

    # ---- online hooks ----------------------------------------------------------------------------
    @abstractmethod
    async def fetch(self, scope: str) -> list[LiveRule]:
        """Every live rule of a scope, in the API's order. Errors must raise, never return []."""

    @abstractmethod
    async def create(self, scope: str, body: dict[str, Any], position: int | None = None) -> dict[str, Any]:
        """Create a rule; returns its ref (what later writes need, e.g. the new id). `position` is the
        1-based slot of an ordered scope's rule (None: last); unordered providers never get one."""

    @abstractmethod
    async def update(self, scope: str, ref: dict[str, Any], body: dict[str, Any]) -> None:
        """Replace a live rule's fields with `body`."""

    @abstractmethod
    async def delete(self, scope: str, ref: dict[str, Any], body: dict[str, Any]) -> None:
        """Delete (or, where the API has no delete, disable) a live rule."""

    async def resolve_scope(self, scope: str) -> str:
        """The scope a manifest's scope key stands for in this tenant (a name looked up: its id).
        Raises NameNotResolved when the tenant does not hold the name exactly once."""
        return scope

    async def resolve_rules(self, scope: str, rules: list[DesiredRule]) -> list[Problem]:
        """Replace names in the rules' bodies by this tenant's ids (recording them in `rule.names`);
        a problem for every name that does not resolve. Read-only; nothing by default."""
        return []

    async def portable_form(self, scope: str, rules: list[dict[str, Any]]) -> str:
        """For `import`: give by name, in `rules` (manifest form, changed in place), what differs between
        tenants, where the name is unique in this one; returns the scope key the manifest's header should
        use (a name, when unique). Nothing by default."""
        return scope

    async def remote_problems(self, scope: str, rules: list[DesiredRule]) -> list[Problem]:
        """Checks against what the live tenant accepts (`validate --remote`); read-only. None by default."""
        return []

    async def list_scopes(self) -> dict[str, str]:
        """Every scope of the tenant with its title (what `import` names files after), in a stable order."""
        return {self.name: await self.scope_title(self.name)}

    async def scope_title(self, scope: str) -> str:
        """A scope's name as people know it."""
        return self.scope_label(scope)

    async def reorder(self, scope: str, refs: list[dict[str, Any]]) -> None:
        """Put every rule of the scope in this order (ordered providers only)."""
        raise NotImplementedError(f"{self.name} rules are not ordered")
