"""Which ViziVault rules fire for a data point or an activity event, and what their actions do.

ViziVault's reference gives the constraint tree, the action types and `executionOrder` ("lower runs
first within rules of the same action type; ties unordered"), but not every comparison. Every such
decision is made in this file and nowhere else (docs/rule-tests.md repeats the list):
1. A test input is a data point; with an `event` it is also an activity event on that data point.
   `data` rules are checked against every input, `activity` rules only against events.
2. `all` holds when every child does, `any` when one does; an empty `all` or `any` never holds
   (nothing in it says what it is for, as a OneLogin rule without conditions matches nobody).
3. List constraints: `any` holds when the input has at least one listed item, `all` when it has
   every one, `none` when it has none. Tags, regulations and attributes compare exactly; ISO codes
   ignore case. `geo` is about where the data point is: a subdivision (`FR-75`) is inside its
   country (`FR`), so a country list matches an input given only a subdivision.
4. `user` (entity value) predicates: eq/neq/gt/lt/geq/leq compare numbers when both sides are
   numbers, else text; before/after compare ISO dates; in/nin test membership of the value list;
   regex searches the text. An entity without that attribute satisfies no predicate, not even neq.
5. `sentiment` holds when the data point's sentiment is at or below the threshold (the rule flags
   text at least that negative); an input without a sentiment never holds.
6. Order: fired rules are listed by `executionOrder` (1 when absent, as the server fills in), ties
   by `key`, so the unordered ties never change an outcome. All fired rules act: alerts, tags,
   entity tags, regulations and prohibitions accumulate; the data point is blocked when any block
   rule fires; every retention that fires is listed (the API does not say which one prevails).
7. Attribute keys in a test input (`attributes`, `user`) must be named by some rule of the vault:
   the reference lists none, so any other key is taken for a misspelling (a located error), which
   keeps a typo from making a "nothing fires" case pass.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from reconciler.engine.behaviour import EvaluationError, Evaluator, FieldProblem
from reconciler.errors import suggest
from reconciler.providers.vizivault import DEFAULT_EXECUTION_ORDER

Scalar = str | int | float | bool


class DataInput(BaseModel):
    """A test input: a data point (and, with `event`, an activity on it)."""

    model_config = ConfigDict(extra="forbid")
    attributes: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    regulations: list[str] = Field(default_factory=list)
    country: str | None = None
    subdivision: str | None = None
    user: dict[str, Scalar] = Field(default_factory=dict)  # the entity's values, for `user` constraints
    entityType: str | None = None
    application: str | None = None
    event: Literal["STORE", "UPDATE", "READ", "DELETE"] | None = None
    sentiment: float | None = Field(default=None, ge=-1, le=1)

    @field_validator("attributes", "tags", "regulations", mode="before")
    @classmethod
    def _one_is_a_list(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


def _sorted_set(value: Any) -> Any:
    if isinstance(value, str):
        value = [value]
    return sorted(set(value)) if isinstance(value, list) else value


class ViziVaultOutcome(BaseModel):
    """What the fired rules do, each list in a canonical order (`rules` in execution order)."""

    model_config = ConfigDict(extra="forbid")
    rules: list[str] = Field(default_factory=list)
    alerts: list[str] = Field(default_factory=list)  # "LEVEL: message"
    blocked: bool = False
    tags: list[str] = Field(default_factory=list)
    entityTags: list[str] = Field(default_factory=list)
    regulations: list[str] = Field(default_factory=list)
    prohibitions: list[str] = Field(default_factory=list)
    retention: list[str] = Field(default_factory=list)  # "daysSinceRead 365, autoDelete"

    _sets = field_validator("alerts", "tags", "entityTags", "regulations", "prohibitions", "retention", mode="before")(
        classmethod(lambda cls, v: _sorted_set(v))
    )

    @field_validator("rules", mode="before")
    @classmethod
    def _one_rule_is_a_list(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


def _list_holds(operator: str, wanted: list[str], have: set[str]) -> bool:
    """Assumption 3."""
    if operator == "all":
        return set(wanted) <= have
    found = bool(set(wanted) & have)
    return not found if operator == "none" else found


def _geo_holds(constraint: Mapping[str, Any], point: DataInput) -> bool:
    subdivision = (point.subdivision or "").upper()
    country = (point.country or subdivision.partition("-")[0]).upper()
    inside = country in {c.upper() for c in constraint.get("countries") or []} or subdivision in {
        s.upper() for s in constraint.get("subdivisions") or []
    }
    return not inside if constraint.get("operator") == "none" else inside


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _ordered(left: Any, right: Any) -> tuple[Any, Any]:
    """Both as numbers when both are, else both as text (assumption 4)."""
    a, b = _number(left), _number(right)
    return (a, b) if a is not None and b is not None else (str(left), str(right))


def _as_date(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _dates(test: Callable[[date, date], bool]) -> Callable[[Any, Any], bool]:
    def holds(have: Any, wanted: Any) -> bool:
        a, b = _as_date(have), _as_date(wanted)
        return a is not None and b is not None and test(a, b)

    return holds


def _members(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


PREDICATES: dict[str, Callable[[Any, Any], bool]] = {
    "eq": lambda a, b: _ordered(a, b)[0] == _ordered(a, b)[1],
    "neq": lambda a, b: _ordered(a, b)[0] != _ordered(a, b)[1],
    "gt": lambda a, b: _compare(a, b) > 0,
    "lt": lambda a, b: _compare(a, b) < 0,
    "geq": lambda a, b: _compare(a, b) >= 0,
    "leq": lambda a, b: _compare(a, b) <= 0,
    "before": _dates(lambda a, b: a < b),
    "after": _dates(lambda a, b: a > b),
    "in": lambda a, b: str(a) in _members(b),
    "nin": lambda a, b: str(a) not in _members(b),
    "regex": lambda a, b: re.search(str(b), str(a)) is not None,
}


def _compare(left: Any, right: Any) -> int:
    a, b = _ordered(left, right)
    return (a > b) - (a < b)


def holds(constraint: Mapping[str, Any], point: DataInput) -> bool:
    """Whether the data point (or event) satisfies a constraint tree."""
    kind = constraint["type"]
    if kind in ("all", "any"):
        children = constraint.get("constraints") or []
        combine = all if kind == "all" else any
        return bool(children) and combine(holds(child, point) for child in children)
    if kind == "attribute":
        return _list_holds(constraint["operator"], constraint.get("attributes") or [], set(point.attributes))
    if kind == "tag":
        return _list_holds(constraint["operator"], constraint.get("tags") or [], set(point.tags))
    if kind == "regulation":
        return _list_holds(constraint["operator"], constraint.get("regulations") or [], set(point.regulations))
    if kind == "geo":
        return _geo_holds(constraint, point)
    if kind == "user":
        have = point.user.get(constraint["attribute"])
        return have is not None and PREDICATES[constraint["predicate"]](have, constraint["value"])
    if kind == "entityType":
        return point.entityType in (constraint.get("entityTypes") or [])
    if kind == "application":
        have = {point.application} if point.application else set()
        return _list_holds(constraint.get("operator", "any"), constraint.get("applications") or [], have)
    if kind == "eventType":
        return point.event in (constraint.get("eventTypes") or [])
    if kind == "sentiment":
        return point.sentiment is not None and point.sentiment <= float(constraint["threshold"])
    raise ValueError(f"unknown constraint type {kind!r}")  # the rule model admits no other


CONSTRAINT_TYPES = frozenset(
    {
        "all",
        "any",
        "attribute",
        "tag",
        "regulation",
        "geo",
        "user",
        "entityType",
        "application",
        "eventType",
        "sentiment",
    }
)


def _unrunnable(constraint: Mapping[str, Any], path: tuple[str | int, ...], problems: list[FieldProblem]) -> None:
    """Appends what in the constraint tree cannot be evaluated, by its path in the rule."""
    kind = constraint.get("type")
    if kind not in CONSTRAINT_TYPES:
        problems.append(((*path, "type"), f"constraint type {kind!r} cannot be evaluated offline"))
    elif kind == "user" and constraint.get("predicate") not in PREDICATES:
        problems.append(((*path, "predicate"), f"predicate {constraint.get('predicate')!r} cannot be evaluated"))
    elif kind == "user" and constraint["predicate"] == "regex":
        try:
            re.compile(str(constraint.get("value")))
        except re.error as exc:
            problems.append(((*path, "value"), f"not a regular expression: {exc}"))
    for index, child in enumerate(constraint.get("constraints") or []):
        _unrunnable(child, (*path, "constraints", index), problems)


def _attributes_named(constraint: Mapping[str, Any], found: set[str]) -> None:
    """Adds to `found` every attribute key the constraint tree names."""
    found.update(str(a) for a in constraint.get("attributes") or [])
    if constraint.get("type") == "user":
        found.add(str(constraint["attribute"]))
    for child in constraint.get("constraints") or []:
        _attributes_named(child, found)


def _retention(action: Mapping[str, Any]) -> str:
    parts = [f"{k} {action[k]}" for k in ("expirationDate", "daysSinceStore", "daysSinceRead") if action.get(k)]
    return ", ".join([*parts, *(["autoDelete"] if action.get("autoDelete") else [])])


def _act(action: Mapping[str, Any], outcome: dict[str, Any]) -> None:
    kind = action["type"]
    if kind == "alert":
        outcome["alerts"].append(f"{action['alertLevel']}: {action.get('message', '')}".rstrip(": "))
    elif kind == "block":
        outcome["blocked"] = True
    elif kind == "tag":
        outcome["tags"].append(str(action["tag"]))
    elif kind == "entityTag":
        outcome["entityTags"].append(str(action["tag"]))
    elif kind == "regulation":
        outcome["regulations"].append(str(action["regulation"]))
    elif kind == "prohibition":
        outcome["prohibitions"].extend(str(p) for p in action.get("prohibitions") or [])
    elif kind == "retention":
        outcome["retention"].append(_retention(action))


class ViziVaultEvaluator(Evaluator):
    input_model = DataInput
    outcome_model = ViziVaultOutcome

    @classmethod
    def evaluate(cls, rules: Sequence[Mapping[str, Any]], case_input: BaseModel) -> ViziVaultOutcome:
        assert isinstance(case_input, DataInput)
        applicable = [r for r in rules if r.get("type") == "data" or case_input.event is not None]
        order = sorted(applicable, key=lambda r: (r.get("executionOrder", DEFAULT_EXECUTION_ORDER), str(r["key"])))
        outcome: dict[str, Any] = {k: [] for k in ViziVaultOutcome.model_fields if k != "blocked"}
        for rule in order:  # assumption 6
            problems = cls.rule_problems(rule)
            if problems:
                raise EvaluationError(str(rule["key"]), *problems[0])
            if holds(rule["constraint"], case_input):
                outcome["rules"].append(str(rule["key"]))
                _act(rule["action"], outcome)
        return ViziVaultOutcome(**outcome)

    @classmethod
    def rule_problems(cls, body: Mapping[str, Any]) -> list[FieldProblem]:
        """Constraints this evaluator cannot run: a type or predicate it does not know, a broken regex."""
        problems: list[FieldProblem] = []
        _unrunnable(body.get("constraint") or {}, ("constraint",), problems)
        return problems

    @classmethod
    def input_problems(cls, rules: Sequence[Mapping[str, Any]], case_input: BaseModel) -> list[FieldProblem]:
        """Assumption 7: an attribute no rule of the vault names is taken for a misspelling."""
        assert isinstance(case_input, DataInput)
        known: set[str] = set()
        for rule in rules:
            _attributes_named(rule["constraint"], known)
        named = [(("attributes", i), a) for i, a in enumerate(case_input.attributes)]
        named += [(("user", a), a) for a in case_input.user]
        message = "no rule of the vault names attribute {!r}{}"
        return [(path, message.format(a, suggest(a, known))) for path, a in named if a not in known]

    @classmethod
    def expect_problems(cls, rules: Sequence[Mapping[str, Any]], expected: BaseModel) -> list[FieldProblem]:
        assert isinstance(expected, ViziVaultOutcome)
        keys = {str(rule["key"]) for rule in rules}
        return [(("rules", i), f"no rule has key {key!r}") for i, key in enumerate(expected.rules) if key not in keys]
