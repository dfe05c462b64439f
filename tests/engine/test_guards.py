"""Safety guards: share of changes, deleting everything, protected rules."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.engine.guards import blocking, check_guards
from reconciler.engine.model import DesiredRule, DesiredScope, DesiredState, LiveRule, LiveScope, ScopeRef
from reconciler.engine.plan import Plan
from reconciler.engine.planner import plan_scope_or_error
from reconciler.errors import Location
from reconciler.project.config import Target, TargetConfig
from reconciler.providers.onelogin import OneLoginProvider
from reconciler.providers.primo import PrimoProvider
from reconciler.providers.vizivault import ViziVaultProvider

REF = ScopeRef("t", "app:1")


def target(**settings: Any) -> Target:
    spec = TargetConfig.model_validate(
        {"provider": "onelogin", "url": "http://x", "credentials": {"client_id": {"env": "X"}}, **settings}
    )
    return Target("t", spec, Location("reconciler.yaml", 2, 3))


def rule(name: str, enabled: bool = True, match: str = "all") -> dict[str, Any]:
    return {
        "name": name,
        "match": match,
        "enabled": enabled,
        "conditions": [],
        "actions": [{"action": "set_status", "value": ["1"]}],
    }


def live(names: list[str]) -> LiveScope:
    return LiveScope(REF, [LiveRule(n, rule(n), {"id": i, "position": i}) for i, n in enumerate(names, 1)])


def desired(*rules: tuple[str, dict[str, Any], bool]) -> DesiredState:
    state = DesiredState()
    scope = DesiredScope(REF)
    for line, (name, body, protect) in enumerate(rules, 1):
        scope.rules.append(DesiredRule(REF, name, body, Location("rules/a.yaml", line, 5), protect=protect))
    state.scopes[REF] = scope
    return state


def guard(state: DesiredState, scope: LiveScope, prune: bool = True, **settings: Any) -> tuple[Plan, list[Any]]:
    providers = {"t": OneLoginProvider}
    plan = Plan([plan_scope_or_error(OneLoginProvider, state.scopes[REF], scope, prune)])
    return plan, check_guards(plan, {REF: scope}, state, [target(**settings).guard_policy], providers)


NAMES = [f"r{i}" for i in range(10)]


def test_changing_up_to_the_share_is_allowed() -> None:
    wanted = [(n, rule(n, match="any") if i < 3 else rule(n), False) for i, n in enumerate(NAMES)]
    _, refusals = guard(desired(*wanted), live(NAMES))
    assert refusals == []


def test_changing_more_than_the_share_needs_force() -> None:
    wanted = [(n, rule(n, match="any") if i < 4 else rule(n), False) for i, n in enumerate(NAMES)]
    _, refusals = guard(desired(*wanted), live(NAMES))
    assert [r.guard for r in refusals] == ["max_change_share"]
    assert "updates or deletes 4 of the 10 live rules" in refusals[0].message and "30%" in refusals[0].message
    assert "--force" in refusals[0].how_to_proceed and "targets.t.max_change_share" in refusals[0].how_to_proceed
    assert blocking(refusals, force=False) == refusals and blocking(refusals, force=True) == []


def test_deletes_count_towards_the_share() -> None:
    kept = [(n, rule(n), False) for n in NAMES[:6]]
    _, refusals = guard(desired(*kept), live(NAMES))  # 4 of 10 deleted by prune
    assert [r.guard for r in refusals] == ["max_change_share"]


def test_small_targets_are_not_held_to_the_share() -> None:
    names = NAMES[:9]
    _, refusals = guard(desired(*[(n, rule(n, match="any"), False) for n in names]), live(names))
    assert refusals == []


def test_share_and_threshold_are_configurable() -> None:
    wanted = [(n, rule(n, match="any") if i < 4 else rule(n), False) for i, n in enumerate(NAMES)]
    assert guard(desired(*wanted), live(NAMES), max_change_share=0.5)[1] == []
    names = NAMES[:4]
    changed = [(n, rule(n, match="any"), False) for n in names]
    assert [r.guard for r in guard(desired(*changed), live(names), max_change_share_min_rules=3)[1]] == [
        "max_change_share"
    ]


def test_deleting_every_rule_needs_force_whatever_the_size() -> None:
    _, refusals = guard(desired(), live(["a", "b"]))
    assert [r.guard for r in refusals] == ["delete_all"]
    assert "every live rule of target 't' (2)" in refusals[0].message and refusals[0].force_overrides


def test_without_prune_nothing_is_deleted_so_nothing_is_refused() -> None:
    assert guard(desired(), live(["a", "b"]), prune=False)[1] == []


def test_a_rule_protected_in_the_config_is_never_deleted_even_with_force() -> None:
    state = desired(("a", rule("a"), False))
    _, refusals = guard(state, live(["a", "keep"]), protect=["keep"])
    assert [r.guard for r in refusals] == ["protect"]
    assert '"keep"' in refusals[0].message and "targets.t.protect in reconciler.yaml" in refusals[0].message
    assert blocking(refusals, force=True) == refusals


def test_a_rule_protected_in_its_manifest_is_never_disabled() -> None:
    state = desired(("a", rule("a", enabled=False), True))
    _, refusals = guard(state, live(["a"]))
    assert [r.guard for r in refusals] == ["protect"]
    assert "would disable" in refusals[0].message and "protect: true at rules/a.yaml:1:5" in refusals[0].message


def test_other_changes_to_a_protected_rule_are_fine() -> None:
    state = desired(("a", rule("a", match="any"), True))
    assert guard(state, live(["a"]), protect=["a"])[1] == []


def test_primo_deletes_are_disables_and_disabled_rules_do_not_count() -> None:
    ref = ScopeRef("t", "primo")
    statuses = {"MDM_ONLINE": ["OFFLINE"], "MDM_ENROLLMENT": ["PENDING"], "MDM_CONTROL_WIFI": []}
    scope = LiveScope(
        ref,
        [
            LiveRule(t, {"type": t, "nonCompliantStatus": s}, {"id": None, "type": t}, tombstone=not s)
            for t, s in statuses.items()
        ],
    )
    state = DesiredState()
    state.scopes[ref] = DesiredScope(ref)
    spec = TargetConfig.model_validate(
        {"provider": "primo", "url": "http://x", "credentials": {"api_key": {"env": "X"}}, "protect": ["MDM_ONLINE"]}
    )
    providers = {"t": PrimoProvider}
    plan = Plan([plan_scope_or_error(PrimoProvider, state.scopes[ref], scope, prune=True)])
    refusals = check_guards(plan, {ref: scope}, state, [Target("t", spec, Location("r")).guard_policy], providers)
    assert sorted(r.guard for r in refusals) == ["delete_all", "protect"]
    assert "every live rule of target 't' (2)" in next(r.message for r in refusals if r.guard == "delete_all")
    assert "would disable" in next(r.message for r in refusals if r.guard == "protect")


@pytest.mark.parametrize("provider", [OneLoginProvider, PrimoProvider, ViziVaultProvider])
def test_is_disabled_reads_each_providers_off_switch(provider: Any) -> None:
    on = {OneLoginProvider: rule("a"), PrimoProvider: {"type": "MDM_ONLINE", "nonCompliantStatus": ["OFFLINE"]}}
    off = {OneLoginProvider: rule("a", enabled=False), PrimoProvider: {"type": "MDM_ONLINE", "nonCompliantStatus": []}}
    assert not provider.is_disabled(on.get(provider, {"key": "k"}))
    assert provider.is_disabled(off.get(provider, {"key": "k"})) is (provider is not ViziVaultProvider)


def test_refusals_round_trip_in_the_plan_json() -> None:
    plan, refusals = guard(desired(), live(["a"]))
    plan.refusals = refusals
    again = Plan.from_json(plan.to_json())
    assert again.refusals == refusals and again.to_json()["refusals"][0]["guard"] == "delete_all"


def test_updates_and_deletes_have_shares_of_their_own() -> None:
    """As octoDNS's update and delete thresholds: a target may allow wide edits but few deletes."""
    edited = [(n, rule(n, match="any") if i < 5 else rule(n), False) for i, n in enumerate(NAMES)]
    pruned = [(n, rule(n), False) for n in NAMES[:8]]  # 2 of 10 deleted by prune
    loose = {"max_change_share": 1.0, "max_delete_share": 0.1}
    assert guard(desired(*edited), live(NAMES), **loose)[1] == []  # half updated: updates are free here
    _, refusals = guard(desired(*pruned), live(NAMES), **loose)
    assert [r.guard for r in refusals] == ["max_delete_share"]
    assert "deletes 2 of the 10 live rules" in refusals[0].message and "more than max_delete_share 10%" in (
        refusals[0].message
    )
    assert "--force" in refusals[0].how_to_proceed and "targets.t.max_delete_share" in refusals[0].how_to_proceed
    assert blocking(refusals, force=True) == []
    _, refusals = guard(desired(*edited), live(NAMES), max_change_share=1.0, max_update_share=0.4)
    assert [r.guard for r in refusals] == ["max_update_share"]
    assert guard(desired(*pruned), live(NAMES), max_change_share=1.0, max_update_share=0.0)[1] == []


def test_separate_shares_wait_for_the_same_number_of_live_rules() -> None:
    names = NAMES[:9]
    assert guard(desired(*[(n, rule(n), False) for n in names[:5]]), live(names), max_delete_share=0.1)[1] == []


def test_every_share_that_trips_is_named() -> None:
    kept = [(n, rule(n), False) for n in NAMES[:6]]  # 4 of 10 deleted
    _, refusals = guard(desired(*kept), live(NAMES), max_delete_share=0.2)
    assert [r.guard for r in refusals] == ["max_delete_share", "max_change_share"]
