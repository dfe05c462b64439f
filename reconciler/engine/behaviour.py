"""What rules do, as opposed to what they say: the port each provider's evaluator implements, and how
two outcomes differ, in words people review.

An evaluator is a pure function of (a scope's rules in API form, one test input) -> an outcome. The
outcome is a pydantic model of the provider's (its `outcome_model`), so a test file's expected value
is validated by the same model the evaluator returns, and `--record` writes one back as YAML.
The engine compares outcomes without knowing any vendor: it flattens them to labelled values.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from pydantic import BaseModel

Path = tuple[str | int, ...]
FieldProblem = tuple[Path, str]  # a field path (in a rule body or a test case) and what is wrong there
NONE = "none"  # how an outcome field that is absent or empty is shown


class EvaluationError(Exception):
    """A rule the evaluator cannot run (an operator it does not know, a broken expression): the rule's
    identity, the field's path in its body, and what is wrong there."""

    def __init__(self, rule: str, path: Path, message: str) -> None:
        self.rule = rule
        self.path = path
        self.message = message
        where = ".".join(str(step) for step in path)
        super().__init__(f"rule {rule!r} cannot be evaluated: {where}: {message}")


class Evaluator(ABC):
    """The behaviour of one provider's rules. Class methods only: evaluators hold no state."""

    # A test case's `input` (extra fields forbidden, so a misspelt field is a located error).
    input_model: ClassVar[type[BaseModel]]
    # What the rules do to that input; a test case's `expect` is validated by the same model.
    outcome_model: ClassVar[type[BaseModel]]

    @classmethod
    @abstractmethod
    def evaluate(cls, rules: Sequence[Mapping[str, Any]], case_input: BaseModel) -> BaseModel:
        """The outcome of `case_input` under `rules` (API-shaped bodies, in the scope's order)."""

    @classmethod
    def rule_problems(cls, body: Mapping[str, Any]) -> list[FieldProblem]:
        """What in one rule the evaluator cannot run, by field path in the body: checked before any case."""
        return []

    @classmethod
    def input_problems(cls, rules: Sequence[Mapping[str, Any]], case_input: BaseModel) -> list[FieldProblem]:
        """What in a case's input names something the rules' language does not know (by path in `input`)."""
        return []

    @classmethod
    def expect_problems(cls, rules: Sequence[Mapping[str, Any]], expected: BaseModel) -> list[FieldProblem]:
        """What in a case's expected outcome names something that cannot happen (by path in `expect`)."""
        return []

    @classmethod
    def labelled(cls, outcome: BaseModel) -> dict[str, Any]:
        """The outcome as flat `label: value` pairs (what differences are shown against). Nested
        mappings become dotted labels; override to name fields the way reviewers know them."""
        return _flatten(outcome.model_dump(mode="json"), "")

    @classmethod
    def recorded(cls, outcome: BaseModel) -> dict[str, Any]:
        """The outcome as a test file's `expect` writes it: empty fields left out."""
        return outcome.model_dump(mode="json", exclude_defaults=True)


def _flatten(node: Any, prefix: str) -> dict[str, Any]:
    if isinstance(node, dict):
        flat: dict[str, Any] = {}
        for key, value in node.items():
            label = f"{prefix}.{key}" if prefix else str(key)
            if isinstance(value, dict) and value:
                flat.update(_flatten(value, label))
            else:
                flat[label] = value
        return flat
    return {prefix: node}


def _shown(value: Any) -> str:
    if value is None or value == [] or value == {} or value is False:
        return NONE
    if value is True:
        return "yes"
    if isinstance(value, list):
        return ", ".join(_shown(v) for v in value)
    return str(value)


def _list_change(before: list[Any], after: list[Any]) -> str:
    added = [v for v in after if v not in before]
    removed = [v for v in before if v not in after]
    if not added and not removed:  # same items, another order (only ordered fields get here)
        return f"order {_shown(before)} -> {_shown(after)}"
    return ", ".join([*(f"+{_shown(v)}" for v in added), *(f"-{_shown(v)}" for v in removed)])


def _changed(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[tuple[str, Any, Any]]:
    """(label, before, after) of each label whose value differs, in the order labels first appear."""
    labels = dict.fromkeys([*before, *after])
    return [(label, before.get(label), after.get(label)) for label in labels if before.get(label) != after.get(label)]


def _is_list(value: Any) -> bool:
    return value is None or isinstance(value, list)


def differences(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """One line per label whose value differs: `label +added, -removed` for lists, `label a -> b`
    otherwise (an absent or empty value reads `none`)."""
    lines = []
    for label, old, new in _changed(before, after):
        if _is_list(old) and _is_list(new):
            lines.append(f"{label} {_list_change(old or [], new or [])}")
        else:
            lines.append(f"{label} {_shown(old)} -> {_shown(new)}")
    return lines


def _bracketed(value: Any) -> str:
    return f"[{_shown(value)}]" if isinstance(value, list) and value else _shown(value)


def outcome_differences(evaluator: type[Evaluator], before: BaseModel, after: BaseModel) -> list[str]:
    """How `after` differs from `before` (`label +added, -removed`), in the evaluator's labels."""
    if before == after:
        return []
    return differences(evaluator.labelled(before), evaluator.labelled(after))


def expectation_differences(evaluator: type[Evaluator], expected: BaseModel, got: BaseModel) -> list[str]:
    """How an outcome misses its expectation: `label: expected [a, b], got [a]` per differing label."""
    if expected == got:
        return []
    changed = _changed(evaluator.labelled(expected), evaluator.labelled(got))
    return [f"{label}: expected {_bracketed(old)}, got {_bracketed(new)}" for label, old, new in changed]
