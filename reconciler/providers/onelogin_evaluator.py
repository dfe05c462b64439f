"""Which OneLogin app rules a sample user matches, and what they set for that user in the app.

OneLogin's reference says what a rule is (`match: all|any`, conditions of source, operator and value,
actions, a position) but not how every operator compares. Every such decision is made in this file
and nowhere else (docs/rule-tests.md repeats the list):
1. Rules run in position order (the API's order; a manifest's order). A disabled rule never runs.
2. Several matching rules setting the same action: the later rule wins, its value replacing the
   earlier one (OneLogin's help on app rules: in a conflict "the higher-numbered rule will take
   precedence"). Values of one action are never merged across rules.
3. `match: all` needs every condition to hold, `match: any` at least one. A rule without conditions
   matches nobody: nothing in it says whom it is for.
4. Operators (OPERATORS below): `=`/`!=` compare text ignoring case; `~`/`!~` look for the value
   inside the text, ignoring case; `>`, `<`, `>=`, `<=` compare numbers (`last_login` is days since
   the last login); `ri`/`!ri` ask whether the user has the role id. A source with several values
   (roles, `member_of` groups) matches a positive operator when any value does, and a negated one
   when none does. A source the user has no value for matches only the negated operators.
5. An action's `value` is the result, except with `expression` (a regular expression, optionally
   between slashes): then `value` names user sources, and the result is what the expression finds
   in each of their values (its first group if it has one). With `macro`, `{source}` placeholders
   are filled from the user. A `scriplet` cannot run offline: the result is `scriplet:<hash>`, so
   changing the script still shows as a change.
6. Condition sources are the built-in ones listed in SOURCES, `custom_attribute_*`, and any source
   a rule of the app uses; an input naming another source is a mistake (a located error).
7. A value given by name (`{name: Admin}`) before names are resolved, as offline tests see the
   manifests, is compared as that name: a test input names it the same way. Plans and `--live`
   compare the ids the tenant's catalogues give.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, RootModel, field_validator

from reconciler.engine.behaviour import EvaluationError, Evaluator, FieldProblem
from reconciler.errors import suggest

SOURCES = frozenset(
    {
        "has_role", "member_of", "department", "title", "last_login", "email", "status", "has_directory",
        "company", "firstname", "lastname", "username", "manager", "location", "phone", "group",
    }
)  # fmt: skip
CUSTOM_SOURCE_PREFIX = "custom_attribute_"
SCRIPLET_PREFIX = "scriplet:"


def _text(value: str) -> str:
    return value.casefold()


def _number(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None


def _compare(test: Callable[[float, float], bool]) -> Callable[[list[str], str], bool]:
    def holds(values: list[str], wanted: str) -> bool:
        limit = _number(wanted)
        numbers = [n for n in map(_number, values) if n is not None]
        return limit is not None and any(test(n, limit) for n in numbers)

    return holds


def _equals(values: list[str], wanted: str) -> bool:
    return _text(wanted) in {_text(v) for v in values}


def _contains(values: list[str], wanted: str) -> bool:
    return any(_text(wanted) in _text(v) for v in values)


def _negated(test: Callable[[list[str], str], bool]) -> Callable[[list[str], str], bool]:
    return lambda values, wanted: not test(values, wanted)


# Operator -> whether a condition holds for the user's values of its source (assumption 4).
OPERATORS: dict[str, Callable[[list[str], str], bool]] = {
    "=": _equals,
    "!=": _negated(_equals),
    "~": _contains,
    "!~": _negated(_contains),
    "ri": _equals,
    "!ri": _negated(_equals),
    ">": _compare(lambda n, limit: n > limit),
    "<": _compare(lambda n, limit: n < limit),
    ">=": _compare(lambda n, limit: n >= limit),
    "<=": _compare(lambda n, limit: n <= limit),
}


class SampleUser(RootModel[dict[str, list[str]]]):
    """A test input: the user's value(s) of each condition source, e.g. `{has_role: ["340475"],
    department: Sales, last_login: 120}`."""

    @field_validator("root", mode="before")
    @classmethod
    def _values_are_lists_of_text(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        lists = {k: v if isinstance(v, list) else [v] for k, v in value.items()}
        return {k: [_scalar_text(v) for v in vs if v is not None] for k, vs in lists.items()}


def _scalar_text(value: Any) -> Any:
    if isinstance(value, bool):
        return str(value).lower()
    return str(value) if isinstance(value, int | float) else value


class OneLoginOutcome(BaseModel):
    """The rules the user matches, in position order, and each action's resulting values."""

    model_config = ConfigDict(extra="forbid")
    rules: list[str] = Field(default_factory=list)
    actions: dict[str, list[str]] = Field(default_factory=dict)

    @field_validator("actions", mode="before")
    @classmethod
    def _values_are_lists_of_text(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        return {k: [_scalar_text(v) for v in (vs if isinstance(vs, list) else [vs])] for k, vs in value.items()}


def _value_text(value: Any) -> str:
    """A rule's value as text: a value given by name is that name (assumption 7)."""
    return str(value["name"]) if isinstance(value, dict) and "name" in value else str(value)


def _pattern(expression: str) -> str:
    if len(expression) >= 2 and expression.startswith("/") and expression.rfind("/") > 0:
        return expression[1 : expression.rfind("/")]
    return expression


def _found(pattern: re.Pattern[str], text: str) -> list[str]:
    match = pattern.search(text)
    if match is None:
        return []
    return [match.group(1) if pattern.groups else match.group(0)]


def _action_result(action: Mapping[str, Any], user: dict[str, list[str]]) -> list[str]:
    """What one action sets (assumption 5)."""
    value = action.get("value")
    values = [_value_text(v) for v in (value if isinstance(value, list) else [value] if value is not None else [])]
    if action.get("scriplet"):
        return [f"{SCRIPLET_PREFIX}{action['scriplet']}"]
    if action.get("expression"):
        pattern = re.compile(_pattern(str(action["expression"])))
        return [found for source in values for text in user.get(source, []) for found in _found(pattern, text)]
    if action.get("macro"):
        macro = str(action["macro"])
        return [re.sub(r"\{(\w+)\}", lambda m: ", ".join(user.get(m.group(1), [])), macro)]
    return values


def _matches(rule: Mapping[str, Any], user: dict[str, list[str]]) -> bool:
    """Assumption 3: all / any, and no condition matches nobody."""
    held = (
        OPERATORS[c["operator"]](user.get(c["source"], []), _value_text(c["value"]))
        for c in rule.get("conditions") or []
    )
    if not rule.get("conditions"):
        return False
    return any(held) if rule.get("match", "all") == "any" else all(held)


class OneLoginEvaluator(Evaluator):
    input_model = SampleUser
    outcome_model = OneLoginOutcome

    @classmethod
    def rule_problems(cls, body: Mapping[str, Any]) -> list[FieldProblem]:
        problems: list[FieldProblem] = []
        for index, condition in enumerate(body.get("conditions") or []):
            if condition.get("operator") not in OPERATORS:
                known = ", ".join(repr(o) for o in OPERATORS)
                message = f"operator {condition.get('operator')!r} cannot be evaluated offline; known: {known}"
                problems.append((("conditions", index, "operator"), message))
        for index, action in enumerate(body.get("actions") or []):
            if action.get("expression") and not action.get("scriplet"):
                try:
                    re.compile(_pattern(str(action["expression"])))
                except re.error as exc:
                    problems.append((("actions", index, "expression"), f"not a regular expression: {exc}"))
        return problems

    @classmethod
    def evaluate(cls, rules: Sequence[Mapping[str, Any]], case_input: BaseModel) -> OneLoginOutcome:
        assert isinstance(case_input, SampleUser)
        user = case_input.root
        matched: list[str] = []
        actions: dict[str, list[str]] = {}
        for rule in rules:  # assumption 1: position order
            problems = cls.rule_problems(rule)
            if problems:
                raise EvaluationError(str(rule.get("name")), *problems[0])
            if rule.get("enabled", True) is False or not _matches(rule, user):
                continue
            matched.append(str(rule["name"]))
            for action in rule.get("actions") or []:
                actions[str(action["action"])] = _action_result(action, user)  # assumption 2: later wins
        return OneLoginOutcome(rules=matched, actions=dict(sorted(actions.items())))

    @classmethod
    def known_sources(cls, rules: Sequence[Mapping[str, Any]]) -> set[str]:
        used = {str(c["source"]) for rule in rules for c in rule.get("conditions") or []}
        return set(SOURCES) | used

    @classmethod
    def input_problems(cls, rules: Sequence[Mapping[str, Any]], case_input: BaseModel) -> list[FieldProblem]:
        assert isinstance(case_input, SampleUser)
        known = cls.known_sources(rules)
        problems: list[FieldProblem] = []
        for source in case_input.root:
            if source not in known and not source.startswith(CUSTOM_SOURCE_PREFIX):
                problems.append(((source,), f"unknown condition source {source!r}{suggest(source, known)}"))
        return problems

    @classmethod
    def expect_problems(cls, rules: Sequence[Mapping[str, Any]], expected: BaseModel) -> list[FieldProblem]:
        assert isinstance(expected, OneLoginOutcome)
        names = {str(rule["name"]) for rule in rules}
        actions = {str(a["action"]) for rule in rules for a in rule.get("actions") or []}
        problems: list[FieldProblem] = []
        for index, name in enumerate(expected.rules):
            if name not in names:
                problems.append((("rules", index), f"no rule of this app is named {name!r}{suggest(name, names)}"))
        for action in expected.actions:
            if action not in actions:
                message = f"no rule of this app has action {action!r}{suggest(action, actions)}"
                problems.append((("actions", action), message))
        return problems

    @classmethod
    def labelled(cls, outcome: BaseModel) -> dict[str, Any]:
        assert isinstance(outcome, OneLoginOutcome)
        return {"rules": outcome.rules, **outcome.actions}  # action names read as what they set
