"""`reconciler import`: live rules -> manifests, so that an existing tenant comes under management.

Scopes no manifest covers yet get a new file each (named after the scope, rules in position order
for ordered providers, by identity otherwise). In files that exist, each rule is a block of text:
a rule that differs from live has its block re-read with ruamel's round-trip loader and only the
values that differ changed (comments, key order, quoting stay); rules are added, moved or dropped
as whole blocks, each with the comment lines above it; every other line stays as it was. The law:
right after an import, `plan` shows no change for what was imported.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
from pydantic import ValidationError
from ruamel.yaml.comments import CommentedMap

from reconciler.engine.provider import Provider
from reconciler.errors import InputError, Location, Problem
from reconciler.project.config import Config, Target
from reconciler.project.importing.blocks import render_manifest
from reconciler.project.importing.files import ManifestFile, read_manifests, rule_data
from reconciler.project.importing.live_form import ImportedRule, ImportedScope, read_tenant
from reconciler.project.importing.merge import differs, pin_computed_fields
from reconciler.project.importing.yamlstyle import to_node
from reconciler.project.loader import load_desired
from reconciler.project.yamlsource import display_path
from reconciler.safetext import write_text_file


@dataclass
class FileWrite:
    path: Path
    shown: str
    before: str | None
    after: str
    summary: str


@dataclass
class ImportPlan:
    """What an import writes, and what it found but leaves to the user."""

    target: str
    writes: list[FileWrite] = field(default_factory=list)
    not_live: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    rule_count: int = 0
    scope_count: int = 0

    def diff(self) -> str:
        out = []
        for write in self.writes:
            before = (write.before or "").splitlines(keepends=True)
            after = write.after.splitlines(keepends=True)
            old = f"a/{write.shown}" if write.before is not None else "/dev/null"
            out.extend(difflib.unified_diff(before, after, old, f"b/{write.shown}"))
        return "".join(out)

    def write(self) -> None:
        for write in self.writes:
            write.path.parent.mkdir(parents=True, exist_ok=True)
            partial = write.path.with_name(f".{write.path.name}.partial")
            write_text_file(partial, write.after, escape=False)  # YAML: its escapes are its own
            partial.replace(write.path)  # a file is either as before or fully written


def render_import(plan: ImportPlan, *, dry_run: bool) -> str:
    """What the import wrote (or would write), and what it leaves to the user."""
    verb = "Would import" if dry_run else "Imported"
    lines = [f"{verb} {plan.rule_count} rule(s) of {plan.target} from {plan.scope_count} scope(s)."]
    for write in plan.writes:
        action = "create" if write.before is None else "update"
        if dry_run:
            action = f"would {action}"
        lines.append(
            f"  {click.style(action, fg='green' if write.before is None else 'yellow')} {write.shown} ({write.summary})"
        )
    if not plan.writes:
        lines.append("  Nothing to write: the manifests already say what is live.")
    if plan.not_live:
        lines.append("Manifest rules that are not live (kept; --drop-missing removes them):")
        lines.extend(f"  {entry}" for entry in plan.not_live)
    if plan.warnings:
        lines.append("Warnings:")
        lines.extend(f"  {click.style(w, fg='yellow')}" for w in plan.warnings)
    if plan.writes and not dry_run:
        lines.append(
            f"Next: review the files, commit them; `reconciler plan -t {plan.target}` shows what still differs."
        )
    return "\n".join(lines)


def slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


class Importer:
    """Plans the files of one target's import (no API call, no write)."""

    def __init__(
        self,
        config: Config,
        target: Target,
        provider: type[Provider],
        out_dir: Path,
        *,
        drop_missing: bool = False,
    ) -> None:
        self.config = config
        self.target = target
        self.provider = provider
        self.out_dir = out_dir
        self.drop_missing = drop_missing
        self.files = read_manifests(config, target, provider, [config.rules_dir, out_dir])
        self.plan = ImportPlan(target.name)

    def run(self, scopes: list[ImportedScope], *, whole_tenant: bool) -> ImportPlan:
        # A manifest may name its scope by name (an app by its name): it is the live scope of that name.
        by_name = {s.header_scope: s.ref.scope for s in scopes if s.header_scope}
        for file in self.files:
            file.scope = by_name.get(file.scope, file.scope)
        for scope in scopes:
            self._import_scope(scope)
            self.plan.rule_count += len(scope.rules)
            self.plan.warnings.extend(f"{self.target.name}/{scope.ref.scope}: skipped {s}" for s in scope.skipped)
        self.plan.scope_count = len(scopes)
        if whole_tenant:
            live_scopes = {s.ref.scope for s in scopes}
            for file in self.files:
                if file.scope not in live_scopes:
                    label = self.provider.scope_label(file.scope)
                    self.plan.warnings.append(f"{file.shown}: {label} is not in the tenant; the file is left as is")
        for file in self.files:
            write = self._render(file) if file.changed else None
            if write is not None and write.after != write.before:
                self.plan.writes.append(write)
        return self.plan

    def _import_scope(self, scope: ImportedScope) -> None:
        files = [f for f in self.files if f.scope == scope.ref.scope]
        held: dict[str, ManifestFile] = {}
        for file in files:
            for identity in file.identities:
                held.setdefault(identity, file)
        live_ids = [r.identity for r in scope.rules]
        for rule in scope.rules:
            if rule.identity not in held:
                continue
            file = held[rule.identity]
            node = file.data["rules"][file.identities.index(rule.identity)]
            if not differs(self.provider, node, rule):
                continue
            if file.shared:
                self.plan.warnings.append(
                    f"{file.location(rule.identity)}: {rule.identity!r} differs from live, but the file also "
                    f"manages {', '.join(file.other_targets)}: not changed"
                )
                continue
            file.updates[rule.identity] = pin_computed_fields(self.provider, rule_data(node), rule)
        for identity, file in held.items():
            if identity in live_ids:
                continue
            if self.drop_missing and not file.shared:
                file.removed.append(identity)
            else:
                self.plan.not_live.append(f"{file.location(identity)}: {identity!r}")
        new = [r for r in scope.rules if r.identity not in held]
        own = [f for f in files if not f.shared]
        for rule in new:
            file = self._file_for(rule, scope, own, held) if own else None
            if file is None:
                file = self._new_file(scope)
                self.files.append(file)
                files.append(file)
                own.append(file)
            file.new_rules[rule.identity] = rule.written
            held[rule.identity] = file
        for file in own:
            self._order_file(file, live_ids)
        if self.provider.ordered:
            self._check_order_across_files(scope, files, live_ids)

    def _file_for(
        self, rule: ImportedRule, scope: ImportedScope, own: list[ManifestFile], held: dict[str, Any]
    ) -> ManifestFile:
        """Where a new rule goes: next to its live neighbours (ordered providers), else the scope's file."""
        if self.provider.ordered:
            live_ids = [r.identity for r in scope.rules]
            position = live_ids.index(rule.identity)
            neighbours = [*reversed(live_ids[:position]), *live_ids[position + 1 :]]
            for identity in neighbours:
                if identity in held and held[identity] in own:
                    return held[identity]
        return own[0]

    def _order_file(self, file: ManifestFile, live_ids: list[str]) -> None:
        """The file's final order: existing rules (less removed ones) then new ones; for ordered
        providers, live rules fill the slots they hold in live order, others keep their places."""
        current = file.identities
        order = [i for i in current if i not in file.removed] + list(file.new_rules)
        if self.provider.ordered:
            rank = {identity: index for index, identity in enumerate(live_ids)}
            live_in_file = iter(sorted((i for i in order if i in rank), key=rank.__getitem__))
            order = [next(live_in_file) if i in rank else i for i in order]
        if order != current or file.original is None:
            file.order = order
        kept = [i for i in current if i not in file.removed]
        file.reordered = [i for i in order if i in kept] != kept

    def _check_order_across_files(self, scope: ImportedScope, files: list[ManifestFile], live_ids: list[str]) -> None:
        """The plan reads a scope's files in path order; warn when that cannot give the live order."""
        rank = {identity: index for index, identity in enumerate(live_ids)}
        sequence = []
        for file in sorted(files, key=lambda f: f.path):
            order = file.order if file.order is not None else file.identities
            sequence.extend(i for i in order if i in rank)
        if sequence != sorted(sequence, key=rank.__getitem__):
            names = ", ".join(f.shown for f in sorted(files, key=lambda f: f.path))
            self.plan.warnings.append(
                f"{self.target.name}/{scope.ref.scope}: the live order of rules spans {names} and differs from "
                "their order there; move rules between these files to match it"
            )

    def _new_file(self, scope: ImportedScope) -> ManifestFile:
        """A file for a scope no manifest holds yet, named after the scope's title."""
        stem = slug(scope.title) or slug(scope.ref.scope)
        path = (self.out_dir / f"{stem}.yaml").resolve()
        if path.exists() or path in {f.path for f in self.files}:
            # Two scopes may share a title (two apps named alike): the scope's key tells them apart.
            path = path.with_name(f"{stem}-{slug(scope.ref.scope)}.yaml")
        data = CommentedMap()
        data["target"] = self.target.name
        data.update(to_node(self.provider.scope_header(scope.header_scope or scope.ref.scope)))
        data.yaml_set_start_comment(f"Imported from {self.target.name} with `reconciler import`: {scope.title}.")
        return ManifestFile(path, display_path(path, self.config.root_dir), scope.ref.scope, data, None)

    def _render(self, file: ManifestFile) -> FileWrite:
        return FileWrite(
            file.path, file.shown, file.original, render_manifest(file, self.provider), self._summary(file)
        )

    @staticmethod
    def _summary(file: ManifestFile) -> str:
        if file.original is None:
            return f"{len(file.new_rules)} rule(s)"
        parts = []
        for what, names in (("added", file.new_rules), ("changed", file.updates), ("removed", file.removed)):
            if names:
                parts.append(f"{len(names)} {what}")
        if file.reordered:
            parts.append("reordered")
        return ", ".join(parts) or "unchanged"


def scopes_from_apps(provider: type[Provider], apps: Sequence[int], shown: str) -> list[str]:
    """`--app` ids as scopes; only providers whose manifests name an app accept them."""
    scopes = []
    for app in apps:
        try:
            scopes.append(provider.scope_of(provider.scope_model.model_validate({"app": app})))
        except ValidationError as exc:
            raise InputError(
                [Problem(Location(shown), "--app", f"{provider.name} targets have no apps ({exc.errors()[0]['msg']})")]
            ) from exc
    return list(dict.fromkeys(scopes))


async def import_target(
    config: Config,
    target: Target,
    provider: type[Provider],
    online: Provider,
    *,
    apps: Sequence[int] = (),
    out_dir: Path | None = None,
    drop_missing: bool = False,
) -> ImportPlan:
    """Read the target's live rules and plan the manifest files that hold them."""
    scopes = scopes_from_apps(provider, apps, "command line") if apps else None
    folder = (out_dir if out_dir is not None else config.rules_dir / target.name).resolve()
    if not folder.is_relative_to(config.rules_dir):
        load_desired(config, [target], rules_dir=folder)  # manifests there are edited too: they must be valid
    imported = await read_tenant(online, target, provider, scopes)
    importer = Importer(config, target, provider, folder, drop_missing=drop_missing)
    return importer.run(imported, whole_tenant=scopes is None)
