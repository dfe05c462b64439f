"""`reconciler import`: live rules -> manifests, so that an existing tenant comes under management.

Scopes no manifest covers yet get a new file each (named after the scope, rules in position order
for ordered providers, by identity otherwise). In files that exist, each rule is a block of text:
a rule that differs from live has its block re-read with ruamel's round-trip loader and only the
values that differ changed (comments, key order, quoting stay); rules are added, moved or dropped
as whole blocks, each with the comment lines above it; every other line stays as it was. The law:
right after an import, `plan` shows no change for what was imported.
"""

from __future__ import annotations

import asyncio
import copy
import difflib
import io
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import click
from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from reconciler.config import Config, Target
from reconciler.errors import ApiError, InputError, Location, Problem
from reconciler.live import Sessions, fetch_live
from reconciler.loader import HEADER_KEYS, RULE_META_KEYS, load_desired, manifest_files
from reconciler.models import LiveRule, LiveScope, ScopeRef
from reconciler.providers.base import Provider
from reconciler.yamlsource import display_path, node_location, plain

FLOW_LIST_MAX_CHARS = 60  # lists of scalars up to this long are written inline: `[A, B]`
FLOW_MAP_MAX_CHARS = 72  # and list items of scalars, like OneLogin conditions: `{source: x, operator: y}`


# ---- YAML text --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class YamlStyle:
    """Indentation of a file, so that rewriting it changes only what the import changes."""

    mapping: int = 2
    sequence: int = 4
    offset: int = 2


PROJECT_STYLE = YamlStyle()
CANDIDATE_STYLES = (PROJECT_STYLE, YamlStyle(2, 2, 0), YamlStyle(4, 4, 2), YamlStyle(4, 6, 4), YamlStyle(4, 4, 0))


def _yaml(style: YamlStyle) -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never fold a long line the user wrote
    yaml.indent(mapping=style.mapping, sequence=style.sequence, offset=style.offset)
    return yaml


def dump_yaml(data: Any, style: YamlStyle = PROJECT_STYLE) -> str:
    out = io.StringIO()
    _yaml(style).dump(data, out)
    return out.getvalue()


def load_text(text: str, style: YamlStyle = PROJECT_STYLE) -> Any:
    return _yaml(style).load(text)


def guess_style(text: str) -> YamlStyle:
    """The indentation that writes this file back unchanged (the project's own when none does)."""
    for style in CANDIDATE_STYLES:
        try:
            if dump_yaml(load_text(text, style), style) == text:
                return style
        except Exception:  # ruamel raises many kinds; a style that cannot round-trip is just not it
            continue
    return PROJECT_STYLE


@cache
def _needs_quotes(text: str) -> bool:
    """True when a string written plain would read back as something else (a number, `>`, `yes`...)."""
    return dump_yaml(text).startswith(("'", '"'))


def _scalar(value: Any) -> Any:
    if isinstance(value, str) and _needs_quotes(value):
        return DoubleQuotedScalarString(value)  # the quoting the project's manifests use
    return value


def _inline_text(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(map(_inline_text, value)) + "]"
    return str(value)


def _inline(value: dict[str, Any] | list[Any]) -> bool:
    """Short lists of scalars, and short list items made of scalars and such lists, read best inline."""
    if isinstance(value, list):
        flat = all(not isinstance(item, dict | list) for item in value)
        return bool(value) and flat and len(_inline_text(value)) <= FLOW_LIST_MAX_CHARS
    simple = all(not isinstance(v, dict) and (not isinstance(v, list) or _inline(v)) for v in value.values())
    text = ", ".join(f"{k}: {_inline_text(v)}" for k, v in value.items())
    return bool(value) and simple and len(text) <= FLOW_MAP_MAX_CHARS


def to_node(value: Any, *, list_item: bool = False) -> Any:
    """Plain data as ruamel nodes: block style, except what `_inline` finds short enough."""
    if isinstance(value, dict):
        node = CommentedMap((key, to_node(item)) for key, item in value.items())
        if list_item and _inline(value):
            node.fa.set_flow_style()
        return node
    if isinstance(value, list):
        seq = CommentedSeq(to_node(item, list_item=True) for item in value)
        if _inline(value):
            seq.fa.set_flow_style()
        return seq
    return _scalar(value)


# ---- live rules in manifest form --------------------------------------------------------------------
@dataclass
class ImportedRule:
    identity: str
    manifest: dict[str, Any]
    live: LiveRule


@dataclass
class ImportedScope:
    """One live scope in manifest form: its rules in the order the files will hold them."""

    ref: ScopeRef
    title: str
    rules: list[ImportedRule] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


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
    sessions: Sessions, target: Target, provider: type[Provider], scopes: Sequence[str] | None
) -> list[ImportedScope]:
    """The named scopes (all of the tenant when None) in manifest form. A failed read raises: an
    import must never write files from half a tenant."""
    online = sessions.provider(target.name)
    if scopes is None:
        titles = await online.list_scopes()
    else:
        titles = dict(zip(scopes, await asyncio.gather(*map(online.scope_title, scopes)), strict=True))
    refs = [ScopeRef(target.name, scope) for scope in titles]
    live = await fetch_live(sessions, refs)
    imported = []
    for ref in refs:
        state = live[ref]
        if isinstance(state, ApiError):
            raise state
        imported.append(manifest_form(provider, state, titles[ref.scope]))
    return imported


# ---- manifests on disk ------------------------------------------------------------------------------
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
        header = {k: v for k, v in plain(raw).items() if k not in HEADER_KEYS}
        scope = provider.scope_of(provider.scope_model.model_validate(header))
        others = [n for n in names if n != target.name]
        rules = raw.get("rules") or []
        identities = [rule_identity(provider, node) for node in rules]
        files.append(ManifestFile(path, display_path(path, config.root_dir), scope, raw, text, identities, others))
    return files


def rule_identity(provider: type[Provider], node: Any) -> str:
    return provider.identity(provider.to_body(provider.rule_model.model_validate(rule_data(node))))


# ---- updating a rule in place -----------------------------------------------------------------------
def _with(root: Any, path: Sequence[str | int], value: Any) -> Any:
    """A copy of `root` with `value` put at `path` (a missing key is added)."""
    if not path:
        return value
    out = copy.deepcopy(root)
    node = out
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return out


class RuleMerge:
    """Turns an existing manifest rule (ruamel nodes) into `wanted`, touching only what differs.

    A part of the existing rule is kept whenever putting it into `wanted` does not change what the
    rule means to the plan (the provider's normalized body): equivalent spellings, the user's order of
    an order-free list, a default written out, all stay as the user wrote them.
    """

    def __init__(self, provider: type[Provider], wanted: dict[str, Any]) -> None:
        self.provider = provider
        self.wanted = wanted
        self.target = canonical(provider, wanted)

    def keeps_meaning(self, path: Sequence[str | int], value: Any) -> bool:
        return canonical(self.provider, _with(self.wanted, path, value)) == self.target

    def merge_rule(self, node: CommentedMap) -> bool:
        """Update `node` in place; True when anything changed."""
        if self.keeps_meaning((), rule_data(node)):
            return False
        self._merge_map(node, self.wanted, ())
        if canonical(self.provider, rule_data(node)) != self.target:
            # Never expected; but a rule that does not say what is live must not be written.
            meta = {k: node[k] for k in RULE_META_KEYS if k in node}
            node.clear()
            node.update(to_node(self.wanted))
            node.update(meta)
        return True

    def _merge_value(self, node: Any, wanted: Any, path: tuple[str | int, ...]) -> Any:
        if self.keeps_meaning(path, plain(node)):
            return node
        if isinstance(node, CommentedMap) and isinstance(wanted, dict):
            self._merge_map(node, wanted, path)
            return node
        if isinstance(node, CommentedSeq) and isinstance(wanted, list):
            self._merge_seq(node, wanted, path)
            return node
        return to_node(wanted, list_item=bool(path) and isinstance(path[-1], int))

    def _merge_map(self, node: CommentedMap, wanted: dict[str, Any], path: tuple[str | int, ...]) -> None:
        for key in list(node):
            if key in wanted or (not path and key in RULE_META_KEYS):
                continue
            if not self.keeps_meaning((*path, key), plain(node[key])):
                del node[key]
        previous: str | None = None
        for key, value in wanted.items():
            if key in node:
                merged = self._merge_value(node[key], value, (*path, key))
                if merged is not node[key]:
                    node[key] = merged
            else:
                position = list(node).index(previous) + 1 if previous is not None else 0
                node.insert(position, key, to_node(value))
            previous = key

    def _order_free(self, wanted: list[Any], path: tuple[str | int, ...]) -> bool:
        if len(wanted) < 2:
            return True
        return self.keeps_meaning(path, list(reversed(wanted))) and self.keeps_meaning(path, [*wanted[1:], wanted[0]])

    def _merge_seq(self, node: CommentedSeq, wanted: list[Any], path: tuple[str | int, ...]) -> None:
        if not self._order_free(wanted, path):
            for index, value in enumerate(wanted[: len(node)]):
                merged = self._merge_value(node[index], value, (*path, index))
                if merged is not node[index]:
                    node[index] = merged
            del node[len(wanted) :]
            node.extend(to_node(v, list_item=True) for v in wanted[len(node) :])
            return
        # Order means nothing here: keep every item that says something wanted, where it stands.
        matched: dict[int, int] = {}  # existing index -> wanted index
        for want_index in range(len(wanted)):
            for index, item in enumerate(node):
                if index not in matched and self.keeps_meaning((*path, want_index), plain(item)):
                    matched[index] = want_index
                    break
        spare = [i for i in range(len(node)) if i not in matched]
        unmet = [j for j in range(len(wanted)) if j not in matched.values()]
        for index, want_index in zip(spare, unmet, strict=False):
            merged = self._merge_value(node[index], wanted[want_index], (*path, want_index))
            if merged is not node[index]:
                node[index] = merged
            matched[index] = want_index
        for index in sorted((i for i in range(len(node)) if i not in matched), reverse=True):
            del node[index]
        node.extend(to_node(wanted[j], list_item=True) for j in unmet[len(spare) :])


def pin_computed_fields(provider: type[Provider], existing: dict[str, Any], imported: ImportedRule) -> dict[str, Any]:
    """The imported rule, keeping server-filled fields the manifest pins (at their live values)."""
    wanted = dict(imported.manifest)
    for name in provider.computed_fields:
        if name in existing and name not in wanted and imported.live.body.get(name) is not None:
            wanted[name] = imported.live.body[name]
    return wanted


def differs(provider: type[Provider], node: Any, imported: ImportedRule) -> bool:
    """True when the manifest rule does not say what is live (as the plan or a re-import sees it)."""
    existing = rule_data(node)
    wanted = pin_computed_fields(provider, existing, imported)
    desired = canonical(provider, existing)
    return desired is None or desired != canonical(provider, wanted)


# ---- rules as blocks of text ------------------------------------------------------------------------
def _is_comment_or_blank(line: str, max_indent: int) -> bool:
    stripped = line.lstrip(" ")
    if not stripped.strip():
        return True
    return stripped.startswith("#") and len(line) - len(stripped) <= max_indent


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _shift(lines: list[str], column: int) -> list[str]:
    """Lines of a rule moved so that its dash stands at `column`."""
    shift = column - _indent(lines[0])
    if shift >= 0:
        return [" " * shift + line if line.strip() else line for line in lines]
    return [line[min(-shift, _indent(line)) :] for line in lines]


@dataclass
class RuleBlock:
    """One rule of a file as text: the comment lines right above it, its own lines, the blank lines after."""

    identity: str
    lead: list[str]
    content: list[str]
    gap: list[str] = field(default_factory=list)


@dataclass
class RulesText:
    """A manifest as text around its block list of rules: what comes before, each rule, what comes after.

    Rules are edited, moved, added and dropped as whole blocks, so every other line stays as it is,
    and a rule's comments (above it, inside it) go wherever the rule goes.
    """

    prefix: list[str]
    blocks: list[RuleBlock]
    tail: list[str]
    dash_col: int
    rules_key: tuple[int, int]  # line and column of `rules:`
    style: YamlStyle

    @classmethod
    def parse(cls, text: str, provider: type[Provider]) -> RulesText | None:
        """None when the rules are not a block list with at least one rule (an inline `[...]`)."""
        data = load_text(text)
        seq = data.get("rules")
        if not isinstance(seq, CommentedSeq) or not seq or seq.fa.flow_style():
            return None
        lines = text.splitlines(keepends=True)
        if not lines[-1].endswith("\n"):
            lines[-1] += "\n"
        starts = [seq.lc.item(i)[0] for i in range(len(seq))]
        dash_col = len(lines[starts[0]][: seq.lc.item(0)[1]].rstrip()) - 1
        if dash_col < 0 or lines[starts[0]][dash_col] != "-":
            return None
        keys = list(data)
        following = keys[keys.index("rules") + 1 :]
        seq_end = data.lc.key(following[0])[0] if following else len(lines)
        bounds = []
        for start in starts:
            line = start
            while line > 0 and _is_comment_or_blank(lines[line - 1], dash_col):
                line -= 1
            while line < start and not lines[line].strip():
                line += 1  # blank lines above a rule's comments separate rules; they are not part of it
            bounds.append(line)
        end = seq_end
        while end > starts[-1] + 1 and _is_comment_or_blank(lines[end - 1], dash_col):
            end -= 1  # comments after the last rule stay at the end of the list
        ends = [*bounds[1:], end]
        blocks = []
        for index, node in enumerate(seq):
            content = lines[starts[index] : ends[index]]
            gap: list[str] = []
            while content and not content[-1].strip():
                gap.insert(0, content.pop())
            lead = lines[bounds[index] : starts[index]]
            blocks.append(RuleBlock(rule_identity(provider, node), lead, content, gap))
        style = guess_style("rules:\n" + "".join(blocks[0].content))
        return cls(lines[: bounds[0]], blocks, lines[end:], dash_col, data.lc.key("rules"), style)

    def join(self, blocks: list[RuleBlock], *, keep_gaps: bool) -> str:
        """The file with these blocks as its rules: with the file's own spacing between rules when
        `keep_gaps`, else one blank line between rules if the file had any (or too few rules to tell)."""
        prefix = list(self.prefix)
        if not blocks:
            line, column = self.rules_key
            end = column + len("rules:")
            prefix[line] = f"{prefix[line][:end]} []{prefix[line][end:]}"  # no rule left: an empty list
        blank_between = any(b.gap for b in self.blocks[:-1]) or len(self.blocks) < 2
        body: list[str] = []
        for index, block in enumerate(blocks):
            if index:
                body.extend(blocks[index - 1].gap if keep_gaps else ["\n"] if blank_between else [])
            body.extend(block.lead + block.content)
        return "".join(prefix + body + self.tail)

    def rule_lines(self, rule: dict[str, Any]) -> list[str]:
        """A new rule as lines of this file's list, in its style."""
        return rule_lines(rule, self.style, self.dash_col)

    def merged_lines(self, block: RuleBlock, wanted: dict[str, Any], provider: type[Provider]) -> list[str]:
        """The block's rule changed in place to say `wanted`: only the values that differ are rewritten."""
        text = "rules:\n" + "".join(block.content)
        style = guess_style(text)
        data = load_text(text, style)
        RuleMerge(provider, wanted).merge_rule(data["rules"][0])
        return _shift(dump_yaml(data, style).splitlines(keepends=True)[1:], self.dash_col)


def rule_lines(rule: dict[str, Any], style: YamlStyle, dash_col: int) -> list[str]:
    return _shift(dump_yaml({"rules": [to_node(rule)]}, style).splitlines(keepends=True)[1:], dash_col)


def render_manifest(file: ManifestFile, provider: type[Provider]) -> str:
    """The file's new text: the original with changed rules rewritten and rules moved, added or dropped."""
    if file.original is None:
        header = dump_yaml(file.data)
        blocks = [rule_lines(file.new_rules[i], PROJECT_STYLE, PROJECT_STYLE.offset) for i in file.order or []]
        return header + "rules:\n" + "\n".join("".join(block) for block in blocks)
    layout = RulesText.parse(file.original, provider)
    if layout is None:
        return _render_nodes(file, provider)
    blocks = {block.identity: block for block in layout.blocks}
    for identity, wanted in file.updates.items():
        blocks[identity].content = layout.merged_lines(blocks[identity], wanted, provider)
    for identity, rule in file.new_rules.items():
        blocks[identity] = RuleBlock(identity, [], layout.rule_lines(rule))
    order = file.order if file.order is not None else file.identities
    return layout.join([blocks[i] for i in order], keep_gaps=file.order is None)


def _render_nodes(file: ManifestFile, provider: type[Provider]) -> str:
    """For a file whose rules are an inline list (or none): edit the nodes; when rules are added,
    moved or dropped, write the list anew as blocks."""
    assert file.original is not None
    style = guess_style(file.original)
    data = load_text(file.original, style)
    nodes = dict(zip(file.identities, data.get("rules") or [], strict=True))
    for identity, wanted in file.updates.items():
        RuleMerge(provider, wanted).merge_rule(nodes[identity])
    if file.order is None:
        return dump_yaml(data, style)
    nodes.update({identity: to_node(rule) for identity, rule in file.new_rules.items()})
    data["rules"] = CommentedSeq(nodes[i] for i in file.order)
    text = dump_yaml(data, style)
    layout = RulesText.parse(text, provider)
    return layout.join(layout.blocks, keep_gaps=False) if layout is not None else text


# ---- the import plan --------------------------------------------------------------------------------
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
            partial.write_text(write.after, encoding="utf-8")
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
            file.new_rules[rule.identity] = rule.manifest
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
        data.update(self.provider.scope_header(scope.ref.scope))
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
    sessions: Sessions,
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
    imported = await read_tenant(sessions, target, provider, scopes)
    importer = Importer(config, target, provider, folder, drop_missing=drop_missing)
    return importer.run(imported, whole_tenant=scopes is None)
