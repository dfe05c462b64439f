"""YAML mappings and lists that know where each of their entries stands in the file, and what
that is good for: locating a problem, and plain copies for models and JSON."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from reconciler.errors import Location


class Positions:
    """Where a mapping or sequence and each of its entries start (0-based, like ruamel's `lc`)."""

    __slots__ = ("col", "data", "line")

    def __init__(self, line: int, col: int) -> None:
        self.line = line
        self.col = col
        self.data: dict[Any, tuple[int, ...]] = {}  # key: (key line, key col, value line, value col)

    def key(self, key: Any) -> tuple[int, int]:
        entry = self.data[key]
        return entry[0], entry[1]

    def value(self, key: Any) -> tuple[int, int]:
        entry = self.data[key]
        return entry[2], entry[3]

    def item(self, index: int) -> tuple[int, int]:
        entry = self.data[index]
        return entry[0], entry[1]

    # Trees travel pickled from the parser process (project/parsing.py): as a call with their parts,
    # they pickle and unpickle in half the time of the default, which goes through every slot by name.
    def __reduce__(self) -> tuple[Any, ...]:
        return _positions, (self.line, self.col, self.data)


def _positions(line: int, col: int, data: dict[Any, tuple[int, ...]]) -> Positions:
    positions = Positions(line, col)
    positions.data = data
    return positions


class YamlMap(dict[Any, Any]):
    """A YAML mapping with the positions of its keys and values."""

    __slots__ = ("lc",)
    lc: Positions

    def __reduce__(self) -> tuple[Any, ...]:  # as Positions'
        return _rebuilt, (YamlMap, dict(self), self.lc)


class YamlSeq(list[Any]):
    """A YAML sequence with the positions of its items."""

    __slots__ = ("lc",)
    lc: Positions

    def __reduce__(self) -> tuple[Any, ...]:  # as Positions'
        return _rebuilt, (YamlSeq, list(self), self.lc)


def _rebuilt(kind: type[YamlMap] | type[YamlSeq], items: Any, lc: Positions) -> YamlMap | YamlSeq:
    node = kind(items)
    node.lc = lc
    return node


# Containers whose `lc` tells positions: ours, and ruamel's round-trip ones (which `import` edits).
POSITIONED_MAPS = (YamlMap, CommentedMap)
POSITIONED_SEQS = (YamlSeq, CommentedSeq)


def node_location(root: Any, path: Sequence[str | int], file: str, *, at_value: bool = False) -> Location:
    """Line and column of the deepest node along `path`.

    A mapping entry is located at its key, or at its value with `at_value` when that value is a
    scalar (where an editor would underline a wrong value).
    """
    line: int | None = None
    column: int | None = None
    node = root
    if isinstance(node, POSITIONED_MAPS + POSITIONED_SEQS) and node.lc.line is not None:
        line, column = node.lc.line + 1, node.lc.col + 1
    for index, step in enumerate(path):
        last = index == len(path) - 1
        if isinstance(node, POSITIONED_MAPS) and step in node:
            scalar = not isinstance(node[step], POSITIONED_MAPS + POSITIONED_SEQS)
            pos = node.lc.value(step) if (at_value and last and scalar) else node.lc.key(step)
            line, column = pos[0] + 1, pos[1] + 1
            node = node[step]
        elif isinstance(node, POSITIONED_SEQS) and isinstance(step, int) and 0 <= step < len(node):
            item_line, item_col = node.lc.item(step)
            line, column = item_line + 1, item_col + 1
            node = node[step]
        else:
            break
    return Location(file, line, column)


def plain(data: Any) -> Any:
    """Positioned containers as plain dicts and lists (for models and JSON)."""
    if isinstance(data, dict):
        return {k if type(k) is str else str(k): plain(v) if isinstance(v, dict | list) else v for k, v in data.items()}
    if isinstance(data, list):
        return [plain(v) if isinstance(v, dict | list) else v for v in data]
    return data
