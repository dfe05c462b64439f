"""Test cases of rules' behaviour: running them, and what a change of rules does to them (the impact).

A case is an input and, usually, the outcome its scope's rules should give it. Running a case asks the
provider's evaluator; the impact of a plan runs every case against the live rules and against the
manifests and keeps the cases whose outcome differs. Vendor-free: evaluators come in through the
`Evaluator` port, cases are already validated by the project layer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from reconciler.engine.behaviour import EvaluationError, Evaluator, expectation_differences, outcome_differences
from reconciler.engine.model import ScopeRef
from reconciler.errors import Location


@dataclass(frozen=True)
class RuleCase:
    """One named case of a test file: an input for a scope's rules and the outcome it should get."""

    ref: ScopeRef
    name: str
    file: str
    location: Location
    input: BaseModel
    expected: BaseModel | None  # None: not written yet (`test --record` fills it in)
    recorded: bool = False  # the expected outcome was recorded from the rules, not written by a person
    index: int = 0  # the case's position in its file's `cases`
    path: Path | None = None  # the test file on disk (what `--record` edits)

    @property
    def recordable(self) -> bool:
        """`--record` may write this case's expectation: it has none, or only a recorded one."""
        return self.expected is None or self.recorded

    @property
    def title(self) -> str:
        return f"{self.file}::{self.name}"


@dataclass
class CaseResult:
    """What a case got. `error` when the rules could not be evaluated; `differences` expected -> got."""

    case: RuleCase
    got: BaseModel | None = None
    differences: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def passed(self) -> bool:
        return self.error is None and self.case.expected is not None and not self.differences

    @property
    def status(self) -> str:
        if self.error is not None:
            return "error"
        if self.case.expected is None:
            return "no expectation"
        return "pass" if not self.differences else "fail"


def outcome_of(evaluator: type[Evaluator], rules: Sequence[Mapping[str, Any]], case: RuleCase) -> BaseModel | str:
    """The case's outcome under `rules`, or why it could not be evaluated."""
    try:
        return evaluator.evaluate(rules, case.input)
    except EvaluationError as exc:
        return str(exc)
    except (KeyError, TypeError, ValueError) as exc:  # live rules of a shape the evaluator does not know
        return f"the rules cannot be evaluated: unexpected rule shape ({exc!r})"


def run_case(evaluator: type[Evaluator], rules: Sequence[Mapping[str, Any]], case: RuleCase) -> CaseResult:
    got = outcome_of(evaluator, rules, case)
    if isinstance(got, str):
        return CaseResult(case, error=got)
    if case.expected is None:
        return CaseResult(case, got)
    return CaseResult(case, got, expectation_differences(evaluator, case.expected, got))


@dataclass
class CaseImpact:
    """A case whose outcome differs between the live rules (`before`) and the manifests (`after`)."""

    target: str
    scope: str
    label: str
    case: str
    source: str
    changes: list[str]
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    error: str | None = None  # set when either side could not be evaluated

    def to_json(self) -> dict[str, Any]:
        out = dict(self.__dict__)
        return {k: v for k, v in out.items() if v is not None}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CaseImpact:
        return cls(**data)

    def line(self) -> str:
        """`alice: set_role +340476, -340478; rules +Admins`"""
        return f"{self.case}: {self.error or '; '.join(self.changes)}"


def case_impact(
    evaluator: type[Evaluator],
    case: RuleCase,
    label: str,
    live_rules: Sequence[Mapping[str, Any]],
    desired_rules: Sequence[Mapping[str, Any]],
) -> CaseImpact | None:
    """The case's behaviour change from the live rules to the desired ones, or None when it has none."""
    before = outcome_of(evaluator, live_rules, case)
    after = outcome_of(evaluator, desired_rules, case)
    impact = CaseImpact(case.ref.target, case.ref.scope, label, case.name, str(case.location), [])
    if isinstance(before, str) or isinstance(after, str):
        if before == after:
            return None
        impact.error = before if isinstance(before, str) else str(after)
        return impact
    impact.changes = outcome_differences(evaluator, before, after)
    if not impact.changes:
        return None
    impact.before, impact.after = evaluator.recorded(before), evaluator.recorded(after)
    return impact
