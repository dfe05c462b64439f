"""Reading back after an apply: what still differs, and which copies the run may delete then and there."""

from __future__ import annotations

from reconciler.engine.apply import ApplyReport, Outcome
from reconciler.engine.model import LiveScope
from reconciler.engine.plan import Action, Change, Plan
from reconciler.engine.verify import Verification, verify_plan
from reconciler.providers.onelogin import OneLoginProvider
from tests.engine.test_duplicates import APP, live_rule, rule, wanted


def report_of(creates: int) -> ApplyReport:
    outcomes = [
        Outcome(APP.target, APP.scope, "app 1", Change(Action.CREATE, f"R{i}"), "applied") for i in range(creates)
    ]
    return ApplyReport(outcomes)


def verify(live: LiveScope, creates: int) -> tuple[list[str], Plan]:
    desired = wanted(rule("R0"), rule("R1"))
    result = verify_plan(
        Plan(), report_of(creates), {APP: desired}, {APP: live}, {APP.target: OneLoginProvider}, {APP.target: False}
    )
    (check,) = result.checks
    return check.differences, result.repairs


def test_a_scope_that_matches_is_verified() -> None:
    differences, repairs = verify(LiveScope(APP, [live_rule(1, rule("R0")), live_rule(2, rule("R1"))]), 2)
    assert differences == [] and repairs.scopes == []


def test_copies_of_what_the_run_created_are_deleted_then_and_there() -> None:
    live = LiveScope(APP, [live_rule(i, rule(n)) for i, n in enumerate(["R0", "R1", "R0", "R1"], 1)])
    differences, repairs = verify(live, 2)
    assert differences == ["'R0' exists more than once", "'R1' exists more than once"]
    assert [(c.identity, c.ref["id"]) for c in repairs.scopes[0].changes] == [("R0", 3), ("R1", 4)]


def test_more_copies_than_the_run_created_are_left_to_a_plan_and_its_guards() -> None:
    live = LiveScope(APP, [live_rule(i, rule(n)) for i, n in enumerate(["R0", "R1", "R0", "R1"], 1)])
    differences, repairs = verify(live, 1)
    assert len(differences) == 2 and repairs.scopes == []


def test_a_missing_rule_is_reported_and_not_repaired_here() -> None:
    differences, repairs = verify(LiveScope(APP, [live_rule(1, rule("R0")), live_rule(2, rule("R0"))]), 2)
    assert differences == ["'R1' is missing", "'R0' exists more than once"] and repairs.scopes == []


def verify_created_out_of_order(created: Change) -> Verification:
    """R0 created by this run, read back after R1 although the manifest puts it first."""
    report = ApplyReport([Outcome(APP.target, APP.scope, "app 1", created, "applied")])
    live = LiveScope(APP, [live_rule(1, rule("R1")), live_rule(2, rule("R0"))])
    desired = {APP: wanted(rule("R0"), rule("R1"))}
    return verify_plan(Plan(), report, desired, {APP: live}, {APP.target: OneLoginProvider}, {APP.target: False})


def test_an_order_left_wrong_by_creates_placed_at_a_position_is_put_right_by_one_sort() -> None:
    # The run created R0 at position 1, but the API appended it (it counts positions otherwise, or
    # ignores them): the only difference is the order, mended then and there.
    result = verify_created_out_of_order(Change(Action.CREATE, "R0", position=1))
    assert result.checks[0].differences == ["the rules are not in the manifest's order"]
    assert [c.action for c in result.repairs.scopes[0].changes] == ["reorder"]


def test_an_order_wrong_without_creates_placed_by_this_run_is_left_to_a_plan() -> None:
    # No position: the run meant to sort, and a sort that did not take is not retried here.
    result = verify_created_out_of_order(Change(Action.CREATE, "R0"))
    assert result.checks[0].differences and result.repairs.scopes == []
