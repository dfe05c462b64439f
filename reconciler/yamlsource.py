"""YAML reading that keeps line and column of every node, so errors can point at them."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError

from reconciler.errors import InputError, Location, Problem


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    return yaml


def display_path(path: Path, root: Path | None) -> str:
    """The path as the user knows it: relative to the project root, else to the working folder."""
    for base in (root, Path.cwd()):
        if base is None:
            continue
        try:
            return path.resolve().relative_to(base.resolve()).as_posix()
        except ValueError:
            continue
    return path.as_posix()


def load_yaml(path: Path, shown_as: str) -> Any:
    """Load one YAML document with positions; syntax errors become located problems."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError([Problem(Location(shown_as), "", f"cannot read file: {exc.strerror}")]) from exc
    try:
        return _yaml().load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        column = mark.column + 1 if mark else None
        reason = exc.problem or exc.context or "invalid YAML"
        raise InputError([Problem(Location(shown_as, line, column), "", f"YAML syntax error: {reason}")]) from exc


def node_location(root: Any, path: Sequence[str | int], file: str, *, at_value: bool = False) -> Location:
    """Line and column of the deepest node along `path`.

    A mapping entry is located at its key, or at its value with `at_value` when that value is a
    scalar (where an editor would underline a wrong value).
    """
    line: int | None = None
    column: int | None = None
    node = root
    if isinstance(node, CommentedMap | CommentedSeq) and node.lc.line is not None:
        line, column = node.lc.line + 1, node.lc.col + 1
    for index, step in enumerate(path):
        last = index == len(path) - 1
        if isinstance(node, CommentedMap) and step in node:
            scalar = not isinstance(node[step], CommentedMap | CommentedSeq)
            pos = node.lc.value(step) if (at_value and last and scalar) else node.lc.key(step)
            line, column = pos[0] + 1, pos[1] + 1
            node = node[step]
        elif isinstance(node, CommentedSeq) and isinstance(step, int) and 0 <= step < len(node):
            item_line, item_col = node.lc.item(step)
            line, column = item_line + 1, item_col + 1
            node = node[step]
        else:
            break
    return Location(file, line, column)


def format_field_path(path: Sequence[str | int]) -> str:
    """`("constraint", "constraints", 1, "countries", 0)` -> `constraint.constraints[1].countries[0]`."""
    out = ""
    for step in path:
        if isinstance(step, int):
            out += f"[{step}]"
        else:
            out += f".{step}" if out else str(step)
    return out


def plain(data: Any) -> Any:
    """ruamel's round-trip containers as plain dicts and lists (for models and JSON)."""
    if isinstance(data, dict):
        return {str(k): plain(v) for k, v in data.items()}
    if isinstance(data, list):
        return [plain(v) for v in data]
    return data
