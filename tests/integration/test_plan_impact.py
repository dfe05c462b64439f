"""Every plan shows its behaviour change: the rule-test cases whose outcome differs between the live
rules and the rules once the plan is applied, in text, JSON and markdown."""

from __future__ import annotations

import json

from click.testing import CliRunner

from reconciler.cli import main
from tests.conftest import Project
from tests.integration.manifests import ONE_RULE_APP

# Live: the admin role goes to holders of role 340477 and a Sales rule gives role 340478.
LIVE_RULES = [
    {
        "name": "first",
        "match": "all",
        "enabled": True,
        "conditions": [{"source": "has_role", "operator": "ri", "value": "340477"}],
        "actions": [{"action": "set_role", "value": ["340476"]}],
    },
    {
        "name": "sales",
        "match": "all",
        "enabled": True,
        "conditions": [{"source": "department", "operator": "=", "value": "Sales"}],
        "actions": [{"action": "set_role", "value": ["340478"]}],
    },
]
# The manifest changes `first`'s condition to role 340475 and leaves `sales` unmanaged (it stays live).
APP_CASES = "target: onelogin-test\napp: 7\ncases:\n"  # the header of a test file of app 7
TESTS = (
    APP_CASES
    + """\
  - name: alice
    input: {has_role: ["340475"]}
  - name: bob
    input: {has_role: ["340477"], department: Sales}
  - name: carol
    input: {department: Legal}
"""
)


def seed(project: Project) -> None:
    onelogin = project.tenant("onelogin-test")
    onelogin.add_app(7, "Salesforce")
    for rule in LIVE_RULES:
        onelogin.add_rule(7, rule)
    project.write("rules/app.yaml", ONE_RULE_APP)
    project.write("tests/rules/app.yaml", TESTS)


def test_a_changed_onelogin_condition_shows_its_impact_on_the_test_users(project: Project) -> None:
    seed(project)
    text = project.run("plan", "--detailed-exitcode")
    assert text.exit_code == 2, text.output  # unchanged by the impact: there are changes
    assert "~ conditions[0].value" in text.output
    assert "Impact on rule tests" in text.output
    assert "    ~ alice: rules +first; set_role +340476\n" in text.output
    # bob held 340477: he no longer matches `first`; `sales` still sets his role, so only the rules differ.
    assert "    ~ bob: rules -first\n" in text.output
    assert "carol" not in text.output  # no rule matches her before or after

    document = project.plan_json()
    impact = {entry["case"]: entry for entry in document["impact"]}
    assert sorted(impact) == ["alice", "bob"]
    assert impact["alice"]["changes"] == ["rules +first", "set_role +340476"]
    assert impact["alice"]["before"] == {} and impact["alice"]["after"] == {
        "rules": ["first"],
        "actions": {"set_role": ["340476"]},
    }
    assert impact["alice"]["source"] == "tests/rules/app.yaml:4:5"
    assert (impact["bob"]["target"], impact["bob"]["scope"]) == ("onelogin-test", "app:7")

    markdown_path = project.root / "plan.md"
    assert project.run("plan", "--markdown", str(markdown_path)).exit_code == 0
    markdown = markdown_path.read_text()
    assert "| onelogin-test · app 7 | alice | rules +first<br>set_role +340476 |" in markdown
    assert markdown.index("Impact on rule tests") < markdown.index("<details>")  # above the field diff


def test_a_saved_plan_keeps_its_impact_and_show_renders_it(project: Project) -> None:
    seed(project)
    saved = project.root / "plan.json"
    assert project.run("plan", "--out", str(saved)).exit_code == 0
    assert json.loads(saved.read_text())["impact"][0]["case"] == "alice"
    shown = CliRunner().invoke(main, ["--no-color", "show", str(saved)])
    assert "~ alice: rules +first; set_role +340476" in shown.output


def test_no_impact_section_without_a_behaviour_change(project: Project) -> None:
    seed(project)
    project.write("tests/rules/app.yaml", APP_CASES + "  - {name: carol, input: {}}\n")
    result = project.run("plan")
    assert "Impact on rule tests" not in result.output
    assert project.plan_json()["impact"] == []


def test_an_app_named_by_name_in_manifests_and_tests_gets_its_impact(project: Project) -> None:
    seed(project)
    by_name = "app: {name: Salesforce}\n"
    project.write("rules/app.yaml", ONE_RULE_APP.replace("app: 7\n", by_name))
    project.write("tests/rules/app.yaml", TESTS.replace("app: 7\n", by_name))
    assert project.run("test").exit_code == 1  # no expectations yet, but the file loads
    result = project.run("plan")
    assert "    ~ alice: rules +first; set_role +340476\n" in result.output, result.output
