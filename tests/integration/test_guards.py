"""Safety guards through the CLI: mass deletes, deleting everything, protected rules."""

from __future__ import annotations

import json

from tests.conftest import Project
from tests.integration.manifests import onelogin_rule
from tests.integration.settings import configure

KEEP = """\
target: onelogin-test
app: 8
rules:
  - name: keep
    conditions: [{source: title, operator: '~', value: keep}]
    actions: [{action: set_status, value: ['3']}]
"""


def test_a_mass_delete_is_refused_without_force(project: Project) -> None:
    tenant = project.tenant("onelogin-test")
    tenant.add_app(8, "App")
    for name in ["keep", *(f"old{i}" for i in range(11))]:
        tenant.add_rule(8, onelogin_rule(name))
    project.write("rules/a.yaml", KEEP)

    refused = project.run("apply", "--auto-approve", "--prune")
    assert refused.exit_code == 1
    assert "✗ apply refused by guard max_change_share (onelogin-test)" in refused.output
    assert "11 of the 12 live rules" in refused.output and "apply --force" in refused.output
    assert "nothing was changed" in refused.output
    assert len(tenant.rules(8)) == 12
    assert project.sandbox.stats.writes == 0

    plan = project.plan_json("--prune")
    assert [(r["guard"], r["force_overrides"]) for r in plan["refusals"]] == [("max_change_share", True)]

    forced = project.run("apply", "--auto-approve", "--prune", "--force")
    assert forced.exit_code == 0, forced.output
    assert "! guard max_change_share (onelogin-test) passed with --force" in forced.output
    assert "apply refused" not in forced.output
    assert [r["name"] for r in tenant.rules(8)] == ["keep"]


def test_deleting_every_rule_needs_force(project: Project) -> None:
    primo = project.tenant("primo-test")
    primo.upsert_rule("MDM_ONLINE", ["OFFLINE"])
    primo.upsert_rule("MDM_CONTROL_WIFI", ["FAILED"])
    project.write("rules/p.yaml", "target: primo-test\nrules: []\n")

    refused = project.run("apply", "--auto-approve", "--prune", "--json")
    assert refused.exit_code == 1
    answer = json.loads(refused.stdout)
    assert answer["apply"] is None and answer["plan"]["refusals"][0]["guard"] == "delete_all"
    assert primo.rules["MDM_ONLINE"]["nonCompliantStatus"] == ["OFFLINE"]

    forced = project.run("apply", "--auto-approve", "--prune", "--force")
    assert forced.exit_code == 0
    assert '✓ applied disable "MDM_ONLINE"' in forced.output  # Primo deletes by disabling, and says so
    assert all(rule["nonCompliantStatus"] == [] for rule in primo.rules.values())


def test_protection_in_the_config_survives_removing_the_rule_and_force(project: Project) -> None:
    vault = project.tenant("vault-test")
    for key in ("keep", "audit"):
        vault.upsert_rule(
            {
                "key": key,
                "name": key,
                "type": "data",
                "constraint": {"type": "tag", "operator": "any", "tags": ["x"]},
                "action": {"type": "block"},
            }
        )
    configure(project, ["vault-test"], protect=["audit"])
    project.write(
        "rules/v.yaml",
        """\
        target: vault-test
        rules:
          - key: keep
            name: keep
            type: data
            constraint: {type: tag, operator: any, tags: [x]}
            action: {type: block}
        """,
    )
    for force in ([], ["--force"]):
        refused = project.run("apply", "--auto-approve", "--prune", *force)
        assert refused.exit_code == 1
        assert "guard protect (vault-test)" in refused.output and '"audit"' in refused.output
        assert "targets.vault-test.protect in reconciler.yaml" in refused.output
        assert "--force does not override protection" in refused.output
        assert set(vault.rules) == {"keep", "audit"}

    configure(project, ["vault-test"], protect=[])
    assert project.run("apply", "--auto-approve", "--prune").exit_code == 0
    assert set(vault.rules) == {"keep"}


def test_a_rule_marked_protect_is_never_disabled(project: Project) -> None:
    tenant = project.tenant("onelogin-test")
    tenant.add_app(8, "App")
    tenant.add_rule(8, onelogin_rule("keep"))
    disabled = KEEP.replace("  - name: keep\n", "  - name: keep\n    protect: true\n    enabled: false\n")
    project.write("rules/a.yaml", disabled)

    refused = project.run("apply", "--auto-approve", "--force")
    assert refused.exit_code == 1
    assert 'would disable "keep"' in refused.output and "protect: true at " in refused.output
    assert tenant.rules(8)[0]["enabled"] is True


def test_saved_plans_and_drift_repair_meet_the_same_guards(project: Project) -> None:
    primo = project.tenant("primo-test")
    primo.upsert_rule("MDM_ONLINE", ["OFFLINE"])
    primo.upsert_rule("MDM_CONTROL_WIFI", ["FAILED"])
    project.write("rules/p.yaml", "target: primo-test\nrules: []\n")

    saved = str(project.root / "plan.json")
    assert project.run("plan", "--prune", "--out", saved).exit_code == 0
    refused = project.run("apply", "--auto-approve", saved)
    assert refused.exit_code == 1 and "delete_all" in refused.output
    repair = project.run("sync", "--prune", "--repair", "--auto-approve")
    assert repair.exit_code == 1 and "Apply refused by a safety guard or a policy" in repair.output
    assert project.sandbox.stats.writes == 0

    assert project.run("apply", "--auto-approve", "--force", saved).exit_code == 0
    assert all(rule["nonCompliantStatus"] == [] for rule in primo.rules.values())
