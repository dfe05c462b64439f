"""Manifests under `rules/` -> desired state. Every problem in every file is collected, then reported."""

from __future__ import annotations

import gc
import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache, partial
from itertools import islice
from pathlib import Path
from typing import Any

from reconciler.engine.model import DesiredRule, DesiredScope, DesiredState, ScopeRef, format_field_path
from reconciler.engine.provider import Provider
from reconciler.errors import InputError, Location, Problem, suggest
from reconciler.project import variables
from reconciler.project.config import Config, Target
from reconciler.project.finding import find_manifests
from reconciler.project.parsing import ManifestReader
from reconciler.project.validation import validate_model
from reconciler.project.yamlsource import display_path, locate_in_file, node_location, plain

HEADER_KEYS = ("target", "targets", "rules")
TARGET_FILTER_KEYS = ("only_targets", "except_targets")
RULE_META_KEYS = ("protect", *TARGET_FILTER_KEYS)  # reconciler's own per-rule settings, never sent to an API
# A large plan keeps one rule per manifest rule and target: each shares `("rules", i)` and its field order.
_rule_path = lru_cache(maxsize=4096)(lambda index: ("rules", index))
_shared_fields = lru_cache(maxsize=1024)(lambda fields: fields)


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
    if names == []:
        problems.append(Problem(node_location(raw, [key], file), key, "must name at least one target"))
        return []
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


def _load_file(
    path: Path, reader: ManifestReader, config: Config, selected: set[str], state: DesiredState, problems: list[Problem]
) -> list[str] | None:
    """Load one manifest into `state`; returns the targets it names (None until it names them)."""
    try:
        file, raw = reader.read(path, state.digests)
    except InputError as exc:
        problems.extend(exc.problems)
        return None
    if raw is None:
        return None  # an empty file declares nothing
    if not isinstance(raw, dict):
        problems.append(Problem(Location(file, 1, 1), "", "a manifest is a mapping with 'target' and 'rules'"))
        return None
    target_names = _file_targets(raw, config, file, problems)
    if not target_names:
        return None
    manifest = Manifest(raw, file, target_names, config.targets[target_names[0]].provider_class, path)
    found: list[Problem] = []
    for data, targets in _variants(manifest, config, selected, found):
        _load_variant(manifest, data, [t for t in targets if t in selected], state, found)
    # A malformed `{var: ...}` is reported once, not again as a wrong value of its field.
    malformed = {p.field for p in found if p.message.startswith(variables.MALFORMED)}
    problems.extend(p for p in found if p.field not in malformed or p.message.startswith(variables.MALFORMED))
    return target_names


@dataclass
class Manifest:
    """One manifest file as loaded: its YAML (for locations), name, targets and provider."""

    raw: dict[str, Any]
    file: str
    targets: list[str]
    provider: type[Provider]
    path: Path

    def problem(self, path: Sequence[str | int], message: str) -> Problem:
        return Problem(node_location(self.raw, path, self.file, at_value=True), format_field_path(path), message)


def _variants(
    manifest: Manifest, config: Config, selected: set[str], problems: list[Problem]
) -> list[tuple[dict[str, Any], list[str]]]:
    """The file's content as each target sees it (`{var: NAME}` replaced by the target's value), with
    the targets that see it alike. A file without variables is one variant for all its targets."""
    data = {k: v for k, v in plain(manifest.raw).items() if k not in ("target", "targets")}
    refs = list(variables.find_refs(data))
    if not refs:
        return [(data, manifest.targets)]
    problems.extend(manifest.problem(ref.path, ref.problem) for ref in refs if ref.problem)
    # Files of targets outside the run are still checked, as one of their targets sees them.
    wanted = [t for t in manifest.targets if t in selected] or manifest.targets[:1]
    variants: dict[str, tuple[dict[str, Any], list[str]]] = {}
    for name in wanted:
        target = config.targets[name]
        seen, missing = variables.substitute(data, refs, target.spec.vars)
        for ref in missing:
            problems.append(
                manifest.problem(
                    ref.path,
                    f"variable {ref.name!r} is not set for target {name!r} (targets.{name}.vars in {config.shown_as})",
                )
            )
        if missing:
            continue
        key = json.dumps(seen, sort_keys=True, default=str)
        variants.setdefault(key, (seen, []))[1].append(name)
    return list(variants.values())


def _load_variant(
    manifest: Manifest, data: dict[str, Any], targets: list[str], state: DesiredState, problems: list[Problem]
) -> None:
    """Check one variant of a file and add its rules to the state of `targets` (the selected ones)."""
    raw, file, provider = manifest.raw, manifest.file, manifest.provider
    header = {k: v for k, v in data.items() if k not in HEADER_KEYS}
    scope_header, header_problems = validate_model(
        provider.scope_model, header, root=raw, file=file, other_names=HEADER_KEYS
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
    origin = (node_location(raw, list(header)[:1], file, at_value=True), next(iter(header), ""))
    scopes = [state.scope(ScopeRef(target_name, scope)) for target_name in targets]
    for desired_scope in scopes:
        desired_scope.files.append(file)
        desired_scope.origins.append(origin)
    locate = partial(locate_in_file, manifest.path, file)  # one per file, shared by its rules
    for index, rule_data in enumerate(data["rules"]):
        base: list[str | int] = ["rules", index]
        if not isinstance(rule_data, dict):
            problems.append(Problem(node_location(raw, base, file), f"rules[{index}]", "a rule is a mapping of fields"))
            continue
        rule = _load_rule(manifest, base, dict(rule_data), problems)
        if rule is None:
            continue
        body, protect, applies_to = rule
        location = node_location(raw, base, file)
        fields = _shared_fields(tuple(rule_data))
        for desired_scope in scopes:
            if applies_to(desired_scope.ref.target):
                desired_scope.rules.append(
                    DesiredRule(
                        desired_scope.ref,
                        provider.identity(body),
                        body,
                        location,
                        protect=protect,
                        locate=locate,
                        manifest_path=_rule_path(index),
                        fields=fields,
                    )
                )


def _load_rule(
    manifest: Manifest, base: list[str | int], data: dict[str, Any], problems: list[Problem]
) -> tuple[dict[str, Any], bool, Callable[[str], bool]] | None:
    """A rule's API body, its `protect`, and which of the file's targets it applies to; None when invalid."""
    raw, file, provider = manifest.raw, manifest.file, manifest.provider
    found: list[Problem] = []
    protect = data.pop("protect", False)
    if not isinstance(protect, bool):
        found.append(manifest.problem([*base, "protect"], "must be true or false"))
    applies_to = _target_filter(manifest, base, data, found)
    model, rule_problems = validate_model(
        provider.rule_model, data, root=raw, file=file, base=base, field_prefix=base, other_names=RULE_META_KEYS
    )
    found.extend(rule_problems)
    body = None
    if model is not None:
        body = provider.to_body(model)
        for path, message in provider.rule_problems(body):
            where = node_location(raw, [*base, *path], file, at_value=True)
            found.append(Problem(where, format_field_path([*base, *path]), message))
    problems.extend(found)
    if found or body is None:
        return None
    return body, protect, applies_to


def _target_filter(
    manifest: Manifest, base: list[str | int], data: dict[str, Any], problems: list[Problem]
) -> Callable[[str], bool]:
    """`only_targets` / `except_targets` of a rule: which of its file's targets the rule applies to."""
    lists: dict[str, list[str]] = {}
    for key in TARGET_FILTER_KEYS:
        if key not in data:
            continue
        value = data.pop(key)
        names = [value] if isinstance(value, str) else value
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            problems.append(manifest.problem([*base, key], "must be a target name or a list of names"))
            continue
        for index, name in enumerate(names):
            if name not in manifest.targets:
                at = [*base, key, index] if isinstance(value, list) else [*base, key]
                hint = suggest(name, manifest.targets) or f"; this file's targets: {', '.join(manifest.targets)}"
                problems.append(manifest.problem(at, f"{name!r} is not a target of this file{hint}"))
        lists[key] = names
    if len(lists) == 2:
        problems.append(
            manifest.problem([*base, "except_targets"], "give 'only_targets' or 'except_targets', not both")
        )
    only, excluded = lists.get("only_targets"), set(lists.get("except_targets", ()))
    return lambda target: (only is None or target in only) and target not in excluded


def _check_identities(state: DesiredState, config: Config, problems: list[Problem]) -> None:
    for scope in state.scopes.values():
        problems.extend(scope_problems(scope, config.targets[scope.ref.target].provider_class))


def scope_problems(scope: DesiredScope, provider: type[Provider]) -> list[Problem]:
    """Rules of one scope that clash: the same identity twice, or what the provider checks across rules."""
    problems = []
    seen: dict[str, DesiredRule] = {}
    for rule in scope.rules:
        first = seen.setdefault(rule.identity, rule)
        if first is not rule:
            message = f"duplicate rule {rule.identity!r} in {scope.ref}: already defined at {first.location}"
            problems.append(rule.problem((), message))
    return problems + provider.check_scope(scope.rules)


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


def load_desired(
    config: Config,
    targets: list[Target],
    rules_dir: Path | None = None,
    on_scope: Callable[[ScopeRef], None] | None = None,
    reader: ManifestReader | None = None,  # started early for these manifests (see `parsing`); closed here
) -> DesiredState:
    """Read every manifest; raise InputError listing all problems, or return the desired state.

    `on_scope` is told of each scope once a manifest naming it has loaded, while every manifest so
    far is valid (so its live rules can be read meanwhile); after the first problem it is told nothing.
    """
    selected = {t.name for t in targets}
    state = DesiredState()
    problems: list[Problem] = []
    folder = rules_dir or config.rules_dir
    paths, unread = find_manifests(folder)
    for path, message in unread:
        if path != folder:  # shown as found, not where a link leads
            problems.append(Problem(Location(f"{display_path(path.parent, config.root_dir)}/{path.name}"), "", message))
        elif not path.exists() and (rules_dir is not None or "rules_dir" not in config.raw):
            continue  # no `rules/` (or import folder) yet, none named in the config: there is nothing to read
        else:  # the rules folder itself: point at the config that names it
            where = node_location(config.raw, ["rules_dir"], config.shown_as)
            shown = display_path(path, config.root_dir)
            problems.append(Problem(where, "rules_dir", f"{shown!r} {message}; no manifest could be read"))
    if problems:  # a manifest that could not be read may have held rules of any target
        state.incomplete_targets |= selected
    with cycle_collection_paused(), reader or ManifestReader(paths, config.root_dir) as manifests:
        announced = 0
        for path in paths:
            before = len(problems)
            named = _load_file(path, manifests, config, selected, state, problems)
            if len(problems) > before:
                state.incomplete_targets |= selected if named is None else selected & set(named)
            if on_scope is not None and not problems and len(state.scopes) > announced:
                new = list(islice(reversed(state.scopes), len(state.scopes) - announced))[::-1]  # appended last
                # A new scope's rules all come from this file: check them across each other before naming it.
                for ref in new:
                    problems += scope_problems(state.scopes[ref], config.targets[ref.target].provider_class)
                for ref in new if not problems else ():
                    on_scope(ref)
                announced = len(state.scopes)
    _check_identities(state, config, problems)
    if problems:
        # The variants of one file (targets with different variables) share most of their problems.
        raise InputError(list({str(p): p for p in problems}.values()))
    with_manifests = {ref.target for ref in state.scopes}
    state.targets_without_manifests = [t.name for t in targets if t.name not in with_manifests]
    return state
