"""Running cases and the impact of a change of rules, through a real evaluator."""

from __future__ import annotations

from reconciler.engine.model import ScopeRef
from reconciler.engine.ruletests import RuleCase, case_impact, run_case
from reconciler.errors import Location
from reconciler.providers.onelogin_evaluator import OneLoginEvaluator, OneLoginOutcome, SampleUser

APP = ScopeRef("onelogin-prod", "app:1")
ADMINS = {
    "name": "admins",
    "match": "all",
    "conditions": [{"source": "has_role", "operator": "ri", "value": "1"}],
    "actions": [{"action": "set_role", "value": ["9"]}],
}
ODD = {**ADMINS, "conditions": [{"source": "has_role", "operator": "starts", "value": "1"}]}


def case(expected: OneLoginOutcome | None) -> RuleCase:
    user = SampleUser.model_validate({"has_role": "1"})
    return RuleCase(APP, "alice", "t.yaml", Location("t.yaml", 3, 5), user, expected)


def test_a_case_passes_fails_errs_or_waits_for_an_expectation() -> None:
    expected = OneLoginOutcome(rules=["admins"], actions={"set_role": ["9"]})
    assert run_case(OneLoginEvaluator, [ADMINS], case(expected)).status == "pass"
    failed = run_case(OneLoginEvaluator, [], case(expected))
    assert (failed.status, failed.passed) == ("fail", False)
    assert failed.differences == ["rules: expected [admins], got none", "set_role: expected [9], got none"]
    errored = run_case(OneLoginEvaluator, [ODD], case(expected))
    assert errored.status == "error" and "rule 'admins' cannot be evaluated" in (errored.error or "")
    waiting = run_case(OneLoginEvaluator, [ADMINS], case(None))
    assert (waiting.status, waiting.passed, waiting.got) == ("no expectation", False, expected)


def test_impact_is_the_difference_from_live_to_after_or_why_it_cannot_be_told() -> None:
    gained = case_impact(OneLoginEvaluator, case(None), "app 1", [], [ADMINS])
    assert gained is not None
    assert (gained.changes, gained.before, gained.after) == (
        ["rules +admins", "set_role +9"],
        {},
        {"rules": ["admins"], "actions": {"set_role": ["9"]}},
    )
    assert gained.line() == "alice: rules +admins; set_role +9"
    assert case_impact(OneLoginEvaluator, case(None), "app 1", [ADMINS], [ADMINS]) is None
    unknown = case_impact(OneLoginEvaluator, case(None), "app 1", [ADMINS], [ODD])
    assert unknown is not None and unknown.changes == [] and "cannot be evaluated" in (unknown.error or "")
    assert case_impact(OneLoginEvaluator, case(None), "app 1", [ODD], [ODD]) is None


def test_live_rules_of_an_unexpected_shape_are_a_reason_not_a_crash() -> None:
    malformed = {"name": "odd", "match": "all", "conditions": [{"operator": "ri", "value": "1"}], "actions": []}
    result = run_case(OneLoginEvaluator, [malformed], case(None))
    assert result.status == "error" and (result.error or "").startswith("the rules cannot be evaluated")
