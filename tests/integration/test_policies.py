"""Policies end to end: the example policies over the example rules and over a crafted bad plan, through
validate, plan (text, JSON, markdown), apply and `policy test`, against the sandbox."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from reconciler.cli import main
from tests.conftest import Project, make_project

REPO = Path(__file__).resolve().parents[2]
PROD = {"primo-prod": "primo", "vault-prod": "vizivault", "onelogin-prod": "onelogin"}
ADMIN_BY_DEPARTMENT = """\
target: onelogin-prod
app: 500100
rules:
  - name: IT gets admin
    conditions: [{source: department, operator: "=", value: IT}]
    actions: [{action: set_role, value: ["340476"]}]
"""
MANUAL_VAULT_RULE = {
    "key": "manual",
    "name": "Made in the console",
    "type": "data",
    "constraint": {"type": "tag", "operator": "any", "tags": ["X"]},
    "action": {"type": "alert", "alertLevel": "INFO", "message": "x"},
}


@pytest.fixture
def prod(tmp_path: Path, sandbox) -> Project:  # type: ignore[no-untyped-def]
    """The repository's example rules and policies, for targets named like the examples'."""
    project = make_project(tmp_path, sandbox, PROD)
    shutil.rmtree(project.root / "rules")
    shutil.copytree(REPO / "rules", project.root / "rules")
    shutil.copytree(REPO / "policies", project.root / "policies")
    project.tenant("onelogin-prod").add_app(500100, "Salesforce")
    project.tenant("onelogin-prod").add_app(500200, "Workday")  # the example that names its app by name
    return project


def crafted_bad_plan(project: Project) -> None:
    """An admin role granted by department, and a production delete without the allow-delete label."""
    project.write("rules/onelogin/app-salesforce.yaml", ADMIN_BY_DEPARTMENT)
    project.tenant("vault-prod").upsert_rule(MANUAL_VAULT_RULE)


def test_example_policies_pass_the_example_rules(prod: Project) -> None:
    result = prod.run("validate")
    assert result.exit_code == 0, result.output
    assert "Policies: 0 denied, 1 warned, 4 passed (5 checks in 4 files)." in result.output
    assert 'ViziVault rule "ssnReadAlert" alerts on SSN at WARNING; DANGER is recommended' in result.output
    plan = prod.plan_json()
    assert plan["policy"]["summary"]["denied"] == 0
    assert not [r for r in plan["refusals"] if r["guard"] == "policy"]


def test_a_crafted_bad_plan_is_denied_and_never_applied(prod: Project) -> None:
    crafted_bad_plan(prod)
    result = prod.run("plan", "--prune", "--markdown", "-")
    assert result.exit_code == 1
    markdown = result.stdout
    assert "**Policies: 2 denied, 1 warned, 2 passed (5 checks in 4 files).**" in markdown
    denies = markdown.index("❌ deny")
    assert denies < markdown.index("⚠️ warn") < markdown.index("#### <code>")
    assert "OneLogin rule &quot;IT gets admin&quot; grants admin role 340476 without an MFA condition" in markdown
    assert (
        "the plan deletes &quot;manual&quot; in production target vault-prod (rules) without the allow-delete label"
        in markdown
    )
    assert "<code>reconciler.production.deny</code> <code>policies/production_deletes.rego:12:1</code>" in markdown
    assert "| platform-team |" in markdown

    applied = prod.run("apply", "--prune", "--auto-approve", "--force")
    assert applied.exit_code == 1
    assert '✗ policy deny: OneLogin rule "IT gets admin" grants admin role 340476' in applied.output
    assert "reconciler.onelogin.deny at policies/onelogin_admin_mfa.rego:22:1, owner identity-team" in applied.output
    assert "--force does not override a policy" in applied.output
    assert "manual" in {r["key"] for r in prod.tenant("vault-prod").rules.values()}


def test_the_pull_request_label_allows_the_production_delete(prod: Project) -> None:
    crafted_bad_plan(prod)
    prod.write("rules/onelogin/app-salesforce.yaml", (REPO / "rules/onelogin/app-salesforce.yaml").read_text())
    prod.env["RECONCILER_PR_LABELS"] = '["documentation", "allow-delete"]'
    plan = prod.plan_json("--prune")
    assert plan["policy"]["summary"]["denied"] == 0
    # --force gets past the delete-all guard (the only live rule goes), which a deny would not allow.
    result = prod.run("apply", "--prune", "--auto-approve", "--force")
    assert result.exit_code == 0, result.output
    assert "manual" not in {r["key"] for r in prod.tenant("vault-prod").rules.values()}


def test_an_exception_waves_a_deny_through_until_it_expires(prod: Project) -> None:
    crafted_bad_plan(prod)
    config = (prod.root / "reconciler.yaml").read_text()
    exception = """\
policy_exceptions:
  - policy: reconciler.onelogin.deny
    rules: ["onelogin-prod/app:500100/IT gets admin"]
    reason: break-glass role for the IT on-call, reviewed by SEC-42
    expires: {date}
"""
    (prod.root / "reconciler.yaml").write_text(config + exception.format(date="2999-01-31"))
    result = prod.run("validate")
    assert result.exit_code == 0, result.output
    assert "~ policy deny excepted: OneLogin rule" in result.output
    line = config.count("\n") + 2
    reason = "break-glass role for the IT on-call, reviewed by SEC-42"
    assert f"{reason} (exception at {prod.root}/reconciler.yaml:{line}:5, until 2999-01-31)" in result.output

    (prod.root / "reconciler.yaml").write_text(config + exception.format(date="2020-01-31"))
    expired = prod.run("validate")
    assert expired.exit_code == 1
    assert (
        f"reconciler.yaml:{line}:5 policy_exceptions: the exception for reconciler.onelogin.deny expired on "
        "2020-01-31 (break-glass role for the IT on-call, reviewed by SEC-42): renew it with a new expiry date, "
        "or remove it" in expired.output
    )


def test_plan_json_and_text_carry_the_policy_results(prod: Project) -> None:
    crafted_bad_plan(prod)
    result = prod.run("plan", "--json")
    assert result.exit_code == 1
    policy = json.loads(result.stdout)["policy"]
    assert policy["summary"] == {"files": 4, "checks": 5, "denied": 1, "warned": 1, "excepted": 0, "passed": 3}
    (deny,) = [f for f in policy["findings"] if f["level"] == "deny"]
    assert deny["address"] == "onelogin-prod/app:500100/IT gets admin"
    assert deny["owner"] == "identity-team"
    text = prod.run("plan")
    assert "Policies: 1 denied, 1 warned, 3 passed (5 checks in 4 files)." in text.output
    assert "✗ apply refused by 1 policy deny(ies)" in text.output


def policy_test(project: Project, *args: str) -> Result:
    config = str(project.root / "reconciler.yaml")
    return CliRunner().invoke(main, ["--no-color", "policy", "test", "--config", config, *args], env=project.env)


def test_policy_test_runs_the_rego_tests(prod: Project, tmp_path: Path) -> None:
    junit = tmp_path / "out" / "policy.xml"
    result = policy_test(prod, "--junit", str(junit))
    assert result.exit_code == 0, result.output
    assert "17 policy tests: 17 passed, 0 failed, 0 errors." in result.output
    assert '<testsuite name="reconciler.onelogin_test" tests="5" failures="0" errors="0"' in junit.read_text()

    prod.write("policies/broken_test.rego", "package reconciler.broken_test\n\ntest_wrong if {\n\t1 == 2\n}\n")
    failing = policy_test(prod)
    assert failing.exit_code == 1
    assert "✗ FAIL  data.reconciler.broken_test.test_wrong (policies/broken_test.rego:3:1): undefined" in failing.output
    assert "18 policy tests: 17 passed, 1 failed, 0 errors." in failing.output


def test_required_policies_with_an_empty_folder_fail(project: Project) -> None:
    config = project.root / "reconciler.yaml"
    config.write_text(config.read_text() + "policies:\n  dir: policies\n  required: true\n")
    (project.root / "policies").mkdir()
    result = project.run("validate")
    assert result.exit_code == 1
    assert "policies.required: no policy was evaluated: no .rego file in 'policies'" in result.output
    typo = project.root / "reconciler.yaml"
    typo.write_text(typo.read_text().replace("dir: policies", "dir: polices"))
    result = project.run("plan")
    assert result.exit_code == 1
    assert "policies.dir: policy folder 'polices' not found" in result.output


def test_a_rego_syntax_error_is_located(prod: Project) -> None:
    prod.write("policies/broken.rego", 'package reconciler.broken\n\ndeny contains msg if {\n\tmsg := "x"\n')
    result = prod.run("plan")
    assert result.exit_code == 1
    assert "error: policies/broken.rego:3:22 Rego: this is unclosed" in result.output
    assert "Traceback" not in result.output


def test_policy_test_without_tests_says_so_and_fails_only_when_required(project: Project) -> None:
    result = policy_test(project)
    assert result.exit_code == 0, result.output
    assert "No policy test: no test_ rule in 'policies' (no .rego file)." in result.output
    config = project.root / "reconciler.yaml"
    config.write_text(config.read_text() + "policies:\n  required: true\n")
    required = policy_test(project)
    assert required.exit_code == 1
    assert "error: no test_ rule in 'policies' (no .rego file) and policies.required is true" in required.output


def test_policy_test_names_the_policies_no_test_refers_to(prod: Project) -> None:
    prod.write("policies/untested.rego", 'package reconciler.untested\n\ndeny contains "x" if input.nothing\n')
    result = policy_test(prod)
    assert result.exit_code == 0, result.output
    assert "! untested: reconciler.untested.deny (policies/untested.rego:3:1): no test refers to its package" in (
        result.output
    )
    assert result.output.count("! untested") == 1


def test_a_saved_plan_shows_its_denies_and_apply_evaluates_the_policies_again(prod: Project, tmp_path: Path) -> None:
    crafted_bad_plan(prod)
    saved = tmp_path / "plan.json"
    assert prod.run("plan", "--out", str(saved)).exit_code == 1
    shown = CliRunner().invoke(main, ["show", str(saved), "--markdown"])
    assert "**Policies: 1 denied, 1 warned, 3 passed (5 checks in 4 files).**" in shown.output
    assert "| ❌ deny | OneLogin rule &quot;IT gets admin&quot; grants admin role 340476" in shown.output
    applied = prod.run("apply", str(saved), "--auto-approve", "--force")
    assert applied.exit_code == 1
    assert "Apply refused by a safety guard or a policy (see above); nothing was changed." in applied.output
    assert "IT gets admin" not in {r["name"] for r in prod.tenant("onelogin-prod").rules(500100)}
