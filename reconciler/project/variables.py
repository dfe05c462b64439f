"""Per-target values in manifests: `{var: NAME}` stands for the target's `vars: {NAME: value}`.

One manifest with `targets: [staging, prod]` can then differ where it must (a threshold, a role, an
alert level). A reference is a mapping with the one key `var`, anywhere a value goes, in every
provider; it is replaced before the rule is checked, so the value is checked as if written there.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

VAR_KEY = "var"
VAR_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
_VAR_NAME = re.compile(VAR_NAME_PATTERN)

Path = tuple[str | int, ...]
MALFORMED = "a variable reference is {var: NAME}"


@dataclass(frozen=True)
class VarRef:
    """One `{var: ...}` found in a manifest: where it is, and the name (None when malformed)."""

    path: Path
    name: str | None
    problem: str | None = None


def _ref_at(node: dict[str, Any], path: Path) -> VarRef:
    name = node[VAR_KEY]
    if len(node) != 1:
        others = ", ".join(sorted(str(k) for k in node if k != VAR_KEY))
        return VarRef(path, None, f"{MALFORMED} alone; also given: {others}")
    if not isinstance(name, str) or not _VAR_NAME.match(name):
        return VarRef(path, None, f"{MALFORMED}: {name!r} is not a variable name (letters, digits, '_')")
    return VarRef(path, name)


def find_refs(node: Any, path: Path = ()) -> Iterator[VarRef]:
    """Every `{var: ...}` under `node` (plain dicts and lists), outermost first."""
    if isinstance(node, dict):
        if VAR_KEY in node:
            yield _ref_at(node, path)
            return
        for key, value in node.items():
            if isinstance(value, dict | list):
                yield from find_refs(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            if isinstance(value, dict | list):
                yield from find_refs(value, (*path, index))


def substitute(node: Any, refs: list[VarRef], values: Mapping[str, Any]) -> tuple[Any, list[VarRef]]:
    """`node` with each well-formed reference replaced by its value (a copy along the changed paths),
    and the references whose variable `values` lacks."""
    missing = []
    for ref in refs:
        if ref.name is None:
            continue
        if ref.name not in values:
            missing.append(ref)
            continue
        node = _replaced(node, ref.path, values[ref.name])
    return node, missing


def _replaced(node: Any, path: Path, value: Any) -> Any:
    if not path:
        return list(value) if isinstance(value, list) else value
    head, rest = path[0], path[1:]
    copy: Any = dict(node) if isinstance(node, dict) else list(node)
    copy[head] = _replaced(node[head], rest, value)
    return copy
