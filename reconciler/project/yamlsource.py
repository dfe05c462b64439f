"""YAML reading that keeps line and column of every node, so errors can point at them.

Speed matters (a repository may hold thousands of rules): libyaml parses, through ruamel's C
parser, and the event stream is turned straight into dicts and lists that carry their positions in
an `lc` attribute with the same methods as ruamel's round-trip containers (`lc.line`, `lc.col`,
`lc.key(k)`, `lc.value(k)`, `lc.item(i)`; 0-based). Plain scalars resolve as YAML 1.2 says, as
ruamel's round-trip loader does: `yes` and `on` stay strings. The few texts libyaml refuses (YAML
1.2-only syntax, and real errors) go through ruamel's pure-Python round-trip loader instead, so
they load, or fail with the messages and positions ruamel gives.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import SafeConstructor
from ruamel.yaml.cyaml import CParser
from ruamel.yaml.error import MarkedYAMLError
from ruamel.yaml.events import (
    AliasEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.resolver import Resolver

from reconciler.engine.digest import content_digest
from reconciler.errors import InputError, Location, Problem

STR_TAG = "tag:yaml.org,2002:str"
_IMPLICIT = Resolver.yaml_implicit_resolvers  # YAML 1.2 rules for plain scalars, by first character
_PLAIN_INT = re.compile(r"[-+]?[0-9]+")
_SPECIAL_FLOATS = {".inf": math.inf, "+.inf": math.inf, "-.inf": -math.inf, ".nan": math.nan}
_NO_KEY = object()  # a mapping frame waiting for its next key
_MERGE = object()  # the `<<` key


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


class YamlMap(dict[Any, Any]):
    """A YAML mapping with the positions of its keys and values."""

    __slots__ = ("lc",)
    lc: Positions


class YamlSeq(list[Any]):
    """A YAML sequence with the positions of its items."""

    __slots__ = ("lc",)
    lc: Positions


class DuplicateKeyError(MarkedYAMLError):
    """A key given twice in one mapping: YAML forbids it, and the second would silently win."""


class _Frame:
    """A mapping or sequence being filled and, for a mapping, the key waiting for its value."""

    __slots__ = ("container", "data", "is_map", "key", "key_mark", "merged")

    def __init__(self, container: YamlMap | YamlSeq, is_map: bool) -> None:
        self.container = container
        self.data = container.lc.data
        self.is_map = is_map
        self.key: Any = _NO_KEY
        self.key_mark: Any = None
        self.merged: list[Any] = []


class _ScalarLoader:
    """The little of a ruamel loader its SafeConstructor consults: the YAML 1.2 resolver."""

    def __init__(self) -> None:
        self._resolver = Resolver(loadumper=self)


class _TreeBuilder:
    """libyaml's events -> YamlMap / YamlSeq / scalars with positions.

    Building from events rather than from ruamel's node objects keeps the Python work per scalar
    to a few operations: that is what lets thousands of rules load in a fraction of a second. The
    loop is written out in one function, with names bound locally, because it runs once per event.
    """

    def __init__(self) -> None:
        self.constructor: SafeConstructor | None = None  # made on first need: few texts need it
        self.anchors: dict[str, Any] = {}
        self.stack: list[_Frame] = []
        self.root: Any = None
        # Plain scalars' values by text: a manifest repeats its keys and many values, and a text
        # always resolves to the same (immutable) value.
        self.plain: dict[str, Any] = {}

    def build(self, parser: CParser) -> Any:
        stack = self.stack
        anchors = self.anchors
        plain_values = self.plain
        get_event = parser.get_event
        frame: _Frame | None = None
        documents = 0
        while (event := get_event()) is not None:
            kind = type(event)
            if kind is ScalarEvent:
                text: str = event.value
                tag = event.ctag
                if tag is None and event.implicit[0]:  # plain: its type comes from how it looks
                    value = plain_values.get(text, _NO_KEY)
                    if value is _NO_KEY:
                        value = plain_values[text] = self._plain(text, event)
                elif tag is None or tag == STR_TAG:
                    value = text
                else:
                    value = self._typed(str(tag), text, event)
            elif kind is MappingStartEvent or kind is SequenceStartEvent:
                mark = event.start_mark
                value = YamlMap() if kind is MappingStartEvent else YamlSeq()
                value.lc = Positions(mark.line, mark.column)
            elif kind is MappingEndEvent:
                self._merge(stack.pop())
                frame = stack[-1] if stack else None
                continue
            elif kind is SequenceEndEvent:
                stack.pop()
                frame = stack[-1] if stack else None
                continue
            elif kind is AliasEvent:
                self._add(frame, anchors[event.anchor], event.start_mark)
                continue
            elif kind is DocumentStartEvent:
                documents += 1
                if documents > 1:  # a second document would replace the first: let ruamel word the error
                    raise MarkedYAMLError("a file holds one YAML document", event.start_mark)
                continue
            else:
                continue  # stream boundaries, document ends
            if event.anchor is not None:
                anchors[event.anchor] = value
            self._add(frame, value, event.start_mark)
            if kind is MappingStartEvent or kind is SequenceStartEvent:
                frame = _Frame(value, kind is MappingStartEvent)
                stack.append(frame)
        return self.root

    def _plain(self, value: str, event: ScalarEvent) -> Any:
        for tag, regexp in _IMPLICIT.get(value[:1], ()):
            if regexp.match(value):
                return self._typed(str(tag), value, event)
        return value

    def _typed(self, tag: str, value: str, event: ScalarEvent) -> Any:
        kind = tag.rsplit(":", 1)[-1]
        if kind == "int" and _PLAIN_INT.fullmatch(value):
            return int(value)
        if kind == "float":
            text = value.replace("_", "").lower()
            return _SPECIAL_FLOATS[text] if text in _SPECIAL_FLOATS else float(text)
        if kind == "bool":
            return value.lower() == "true"
        if kind == "null":
            return None
        if kind == "merge":
            return _MERGE
        if self.constructor is None:
            self.constructor = SafeConstructor(loader=_ScalarLoader())
        node = ScalarNode(tag, value, event.start_mark, event.end_mark, style=event.style)
        return self.constructor.construct_object(node, deep=True)  # 0x1F, 0o17, dates, explicit tags

    def _add(self, frame: _Frame | None, value: Any, mark: Any) -> None:
        if frame is None:
            self.root = value
        elif not frame.is_map:
            frame.data[len(frame.container)] = (mark.line, mark.column)
            frame.container.append(value)
        elif frame.key is _NO_KEY:
            frame.key, frame.key_mark = value, mark
        else:
            key, key_mark = frame.key, frame.key_mark
            frame.key = _NO_KEY
            if key is _MERGE:
                frame.merged.extend(value if isinstance(value, list) else [value])
            elif key in frame.data:
                raise DuplicateKeyError("while constructing a mapping", None, f"found duplicate key {key!r}", key_mark)
            else:
                frame.data[key] = (key_mark.line, key_mark.column, mark.line, mark.column)
                frame.container[key] = value

    @staticmethod
    def _merge(frame: _Frame) -> None:
        """`<<: *base`: keys of the merged mappings that this mapping does not give itself."""
        for source in frame.merged:
            if isinstance(source, YamlMap):
                for key, value in source.items():
                    if key not in frame.container:
                        frame.container[key] = value
                        frame.data[key] = source.lc.data[key]


def _round_trip(text: str) -> Any:
    """ruamel's pure-Python YAML 1.2 loader: slower, but it reads what libyaml (YAML 1.1) refuses,
    such as `[:0]`, and words errors as users of ruamel know them."""
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    return _positioned(yaml.load(text))


def _positioned(node: Any) -> Any:
    """ruamel's round-trip containers as YamlMap / YamlSeq with the same positions."""
    if isinstance(node, CommentedMap):
        mapping = YamlMap((k, _positioned(v)) for k, v in node.items())
        mapping.lc = Positions(node.lc.line, node.lc.col)
        mapping.lc.data = {k: tuple(node.lc.data[k]) for k in node}
        return mapping
    if isinstance(node, CommentedSeq):
        seq = YamlSeq(_positioned(v) for v in node)
        seq.lc = Positions(node.lc.line, node.lc.col)
        seq.lc.data = {i: tuple(node.lc.data[i]) for i in range(len(node))}
        return seq
    return node


def parse_yaml(text: str) -> Any:
    """One YAML document as YamlMap / YamlSeq / scalars with positions; raises MarkedYAMLError."""
    parser = CParser(text)
    try:
        return _TreeBuilder().build(parser)
    except (MarkedYAMLError, TypeError):  # TypeError: a key libyaml allows but a dict cannot hold
        return _round_trip(text)
    finally:
        parser.dispose()


@lru_cache(maxsize=64)
def _resolved(base: Path) -> Path:
    """An absolute project root or working folder, resolved once for the many manifests under it."""
    return base.resolve()


def display_path(path: Path, root: Path | None) -> str:
    """The path as the user knows it: relative to the project root, else to the working folder."""
    resolved = path.resolve()
    for base in (root, Path.cwd()):
        if base is None:
            continue
        try:
            return resolved.relative_to(_resolved(base.absolute())).as_posix()
        except ValueError:
            continue
    return path.as_posix()


def load_yaml(path: Path, shown_as: str, digests: dict[str, str] | None = None) -> Any:
    """Load one YAML document with positions; syntax errors become located problems.

    With `digests`, the digest of the bytes read is recorded under `shown_as` (saved plans
    fingerprint the files they were made from without reading them again).
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError([Problem(Location(shown_as), "", f"cannot read file: {exc.strerror}")]) from exc
    if digests is not None:
        digests[shown_as] = content_digest(data)
    try:
        # Line breaks as text mode reads them (universal newlines), so positions stay as before.
        text = data.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
    except UnicodeDecodeError as exc:
        where = Location(shown_as, data.count(b"\n", 0, exc.start) + 1)
        raise InputError([Problem(where, "", "not UTF-8 text; save the file as UTF-8")]) from exc
    try:
        return parse_yaml(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        column = mark.column + 1 if mark else None
        reason = exc.problem or exc.context or "invalid YAML"
        raise InputError([Problem(Location(shown_as, line, column), "", f"YAML syntax error: {reason}")]) from exc


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
