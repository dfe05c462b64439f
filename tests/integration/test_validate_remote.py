"""`validate --remote` checks OneLogin rules against each app's own catalogs, read-only, before any write."""

from __future__ import annotations

import copy

from reconciler.sandbox.onelogin_catalog import DEFAULT_CATALOG
from tests.conftest import Project

RULES = """\
target: onelogin-test
app: 7
rules:
  - name: Admins
    conditions:
      - {source: has_role, operator: ri, value: "340475"}
    actions:
      - {action: set_role, value: ["340475"]}
"""


def test_rules_the_app_accepts_pass_with_reads_only(project: Project) -> None:
    project.tenant("onelogin-test").add_app(7, "App")
    project.write("rules/app.yaml", RULES)
    result = project.run("validate", "--remote")
    assert result.exit_code == 0, result.output
    assert "Valid: 1 rules" in result.output
    assert project.sandbox.stats.writes == 0
    assert project.sandbox.stats.total > 0


def test_what_the_app_does_not_support_is_located(project: Project) -> None:
    project.tenant("onelogin-test").add_app(7, "App")
    bad = (
        RULES.replace("source: has_role, operator: ri", "source: has_rol, operator: ri")
        + "  - name: Depts\n"
        + "    conditions:\n"
        + "      - {source: status, operator: '>', value: Active}\n"
        + "      - {source: last_login, operator: '~', value: '90'}\n"
        + "    actions:\n"
        + "      - {action: set_stats, value: ['1']}\n"
        + "      - {action: set_status, value: ['1', '9']}\n"
    )
    project.write("rules/app.yaml", bad)
    offline = project.run("validate")
    assert offline.exit_code == 0, offline.output  # these need the app's catalogs to be caught
    result = project.run("validate", "--remote")
    assert result.exit_code == 1
    expected = [
        "rules/app.yaml:6:18 rules[0].conditions[0].source: app 7 has no condition 'has_rol' "
        "(did you mean 'has_role'?)",
        "rules/app.yaml:11:36 rules[1].conditions[0].operator: '>' is not an operator of condition 'status'; "
        "expected one of '=', '!='",
        "rules/app.yaml:11:48 rules[1].conditions[0].value: 'Active' is not a value of condition 'status' "
        "(did you mean '1', which is 'Active'?)",
        "rules/app.yaml:12:40 rules[1].conditions[1].operator: '~' is not an operator of condition 'last_login'; "
        "expected one of '>', '<', '='",
        "rules/app.yaml:14:18 rules[1].actions[0].action: app 7 has no action 'set_stats' (did you mean 'set_status'?)",
        "rules/app.yaml:15:43 rules[1].actions[1].value[1]: '9' is not a value of action 'set_status'",
    ]
    for line in expected:
        assert f"error: {line}" in result.output, result.output
    assert "6 problem(s) found" in result.output
    assert project.sandbox.stats.writes == 0


def test_each_app_is_checked_against_its_own_catalog(project: Project) -> None:
    catalog = copy.deepcopy(DEFAULT_CATALOG)
    del catalog["actions"]["set_role"]
    tenant = project.tenant("onelogin-test")
    tenant.add_app(7, "App")
    tenant.add_app(8, "Narrow", catalog)
    project.write("rules/seven.yaml", RULES)
    project.write("rules/eight.yaml", RULES.replace("app: 7", "app: 8"))
    result = project.run("validate", "--remote")
    assert result.exit_code == 1
    assert "error: rules/eight.yaml:8:18 rules[0].actions[0].action: app 8 has no action 'set_role'" in result.output
    assert "1 problem(s) found" in result.output


def test_an_unreachable_app_is_an_error_not_a_pass(project: Project) -> None:
    project.write("rules/app.yaml", RULES)  # app 7 does not exist in the tenant
    result = project.run("validate", "--remote")
    assert result.exit_code == 1
    assert "HTTP 404" in result.output
