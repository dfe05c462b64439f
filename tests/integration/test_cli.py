"""The CLI against the sandbox: reorders, ownership and prune, failed reads, confirmation, secrets."""

from __future__ import annotations

import json

import pytest

from tests.conftest import Project
from tests.integration.manifests import ONE_RULE_APP, onelogin_rule

APP_RULES = (
    ONE_RULE_APP
    + """\
  - name: second
    match: any
    conditions: [{source: department, operator: "=", value: Sales}]
    actions: [{action: set_status, value: ["1"]}]
  - name: third
    conditions: [{source: last_login, operator: ">", value: "90"}]
    actions: [{action: set_status, value: ["2"]}]
"""
)


def live_names(project: Project, app_id: int) -> list[str]:
    return [r["name"] for r in project.tenant("onelogin-test").rules(app_id)]


def test_reorder_puts_managed_rules_in_manifest_order_and_leaves_others_in_place(project: Project) -> None:
    tenant = project.tenant("onelogin-test")
    tenant.add_app(7, "App")
    tenant.add_rule(
        7,
        {
            **onelogin_rule("third"),
            "conditions": [{"source": "last_login", "operator": ">", "value": "90"}],
            "actions": [{"action": "set_status", "value": ["2"]}],
        },
    )
    tenant.add_rule(7, onelogin_rule("manual", enabled=False))
    tenant.add_rule(
        7,
        {
            "name": "first",
            "match": "all",
            "enabled": True,
            "conditions": [{"source": "has_role", "operator": "ri", "value": "340475"}],
            "actions": [{"action": "set_role", "value": ["340476"]}],
        },
    )
    project.write("rules/app.yaml", APP_RULES)

    plan = project.run("plan")
    assert plan.exit_code == 0, plan.output
    assert "↕ reorder" in plan.output and '"manual"' in plan.output  # manual is shown as unmanaged
    assert "1 to create, 0 to update, 0 to delete, 1 to reorder" in plan.output

    assert project.run("apply", "--auto-approve").exit_code == 0
    # Managed rules take the manifest order in their slots; the disabled manual rule keeps slot 2.
    assert live_names(project, 7) == ["first", "manual", "second", "third"]
    assert project.run("plan", "--detailed-exitcode").exit_code == 0


def test_unmanaged_rules_are_left_alone_unless_pruned(project: Project) -> None:
    primo = project.tenant("primo-test")
    primo.upsert_rule("MDM_CONTROL_WIFI", ["FAILED"])
    project.write("rules/p.yaml", "target: primo-test\nrules:\n  - {type: MDM_ONLINE, nonCompliantStatus: [OFFLINE]}\n")

    plan = project.plan_json()
    assert plan["scopes"][0]["unmanaged"] == ["MDM_CONTROL_WIFI"]
    assert project.run("apply", "--auto-approve").exit_code == 0
    assert primo.rules["MDM_CONTROL_WIFI"]["nonCompliantStatus"] == ["FAILED"]

    pruned = project.run("apply", "--auto-approve", "--prune")
    assert pruned.exit_code == 0, pruned.output
    assert "- disable" in pruned.output  # Primo's delete is a disable, and the plan says so
    assert primo.rules["MDM_CONTROL_WIFI"]["nonCompliantStatus"] == []
    assert project.run("plan", "--prune", "--detailed-exitcode").exit_code == 0


@pytest.mark.parametrize("breakage", ["bad key", "unknown app"])
def test_failed_read_stops_that_scope_and_never_plans_deletes(project: Project, breakage: str) -> None:
    tenant = project.tenant("onelogin-test")
    tenant.add_app(7, "App")
    tenant.add_rule(7, onelogin_rule("keep me"))
    project.write("rules/app.yaml", APP_RULES.replace("app: 7", "app: 8" if breakage == "unknown app" else "app: 7"))
    if breakage == "bad key":
        project.env["ONELOGIN_TEST_CLIENT_SECRET"] = "wrong-secret"
    writes = project.sandbox.stats.writes

    result = project.run("plan", "--prune", "--json")
    assert result.exit_code == 1
    plan = json.loads(result.stdout)
    assert plan["summary"]["delete"] == 0 and plan["summary"]["errors"] == 1
    assert project.run("apply", "--auto-approve", "--prune").exit_code == 1
    assert project.sandbox.stats.writes == writes
    assert live_names(project, 7) == ["keep me"]


def test_apply_refuses_without_a_terminal_or_auto_approve(project: Project) -> None:
    project.write("rules/p.yaml", "target: primo-test\nrules:\n  - {type: MDM_ONLINE, nonCompliantStatus: [OFFLINE]}\n")
    result = project.run("apply")
    assert result.exit_code == 1
    assert "--auto-approve" in result.output
    assert project.tenant("primo-test").rules == {}


def test_targets_without_manifests_are_never_emptied(project: Project) -> None:
    project.tenant("primo-test").upsert_rule("MDM_ONLINE", ["OFFLINE"])
    result = project.run("apply", "--auto-approve", "--prune")
    assert result.exit_code == 0, result.output
    assert "has no manifests" in result.output
    # It says how to empty a target on purpose, and never that live rules match manifests there are not.
    assert "to delete its rules, give it a manifest with `rules: []`" in result.output
    assert "Live rules match the manifests" not in result.output
    assert "No changes: no manifest declares rules, so no live rule was compared." in result.output
    assert project.tenant("primo-test").rules["MDM_ONLINE"]["nonCompliantStatus"] == ["OFFLINE"]


def test_target_option_limits_the_run(project: Project) -> None:
    project.write("rules/p.yaml", "target: primo-test\nrules:\n  - {type: MDM_ONLINE, nonCompliantStatus: [OFFLINE]}\n")
    project.tenant("onelogin-test").add_app(7, "App")
    project.write("rules/app.yaml", APP_RULES)
    plan = project.plan_json("--target", "primo-test")
    assert {s["target"] for s in plan["scopes"]} == {"primo-test"}
    unknown = project.run("plan", "--target", "nope")
    assert unknown.exit_code == 1 and "unknown target 'nope'" in unknown.output


def test_secrets_never_appear_in_output(project: Project) -> None:
    project.tenant("onelogin-test").add_app(7, "App")
    project.write("rules/app.yaml", APP_RULES)
    outputs = [
        project.run("plan").output,
        project.run("plan", "--json").output,
        project.run("apply", "--auto-approve", "--json").output,
    ]
    project.env["ONELOGIN_TEST_CLIENT_SECRET"] = "wrong-secret-value"
    outputs.append(project.run("plan").output)
    for secret in [*project.env.values(), "wrong-secret-value"]:
        assert all(secret not in out for out in outputs)
