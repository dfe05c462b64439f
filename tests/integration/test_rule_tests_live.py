"""`reconciler test --live`: the same cases against the live rules, read-only, one list per scope."""

from __future__ import annotations

from tests.conftest import Project
from tests.integration.test_plan_impact import APP_CASES, seed

# Expectations that hold for the manifests (rule `first` gives role 340476 to holders of 340475).
TESTS = (
    APP_CASES
    + """\
  - name: alice
    input: {has_role: ["340475"]}
    expect: {rules: [first], actions: {set_role: ["340476"]}}
  - name: dave
    input: {has_role: ["340477"]}
    expect: {}
"""
)
PRIMO = "target: primo-test\nrules:\n  - {type: MDM_ONLINE, nonCompliantStatus: [OFFLINE_7_DAYS]}\n"
PRIMO_TESTS = """\
target: primo-test
cases:
  - name: a laptop offline for a week
    input: {status: {MDM_ONLINE: OFFLINE_7_DAYS}}
    expect: {alerts: [MDM_ONLINE]}
"""


def test_live_reports_how_the_tenant_behaves_today_and_writes_nothing(project: Project) -> None:
    seed(project)  # live: `first` asks for role 340477, and an unmanaged `sales` rule
    project.write("tests/rules/app.yaml", TESTS)
    project.write("rules/primo.yaml", PRIMO)
    project.write("tests/rules/primo.yaml", PRIMO_TESTS)
    assert project.run("test").exit_code == 0  # the manifests behave as the tests say

    project.sandbox.stats.reset()
    live = project.run("test", "--live")
    assert live.exit_code == 1, live.output
    assert "✗ fail alice" in live.output and "rules: expected [first], got none" in live.output
    assert "✗ fail dave" in live.output and "set_role: expected none, got [340476]" in live.output
    assert "✗ fail a laptop offline for a week" in live.output  # no Primo rule is live yet
    assert "alerts: expected [MDM_ONLINE], got none" in live.output
    assert "Rule tests against the live rules: 0 passed, 3 failed." in live.output
    stats = project.sandbox.stats
    assert stats.writes == 0
    # One list per scope: OneLogin lists enabled and disabled rules apart, Primo pages once (+ a token).
    assert stats.reads <= 4

    assert project.run("apply", "--auto-approve").exit_code == 0
    after = project.run("test", "--live")
    assert after.exit_code == 0, after.output
    assert "Rule tests against the live rules: 3 passed, 0 failed." in after.output


def test_record_from_the_live_rules(project: Project) -> None:
    seed(project)
    project.write(
        "tests/rules/app.yaml",
        APP_CASES + "  - name: dave\n    input: {has_role: ['340477']}\n",
    )
    result = project.run("test", "--live", "--record")
    assert result.exit_code == 0, result.output
    assert "from the live rules" in result.output
    recorded = (project.root / "tests/rules/app.yaml").read_text()
    assert "recorded: true" in recorded and "rules: [first]" in recorded  # live `first` asks for role 340477
    assert project.run("test").exit_code == 1  # the manifests no longer give dave the role
