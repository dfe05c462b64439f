"""The target's manifests on disk, and what the import does to each."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml.comments import CommentedMap

from reconciler.engine.provider import Provider
from reconciler.errors import Location
from reconciler.project import variables
from reconciler.project.config import Config, Target
from reconciler.project.finding import manifest_files
from reconciler.project.importing.yamlstyle import load_text
from reconciler.project.loader import HEADER_KEYS, RULE_META_KEYS
from reconciler.project.yamlsource import display_path, node_location, plain


def rule_data(node: Any) -> dict[str, Any]:
    """A manifest rule without the reconciler's own per-rule settings."""
    return {k: v for k, v in plain(node).items() if k not in RULE_META_KEYS}


def canonical(provider: type[Provider], data: dict[str, Any]) -> dict[str, Any] | None:
    """What a manifest rule means to the plan (its normalized API body); None when it is not valid."""
    try:
        model = provider.rule_model.model_validate(data)
    except ValidationError:
        return None
    return provider.normalize(provider.to_body(model))


@dataclass
class ManifestFile:
    """One manifest of the target as it is on disk, and what the import does to it."""

    path: Path
    shown: str
    scope: str
    data: CommentedMap  # the file as loaded (positions for messages), or the header of a new file
    original: str | None  # None for a file the import creates
    identities: list[str] = field(default_factory=list)
    other_targets: list[str] = field(default_factory=list)
    updates: dict[str, dict[str, Any]] = field(default_factory=dict)  # identity -> what it must say
    new_rules: dict[str, dict[str, Any]] = field(default_factory=dict)
    removed: list[str] = field(default_factory=list)
    order: list[str] | None = None  # the final order of rules, when it is not the file's
    reordered: bool = False  # rules the file held before stand in another order

    @property
    def shared(self) -> bool:
        """Names other targets too: its rules are theirs as well, so the import leaves them alone."""
        return bool(self.other_targets)

    @property
    def changed(self) -> bool:
        return self.original is None or bool(self.updates or self.new_rules or self.removed or self.order is not None)

    def location(self, identity: str) -> Location:
        return node_location(self.data, ["rules", self.identities.index(identity)], self.shown)


def _file_targets(raw: dict[str, Any]) -> list[str]:
    names = raw.get("targets", raw.get("target"))
    return [names] if isinstance(names, str) else [str(n) for n in names or []]


def read_manifests(config: Config, target: Target, provider: type[Provider], folders: list[Path]) -> list[ManifestFile]:
    """Every manifest in these folders that names the target (already validated by the loader)."""
    paths = sorted({p.resolve() for folder in folders for p in manifest_files(folder)})
    files = []
    for path in paths:
        text = path.read_text(encoding="utf-8")
        raw = load_text(text)
        if not isinstance(raw, dict):
            continue
        names = _file_targets(raw)
        if target.name not in names:
            continue
        header = with_vars({k: v for k, v in plain(raw).items() if k not in HEADER_KEYS}, target)
        scope = provider.scope_of(provider.scope_model.model_validate(header))
        others = [n for n in names if n != target.name]
        rules = raw.get("rules") or []
        identities = [rule_identity(provider, node, target) for node in rules]
        files.append(ManifestFile(path, display_path(path, config.root_dir), scope, raw, text, identities, others))
    return files


def rule_identity(provider: type[Provider], node: Any, target: Target | None = None) -> str:
    data = rule_data(node) if target is None else with_vars(rule_data(node), target)
    return provider.identity(provider.to_body(provider.rule_model.model_validate(data)))


def with_vars(data: dict[str, Any], target: Target) -> dict[str, Any]:
    """`data` as the target sees it: each `{var: NAME}` replaced by its value (the loader checked them)."""
    return variables.substitute(data, list(variables.find_refs(data)), target.spec.vars)[0]
