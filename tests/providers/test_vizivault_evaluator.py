"""The ViziVault evaluator: constraint trees, execution order, actions, and the evaluator properties."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconciler.engine.behaviour import EvaluationError, outcome_differences
from reconciler.project.yamlsource import load_yaml, plain
from reconciler.providers.vizivault_evaluator import DataInput, ViziVaultEvaluator, ViziVaultOutcome

REPO = Path(__file__).resolve().parents[2]
# The shipped example rules: SSN reads alert, EU personal data (NAME, EMAIL, PHONE in DE, FR, IE, NL) is GDPR.
EXAMPLES = {rule["key"]: rule for rule in plain(load_yaml(REPO / "rules/vizivault/pii.yaml", "pii.yaml"))["rules"]}
SSN_READ, EU_DATA = EXAMPLES["ssnReadAlert"], EXAMPLES["euPersonalData"]


def run(rules: list[dict[str, Any]], **point: Any) -> ViziVaultOutcome:
    return ViziVaultEvaluator.evaluate(rules, DataInput.model_validate(point))


def test_activity_rules_fire_on_events_and_data_rules_on_every_point() -> None:
    assert run([SSN_READ], attributes=["SSN"]) == ViziVaultOutcome()
    assert run([SSN_READ], attributes=["SSN"], event="READ").alerts == ["WARNING: An SSN was read"]
    assert run([EU_DATA], attributes=["NAME"], country="fr", event="READ").regulations == ["GDPR"]


def test_a_subdivision_is_inside_its_country() -> None:
    assert run([EU_DATA], attributes=["EMAIL"], subdivision="FR-75").rules == ["euPersonalData"]
    assert run([EU_DATA], attributes=["EMAIL"], subdivision="US-NY").rules == []


@pytest.mark.parametrize(
    ("operator", "tags", "holds"),
    [
        ("any", ["a"], True),
        ("all", ["a"], False),
        ("all", ["a", "b"], True),
        ("none", ["c"], True),
        ("none", ["a"], False),
    ],
)
def test_list_operators(operator: str, tags: list[str], holds: bool) -> None:
    tag_rule = {
        "key": "t",
        "type": "data",
        "constraint": {"type": "tag", "operator": operator, "tags": ["a", "b"]},
        "action": {"type": "block"},
    }
    assert run([tag_rule], tags=tags).blocked is holds


@pytest.mark.parametrize(
    ("predicate", "value", "have", "holds"),
    [
        ("eq", 30, "30", True),
        ("neq", "x", "y", True),
        ("gt", 9, 10, True),
        ("gt", "9", "10", True),
        ("lt", "b", "a", True),
        ("geq", 10, 10, True),
        ("leq", 10, 11, False),
        ("before", "2030-01-01", "2029-12-31", True),
        ("after", "2030-01-01", "2029-12-31", False),
        ("in", ["FR", "DE"], "DE", True),
        ("nin", ["FR", "DE"], "DE", False),
        ("regex", "^[0-9]{3}-", "123-45", True),
    ],
)
def test_entity_value_predicates(predicate: str, value: Any, have: Any, holds: bool) -> None:
    user_rule = {
        "key": "u",
        "type": "data",
        "action": {"type": "tag", "tag": "hit"},
        "constraint": {"type": "user", "attribute": "AGE", "predicate": predicate, "value": value},
    }
    assert run([user_rule], user={"AGE": have}).tags == (["hit"] if holds else [])
    assert run([user_rule]).tags == []  # an entity without the attribute satisfies no predicate


def test_rules_run_by_execution_order_then_key_and_every_action_accumulates() -> None:
    def alert(key: str, order: int | None) -> dict[str, Any]:
        body = {
            "key": key,
            "type": "data",
            "constraint": {"type": "attribute", "operator": "any", "attributes": ["SSN"]},
            "action": {"type": "alert", "alertLevel": "INFO", "message": key},
        }
        return body if order is None else {**body, "executionOrder": order}

    outcome = run([alert("b", 3), alert("z", None), alert("a", None)], attributes=["SSN"])
    assert outcome.rules == ["a", "z", "b"]
    assert outcome.alerts == ["INFO: a", "INFO: b", "INFO: z"]


def test_sentiment_flags_text_at_least_as_negative_as_the_threshold() -> None:
    rule = {
        "key": "s",
        "type": "data",
        "constraint": {"type": "sentiment", "threshold": -0.5},
        "action": {"type": "block"},
    }
    assert run([rule], sentiment=-0.7).blocked
    assert not run([rule], sentiment=0.1).blocked
    assert not run([rule]).blocked


def test_retention_and_prohibitions_are_reported() -> None:
    rules = [
        {
            "key": "r",
            "type": "data",
            "constraint": {"type": "attribute", "operator": "any", "attributes": ["CARD"]},
            "action": {"type": "retention", "daysSinceRead": 365, "autoDelete": True},
        },
        {
            "key": "p",
            "type": "data",
            "constraint": {"type": "attribute", "operator": "any", "attributes": ["CARD"]},
            "action": {"type": "prohibition", "prohibitions": ["READ", "DELETE"]},
        },
    ]
    outcome = run(rules, attributes="CARD")
    assert (outcome.retention, outcome.prohibitions) == (["daysSinceRead 365, autoDelete"], ["DELETE", "READ"])


def test_a_broken_regex_or_an_unknown_constraint_is_an_evaluation_error_naming_the_field() -> None:
    broken = {
        **SSN_READ,
        "constraint": {
            "type": "any",
            "constraints": [{"type": "user", "attribute": "SSN", "predicate": "regex", "value": "("}, {"type": "mood"}],
        },
    }
    paths = [path for path, _ in ViziVaultEvaluator.rule_problems(broken)]
    assert paths == [("constraint", "constraints", 0, "value"), ("constraint", "constraints", 1, "type")]
    with pytest.raises(EvaluationError, match=r"rule 'ssnReadAlert' cannot be evaluated: constraint\.constraints\.0"):
        run([broken], event="READ")


def test_an_attribute_no_rule_names_is_a_problem_with_a_suggestion() -> None:
    point = DataInput(attributes=["SNN"], user={"SSN": 1})
    assert ViziVaultEvaluator.input_problems([SSN_READ], point) == [
        (("attributes", 0), "no rule of the vault names attribute 'SNN' (did you mean 'SSN'?)")
    ]


def test_the_difference_of_an_alert_that_no_longer_fires() -> None:
    before = run([SSN_READ], attributes=["SSN"], country="FR", event="READ")
    after = run([], attributes=["SSN"], country="FR", event="READ")
    assert outcome_differences(ViziVaultEvaluator, before, after) == [
        "rules -ssnReadAlert",
        "alerts -WARNING: An SSN was read",
    ]


# ---- properties -------------------------------------------------------------------------------------
ATTRIBUTES = ["SSN", "NAME", "EMAIL"]
leaf = st.one_of(
    st.builds(
        lambda op, a: {"type": "attribute", "operator": op, "attributes": a},
        st.sampled_from(["any", "none"]),
        st.lists(st.sampled_from(ATTRIBUTES), min_size=1, max_size=3),
    ),
    st.builds(
        lambda op, c: {"type": "geo", "operator": op, "countries": c},
        st.sampled_from(["any", "none"]),
        st.lists(st.sampled_from(["FR", "DE", "US"]), min_size=1, max_size=2),
    ),
    st.builds(
        lambda e: {"type": "eventType", "eventTypes": e}, st.lists(st.sampled_from(["READ", "STORE"]), min_size=1)
    ),
    st.builds(
        lambda op, t: {"type": "tag", "operator": op, "tags": t},
        st.sampled_from(["any", "all", "none"]),
        st.lists(st.sampled_from(["x", "y"]), min_size=1, max_size=2),
    ),
)
trees = st.recursive(
    leaf,
    lambda children: st.builds(
        lambda k, cs: {"type": k, "constraints": cs},
        st.sampled_from(["all", "any"]),
        st.lists(children, min_size=1, max_size=3),
    ),
    max_leaves=6,
)
actions = st.one_of(
    st.builds(lambda lvl: {"type": "alert", "alertLevel": lvl, "message": "m"}, st.sampled_from(["INFO", "WARNING"])),
    st.just({"type": "block"}),
    st.builds(lambda t: {"type": "tag", "tag": t}, st.sampled_from(["t1", "t2"])),
)
rules_strategy = st.lists(
    st.builds(
        lambda i, kind, c, a, order: {
            "key": f"k{i}",
            "name": f"n{i}",
            "type": kind,
            "constraint": c,
            "action": a,
            **({"executionOrder": order} if order else {}),
        },
        st.integers(0, 50),
        st.sampled_from(["data", "activity"]),
        trees,
        actions,
        st.integers(0, 3),
    ),
    max_size=5,
    unique_by=lambda r: r["key"],
)
points = st.fixed_dictionaries(
    {},
    optional={
        "attributes": st.lists(st.sampled_from(ATTRIBUTES), max_size=3),
        "tags": st.lists(st.sampled_from(["x", "y"]), max_size=2),
        "country": st.sampled_from(["FR", "DE", "US", "fr"]),
        "event": st.sampled_from(["READ", "STORE", "DELETE"]),
    },
)


def _shuffled(node: Any, random: Any) -> Any:
    if isinstance(node, dict):
        return {k: _shuffled(v, random) for k, v in random.sample(list(node.items()), len(node))}
    if isinstance(node, list):
        return random.sample([_shuffled(v, random) for v in node], len(node))
    return node


@given(rules_strategy, points, st.randoms())
def test_order_of_rules_sub_constraints_and_lists_never_matters(rules, point, random) -> None:
    assert run(_shuffled(rules, random), **_shuffled(point, random)) == run(rules, **point)


@given(leaf, points)
def test_any_with_one_constraint_is_all_with_it(constraint, point) -> None:
    def rule(kind: str) -> dict[str, Any]:
        return {
            "key": "k",
            "type": "activity",
            "constraint": {"type": kind, "constraints": [constraint]},
            "action": {"type": "block"},
        }

    assert run([rule("any")], **point) == run([rule("all")], **point)


@given(rules_strategy, points, st.sampled_from(["all", "any"]))
def test_a_rule_with_no_matching_constraint_never_acts(rules, point, kind) -> None:
    never = [
        {"type": "attribute", "operator": "any", "attributes": ["NEVER_GIVEN"]},
        {"type": "entityType", "entityTypes": ["none"]},
    ]
    silent = {
        "key": "silent",
        "type": "activity",
        "constraint": {"type": kind, "constraints": never},
        "action": {"type": "alert", "alertLevel": "DANGER", "message": "never"},
    }
    assert run([*rules, silent], **point) == run(rules, **point)
