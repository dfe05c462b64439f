"""Live copies of a managed rule (two applies at once, a copy made in a console) are a difference from
the manifests: the plan deletes the extras, keeping the copy that matches the manifest, or the first."""

from __future__ import annotations

import asyncio
from typing import Any

import click

from reconciler.engine.apply import apply_plan
from reconciler.engine.guards import check_guards
from reconciler.engine.model import DesiredRule, DesiredScope, DesiredState, LiveRule, LiveScope, ScopeRef
from reconciler.engine.plan import Plan
from reconciler.engine.planner import plan_scope
from reconciler.errors import ApiError, Location
from reconciler.project.config import Target, TargetConfig
from reconciler.providers.onelogin import OneLoginProvider
from reconciler.render.text import render_plan
from tests.engine.test_plan import ol_live, ol_rule

APP = ScopeRef("onelogin-prod", "app:1")


def rule(name: str, value: str = "1") -> dict[str, Any]:
    return ol_rule(name, value)


def live_rule(rule_id: int, body: dict[str, Any]) -> LiveRule:
    return ol_live(rule_id, rule_id, body)


def wanted(*bodies: dict[str, Any], protect: bool = False) -> DesiredScope:
    scope = DesiredScope(APP)
    for index, body in enumerate(bodies):
        scope.rules.append(DesiredRule(APP, body["name"], body, Location("rules/app.yaml", index + 3, 5), protect))
    return scope


def deletes(plan: Any) -> list[tuple[str, int, bool]]:
    return [(c.identity, c.ref["id"], c.duplicate) for c in plan.changes if c.action == "delete"]


def test_a_copy_of_a_managed_rule_is_deleted_without_prune_and_never_called_unmanaged() -> None:
    live = LiveScope(APP, [live_rule(1, rule("R1")), live_rule(2, rule("R1")), live_rule(3, rule("other"))])
    plan = plan_scope(OneLoginProvider, wanted(rule("R1")), live, prune=False)
    assert deletes(plan) == [("R1", 2, True)]
    assert plan.unmanaged == ["other"]
    assert Plan([plan]).has_changes  # so `plan --detailed-exitcode` exits 2


def test_the_copy_that_matches_the_manifest_is_kept() -> None:
    live = LiveScope(APP, [live_rule(1, rule("R1", "old")), live_rule(2, rule("R1", "new"))])
    plan = plan_scope(OneLoginProvider, wanted(rule("R1", "new")), live, prune=False)
    assert deletes(plan) == [("R1", 1, True)]
    assert not [c for c in plan.changes if c.action == "update"]


def test_when_no_copy_matches_the_first_is_kept_and_updated() -> None:
    live = LiveScope(APP, [live_rule(1, rule("R1", "a")), live_rule(2, rule("R1", "b")), live_rule(3, rule("R1", "c"))])
    plan = plan_scope(OneLoginProvider, wanted(rule("R1", "d")), live, prune=False)
    assert deletes(plan) == [("R1", 2, True), ("R1", 3, True)]
    assert [(c.action, c.ref["id"]) for c in plan.changes if c.action == "update"] == [("update", 1)]


def test_the_kept_copy_takes_the_managed_slot_in_the_order() -> None:
    live = LiveScope(APP, [live_rule(1, rule("R2")), live_rule(2, rule("R1", "x")), live_rule(3, rule("R1"))])
    plan = plan_scope(OneLoginProvider, wanted(rule("R1"), rule("R2")), live, prune=False)
    reorder = next(c for c in plan.changes if c.action == "reorder")
    assert reorder.sequence == [
        {"identity": "R1", "ref": {"id": 3, "position": 3}},
        {"identity": "R2", "ref": {"id": 1, "position": 1}},
    ]


def test_copies_of_an_unmanaged_rule_stay_unmanaged() -> None:
    live = LiveScope(APP, [live_rule(1, rule("x")), live_rule(2, rule("x"))])
    plan = plan_scope(OneLoginProvider, wanted(rule("R1")), live, prune=False)
    assert deletes(plan) == [] and plan.unmanaged == ["x", "x"]


def test_the_plan_names_the_extra_a_duplicate_and_it_round_trips() -> None:
    live = LiveScope(APP, [live_rule(1, rule("R1")), live_rule(2, rule("R1"))])
    plan = Plan([plan_scope(OneLoginProvider, wanted(rule("R1")), live, prune=False)])
    assert '- delete "R1" (duplicate of a managed rule)' in click.unstyle(render_plan(plan))
    assert Plan.from_json(plan.to_json()).to_json() == plan.to_json()


def guards_for(live: LiveScope, *, protect: bool = False, **settings: Any) -> list[str]:
    desired = DesiredState()
    desired.scopes[APP] = wanted(rule("R1"), protect=protect)
    plan = Plan([plan_scope(OneLoginProvider, desired.scopes[APP], live, prune=False)])
    spec = {"provider": "onelogin", "url": "https://x", "credentials": {"client_id": {"env": "X"}}, **settings}
    target = Target("onelogin-prod", TargetConfig.model_validate(spec), Location("reconciler.yaml"))
    providers = {"onelogin-prod": OneLoginProvider}
    return [r.guard for r in check_guards(plan, {APP: live}, desired, [target.guard_policy], providers)]


def test_duplicate_deletes_count_towards_the_mass_change_guard() -> None:
    live = LiveScope(APP, [live_rule(i, rule("R1")) for i in range(1, 12)])
    assert guards_for(live) == ["max_change_share"]


def test_deleting_a_copy_of_a_protected_rule_keeps_the_rule_so_protect_allows_it() -> None:
    live = LiveScope(APP, [live_rule(1, rule("R1")), live_rule(2, rule("R1"))])
    assert guards_for(live, protect=True) == []
    assert guards_for(live, protect=["R1"]) == []


class GoneProvider:
    """Answers every DELETE with 404: another writer already deleted that rule."""

    ordered = True

    async def delete(self, scope: str, ref: dict[str, Any], body: dict[str, Any]) -> None:
        raise ApiError("DELETE api.test/rules/2: HTTP 404: Not Found", status=404, method="DELETE")


def apply_deletes(live: LiveScope, desired: DesiredScope, *, prune: bool) -> list[tuple[str, str]]:
    plan = Plan([plan_scope(OneLoginProvider, desired, live, prune=prune)])
    report = asyncio.run(apply_plan(plan, {APP.target: GoneProvider()}))  # type: ignore[dict-item]
    return [(o.status, o.message) for o in report.outcomes]


def test_a_copy_another_writer_deleted_first_is_gone_not_a_failure() -> None:
    # Two applies at once both find the same copy and both delete it: the second DELETE gets 404.
    live = LiveScope(APP, [live_rule(1, rule("R1")), live_rule(2, rule("R1"))])
    assert apply_deletes(live, wanted(rule("R1")), prune=False) == [("applied", "already deleted (by another writer)")]


def test_a_404_on_deleting_a_rule_that_is_not_a_copy_is_still_a_failure() -> None:
    live = LiveScope(APP, [live_rule(1, rule("R1")), live_rule(2, rule("other"))])
    [(status, message)] = apply_deletes(live, wanted(rule("R1")), prune=True)
    assert status == "failed" and "HTTP 404" in message
