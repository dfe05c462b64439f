"""Fingerprints of live state: any edit, addition or reorder changes them; equal state, equal digest."""

from __future__ import annotations

import json

import pytest

from reconciler.engine.digest import live_digest
from reconciler.engine.model import LiveRule, LiveScope, ScopeRef
from reconciler.engine.plan import Plan
from reconciler.engine.saved import Fingerprints, ReviewedPlan
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
