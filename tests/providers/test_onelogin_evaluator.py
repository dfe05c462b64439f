"""The OneLogin evaluator: each decision of its assumptions list, and the properties every evaluator keeps."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconciler.engine.behaviour import EvaluationError, outcome_differences
from reconciler.providers.onelogin_evaluator import OPERATORS, OneLoginEvaluator, OneLoginOutcome, SampleUser


def rule(name: str, *conditions: tuple[str, str, str], match: str = "all", enabled: bool = True, **actions: Any):
    return {
        "name": name,
        "match": match,
        "enabled": enabled,
        "conditions": [{"source": s, "operator": o, "value": v} for s, o, v in conditions],
        "actions": [{"action": a, "value": v} for a, v in (actions or {"set_role": ["1"]}).items()],
    }


def run(rules: list[dict[str, Any]], **user: Any) -> OneLoginOutcome:
    return OneLoginEvaluator.evaluate(rules, SampleUser.model_validate(user))


def test_rules_match_in_position_order_and_the_later_one_wins_a_conflict() -> None:
    rules = [
        rule("admins", ("has_role", "ri", "340475"), set_role=["340476"]),
        rule("sales", ("department", "=", "Sales"), set_role=["340478"], set_groups=["sales"]),
    ]
    outcome = run(rules, has_role=["340475"], department="sales")
    assert outcome.rules == ["admins", "sales"]
    assert outcome.actions == {"set_groups": ["sales"], "set_role": ["340478"]}


def test_a_disabled_rule_never_acts() -> None:
    assert run([rule("off", ("department", "=", "Sales"), enabled=False)], department="Sales") == OneLoginOutcome()


@pytest.mark.parametrize(
    ("operator", "value", "user_value", "holds"),
    [
        ("=", "Sales", "SALES", True),
        ("=", "Sales", "Sales team", False),
        ("!=", "Sales", "Legal", True),
        ("~", "admin", "System Administrator", True),
        ("!~", "admin", "Engineer", True),
        (">", "90", 120, True),
        (">", "90", 90, False),
        ("<", "90", "30", True),
        (">=", "90", 90, True),
        ("<=", "90", 91, False),
        (">", "90", "never", False),
    ],
)
def test_operators(operator: str, value: str, user_value: Any, holds: bool) -> None:
    outcome = run([rule("r", ("x", operator, value))], x=user_value)
    assert outcome.rules == (["r"] if holds else [])


def test_a_missing_source_matches_only_negated_operators() -> None:
    assert run([rule("r", ("title", "=", "x"))]).rules == []
    assert run([rule("r", ("title", "!=", "x"))]).rules == ["r"]
    assert run([rule("r", ("has_role", "!ri", "1"))]).rules == ["r"]
    assert run([rule("r", ("last_login", ">", "1"))]).rules == []


def test_several_values_match_when_any_does_and_negations_when_none_does() -> None:
    roles = {"has_role": ["1", "2"]}
    assert run([rule("r", ("has_role", "ri", "2"))], **roles).rules == ["r"]
    assert run([rule("r", ("has_role", "!ri", "2"))], **roles).rules == []


def test_expression_extracts_from_the_named_sources_and_macro_fills_placeholders() -> None:
    rules = [
        {
            "name": "groups",
            "match": "all",
            "conditions": [{"source": "department", "operator": "~", "value": ""}],
            "actions": [
                {"action": "set_groups", "value": ["member_of"], "expression": "/^app-(.*)$/"},
                {"action": "set_email", "macro": "{firstname}@example.com"},
                {"action": "set_filteredgroups", "scriplet": "4a77"},
            ],
        }
    ]
    outcome = run(rules, department="x", member_of=["app-crm", "other", "app-hr"], firstname="ana")
    assert outcome.actions == {
        "set_email": ["ana@example.com"],
        "set_filteredgroups": ["scriplet:4a77"],
        "set_groups": ["crm", "hr"],
    }


def test_a_scalar_action_value_is_the_one_item_list_the_api_treats_it_as() -> None:
    scalar = {**rule("r", ("title", "=", "x")), "actions": [{"action": "set_status", "value": "2"}]}
    assert run([scalar], title="x").actions == {"set_status": ["2"]}


def test_a_value_given_by_name_is_compared_as_that_name_before_names_are_resolved() -> None:
    named = {**rule("r", ("has_role", "ri", "x")), "actions": [{"action": "set_role", "value": [{"name": "Admin"}]}]}
    named["conditions"][0]["value"] = {"name": "Employee"}
    assert run([named], has_role=["Employee"]).actions == {"set_role": ["Admin"]}


def test_a_rule_without_conditions_matches_nobody() -> None:
    assert run([rule("nobody")], department="x") == OneLoginOutcome()


def test_an_operator_it_cannot_evaluate_is_an_error_naming_the_field() -> None:
    with pytest.raises(EvaluationError) as caught:
        run([rule("ok", ("title", "=", "x")), rule("odd", ("title", "starts", "x"))], title="x")
    assert (caught.value.rule, caught.value.path) == ("odd", ("conditions", 0, "operator"))
    assert str(caught.value).startswith("rule 'odd' cannot be evaluated: conditions.0.operator: operator 'starts'")
    assert OneLoginEvaluator.rule_problems(rule("odd", ("title", "starts", "x")))[0][0] == ("conditions", 0, "operator")


def test_unknown_sources_in_an_input_and_unknown_names_in_an_expectation_are_problems() -> None:
    rules = [rule("admins", ("has_role", "ri", "1"))]
    user = SampleUser.model_validate({"departmnet": "x", "custom_attribute_cost": "1", "has_role": "1"})
    assert OneLoginEvaluator.input_problems(rules, user) == [
        (("departmnet",), "unknown condition source 'departmnet' (did you mean 'department'?)")
    ]
    expected = OneLoginOutcome.model_validate({"rules": ["admin"], "actions": {"set_rol": "1"}})
    paths = [path for path, _ in OneLoginEvaluator.expect_problems(rules, expected)]
    assert paths == [("rules", 0), ("actions", "set_rol")]


def test_differences_read_as_gained_and_lost_values() -> None:
    before = OneLoginOutcome(rules=["sales"], actions={"set_role": ["Sales"]})
    after = OneLoginOutcome(rules=["admins"], actions={"set_role": ["Administrators"]})
    assert outcome_differences(OneLoginEvaluator, before, after) == [
        "rules +admins, -sales",
        "set_role +Administrators, -Sales",
    ]


# ---- properties -------------------------------------------------------------------------------------
SOURCES = ["has_role", "department", "last_login", "member_of"]
VALUES = ["1", "2", "90", "Sales", "sa", ""]
conditions = st.lists(
    st.tuples(st.sampled_from(SOURCES), st.sampled_from(sorted(OPERATORS)), st.sampled_from(VALUES)),
    min_size=1,
    max_size=3,
)
rules_strategy = st.lists(
    st.builds(
        lambda i, cs, match, enabled, action: rule(f"r{i}", *cs, match=match, enabled=enabled, **{action: [str(i)]}),
        st.integers(0, 99),
        conditions,
        st.sampled_from(["all", "any"]),
        st.booleans(),
        st.sampled_from(["set_role", "set_groups", "set_status"]),
    ),
    max_size=5,
)
users = st.dictionaries(st.sampled_from(SOURCES), st.lists(st.sampled_from(VALUES), max_size=3), max_size=4)


@given(rules_strategy, users, st.randoms())
def test_order_of_conditions_and_of_a_users_values_never_matters(rules, user, random) -> None:
    shuffled_rules = [{**r, "conditions": random.sample(r["conditions"], len(r["conditions"]))} for r in rules]
    shuffled_user = {k: random.sample(v, len(v)) for k, v in random.sample(list(user.items()), len(user))}
    assert run(shuffled_rules, **shuffled_user) == run(rules, **user)


@given(st.tuples(st.sampled_from(SOURCES), st.sampled_from(sorted(OPERATORS)), st.sampled_from(VALUES)), users)
def test_match_any_with_one_condition_is_match_all_with_it(condition, user) -> None:
    assert run([rule("r", condition, match="any")], **user) == run([rule("r", condition, match="all")], **user)


@given(rules_strategy, users, st.integers(0, 5), st.sampled_from(["all", "any"]))
def test_a_rule_with_no_matching_condition_never_acts(rules, user, slot, match) -> None:
    failing = [("department", "=", "no-such-department"), ("has_role", "ri", "no-such-role")]
    silent = rule("silent", *failing, match=match, set_role=["999"], set_status=["2"])
    with_it = [*rules[:slot], silent, *rules[slot:]]
    assert run(with_it, **user) == run(rules, **user)
