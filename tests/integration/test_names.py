"""One OneLogin manifest for two tenants whose ids differ: the app and the roles named by name,
resolved per tenant, through the real CLI and real HTTP against the sandbox."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.sandbox import SandboxServer
from tests.conftest import Project, make_project
from tests.integration.test_target_vars import set_vars

TARGETS = {"onelogin-staging": "onelogin", "onelogin-prod": "onelogin"}
MANIFEST = """\
targets: [onelogin-staging, onelogin-prod]
app: {name: Salesforce}
rules:
  - name: Admins get the admin role
    conditions:
      - {source: has_role, operator: ri, value: {name: Admin}}
    actions:
      - {action: set_role, value: [{name: {var: ROLE}}, {name: Sales}]}
  - name: Dormant users are suspended
    conditions:
      - {source: last_login, operator: ">", value: {var: DORMANT_DAYS}}
    actions:
      - {action: set_status, value: {name: Suspended}}
"""


@pytest.fixture
def tenants(tmp_path: Path, sandbox: SandboxServer) -> Project:
    """Two tenants: the same app and role names under other ids."""
    project = make_project(tmp_path, sandbox, TARGETS)
    staging, prod = project.tenant("onelogin-staging"), project.tenant("onelogin-prod")
    prod.first_role_id = 910000
    staging.add_app(500100, "Salesforce")
    staging.add_app(500101, "Workday")
    prod.add_app(700200, "Workday")
    prod.add_app(700201, "Salesforce")
    set_vars(
        project,
        {
            "onelogin-staging": {"ROLE": "Employee", "DORMANT_DAYS": 30},
            "onelogin-prod": {"ROLE": "Contractor", "DORMANT_DAYS": 90},
        },
    )
    return project


def test_one_manifest_converges_on_two_tenants_whose_ids_differ(tenants: Project) -> None:
    tenants.write("rules/salesforce.yaml", MANIFEST)
    plan = tenants.run("plan")
    assert plan.exit_code == 0, plan.output
    assert "by name: has_role: Admin (340475); set_role: Employee (340476); set_role: Sales (340478)" in plan.output
    assert "by name: has_role: Admin (910000); set_role: Contractor (910002); set_role: Sales (910003)" in plan.output
    assert "onelogin-prod · onelogin · app 'Salesforce' = app 700201" in plan.output
    applied = tenants.run("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    staging = tenants.tenant("onelogin-staging").rules(500100)
    prod = tenants.tenant("onelogin-prod").rules(700201)
    assert [r["actions"][0]["value"] for r in staging] == [["340476", "340478"], ["2"]]
    assert [r["actions"][0]["value"] for r in prod] == [["910002", "910003"], ["2"]]
    assert [r["conditions"][0]["value"] for r in prod] == ["910000", "90"]
    assert not tenants.tenant("onelogin-staging").rules(500101) and not tenants.tenant("onelogin-prod").rules(700200)
    again = tenants.run("plan", "--detailed-exitcode")
    assert again.exit_code == 0, again.output
    assert again.output.count("no changes") == 2


def test_names_cost_one_read_per_catalogue_used(tenants: Project) -> None:
    tenants.write("rules/salesforce.yaml", MANIFEST)
    tenants.sandbox.stats.reset()
    assert tenants.run("plan").exit_code == 0
    routes = tenants.sandbox.stats.by_route
    # Per tenant: one page of apps, and the values of has_role, set_role and set_status, once each.
    assert routes["GET onelogin /api/2/apps"] == 2
    assert routes["GET onelogin /api/2/apps/{app_id}/rules/conditions/{value}/values"] == 2
    assert routes["GET onelogin /api/2/apps/{app_id}/rules/actions/{value}/values"] == 4


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            ("{name: Sales}", "{name: Sale}"),
            "rules/salesforce.yaml:8:57 rules[0].actions[0].value[1]: target 'onelogin-staging': 'Sale' is not a value "
            "of action 'set_role' in app 500100 (did you mean 'Sales'?)",
        ),
        (
            ("app: {name: Salesforce}", "app: {name: Workdays}"),
            "rules/salesforce.yaml:2:1 app: target 'onelogin-staging' has no app named 'Workdays' "
            "(did you mean 'Workday'?)",
        ),
        (
            ("{var: DORMANT_DAYS}", "{var: DORMANT}"),
            "rules/salesforce.yaml:11:45 rules[1].conditions[0].value: variable 'DORMANT' is not set for target "
            "'onelogin-staging'",
        ),
    ],
)
def test_a_name_or_variable_that_does_not_resolve_is_located_and_nothing_is_written(
    tenants: Project, edit: tuple[str, str], message: str
) -> None:
    tenants.write("rules/salesforce.yaml", MANIFEST.replace(*edit))
    result = tenants.run("apply", "--auto-approve")
    assert result.exit_code == 1
    assert f"error: {message}" in result.output
    assert "nothing was changed in any tenant" in result.output
    assert tenants.sandbox.stats.writes == 0


def test_an_app_name_two_apps_share_is_refused_naming_them(tenants: Project) -> None:
    tenants.tenant("onelogin-prod").add_app(700202, "Salesforce")
    tenants.write("rules/salesforce.yaml", MANIFEST)
    for command in (("validate", "--remote"), ("plan",), ("apply", "--auto-approve")):
        result = tenants.run(*command)
        assert result.exit_code == 1
        assert (
            "error: rules/salesforce.yaml:2:1 app: target 'onelogin-prod' has 2 apps named 'Salesforce' "
            "(ids 700201, 700202): name the app by its id"
        ) in result.output
    assert tenants.sandbox.stats.writes == 0


def test_offline_validate_checks_only_the_shape_of_names(tenants: Project) -> None:
    tenants.write("rules/salesforce.yaml", MANIFEST.replace("{name: Sales}", "{name: Nobody}"))
    tenants.sandbox.stats.reset()
    assert tenants.run("validate").exit_code == 0
    assert tenants.sandbox.stats.total == 0
    remote = tenants.run("validate", "--remote")
    assert remote.exit_code == 1
    assert "'Nobody' is not a value of action 'set_role' in app 500100" in remote.output
    assert tenants.sandbox.stats.writes == 0


def test_a_live_id_named_by_name_in_the_manifest_is_no_change(tenants: Project) -> None:
    """The manifest by id in one file and by name in another: the same scope, the same rule."""
    tenants.write("rules/salesforce.yaml", MANIFEST)
    assert tenants.run("apply", "--auto-approve").exit_code == 0
    by_id = MANIFEST.replace("targets: [onelogin-staging, onelogin-prod]", "target: onelogin-staging").replace(
        "app: {name: Salesforce}", "app: 500100"
    )
    by_id = by_id.replace("{name: {var: ROLE}}", '"340476"').replace("{name: Admin}", "340475")
    tenants.write("rules/salesforce.yaml", MANIFEST.replace("[onelogin-staging, onelogin-prod]", "[onelogin-prod]"))
    tenants.write("rules/staging.yaml", by_id)
    again = tenants.run("plan", "--detailed-exitcode")
    assert again.exit_code == 0, again.output


def test_a_saved_plan_is_refused_once_a_name_resolves_elsewhere(tenants: Project) -> None:
    tenants.write("rules/salesforce.yaml", MANIFEST)
    saved = tenants.root / "plan.json"
    assert tenants.run("plan", "--out", str(saved)).exit_code == 0
    plan = saved.read_text(encoding="utf-8")
    assert '"onelogin-prod/app:700201 set_role \'Sales\'": "910003"' in plan
    assert '"onelogin-prod app \'Salesforce\'": "app:700201"' in plan
    # Someone swaps the roles' names in prod: the same manifest now means other ids.
    catalog = tenants.tenant("onelogin-prod").apps[700201].catalog
    roles = catalog["actions"]["set_role"]["values"]
    roles[2]["name"], roles[3]["name"] = roles[3]["name"], roles[2]["name"]
    result = tenants.run("apply", str(saved), "--auto-approve")
    assert result.exit_code == 1
    assert "plan is stale" in result.output
    assert "onelogin-prod/app:700201 set_role 'Sales' now resolves to 910002; the plan has 910003" in result.output
    assert tenants.sandbox.stats.writes == 0


def test_import_writes_names_where_unique_and_the_plan_is_then_empty(tenants: Project) -> None:
    prod = tenants.tenant("onelogin-prod")
    prod.add_app(700202, "Workday")  # two apps named Workday: that one keeps its id
    prod.add_rule(
        700201,
        {
            "name": "Admins",
            "match": "all",
            "enabled": True,
            "conditions": [{"source": "has_role", "operator": "ri", "value": "910000"}],
            "actions": [{"action": "set_role", "value": ["910000", "910003"]}, {"action": "set_email", "value": ["x"]}],
        },
    )
    prod.add_rule(
        700202,
        {
            "name": "Dormant",
            "match": "all",
            "enabled": True,
            "conditions": [{"source": "last_login", "operator": ">", "value": "90"}],
            "actions": [{"action": "set_status", "value": ["2"]}],
        },
    )
    result = tenants.run("import", "-t", "onelogin-prod")
    assert result.exit_code == 0, result.output
    folder = tenants.root / "rules/onelogin-prod"
    salesforce = (folder / "salesforce.yaml").read_text(encoding="utf-8")
    assert "app: {name: Salesforce}" in salesforce or "app:\n  name: Salesforce" in salesforce
    assert "{source: has_role, operator: ri, value: {name: Admin}}" in salesforce
    assert "{action: set_role, value: [{name: Admin}, {name: Sales}]}" in salesforce
    assert "{action: set_email, value: [x]}" in salesforce  # free text stays as it is
    (workday,) = [p for p in folder.iterdir() if p.name.startswith("workday")]
    workday_text = workday.read_text(encoding="utf-8")
    assert "app: 700202" in workday_text
    assert "{action: set_status, value: [{name: Suspended}]}" in workday_text
    plan = tenants.run("plan", "-t", "onelogin-prod", "--prune", "--detailed-exitcode")
    assert plan.exit_code == 0, plan.output
    again = tenants.run("import", "-t", "onelogin-prod")
    assert "Nothing to write" in again.output, again.output


def test_files_naming_one_app_by_id_and_by_name_make_one_scope(tenants: Project) -> None:
    rule = "  - name: {name}\n    actions: [{{action: set_role, value: [{{name: Admin}}]}}]\n"
    tenants.write("rules/a.yaml", "target: onelogin-staging\napp: 500100\nrules:\n" + rule.format(name="First"))
    tenants.write(
        "rules/b.yaml", "target: onelogin-staging\napp: {name: Salesforce}\nrules:\n" + rule.format(name="Second")
    )
    assert tenants.run("apply", "--auto-approve").exit_code == 0
    assert [r["name"] for r in tenants.tenant("onelogin-staging").rules(500100)] == ["First", "Second"]
    assert tenants.run("plan", "--detailed-exitcode").exit_code == 0
    tenants.write(
        "rules/b.yaml", "target: onelogin-staging\napp: {name: Salesforce}\nrules:\n" + rule.format(name="First")
    )
    result = tenants.run("plan")
    assert result.exit_code == 1
    assert "error: rules/b.yaml:4:5 rules[0]: duplicate rule 'First' in onelogin-staging/app:500100" in result.output
