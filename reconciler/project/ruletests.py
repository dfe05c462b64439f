"""Test files of rules' behaviour (`tests/rules/*.yaml`) -> validated cases, every problem located.

A test file names a target and scope the way a manifest does, then lists `cases`, each with a `name`,
an `input` for the provider's evaluator and the `expect`ed outcome (see docs/rule-tests.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from reconciler.engine.behaviour import Evaluator, FieldProblem
from reconciler.engine.model import DesiredState, ScopeRef, format_field_path
from reconciler.engine.ruletests import RuleCase
from reconciler.errors import InputError, Location, Problem, suggest
from reconciler.project.config import Config, Target
from reconciler.project.finding import manifest_files
from reconciler.project.validation import validate_model
from reconciler.project.yamlsource import display_path, load_yaml, node_location, plain
from reconciler.providers.registry import EVALUATORS

HEADER_KEYS = ("target", "cases")


class CaseFields(BaseModel):
    """One case as written; `input` and `expect` are checked next by the provider's evaluator models."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, pattern=r"\S")
    input: dict[str, Any] = Field(default_factory=dict)
    expect: dict[str, Any] | None = None
    recorded: bool = Field(default=False, strict=True)


class _FileReader:
    """Reads one test file into cases, appending every problem it finds."""

    def __init__(self, config: Config, desired: DesiredState, selected: set[str], problems: list[Problem]) -> None:
        self.config = config
        self.desired = desired
        self.selected = selected
        self.problems = problems

    def problem(self, raw: Any, file: str, path: Sequence[str | int], message: str, *, at_value: bool = True) -> None:
        where = node_location(raw, path, file, at_value=at_value)
        self.problems.append(Problem(where, format_field_path(path), message))

    def missing(self, raw: Any, file: str, key: str, message: str) -> None:
        """A required top-level field is absent (or not what it must be): located at the key, or the file."""
        path = [key] if key in raw else []
        self.problems.append(Problem(node_location(raw, path, file), key, message))

    def read(self, path: Path) -> list[RuleCase]:
        file = display_path(path, self.config.root_dir)
        try:
            raw = load_yaml(path, file)
        except InputError as exc:
            self.problems.extend(exc.problems)
            return []
        if raw is None:
            return []
        if not isinstance(raw, dict):
            self.problems.append(
                Problem(Location(file, 1, 1), "", "a test file is a mapping with 'target' and 'cases'")
            )
            return []
        ref = self._scope(raw, file)
        cases = raw.get("cases")
        if not isinstance(cases, list):
            message = "required field is missing (a list of cases)" if cases is None else "must be a list of cases"
            self.missing(raw, file, "cases", message)
            return []
        if ref is None or ref.target not in self.selected:
            return []
        provider = self.config.targets[ref.target].provider_class
        evaluator = EVALUATORS.get(provider.name)
        if evaluator is None:
            self.problem(raw, file, ["target"], f"{provider.name} rules have no evaluator: they cannot be tested")
            return []
        bodies = [rule.body for rule in self.desired.scopes[ref].rules]
        found: list[RuleCase] = []
        names: dict[str, int] = {}
        for index, node in enumerate(cases):
            case = self._case(raw, file, path, ref, evaluator, bodies, index, node)
            if case is None:
                continue
            if case.name in names:
                message = f"case name {case.name!r} is already used by cases[{names[case.name]}] of this file"
                self.problem(raw, file, ["cases", index, "name"], message)
                continue
            names[case.name] = index
            found.append(case)
        return found

    def _scope(self, raw: dict[str, Any], file: str) -> ScopeRef | None:
        """The target and scope the file tests: a configured target, and a scope its manifests declare."""
        target_name = raw.get("target")
        if not isinstance(target_name, str):
            message = (
                "required field is missing (the target these cases test)"
                if target_name is None
                else ("must be one target's name")
            )
            self.missing(raw, file, "target", message)
            return None
        if target_name not in self.config.targets:
            self.problem(
                raw, file, ["target"], f"unknown target {target_name!r}{suggest(target_name, self.config.targets)}"
            )
            return None
        provider = self.config.targets[target_name].provider_class
        header = {k: v for k, v in raw.items() if k not in HEADER_KEYS}
        scope_header, problems = validate_model(
            provider.scope_model, plain(header), root=raw, file=file, other_names=HEADER_KEYS
        )
        self.problems.extend(problems)
        if scope_header is None:
            return None
        ref = ScopeRef(target_name, provider.scope_of(scope_header))
        if target_name in self.selected and ref not in self.desired.scopes:
            at = next(iter(header), "target")
            declared = sorted(provider.scope_label(r.scope) for r in self.desired.scopes if r.target == target_name)
            known = f"; manifests declare {', '.join(declared)}" if declared else ""
            label = provider.scope_label(ref.scope)
            self.problem(raw, file, [at], f"no manifest declares rules for {label} of target {target_name!r}{known}")
            return None
        return ref

    def _located(self, raw: Any, file: str, base: list[str | int], found: list[FieldProblem]) -> None:
        for path, message in found:  # a mapping key is pointed at itself, a list item at its value
            self.problem(raw, file, [*base, *path], message, at_value=isinstance(path[-1], int))

    def _validated(
        self, model: type[BaseModel], data: dict[str, Any], raw: Any, file: str, at: list[str | int]
    ) -> BaseModel | None:
        """`data` (found at `at` in the file) as `model`, or None with its problems recorded."""
        value, problems = validate_model(model, data, root=raw, file=file, base=at, field_prefix=at)
        self.problems.extend(problems)
        return value

    def _case(
        self,
        raw: dict[str, Any],
        file: str,
        path: Path,
        ref: ScopeRef,
        evaluator: type[Evaluator],
        bodies: list[dict[str, Any]],
        index: int,
        node: Any,
    ) -> RuleCase | None:
        base: list[str | int] = ["cases", index]
        if not isinstance(node, dict):
            self.problem(raw, file, base, "a case is a mapping with 'name', 'input' and 'expect'", at_value=False)
            return None
        fields, problems = validate_model(CaseFields, plain(node), root=raw, file=file, base=base, field_prefix=base)
        self.problems.extend(problems)
        if fields is None:
            return None
        case_input = self._validated(evaluator.input_model, fields.input, raw, file, [*base, "input"])
        expected = None
        if fields.expect is not None:
            expected = self._validated(evaluator.outcome_model, fields.expect, raw, file, [*base, "expect"])
            if expected is None:
                return None
            self._located(raw, file, [*base, "expect"], evaluator.expect_problems(bodies, expected))
        if case_input is None:
            return None
        self._located(raw, file, [*base, "input"], evaluator.input_problems(bodies, case_input))
        location = node_location(raw, base, file)
        return RuleCase(ref, fields.name, file, location, case_input, expected, fields.recorded, index, path)


def rule_test_files(tests_dir: Path) -> list[Path]:
    """Every test file, in a stable order (the same rule as manifests)."""
    return manifest_files(tests_dir)


def load_cases(
    config: Config, targets: list[Target], desired: DesiredState, *, check_rules: bool = True
) -> list[RuleCase]:
    """Every case of the selected targets; all problems in all files raised together as one InputError.

    With `check_rules`, rules the evaluator cannot run (an operator it does not know) are problems too,
    located in their manifest, in scopes that have cases. A plan does not check them: what the
    evaluator cannot model must never stop a plan, whose impact then says so per case."""
    problems: list[Problem] = []
    reader = _FileReader(config, desired, {t.name for t in targets}, problems)
    cases = [case for path in rule_test_files(config.tests_dir) for case in reader.read(path)]
    for ref in sorted({case.ref for case in cases} if check_rules else ()):
        evaluator = EVALUATORS[config.targets[ref.target].provider]  # cases exist only where one does
        for rule in desired.scopes[ref].rules:
            problems.extend(rule.problem(path, message) for path, message in evaluator.rule_problems(rule.body))
    if problems:
        raise InputError(problems)
    return cases
