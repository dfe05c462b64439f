"""Through the CLI and the sandbox: copies of a managed rule are shown and removed, an apply reads back
what it wrote and says "verified" or what still differs,"""

from __future__ import annotations

import json

import pytest

from tests.conftest import Project
from tests.integration.manifests import ONE_RULE_APP

FIRST = {
    "name": "first",
    "match": "all",
    "enabled": True,
    "conditions": [{"source": "has_role", "operator": "ri", "value": "340475"}],
    "actions": [{"action": "set_role", "value": ["340476"]}],
}


def seeded_with_copies(project: Project, copies: int) -> None:
    tenant = project.tenant("onelogin-test")
    tenant.add_app(7, "App")
    for _ in range(copies):
        tenant.add_rule(7, dict(FIRST))
    project.write("rules/app.yaml", ONE_RULE_APP)


def test_copies_of_a_managed_rule_are_shown_then_removed_and_the_apply_verified(project: Project) -> None:
    seeded_with_copies(project, 2)
    plan = project.run("plan", "--detailed-exitcode")
    assert plan.exit_code == 2, plan.output
    assert '- delete "first" (duplicate of a managed rule)' in plan.output
    assert "unmanaged" not in plan.output and "in no manifest" not in plan.output

    applied = project.run("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert "Verified: the live rules of the 1 scope(s) written to match the manifests." in applied.output
    assert [r["name"] for r in project.tenant("onelogin-test").rules(7)] == ["first"]
    assert project.run("plan", "--detailed-exitcode").exit_code == 0


def test_a_write_the_api_does_not_keep_is_reported_by_verify_and_exits_1(project: Project) -> None:
    project.tenant("onelogin-test").add_app(7, "App")
    project.write("rules/app.yaml", ONE_RULE_APP)
    project.sandbox.faults.update({"fault_rate": 1.0, "fault_kinds": ["lost_write"], "writes_only": True})
    applied = project.run("apply", "--auto-approve")
    assert applied.exit_code == 1, applied.output
    assert '✓ applied create "first"' in applied.output  # the API said yes ...
    assert "✗ Verify: 1 of the 1 scope(s) written to still differ" in applied.output
    assert "onelogin-test · app 7: 'first' is missing" in applied.output  # ... and kept nothing
    project.sandbox.faults.update({"fault_rate": 0.0})
    assert project.tenant("onelogin-test").rules(7) == []

    as_json = project.run("apply", "--auto-approve", "--json")
    document = json.loads(as_json.stdout)
    assert as_json.exit_code == 0 and document["apply"]["verified"] is True
    assert document["apply"]["checks"] == [
        {"target": "onelogin-test", "scope": "app:7", "verified": True, "differences": [], "repaired": 0}
    ]


def test_verify_reads_each_written_scope_once(project: Project) -> None:
    seeded_with_copies(project, 1)
    project.write("rules/app.yaml", ONE_RULE_APP.replace("  - name: first\n", "  - name: first\n    match: any\n"))
    project.sandbox.stats.reset()
    assert project.run("apply", "--auto-approve").exit_code == 0
    lists = project.sandbox.stats.by_route["GET onelogin /api/2/apps/{app_id}/rules"]
    assert lists == 2 * 2  # the plan and the verify each list enabled and disabled rules once


def test_a_drift_repair_is_verified_too(project: Project) -> None:
    seeded_with_copies(project, 3)
    drift = project.run("sync")
    assert drift.exit_code == 2 and drift.output.count("(duplicate of a managed rule)") == 2
    repaired = project.run("sync", "--repair", "--auto-approve")
    assert repaired.exit_code == 0, repaired.output
    assert "Verified: the live rules of the 1 scope(s) written to match the manifests." in repaired.output
    assert len(project.tenant("onelogin-test").rules(7)) == 1


def test_a_delete_the_api_does_not_keep_is_reported_even_when_the_run_does_not_prune(project: Project) -> None:
    tenant = project.tenant("onelogin-test")
    tenant.add_app(7, "App")
    tenant.add_rule(7, dict(FIRST))
    tenant.add_rule(7, {**FIRST, "name": "console-made"})
    project.write("rules/app.yaml", ONE_RULE_APP)
    saved = project.root / "plan.json"
    assert project.run("plan", "--prune", "--out", str(saved)).exit_code == 0
    project.sandbox.faults.update({"fault_rate": 1.0, "fault_kinds": ["lost_write"], "writes_only": True})
    applied = project.run("apply", str(saved), "--auto-approve")
    assert applied.exit_code == 1, applied.output
    assert '✓ applied delete "console-made"' in applied.output
    assert "app 7: 'console-made' was deleted and is still there" in applied.output


def test_an_api_that_ignores_position_on_create_is_put_in_order_by_one_sort_in_the_same_run(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    # OneLogin's reference says `position` orders a rule and null means last, but not whether it counts
    # from 0 or 1; an API that reads it otherwise must still end in the manifest's order, in this run.
    from reconciler.sandbox.onelogin_tenant import App

    appending = App.place

    def ignoring_position(self: App, rule: dict[str, object], position: int | None) -> None:
        appending(self, rule, None)

    monkeypatch.setattr(App, "place", ignoring_position)
    tenant = project.tenant("onelogin-test")
    tenant.add_app(7, "App")
    tenant.add_rule(7, dict(FIRST))
    zero = '  - name: zero\n    conditions: [{source: has_role, operator: ri, value: "340475"}]\n'
    zero += '    actions: [{action: set_role, value: ["340477"]}]\n'
    project.write("rules/app.yaml", ONE_RULE_APP.replace("rules:\n", "rules:\n" + zero))
    project.sandbox.stats.reset()
    applied = project.run("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert "the manifest's order restored" in applied.output
    assert "Verified: the live rules of the 1 scope(s) written to match the manifests." in applied.output
    assert [r["name"] for r in tenant.rules(7)] == ["zero", "first"]
    assert project.sandbox.stats.by_route["PUT onelogin /api/2/apps/{app_id}/rules/sort"] == 1
    assert project.run("plan", "--detailed-exitcode").exit_code == 0
