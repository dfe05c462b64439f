"""The Rego evaluator behind `PolicyEvaluator`: regopy (rego-cpp) in-process, compiled once per run.

Every failure of the Rego engine becomes a located `InputError` (file:line: message): a syntax error
at its place, a runtime error at the rule being evaluated. None is a traceback, none a silent pass.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any

import regopy
from regopy import rego_shared

from reconciler.engine.policy import PolicyCheck, PolicyFinding, PolicyReport, PolicyTestResult
from reconciler.errors import InputError, Location, Problem
from reconciler.project.regosource import RegoSource

# Read as bytes: the engine's sizes and offsets count bytes.
ERROR_ENTRY = re.compile(rb"\(error \d+:(?P<file>[^|]*)\|(?P<offset>\d+)\|\d+\s*\(errormsg (?P<size>\d+):")
ERROR_MESSAGE = re.compile(r"\(errormsg (\d+):([^\n)]*)")
RUNTIME_HINT = (
    "the Rego engine stopped evaluating this rule (a built-in given a value of the wrong type, a division "
    "by zero, or a complete rule with conflicting values)"
)


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """rego-cpp prints its own report of syntax errors on stdout; ours, located, is the one shown."""
    sys.stdout.flush()
    saved = os.dup(1)
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 1)
        try:
            yield
        finally:
            os.dup2(saved, 1)
            os.close(saved)


def engine_problems(message: str, sources: Sequence[RegoSource]) -> list[Problem]:
    """The located problems in a rego-cpp error text ('(error 6:a.rego|43|1 (errormsg 16:...' entries)."""
    by_name = {s.shown_as: s for s in sources}
    problems = []
    raw = message.encode()
    for match in ERROR_ENTRY.finditer(raw):
        start = match.end()
        text = raw[start : start + int(match.group("size"))].decode(errors="replace")
        file = match.group("file").decode(errors="replace")
        source = by_name.get(file)
        where = source.location_at(int(match.group("offset"))) if source else Location(file)
        problems.append(Problem(where, "", f"Rego: {text}"))
    return problems


class RegoEvaluator:
    """The policy files compiled together once; `evaluate` runs every deny/warn/violation rule over one input."""

    def __init__(self, sources: Sequence[RegoSource]) -> None:
        self.sources = list(sources)
        self.checks: list[PolicyCheck] = [c for s in self.sources for c in s.checks]
        self._interpreter = _compile(self.sources)
        self.seconds: dict[str, float] = {}

    @property
    def files(self) -> Sequence[str]:
        return [s.shown_as for s in self.sources]

    def evaluate(self, document: Mapping[str, Any]) -> PolicyReport:
        started = time.perf_counter()
        with _quiet():
            self._interpreter.set_input(rego_input(document))
        # Where the last evaluation spent its time: handing the input over, then each package.
        self.seconds = {"input": time.perf_counter() - started}
        packages: dict[str, list[PolicyCheck]] = {}
        for check in self.checks:
            packages.setdefault(check.package, []).append(check)
        findings: list[PolicyFinding] = []
        for package, checks in packages.items():
            started = time.perf_counter()
            for check, value in self._package_values(checks):
                findings += [_finding(check, item) for item in _items(value)]
            self.seconds[package] = time.perf_counter() - started
        return PolicyReport(self.files, len(self.checks), findings)

    def _package_values(self, checks: list[PolicyCheck]) -> list[tuple[PolicyCheck, Any]]:
        """Each check's value. A package's checks are read in one query, so the rules they share are
        evaluated once; when that query is undefined (a complete rule that is) or fails, each check is
        read alone, so that every defined value counts and an error is placed at its own rule."""
        if len(checks) > 1:
            fields = ", ".join(f"{json.dumps(c.name)}: data.{c.rule}" for c in checks)
            try:
                together = _query(self._interpreter, "{" + fields + "}", self.sources, checks[0].location)
            except InputError:
                together = None
            if isinstance(together, dict):
                return [(c, together.get(c.name)) for c in checks]
        return [(c, _query(self._interpreter, f"data.{c.rule}", self.sources, c.location)) for c in checks]


NEEDS_ESCAPE = re.compile(r'[\x00-\x1f"\\]')


def rego_input(document: Mapping[str, Any]) -> regopy.Input:
    """The document as rego-cpp's input, built through its C API in one pass.

    rego-cpp keeps a string in its JSON-escaped form and takes input strings as they are, so a quote or
    a backslash from a rule would come out as broken JSON: strings are escaped here, as its own JSON
    reader would store them.
    """
    lib = rego_shared.rego
    handle = lib.regoNewInput()
    string, item, obj, array = lib.regoInputString, lib.regoInputObjectItem, lib.regoInputObject, lib.regoInputArray

    def add_string(text: str) -> None:
        if NEEDS_ESCAPE.search(text):
            text = json.dumps(text, ensure_ascii=False)[1:-1]
        string(handle, text.encode())

    def add(value: Any) -> None:
        kind = type(value)
        if kind is str:
            add_string(value)
        elif kind is dict:
            for key, child in value.items():
                add_string(str(key))
                add(child)
                item(handle)
            obj(handle, len(value))
        elif kind is list or kind is tuple:
            for child in value:
                add(child)
            array(handle, len(value))
        elif kind is bool:
            lib.regoInputBoolean(handle, value)
        elif kind is int:
            lib.regoInputInt(handle, value)
        elif kind is float:
            lib.regoInputFloat(handle, value)
        elif value is None:
            lib.regoInputNull(handle)
        else:
            add(json.loads(json.dumps(value, default=str)))

    try:
        add(document)
    except BaseException:
        lib.regoFreeInput(handle)
        raise
    wrapped = regopy.Input.__new__(regopy.Input)
    wrapped._impl = handle  # freed by regopy.Input.__del__
    return wrapped


def _compile(sources: Sequence[RegoSource]) -> regopy.Interpreter:
    interpreter = regopy.Interpreter()
    interpreter.strict_built_in_errors = True
    problems: list[Problem] = []
    for source in sources:
        try:
            with _quiet():
                interpreter.add_module(source.shown_as, source.text)
        except regopy.RegoError as exc:
            problems += engine_problems(str(exc), sources) or [Problem(Location(source.shown_as), "", f"Rego: {exc}")]
    if problems:
        raise InputError(problems)
    return interpreter


def _query(interpreter: regopy.Interpreter, query: str, sources: Sequence[RegoSource], where: Location) -> Any:
    """The value of `query`, or None when undefined; every engine error raised as a located InputError."""
    impl = interpreter._impl  # regopy's Output cannot show an error result, so the C API is read directly
    with _quiet():
        output = rego_shared.rego.regoQuery(impl, query.encode())
    if not output:
        raise InputError(_compile_problems(rego_shared.rego_get_error(impl), sources))
    try:
        ok = rego_shared.rego_output_ok(output)
        text = rego_shared.rego_output_string(output) if ok else ""
    finally:
        rego_shared.rego_free_output(output)
    if not ok:
        raise InputError([Problem(where, "", f"{query}: {RUNTIME_HINT}")])
    if text.startswith("(error"):
        messages = [m.group(2) for m in ERROR_MESSAGE.finditer(text)] or [text.splitlines()[0]]
        problems = engine_problems(text, sources)
        raise InputError(problems or [Problem(where, "", f"{query}: Rego: {'; '.join(messages)}")])
    if text == "undefined":
        return None
    try:
        results = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError([Problem(where, "", f"{query}: the Rego engine returned unreadable JSON ({exc})")]) from exc
    first = results[0] if isinstance(results, list) else results
    expressions = first.get("expressions") or [None]
    return expressions[0]


def _compile_problems(message: str, sources: Sequence[RegoSource]) -> list[Problem]:
    """A compile failure: located when the engine says where; else it names the files that may cause it."""
    located = engine_problems(message, sources)
    if located:
        return located
    with_uses = [loc for s in sources for loc in s.with_locations()]
    if with_uses:
        # The engine names no place; `with` is where rego-cpp's compiler is known to stumble.
        return [
            Problem(loc, "", f"the Rego engine could not compile the policies ({message}); it may be this `with`")
            for loc in with_uses
        ]
    files = ", ".join(s.shown_as for s in sources)
    return [Problem(Location(files), "", f"the Rego engine could not compile the policies: {message}")]


def _items(value: Any) -> list[Any]:
    """A deny/warn/violation value: a set (JSON array) of messages, or one message from a complete rule."""
    if value is None or value is False or value == []:
        return []
    return value if isinstance(value, list) else [value]


def _finding(check: PolicyCheck, item: Any) -> PolicyFinding:
    address = None
    if isinstance(item, dict):
        message = item.get("msg") or item.get("message") or json.dumps(item, sort_keys=True)
        address = item.get("address")
    else:
        message = item if isinstance(item, str) else json.dumps(item)
    return PolicyFinding(
        check.level,
        str(message),
        check.rule,
        str(check.location),
        owner=check.owner,
        title=check.title,
        address=str(address) if address is not None else None,
    )


# `input` as a reference: not a field (`x.input`), not part of a longer name.
INPUT_REFERENCE = re.compile(r"(?<![\w.])input(?!\w)")
# What the input token is read past: comments, "strings" (with escapes) and `raw strings`.
SKIPPED = re.compile(r'#[^\n]*|"(?:[^"\\\n]|\\.)*"|`[^`]*`')
MOCKED_INPUT = "input.__document"


def with_input_as_path(source: RegoSource) -> RegoSource:
    """The source with every reference to `input` read as `input.__document`, for test runs.

    rego-cpp cannot compile `with input as X` over a rule that calls a built-in, but it can compile
    `with input.path as X`: so in tests the whole document lives one level down, and `with input as X`
    (now `with input.__document as X`) mocks it. Lines stay where they were.
    """
    parts, start = [], 0
    for skipped in SKIPPED.finditer(source.text):
        parts.append(INPUT_REFERENCE.sub(MOCKED_INPUT, source.text[start : skipped.start()]))
        parts.append(skipped.group(0))
        start = skipped.end()
    parts.append(INPUT_REFERENCE.sub(MOCKED_INPUT, source.text[start:]))
    return replace(source, text="".join(parts))


def run_tests(sources: Sequence[RegoSource]) -> list[PolicyTestResult]:
    """Every `test_` rule of every file, as `opa test` runs them: true passes, false or undefined fails."""
    sources = [with_input_as_path(s) for s in sources]
    tests = [t for s in sources for t in s.tests]
    try:
        interpreter = _compile(sources)
    except InputError as exc:
        message = "; ".join(str(p) for p in exc.problems)
        return [PolicyTestResult(t.package, t.name, t.location, "error", message) for t in tests]
    results = []
    for test in tests:
        started = time.perf_counter()
        try:
            value = _query(interpreter, f"data.{test.package}.{test.name}", sources, test.location)
        except InputError as exc:
            message = "; ".join(str(p) for p in exc.problems)
            results.append(PolicyTestResult(test.package, test.name, test.location, "error", message))
            continue
        outcome = "pass" if value is True else "fail"
        message = "" if value is True else ("undefined" if value is None else f"value {json.dumps(value)}")
        seconds = time.perf_counter() - started
        results.append(PolicyTestResult(test.package, test.name, test.location, outcome, message, seconds))
    return results
