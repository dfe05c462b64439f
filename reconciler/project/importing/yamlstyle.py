"""How imported YAML is written: the project's style, or the style a file already uses."""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import cache
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

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
    yaml.brace_single_entry_mapping_in_flow_sequence = True  # `[{name: Admin}]`, not `[name: Admin]`
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


def _atom(value: Any) -> bool:
    """A scalar, or a one-key mapping of a scalar (`{name: Admin}`): written inline like a scalar."""
    if isinstance(value, dict):
        return len(value) == 1 and not isinstance(next(iter(value.values())), dict | list)
    return not isinstance(value, list)


def _inline_text(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(map(_inline_text, value)) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_inline_text(v)}" for k, v in value.items()) + "}"
    return str(value)


def _inline(value: dict[str, Any] | list[Any]) -> bool:
    """Short lists of scalars, and short list items made of scalars and such lists, read best inline."""
    if isinstance(value, list):
        flat = all(_atom(item) for item in value)
        return bool(value) and flat and len(_inline_text(value)) <= FLOW_LIST_MAX_CHARS
    simple = all(_atom(v) or (isinstance(v, list) and _inline(v)) for v in value.values())
    text = ", ".join(f"{k}: {_inline_text(v)}" for k, v in value.items())
    return bool(value) and simple and len(text) <= FLOW_MAP_MAX_CHARS


def to_node(value: Any, *, list_item: bool = False) -> Any:
    """Plain data as ruamel nodes: block style, except what `_inline` finds short enough."""
    if isinstance(value, dict):
        node = CommentedMap((key, to_node(item)) for key, item in value.items())
        if (list_item and _inline(value)) or (value and _atom(value)):
            node.fa.set_flow_style()
        return node
    if isinstance(value, list):
        seq = CommentedSeq(to_node(item, list_item=True) for item in value)
        if _inline(value):
            seq.fa.set_flow_style()
        return seq
    return _scalar(value)
