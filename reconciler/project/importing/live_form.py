"""Live rules in manifest form: what an import would write for each live scope."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from reconciler.engine.model import LiveRule, LiveScope, ScopeRef
from reconciler.engine.provider import Provider
from reconciler.engine.read import fetch_live
from reconciler.errors import ApiError, at_target
from reconciler.project.config import Target


@dataclass
class ImportedRule:
    identity: str
    manifest: dict[str, Any]  # as live says it, ids and all
    live: LiveRule
    portable: dict[str, Any] | None = None  # the same with names for what differs between tenants

    @property
    def written(self) -> dict[str, Any]:
        """What the import writes: names where the tenant has unique ones, else the live ids."""
        return self.manifest if self.portable is None else self.portable


@dataclass
class ImportedScope:
    """One live scope in manifest form: its rules in the order the files will hold them."""

    ref: ScopeRef
    title: str
    rules: list[ImportedRule] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    header_scope: str = ""  # the scope as a new file's header names it (by name where unique); "": ref.scope


def manifest_form(provider: type[Provider], live: LiveScope, title: str) -> ImportedScope:
    """Live rules as manifest rules. Tombstones (rules in the deleted form) are not rules to import."""
    scope = ImportedScope(live.ref, title)
    seen: set[str] = set()
    for rule in live.rules:
        if rule.tombstone:
            continue
        if rule.identity in seen:
            scope.skipped.append(f"{rule.identity!r}: another live rule has this identity; only the first is imported")
            continue
        try:
            manifest = provider.to_manifest(rule.body)
            provider.rule_model.model_validate(manifest)
        except ValidationError as exc:
            reason = exc.errors()[0]
            where = ".".join(map(str, reason["loc"]))
            scope.skipped.append(f"{rule.identity!r}: cannot be written as a manifest rule ({where}: {reason['msg']})")
            continue
        seen.add(rule.identity)
        scope.rules.append(ImportedRule(rule.identity, manifest, rule))
    if not provider.ordered:
        scope.rules.sort(key=lambda r: r.identity)  # no order in the API: a stable one for diffs
    return scope


async def read_tenant(
    online: Provider, target: Target, provider: type[Provider], scopes: Sequence[str] | None
) -> list[ImportedScope]:
    """The named scopes (all of the tenant when None) in manifest form. A failed read raises: an
    import must never write files from half a tenant."""
    try:
        if scopes is None:
            titles = await online.list_scopes()
        else:
            titles = dict(zip(scopes, await asyncio.gather(*map(online.scope_title, scopes)), strict=True))
    except ApiError as exc:
        raise at_target(target.name, exc) from exc
    refs = [ScopeRef(target.name, scope) for scope in titles]
    live = await fetch_live({target.name: online}, refs)
    imported = []
    for ref in refs:
        state = live[ref]
        if isinstance(state, ApiError):
            raise at_target(target.name, state)
        scope = manifest_form(provider, state, titles[ref.scope])
        for rule in scope.rules:
            rule.portable = copy.deepcopy(rule.manifest)
        scope.header_scope = await online.portable_form(ref.scope, [r.written for r in scope.rules])
        imported.append(scope)
    return imported
