"""What the YAML reader refuses before and while it parses: limits that keep a broken or hostile
file from hanging a run, exhausting memory, or printing misleadingly. Each limit is far above what a
rules repository needs (README: "What is read")."""

from __future__ import annotations

import codecs
import re
from pathlib import Path
from typing import Any

from reconciler.engine.digest import content_digest
from reconciler.errors import InputError, Location, Problem

MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_DEPTH = 100  # mappings and lists inside each other
MAX_ALIAS_NODES = 100_000  # nodes that aliases add when expanded (an alias bomb adds billions)
# Characters YAML forbids in a file (its printable set: tab, line breaks, U+0020-U+007E, U+0085,
# U+00A0-U+D7FF, U+E000-U+FFFD, U+10000 and up), plus bidirectional overrides and isolates, which make
# text read differently from what it holds ("Trojan Source").
BIDI = "\u202a-\u202e\u2066-\u2069"
FORBIDDEN_IN_FILE = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff{BIDI}]")
# The same, and carriage returns, in a value written with escapes ("\e[31m", "\0"): only tab and line breaks pass.
FORBIDDEN_IN_VALUE = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff{BIDI}]")


# Tags a file may give (YAML's core schema, plus timestamps, which YAML reads dates as, and merge keys);
# anything else (`!!binary`, `!!set`, `!!python/object`, `!custom`) is refused, never half-read.
_CORE = "tag:yaml.org,2002:"
SCALAR_TAGS = frozenset(_CORE + name for name in ("str", "int", "float", "bool", "null", "timestamp", "merge"))
COLLECTION_TAGS = {True: frozenset({_CORE + "map"}), False: frozenset({_CORE + "seq"})}  # by "is a mapping"


class UnsafeYamlError(Exception):
    """A text this reader refuses whatever YAML parser reads it: located, never retried elsewhere."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line  # 1-based
        self.column = column

    @classmethod
    def at(cls, message: str, mark: Any) -> UnsafeYamlError:
        return cls(message, mark.line + 1, mark.column + 1) if mark is not None else cls(message)


def character_name(char: str) -> str:
    """`U+001B`, the way Unicode charts name a code point."""
    return f"U+{ord(char):04X}"


def refuse_characters(text: str, found: re.Match[str], what: str) -> UnsafeYamlError:
    line = text.count("\n", 0, found.start()) + 1
    column = found.start() - (text.rfind("\n", 0, found.start()) + 1) + 1
    return UnsafeYamlError(f"character {character_name(found.group())} is not allowed {what}", line, column)


class SourceInt(int):
    """A number whose YAML text is not how Python writes it (`007`, `0x1F`, `1_000`)."""

    source_text: str


class SourceFloat(float):
    """A number whose YAML text is not how Python writes it (`1e3`, `1.50`)."""

    source_text: str


def with_source_text(number: int | float, text: str) -> SourceInt | SourceFloat:
    """The number, equal to itself for every use, that also keeps the text it was written as."""
    kept = SourceInt(number) if type(number) is int else SourceFloat(number)
    kept.source_text = text
    return kept


class AliasBudget:
    """Counts the nodes aliases add as if expanded; refuses undefined and cyclic aliases, and bombs."""

    def __init__(self) -> None:
        self.nodes = 0
        self.sizes: dict[int, int] = {}  # id(container) -> nodes in it, aliases expanded

    def resolve(self, name: str, anchors: dict[str, Any], open_nodes: list[Any], mark: Any) -> Any:
        """The node anchor `name` holds; `open_nodes` are the containers still being read, which an
        alias must not name."""
        if name not in anchors:
            raise UnsafeYamlError.at(f"alias *{name} names no anchor &{name} defined before it", mark)
        node = anchors[name]
        if any(container is node for container in open_nodes):
            raise UnsafeYamlError.at(f"alias *{name} is inside the node &{name} it names (a cycle)", mark)
        self.nodes += self._size(node)
        if self.nodes > MAX_ALIAS_NODES:
            raise UnsafeYamlError.at(ALIAS_BOMB, mark)
        return node

    def _size(self, node: Any) -> int:
        if not isinstance(node, dict | list):
            return 1
        known = self.sizes.get(id(node))
        if known is None:
            children = node.values() if isinstance(node, dict) else node
            known = self.sizes[id(node)] = 1 + sum(self._size(child) for child in children)
        return known


ALIAS_BOMB = f"aliases expand to more than {MAX_ALIAS_NODES:,} nodes (an alias bomb?): write the values out"


def check_tree(
    node: Any, expanded: list[int], open_ids: set[int], sizes: dict[int, int], depth: int, line: int | None = None
) -> int:
    """The limits the fast reader keeps, for trees ruamel built: depth, cycles, alias expansion.

    Returns the node's expanded size; `expanded[0]` counts nodes seen more than once (aliases)."""
    if not isinstance(node, dict | list):
        if isinstance(node, str) and (found := FORBIDDEN_IN_VALUE.search(node)):
            raise UnsafeYamlError(f"character {character_name(found.group())} is not allowed in a value", line)
        if type(node).__name__ == "TaggedScalar":  # ruamel's form of a tag it does not know
            raise UnsafeYamlError(f"the tag {node.tag.value} is not supported here", line)
        return 1
    where = getattr(node, "lc", None)
    line = where.line + 1 if where is not None and where.line is not None else line
    if depth >= MAX_DEPTH:
        raise UnsafeYamlError(f"mappings and lists nest more than {MAX_DEPTH} levels deep here", line)
    if id(node) in open_ids:
        raise UnsafeYamlError("an alias is inside the node it names (a cycle)", line)
    if id(node) in sizes:
        expanded[0] += sizes[id(node)]
        if expanded[0] > MAX_ALIAS_NODES:
            raise UnsafeYamlError(ALIAS_BOMB, line)
        return sizes[id(node)]
    open_ids.add(id(node))
    children = node.values() if isinstance(node, dict) else node
    size = 1 + sum(check_tree(child, expanded, open_ids, sizes, depth + 1, line) for child in children)
    open_ids.discard(id(node))
    sizes[id(node)] = size
    return size


_BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32"),  # before UTF-16: its mark starts the same way
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)


def decode_utf8(data: bytes) -> str:
    """The text of a file that must be UTF-8 (a UTF-8 byte-order mark is allowed); UnsafeYamlError otherwise."""
    for mark, encoding in _BOMS:
        if data.startswith(mark):
            raise UnsafeYamlError(f"the file is {encoding}-encoded; save it as UTF-8", 1, 1)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        byte = data[exc.start]
        raise UnsafeYamlError(
            f"not UTF-8 text: byte 0x{byte:02X} here is not UTF-8 (Latin-1?); save the file as UTF-8",
            line,
            column,
        ) from None


def read_text_file(path: Path, shown_as: str, digests: dict[str, str] | None = None) -> str:
    """A UTF-8 text file, read with a size bound, its line breaks as text mode reads them (so positions
    stay as editors show them); located InputError when it cannot be. With `digests`, the digest of the
    bytes read is recorded under `shown_as`."""
    try:
        with path.open("rb") as stream:
            chunks = []  # read in pieces: `read(limit)` would reserve the whole limit for every file
            size = 0
            while size <= MAX_FILE_BYTES and (chunk := stream.read(2**16)):
                chunks.append(chunk)
                size += len(chunk)
            data = b"".join(chunks)
    except OSError as exc:
        raise InputError([Problem(Location(shown_as), "", f"cannot read file: {exc.strerror}")]) from exc
    if len(data) > MAX_FILE_BYTES:
        raise InputError([Problem(Location(shown_as), "", f"the file is larger than {MAX_FILE_BYTES // 2**20} MiB")])
    if digests is not None:
        digests[shown_as] = content_digest(data)
    try:
        return decode_utf8(data).replace("\r\n", "\n").replace("\r", "\n")
    except UnsafeYamlError as exc:
        raise InputError([Problem(Location(shown_as, exc.line, exc.column), "", exc.message)]) from exc
