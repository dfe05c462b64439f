"""Rego policy files as written: their package, their deny/warn/violation and test_ rules, their annotations.

Rule heads and `# METADATA` blocks are read from the text (the Rego engine exposes neither), the way
conftest and `opa test` find them: a rule head starts a line; an annotation block is a run of comment
lines opened by `# METADATA`, holding YAML, and applies to the rule (or package) that follows it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from reconciler.engine.policy import PolicyCheck
from reconciler.errors import InputError, Location, Problem

PACKAGE = re.compile(r"^package\s+([A-Za-z_][\w.]*)", re.MULTILINE)
CHECK_HEAD = re.compile(r"^((?:deny|warn|violation)(?:_\w+)?)\b(?!\s*\()", re.MULTILINE)
TEST_HEAD = re.compile(r"^(test_\w+)\b", re.MULTILINE)
WITH_KEYWORD = re.compile(r"\bwith\s+(?:input|data)\b")
TEST_FILE_SUFFIX = "_test.rego"


@dataclass(frozen=True)
class RegoTest:
    package: str
    name: str
    location: Location


@dataclass
class RegoSource:
    """One .rego file: its text, package, and the rules the reconciler queries."""

    path: Path
    shown_as: str
    text: str
    package: str
    checks: list[PolicyCheck] = field(default_factory=list)
    tests: list[RegoTest] = field(default_factory=list)

    @property
    def is_test(self) -> bool:
        return self.path.name.endswith(TEST_FILE_SUFFIX)

    def location_at(self, offset: int) -> Location:
        """The line and column of a byte offset in the file (the Rego engine reports byte offsets)."""
        before = self.text.encode()[:offset].decode(errors="replace")
        line = before.count("\n") + 1
        return Location(self.shown_as, line, len(before) - (before.rfind("\n") + 1) + 1)

    def with_locations(self) -> list[Location]:
        return [self.location_at(len(self.text[: m.start()].encode())) for m in WITH_KEYWORD.finditer(self.text)]


def find_policy_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.rego") if p.is_file())


def read_sources(paths: list[Path], shown_as: dict[Path, str]) -> list[RegoSource]:
    """Every file read and scanned; every problem (no package, bad annotations) raised together."""
    sources, problems = [], []
    for path in paths:
        try:
            sources.append(read_source(path, shown_as[path]))
        except InputError as exc:
            problems += exc.problems
    if problems:
        raise InputError(problems)
    return sources


def read_source(path: Path, shown_as: str) -> RegoSource:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError([Problem(Location(shown_as), "", f"cannot read policy file: {exc}")]) from exc
    package = PACKAGE.search(text)
    if package is None:
        raise InputError([Problem(Location(shown_as, 1, 1), "", "a Rego policy file must start with `package NAME`")])
    source = RegoSource(path, shown_as, text, package.group(1))
    package_annotations, rule_annotations = _annotations(source)
    for match in CHECK_HEAD.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        name = match.group(1)
        if any(c.name == name for c in source.checks):
            continue  # a rule with several bodies (incremental definitions) is one check
        notes = {**package_annotations, **rule_annotations.get(line, {})}
        source.checks.append(
            PolicyCheck(
                source.package,
                name,
                Location(shown_as, line, 1),
                title=_text(notes.get("title")),
                owner=_owner(notes),
            )
        )
    for match in TEST_HEAD.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        if not any(t.name == match.group(1) for t in source.tests):
            source.tests.append(RegoTest(source.package, match.group(1), Location(shown_as, line, 1)))
    return source


def _annotations(source: RegoSource) -> tuple[dict[str, Any], dict[int, dict[str, Any]]]:
    """Package-wide annotations, and those of each rule by the line of the rule head they precede."""
    lines = source.text.splitlines()
    package_notes: dict[str, Any] = {}
    by_rule: dict[int, dict[str, Any]] = {}
    index = 0
    while index < len(lines):
        if lines[index].strip() != "# METADATA":
            index += 1
            continue
        start = index
        index += 1
        body = []
        while index < len(lines) and lines[index].lstrip().startswith("#"):
            body.append(lines[index].lstrip()[1:].removeprefix(" "))
            index += 1
        notes = _parse_yaml(source, start + 2, body)
        following = lines[index] if index < len(lines) else ""
        if notes.get("scope") in ("package", "subpackages") or following.startswith("package "):
            package_notes.update(notes)
        else:
            by_rule[index + 1] = notes
    return package_notes, by_rule


def _parse_yaml(source: RegoSource, first_line: int, body: list[str]) -> dict[str, Any]:
    text = "\n".join(body)
    try:
        notes = YAML(typ="safe").load(text) if text.strip() else {}
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        # A mark past the block's end (an unclosed bracket) is shown at its last line.
        line = first_line + min(mark.line if mark is not None else 0, max(len(body) - 1, 0))
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise InputError(
            [Problem(Location(source.shown_as, line), "METADATA", f"annotation is not YAML: {problem}")]
        ) from exc
    if not isinstance(notes, dict):
        raise InputError(
            [Problem(Location(source.shown_as, first_line - 1), "METADATA", "annotation must be a mapping")]
        )
    return notes


def _text(value: Any) -> str | None:
    return str(value).strip() if value is not None else None


def _owner(notes: dict[str, Any]) -> str | None:
    """`custom.owner`, else the first of `authors` (a string, or {name, email}) as OPA defines them."""
    custom = notes.get("custom")
    if isinstance(custom, dict) and custom.get("owner"):
        return str(custom["owner"])
    authors = notes.get("authors")
    first = authors[0] if isinstance(authors, list) and authors else authors
    if isinstance(first, dict):
        parts = [str(first[k]) for k in ("name", "email") if first.get(k)]
        return " ".join(parts[:1] + [f"<{p}>" for p in parts[1:]]) or None
    return _text(first)


def untested_checks(sources: list[RegoSource]) -> list[PolicyCheck]:
    """The deny/warn/violation rules of packages no test file refers to (by `data.<package>` or its package):
    rego-cpp reads a typo as undefined rather than an error, so an untested deny may never fire."""
    tests = [s for s in sources if s.tests]
    untested = []
    for source in sources:
        if source.is_test:
            continue
        mention = re.compile(rf"\bdata\.{re.escape(source.package)}(?![\w])")
        if not any(t.package == source.package or mention.search(t.text) for t in tests):
            untested += source.checks
    return untested
