"""Manifest rules as blocks of text: added, moved or dropped whole, with their comments."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml.comments import CommentedSeq

from reconciler.engine.provider import Provider
from reconciler.project.importing.files import ManifestFile, rule_identity
from reconciler.project.importing.merge import RuleMerge
from reconciler.project.importing.yamlstyle import PROJECT_STYLE, YamlStyle, dump_yaml, guess_style, load_text, to_node


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
