"""Fingerprints of live state: any edit, addition or reorder changes them; equal state, equal digest."""

from __future__ import annotations

import json

import pytest

from reconciler.engine.digest import live_digest
from reconciler.engine.model import LiveRule, LiveScope, ScopeRef
from reconciler.engine.plan import Action, Change, Plan, Refusal, ScopePlan
from reconciler.engine.saved import Fingerprints, ReviewedPlan, plan_differences
from reconciler.errors import ReconcilerError

REF = ScopeRef("t", "s")


def scope(*rules: LiveRule) -> LiveScope:
    return LiveScope(REF, list(rules))


def rule(name: str, value: str = "1", modified: str | None = None) -> LiveRule:
    return LiveRule(name, {"name": name, "value": value}, {"id": name}, modified=modified)


def test_equal_live_state_has_equal_digest() -> None:
    assert live_digest(scope(rule("a"), rule("b"))) == live_digest(scope(rule("a"), rule("b")))


@pytest.mark.parametrize(
    "changed",
    [
        scope(rule("a", "2"), rule("b")),  # a field edited
        scope(rule("b"), rule("a")),  # reordered
        scope(rule("a"), rule("b"), rule("c")),  # a rule added
        scope(rule("a")),  # a rule removed
        scope(rule("a", modified="2026-01-01T00:00:00Z"), rule("b")),  # touched, per the API's date
    ],
)
def test_any_live_change_changes_the_digest(changed: LiveScope) -> None:
    assert live_digest(changed) != live_digest(scope(rule("a"), rule("b")))


def test_saved_plan_round_trips_and_refuses_other_versions() -> None:
    reviewed = ReviewedPlan(Plan(), ["t"], Fingerprints({"reconciler.yaml": "sha256:x"}, {"t/s": "sha256:y"}))
    data = json.loads(json.dumps(reviewed.to_json()))
    again = ReviewedPlan.from_json(data)
    assert again.targets == ["t"] and again.fingerprints == reviewed.fingerprints
    with pytest.raises(ReconcilerError, match="format_version 1"):
        ReviewedPlan.from_json({**data, "format_version": 1})
    without = {k: v for k, v in data.items() if k != "fingerprints"}
    with pytest.raises(ReconcilerError, match="without fingerprints"):
        ReviewedPlan.from_json(without)


def _plan(*changes: Change, refusals: tuple[Refusal, ...] = ()) -> Plan:
    return Plan([ScopePlan("t", "primo", "s", "rules", list(changes))], refusals=list(refusals))


UPDATE = Change(Action.UPDATE, "a", body={"type": "a", "v": [1]}, ref={"id": "1"}, source="rules/a.yaml:3:5")
PROTECT = Refusal("t", "protect", "would disable b", "keep it", False)
POLICY = Refusal("t", "policy", "denied", "fix it", False)


def test_a_plan_equals_itself_made_again_from_other_lines_and_with_other_policies() -> None:
    moved = Change(Action.UPDATE, "a", body={"type": "a", "v": [1]}, ref={"id": "1"}, source="rules/b.yaml:9:5")
    assert plan_differences(_plan(UPDATE, refusals=(PROTECT,)), _plan(moved, refusals=(PROTECT, POLICY))) == []


@pytest.mark.parametrize(
    ("saved", "named"),
    [
        (_plan(UPDATE), "guards tripped: the plan file has none, a plan made now has protect (t)"),
        (
            _plan(Change(Action.DELETE, "a", ref={"id": "1"}), refusals=(PROTECT,)),
            'the file has delete "a", a plan made now has update',
        ),
        (
            _plan(Change(Action.UPDATE, "a", body={"type": "a", "v": [2]}, ref={"id": "1"}), refusals=(PROTECT,)),
            "another update",
        ),
        (
            _plan(UPDATE, Change(Action.CREATE, "c", body={}), refusals=(PROTECT,)),
            'the file has create "c", a plan made now does not',
        ),
        (_plan(refusals=(PROTECT,)), 'a plan made now has update "a", the file does not'),
    ],
)
def test_an_edited_plan_differs_and_says_how(saved: Plan, named: str) -> None:
    differences = plan_differences(saved, _plan(UPDATE, refusals=(PROTECT,)))
    assert any(named in line for line in differences), differences
