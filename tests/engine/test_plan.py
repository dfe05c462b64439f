"""Planning: creates, updates, deletes, reorders, normalisation and failed reads."""

from __future__ import annotations

import json
from typing import Any

import pytest

from reconciler.engine.model import DesiredRule, DesiredScope, LiveRule, LiveScope, ScopeRef
from reconciler.engine.plan import Action, Plan, json_text
from reconciler.engine.planner import plan_scope, plan_scope_or_error
from reconciler.errors import ApiError, Location, ReconcilerError
from reconciler.providers.onelogin import OneLoginProvider
from reconciler.providers.primo import PrimoProvider
from reconciler.providers.vizivault import ViziVaultProvider

PRIMO = ScopeRef("primo-prod", "primo")
APP = ScopeRef("onelogin-prod", "app:1")
VAULT = ScopeRef("vault", "vizivault")


def desired(ref: ScopeRef, provider: Any, bodies: list[dict[str, Any]]) -> DesiredScope:
    scope = DesiredScope(ref)
    for index, body in enumerate(bodies):
        scope.rules.append(DesiredRule(ref, provider.identity(body), body, Location("rules/x.yaml", index + 1, 5)))
    return scope


def primo_live(type_: str, statuses: list[str]) -> LiveRule:
    return LiveRule(type_, {"type": type_, "nonCompliantStatus": statuses}, {"type": type_}, tombstone=not statuses)


def ol_rule(name: str, value: str = "1", enabled: bool = True) -> dict[str, Any]:
    return {
        "name": name,
        "match": "all",
        "enabled": enabled,
        "conditions": [{"source": "has_role", "operator": "ri", "value": value}],
        "actions": [{"action": "set_role", "value": ["9"]}],
    }


def ol_live(rule_id: int, position: int, body: dict[str, Any]) -> LiveRule:
    live_body = {**body, "id": rule_id, "position": position}
    return LiveRule(body["name"], live_body, {"id": rule_id, "position": position})


def test_create_update_and_unmanaged_without_prune() -> None:
    want = desired(
        PRIMO,
        PrimoProvider,
        [
            {"type": "MDM_ENROLLMENT", "nonCompliantStatus": ["PENDING", "MDM_OFF"]},
            {"type": "MDM_ONLINE", "nonCompliantStatus": ["OFFLINE_7_DAYS"]},
        ],
    )
    live = LiveScope(PRIMO, [primo_live("MDM_ENROLLMENT", ["PENDING"]), primo_live("MDM_CONTROL_WIFI", ["FAILED"])])
    plan = plan_scope(PrimoProvider, want, live, prune=False)
    assert [(c.action, c.identity) for c in plan.changes] == [("update", "MDM_ENROLLMENT"), ("create", "MDM_ONLINE")]
    update = plan.changes[0]
    assert [(f.path, f.action, f.after) for f in update.fields] == [("nonCompliantStatus", "add", "MDM_OFF")]
    assert plan.unmanaged == ["MDM_CONTROL_WIFI"]


def test_prune_deletes_unmanaged_but_not_tombstones() -> None:
    want = desired(PRIMO, PrimoProvider, [{"type": "MDM_ONLINE", "nonCompliantStatus": ["OFFLINE_7_DAYS"]}])
    live = LiveScope(
        PRIMO,
        [
            primo_live("MDM_ONLINE", ["OFFLINE_7_DAYS"]),
            primo_live("MDM_CONTROL_WIFI", ["FAILED"]),
            primo_live("MDM_ENROLLMENT", []),  # already disabled: nothing to delete
        ],
    )
    plan = plan_scope(PrimoProvider, want, live, prune=True)
    assert [(c.action, c.identity) for c in plan.changes] == [("delete", "MDM_CONTROL_WIFI")]
    assert plan.unmanaged == []


def test_disabled_primo_rule_in_manifest_is_an_update_not_a_create() -> None:
    want = desired(PRIMO, PrimoProvider, [{"type": "MDM_ENROLLMENT", "nonCompliantStatus": ["PENDING"]}])
    plan = plan_scope(PrimoProvider, want, LiveScope(PRIMO, [primo_live("MDM_ENROLLMENT", [])]), prune=False)
    assert [c.action for c in plan.changes] == ["update"]


def test_equivalent_forms_are_no_change() -> None:
    # Statuses in another order and repeated; ViziVault lists reordered, lower-case ISO codes,
    # nested constraints swapped, server dates and a defaulted executionOrder.
    want = desired(PRIMO, PrimoProvider, [{"type": "MDM_ENROLLMENT", "nonCompliantStatus": ["MDM_OFF", "PENDING"]}])
    live = LiveScope(PRIMO, [primo_live("MDM_ENROLLMENT", ["PENDING", "MDM_OFF", "PENDING"])])
    assert plan_scope(PrimoProvider, want, live, prune=False).changes == []

    body = {
        "key": "k",
        "name": "n",
        "type": "data",
        "constraint": {
            "type": "all",
            "constraints": [
                {"type": "attribute", "operator": "any", "attributes": ["NAME", "EMAIL"]},
                {"type": "geo", "operator": "any", "countries": ["DE", "FR"]},
            ],
        },
        "action": {"type": "regulation", "regulation": "GDPR"},
    }
    live_body = {
        **body,
        "constraint": {
            "type": "all",
            "constraints": [
                {"type": "geo", "operator": "any", "countries": ["fr", "de"]},
                {"type": "attribute", "operator": "any", "attributes": ["EMAIL", "NAME"]},
            ],
        },
        "executionOrder": 1,
        "createdDate": "2020-01-01T00:00:00Z",
        "modifiedDate": "2020-01-02T00:00:00Z",
    }
    want_vault = desired(VAULT, ViziVaultProvider, [body])
    live_vault = LiveScope(VAULT, [LiveRule("k", live_body, {"key": "k", "name": "n"})])
    assert plan_scope(ViziVaultProvider, want_vault, live_vault, prune=False).changes == []


def test_computed_field_is_compared_when_the_manifest_sets_it() -> None:
    body = {
        "key": "k",
        "name": "n",
        "type": "data",
        "executionOrder": 3,
        "constraint": {"type": "tag", "operator": "any", "tags": ["a"]},
        "action": {"type": "block"},
    }
    live = LiveScope(VAULT, [LiveRule("k", {**body, "executionOrder": 1}, {"key": "k", "name": "n"})])
    plan = plan_scope(ViziVaultProvider, desired(VAULT, ViziVaultProvider, [body]), live, prune=False)
    assert [(f.path, f.before, f.after) for f in plan.changes[0].fields] == [("executionOrder", 1, 3)]


def test_onelogin_scalar_action_value_equals_one_item_list() -> None:
    want = desired(APP, OneLoginProvider, [ol_rule("a")])
    live_body = ol_rule("a")
    live_body["actions"] = [{"action": "set_role", "value": "9", "expression": None}]
    live = LiveScope(APP, [ol_live(10, 1, live_body)])
    assert plan_scope(OneLoginProvider, want, live, prune=False).changes == []


def test_reorder_keeps_unmanaged_rules_in_their_slots() -> None:
    want = desired(APP, OneLoginProvider, [ol_rule("a"), ol_rule("b"), ol_rule("c")])
    live = LiveScope(APP, [ol_live(1, 1, ol_rule("b")), ol_live(2, 2, ol_rule("x")), ol_live(3, 3, ol_rule("a"))])
    plan = plan_scope(OneLoginProvider, want, live, prune=False)
    assert [c.action for c in plan.changes] == ["create", "reorder"]
    reorder = plan.changes[-1]
    assert reorder.order_before == ["b", "a"]
    assert reorder.order_after == ["a", "b", "c"]
    # x stays second; managed slots (1, 3, and the appended create) take the manifest order.
    assert reorder.sequence == [
        {"identity": "a", "ref": {"id": 3, "position": 3}},
        {"ref": {"id": 2, "position": 2}},
        {"identity": "b", "ref": {"id": 1, "position": 1}},
        {"identity": "c"},
    ]
    assert plan.unmanaged == ["x"]


def test_creates_appended_in_order_need_no_reorder() -> None:
    want = desired(APP, OneLoginProvider, [ol_rule("a"), ol_rule("b")])
    live = LiveScope(APP, [ol_live(1, 1, ol_rule("a"))])
    plan = plan_scope(OneLoginProvider, want, live, prune=False)
    assert [c.action for c in plan.changes] == ["create"]


def test_creates_in_order_take_their_slots_without_a_sort() -> None:
    # Live a, x (unmanaged), c: the manifest adds z first, b between a and c, d last.
    want = desired(APP, OneLoginProvider, [ol_rule("z"), ol_rule("a"), ol_rule("b"), ol_rule("c"), ol_rule("d")])
    live = LiveScope(APP, [ol_live(1, 1, ol_rule("a")), ol_live(2, 2, ol_rule("x")), ol_live(3, 3, ol_rule("c"))])
    plan = plan_scope(OneLoginProvider, want, live, prune=False)
    # Made one by one in manifest order: z, a, b, x, c, d.
    assert [(c.action, c.identity, c.position) for c in plan.changes] == [
        ("create", "z", 1),
        ("create", "b", 3),
        ("create", "d", None),
    ]
    assert plan.changes[1].to_json()["position"] == 3
    assert "position" not in plan.changes[2].to_json()


def test_creates_are_appended_when_live_rules_need_a_sort_anyway() -> None:
    want = desired(APP, OneLoginProvider, [ol_rule("a"), ol_rule("b"), ol_rule("c")])
    live = LiveScope(APP, [ol_live(1, 1, ol_rule("c")), ol_live(2, 2, ol_rule("a"))])
    plan = plan_scope(OneLoginProvider, want, live, prune=False)
    assert [(c.action, c.position) for c in plan.changes] == [("create", None), ("reorder", None)]


def test_duplicate_live_names_match_once_and_extras_are_unmanaged() -> None:
    want = desired(APP, OneLoginProvider, [ol_rule("a")])
    live = LiveScope(APP, [ol_live(1, 1, ol_rule("a")), ol_live(2, 2, ol_rule("a"))])
    plan = plan_scope(OneLoginProvider, want, live, prune=True)
    assert [(c.action, c.ref) for c in plan.changes] == [("delete", {"id": 2, "position": 2})]


def test_failed_read_plans_nothing_for_that_scope() -> None:
    want = desired(PRIMO, PrimoProvider, [{"type": "MDM_ONLINE", "nonCompliantStatus": ["OFFLINE_7_DAYS"]}])
    live = {PRIMO: ApiError("Not Found", status=404, method="GET", path="/compliance/alert-rules")}
    plan = Plan([plan_scope_or_error(PrimoProvider, want, live[PRIMO], prune=True)])
    assert plan.has_errors and not plan.has_changes
    assert "HTTP 404" in (plan.scopes[0].error or "")


def test_plan_json_round_trip() -> None:
    want = desired(APP, OneLoginProvider, [ol_rule("a", "2"), ol_rule("b")])
    live = LiveScope(APP, [ol_live(1, 1, ol_rule("b")), ol_live(2, 2, ol_rule("a"))])
    plan = Plan([plan_scope_or_error(OneLoginProvider, want, live, prune=False)])
    data = plan.to_json()
    assert data["format_version"] == 2
    assert data["summary"]["update"] == 1 and data["summary"]["reorder"] == 1
    assert Plan.from_json(data).to_json() == data


def test_each_scope_carries_its_providers_delete_word() -> None:
    primo_want = desired(PRIMO, PrimoProvider, [])
    primo_live_scope = LiveScope(PRIMO, [primo_live("MDM_CONTROL_WIFI", ["FAILED"])])
    app_want = desired(APP, OneLoginProvider, [])
    app_live = LiveScope(APP, [ol_live(1, 1, ol_rule("old"))])
    failed = ApiError("Not Found", status=404, method="GET", path="/x")
    plan = Plan(
        [
            plan_scope_or_error(PrimoProvider, primo_want, primo_live_scope, prune=True),
            plan_scope_or_error(OneLoginProvider, app_want, app_live, prune=True),
            plan_scope_or_error(PrimoProvider, primo_want, failed, prune=True),
        ]
    )
    assert [s.delete_verb for s in plan.scopes] == ["disable", "delete", "disable"]
    # A saved plan keeps it, so `show` and `apply FILE` name the change as the plan did.
    assert [s.delete_verb for s in Plan.from_json(json.loads(json_text(plan.to_json()))).scopes] == [
        "disable",
        "delete",
        "disable",
    ]


def test_actions_are_an_enum_serialised_as_their_strings() -> None:
    want = desired(APP, OneLoginProvider, [ol_rule("a", "2"), ol_rule("new")])
    live = LiveScope(APP, [ol_live(1, 1, ol_rule("gone")), ol_live(2, 2, ol_rule("a"))])
    plan = Plan([plan_scope_or_error(OneLoginProvider, want, live, prune=True)])
    actions = [c.action for c in plan.scopes[0].changes]
    assert all(isinstance(a, Action) for a in actions)
    document = json.loads(json_text(plan.to_json()))
    assert [c["action"] for c in document["scopes"][0]["changes"]] == ["update", "create", "delete"]
    assert [c.action for c in Plan.from_json(document).scopes[0].changes] == actions


@pytest.mark.parametrize("version", [None, 1, 3, "2"])
def test_other_format_versions_are_refused_with_one_message(version: object) -> None:
    with pytest.raises(
        ReconcilerError, match=r"format_version .* is not 2, the one this version reads: run plan again"
    ):
        Plan.from_json({"format_version": version, "scopes": []})
