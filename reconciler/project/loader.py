"""Manifests under `rules/` -> desired state. Every problem in every file is collected, then reported."""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

from reconciler.engine.model import DesiredRule, DesiredState, ScopeRef, format_field_path
from reconciler.errors import InputError, Location, Problem, suggest
from reconciler.project.config import Config, Target
from reconciler.project.validation import validate_model
from reconciler.project.yamlsource import display_path, load_yaml, node_location, plain

HEADER_KEYS = ("target", "targets", "rules")
RULE_META_KEYS = ("protect",)  # reconciler's own per-rule settings, never sent to an API


def manifest_files(rules_dir: Path) -> list[Path]:
    """Every manifest, in a stable order so that plans and errors are deterministic."""
    if not rules_dir.is_dir():
        return []
    return sorted(p for p in rules_dir.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())


def _file_targets(raw: dict[str, Any], config: Config, file: str, problems: list[Problem]) -> list[str]:
    names: Any = raw.get("targets", raw.get("target"))
    key = "targets" if "targets" in raw else "target"
    if "target" in raw and "targets" in raw:
        problems.append(
            Problem(node_location(raw, ["targets"], file), "targets", "give 'target' or 'targets', not both")
        )
        return []
    if names is None:
        problems.append(
            Problem(
                node_location(raw, [], file), "target", "required field is missing (the target these rules belong to)"
            )
        )
        return []
    if isinstance(names, str):
        names = [names]
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        problems.append(Problem(node_location(raw, [key], file), key, "must be a target name or a list of names"))
        return []
    known = []
    for index, name in enumerate(names):
        if name in config.targets:
            known.append(name)
        else:
            path = [key, index] if isinstance(raw[key], list) else [key]
            problems.append(
                Problem(
                    node_location(raw, path, file, at_value=True),
                    key,
                    f"unknown target {name!r}{suggest(name, config.targets)}",
                )
            )
    providers = {config.targets[n].provider for n in known}
    if len(providers) > 1:
        problems.append(
            Problem(
                node_location(raw, [key], file),
                key,
                f"targets of one file must share a provider, got {', '.join(sorted(providers))}",
            )
        )
        return []
    return known


def _load_file(path: Path, config: Config, selected: set[str], state: DesiredState, problems: list[Problem]) -> None:
    file = display_path(path, config.root_dir)
    try:
        raw = load_yaml(path, file)
    except InputError as exc:
        problems.extend(exc.problems)
        return
    if raw is None:
        return  # an empty file declares nothing
    if not isinstance(raw, dict):
        problems.append(Problem(Location(file, 1, 1), "", "a manifest is a mapping with 'target' and 'rules'"))
        return
    target_names = _file_targets(raw, config, file, problems)
    if not target_names:
        return
    provider = config.targets[target_names[0]].provider_class
    header = {k: v for k, v in raw.items() if k not in HEADER_KEYS}
    scope_header, header_problems = validate_model(
        provider.scope_model, plain(header), root=raw, file=file, other_names=HEADER_KEYS
    )
    problems.extend(header_problems)
    rules = raw.get("rules")
    if rules is None:
        problems.append(Problem(node_location(raw, [], file), "rules", "required field is missing (a list of rules)"))
        return
    if not isinstance(rules, list):
        problems.append(Problem(node_location(raw, ["rules"], file), "rules", "must be a list of rules"))
        return
    if scope_header is None:
        return
    scope = provider.scope_of(scope_header)
    for target_name in target_names:
        if target_name in selected:
            state.scope(ScopeRef(target_name, scope)).files.append(file)
    for index, rule_raw in enumerate(rules):
        base: list[str | int] = ["rules", index]
        if not isinstance(rule_raw, dict):
            problems.append(Problem(node_location(raw, base, file), f"rules[{index}]", "a rule is a mapping of fields"))
            continue
        data = plain(rule_raw)
        protect = data.pop("protect", False)
        if not isinstance(protect, bool):
            problems.append(
                Problem(
                    node_location(raw, [*base, "protect"], file), f"rules[{index}].protect", "must be true or false"
                )
            )
            continue
        model, rule_problems = validate_model(
            provider.rule_model, data, root=raw, file=file, base=base, field_prefix=base, other_names=RULE_META_KEYS
        )
        problems.extend(rule_problems)
        if model is None:
            continue
        body = provider.to_body(model)
        locate = partial(_locate_field, raw, base, file)
        for path, message in provider.rule_problems(body):
            problems.append(Problem(locate(path), format_field_path([*base, *path]), message))
        location = node_location(raw, base, file)
        for target_name in target_names:
            if target_name in selected:
                ref = ScopeRef(target_name, scope)
                state.scope(ref).rules.append(
                    DesiredRule(
                        ref,
                        provider.identity(body),
                        body,
                        location,
                        protect=protect,
                        locate=locate,
                        manifest_path=tuple(base),
                    )
                )


def _locate_field(root: Any, base: list[str | int], file: str, path: Sequence[str | int]) -> Location:
    return node_location(root, [*base, *path], file, at_value=True)


def _check_identities(state: DesiredState, config: Config, problems: list[Problem]) -> None:
    for scope in state.scopes.values():
        seen: dict[str, DesiredRule] = {}
        for rule in scope.rules:
            first = seen.setdefault(rule.identity, rule)
            if first is not rule:
                message = f"duplicate rule {rule.identity!r} in {scope.ref}: already defined at {first.location}"
                problems.append(rule.problem((), message))
        provider = config.targets[scope.ref.target].provider_class
        problems.extend(provider.check_scope(scope.rules))


@contextmanager
def cycle_collection_paused() -> Iterator[None]:
    """Loading allocates hundreds of thousands of containers that all live on: the cycle collector,
    triggered by allocation counts, would walk the growing desired state again and again for nothing
    (a third of a large estate's load time). It runs as usual afterwards; nested pauses leave it
    to the outermost."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def load_desired(config: Config, targets: list[Target], rules_dir: Path | None = None) -> DesiredState:
    """Read every manifest; raise InputError listing all problems, or return the desired state."""
    selected = {t.name for t in targets}
    state = DesiredState()
    problems: list[Problem] = []
    with cycle_collection_paused():
        for path in manifest_files(rules_dir or config.rules_dir):
            _load_file(path, config, selected, state, problems)
    _check_identities(state, config, problems)
    if problems:
        raise InputError(problems)
    with_manifests = {ref.target for ref in state.scopes}
    state.targets_without_manifests = [t.name for t in targets if t.name not in with_manifests]
    return state
