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
import os
import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import SafeConstructor
from ruamel.yaml.cyaml import CParser
from ruamel.yaml.error import MarkedYAMLError, YAMLError
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

from reconciler.errors import InputError, Location, Problem
from reconciler.project.yamllimits import (
    COLLECTION_TAGS,
    FORBIDDEN_IN_FILE,
    FORBIDDEN_IN_VALUE,
    MAX_DEPTH,
    SCALAR_TAGS,
    AliasBudget,
    UnsafeYamlError,
    character_name,
    check_tree,
    read_text_file,
    refuse_characters,
    with_source_text,
)
from reconciler.project.yamlnodes import (  # noqa: F401 - the reader's nodes, imported from here by its users
    POSITIONED_MAPS,
    POSITIONED_SEQS,
    Positions,
    YamlMap,
    YamlSeq,
    node_location,
    plain,
)

STR_TAG = "tag:yaml.org,2002:str"
_IMPLICIT = Resolver.yaml_implicit_resolvers  # YAML 1.2 rules for plain scalars, by first character
_PLAIN_INT = re.compile(r"[-+]?[0-9]+")
_SPECIAL_FLOATS = {".inf": math.inf, "+.inf": math.inf, "-.inf": -math.inf, ".nan": math.nan}
_NO_KEY = object()  # a mapping frame waiting for its next key
_MERGE = object()  # the `<<` key


class DuplicateKeyError(MarkedYAMLError):
    """A key given twice in one mapping: YAML forbids it, and the second would silently win."""


class NeedsRoundTrip(Exception):
    """libyaml refused the text: only ruamel's round-trip loader reads it, or words its error."""


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
        self.documents = 0
        self.aliases = AliasBudget()

    def build(self, parser: CParser) -> Any:
        stack = self.stack
        anchors = self.anchors
        plain_values = self.plain
        get_event = parser.get_event
        frame: _Frame | None = None
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
                    if event.style == '"' and (found := FORBIDDEN_IN_VALUE.search(text)):
                        raise UnsafeYamlError.at(
                            f"character {character_name(found.group())} is not allowed in a value "
                            "(control characters and bidirectional overrides print misleadingly)",
                            event.start_mark,
                        )
                else:
                    value = self._typed(str(tag), text, event)
            elif kind is MappingStartEvent or kind is SequenceStartEvent:
                mark = event.start_mark
                if len(stack) >= MAX_DEPTH:
                    raise UnsafeYamlError.at(f"mappings and lists nest more than {MAX_DEPTH} levels deep here", mark)
                if event.ctag is not None and str(event.ctag) not in COLLECTION_TAGS[kind is MappingStartEvent]:
                    raise UnsafeYamlError.at(f"the tag {event.tag} is not supported here", mark)
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
                self._add(frame, self._alias(event), event.start_mark)
                continue
            elif kind is DocumentStartEvent:
                self.documents += 1
                if self.documents > 1:
                    raise UnsafeYamlError.at(
                        "a second YAML document starts here; a file holds one document (a '---' line "
                        "separates documents): move what follows into a file of its own, or delete the line",
                        event.start_mark,
                    )
                continue
            else:
                continue  # stream boundaries and document ends
            if event.anchor is not None:
                anchors[event.anchor] = value
            self._add(frame, value, event.start_mark)
            if kind is MappingStartEvent or kind is SequenceStartEvent:
                frame = _Frame(value, kind is MappingStartEvent)
                stack.append(frame)
        return self.root

    def _alias(self, event: AliasEvent) -> Any:
        """The anchored node, refused when undefined, containing itself, or expanding too far."""
        open_nodes = [frame.container for frame in self.stack]
        return self.aliases.resolve(event.anchor, self.anchors, open_nodes, event.start_mark)

    def _plain(self, value: str, event: ScalarEvent) -> Any:
        for tag, regexp in _IMPLICIT.get(value[:1], ()):
            if regexp.match(value):
                if str(tag) not in SCALAR_TAGS:
                    return value  # `=` (YAML 1.1's "value"): plain text in YAML 1.2
                typed = self._typed(str(tag), value, event)
                if type(typed) in (int, float) and str(typed) != value:
                    # `007`, `1e3`, `0x1F` keep what was written, for fields that take text
                    return with_source_text(typed, value)
                return typed
        return value

    def _typed(self, tag: str, value: str, event: ScalarEvent) -> Any:
        kind = tag.rsplit(":", 1)[-1]
        if tag not in SCALAR_TAGS:
            raise UnsafeYamlError.at(f"the tag {event.tag} is not supported here", event.start_mark)
        try:
            typed = self._construct(kind, tag, value, event)
        except (ValueError, TypeError, ArithmeticError, LookupError) as exc:  # `!!int "ten"`, `!!bool maybe`
            raise UnsafeYamlError.at(f"{value!r} cannot be read as !!{kind}", event.start_mark) from exc
        if type(typed) is float and not math.isfinite(typed):
            raise UnsafeYamlError.at(f"{value} is not a finite number", event.start_mark)
        return typed

    def _construct(self, kind: str, tag: str, value: str, event: ScalarEvent) -> Any:
        if kind == "int" and _PLAIN_INT.fullmatch(value):
            if len(value) > 40:  # int() of a huge digit string is slow, and no field takes one
                raise ValueError("too long")
            return int(value)
        if kind == "float":
            text = value.replace("_", "").lower()
            return _SPECIAL_FLOATS[text] if text in _SPECIAL_FLOATS else float(text)
        if kind == "bool":
            return {"true": True, "false": False}[value.lower()]
        if kind == "null":
            return {"": None, "~": None, "null": None}[value.lower()]
        if kind == "merge":
            return _MERGE
        if self.constructor is None:
            self.constructor = SafeConstructor(loader=_ScalarLoader())
        node = ScalarNode(tag, value, event.start_mark, event.end_mark, style=event.style)
        return self.constructor.construct_object(node, deep=True)  # 0x1F, 0o17, dates

    def _add(self, frame: _Frame | None, value: Any, mark: Any) -> None:
        if value is _MERGE and (frame is None or not frame.is_map or frame.key is not _NO_KEY):
            value = "<<"  # `<<` merges only as a key
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
                sources = value if isinstance(value, list) else [value]
                if not all(isinstance(source, YamlMap) for source in sources):
                    raise UnsafeYamlError.at("a merge key `<<` takes an alias of a mapping, or a list of them", mark)
                frame.merged.extend(sources)
            elif key in frame.data:
                raise DuplicateKeyError("while constructing a mapping", None, f"found duplicate key {key!r}", key_mark)
            else:
                frame.data[key] = (key_mark.line, key_mark.column, mark.line, mark.column)
                frame.container[key] = value

    @staticmethod
    def _merge(frame: _Frame) -> None:
        """`<<: *base`: keys of the merged mappings that this mapping does not give itself."""
        for source in frame.merged:
            for key, value in source.items():
                if key not in frame.container:
                    frame.container[key] = value
                    frame.data[key] = source.lc.data[key]


def _round_trip(text: str) -> Any:
    """ruamel's pure-Python YAML 1.2 loader: slower, but it reads what libyaml (YAML 1.1) refuses,
    such as `[:0]`, and words errors as users of ruamel know them."""
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    try:
        data = yaml.load(text)
    except RecursionError as exc:
        raise UnsafeYamlError(f"mappings and lists nest more than {MAX_DEPTH} levels deep") from exc
    except (ValueError, TypeError, ArithmeticError, LookupError) as exc:  # a scalar its tag cannot hold
        raise UnsafeYamlError(f"a value cannot be read as its tag says ({exc})") from exc
    check_tree(data, [0], set(), {}, 0)
    return _positioned(data)


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


def parse_yaml(text: str, *, round_trip: bool = True) -> Any:
    """One YAML document as YamlMap / YamlSeq / scalars with positions.

    Raises MarkedYAMLError for bad syntax and UnsafeYamlError for what this reader refuses (see the
    limits above): a second document, an undefined or cyclic alias, an alias bomb, deep nesting,
    forbidden characters, a value its tag cannot hold. Without `round_trip`, a text libyaml refuses
    raises NeedsRoundTrip instead of going through ruamel's loader (whose values are ruamel's own)."""
    found = FORBIDDEN_IN_FILE.search(text)
    if found:
        raise refuse_characters(text, found, "in a YAML file (control characters and bidirectional overrides)")
    parser = CParser(text)
    try:
        return _TreeBuilder().build(parser)
    except (MarkedYAMLError, TypeError) as exc:  # TypeError: a key libyaml allows but a dict cannot hold
        if not round_trip:
            raise NeedsRoundTrip from exc
        return _round_trip(text)
    finally:
        parser.dispose()


@lru_cache(maxsize=64)
def _resolved(base: Path) -> str:
    """An absolute project root or working folder, resolved once for the many manifests under it."""
    return os.path.realpath(base)


def display_path(path: Path, root: Path | None) -> str:
    """The path as the user knows it: relative to the project root, else to the working folder."""
    resolved = os.path.realpath(path)  # as Path.resolve, without building a Path per manifest
    for base in (root, Path.cwd()):
        if base is None:
            continue
        folder = _resolved(base.absolute())
        if resolved == folder:
            return "."
        inside = folder if folder.endswith("/") else f"{folder}/"
        if resolved.startswith(inside):
            return resolved[len(inside) :]
    return path.as_posix()


def load_yaml(path: Path, shown_as: str, digests: dict[str, str] | None = None, *, round_trip: bool = True) -> Any:
    """Load one YAML document with positions; every error becomes one located problem.

    With `digests`, the digest of the bytes read is recorded under `shown_as` (saved plans
    fingerprint the files they were made from without reading them again). `round_trip`: as for
    `parse_yaml`.
    """
    text = read_text_file(path, shown_as, digests)
    try:
        return parse_yaml(text, round_trip=round_trip)
    except UnsafeYamlError as exc:
        raise InputError([Problem(Location(shown_as, exc.line, exc.column), "", exc.message)]) from exc
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark else None
        column = mark.column + 1 if mark else None
        reason = getattr(exc, "problem", None) or getattr(exc, "context", None) or "invalid YAML"
        raise InputError([Problem(Location(shown_as, line, column), "", f"YAML syntax error: {reason}")]) from exc


def locate_in_file(
    path: Path, file: str, base: tuple[str | int, ...], fallback: Location, field: Sequence[str | int]
) -> Location:
    """Where the field at `base` + `field` of a YAML file is, for checks made after loading (a live app's
    catalogue).

    The file is parsed again when asked rather than its YAML tree kept for the whole run: trees with
    every node's position were half the memory of a large plan. Falls back to the rule's own line
    if the file can no longer be read.
    """
    try:
        stat = path.stat()
        root = _positioned_tree(path, file, stat.st_mtime_ns, stat.st_size)
    except (OSError, InputError):
        return fallback
    return node_location(root, [*base, *field], file, at_value=True)


@lru_cache(maxsize=8)
def _positioned_tree(path: Path, file: str, mtime_ns: int, size: int) -> Any:
    """One file's YAML with positions, cached while the file is unchanged (checks come rule by rule)."""
    return load_yaml(path, file)
