"""Bad input stops every command before any API call, with one located line per problem."""

from __future__ import annotations

import pytest

from tests.conftest import Project

GOOD_PRIMO = "target: primo-test\nrules:\n  - {type: MDM_ONLINE, nonCompliantStatus: [OFFLINE]}\n"

BAD_MANIFESTS = {
    "yaml syntax": ("target: primo-test\nrules:\n  - type: [\n", "rules/bad.yaml:4:1 YAML syntax error"),
    "unknown field": (
        "target: primo-test\nrules:\n  - type: MDM_ONLINE\n    nonCompliantStatuses: [OFFLINE]\n",
        "rules/bad.yaml:4:5 rules[0].nonCompliantStatuses: unknown field 'nonCompliantStatuses' "
        "(did you mean 'nonCompliantStatus'?)",
    ),
    "bad enum": (
        "target: onelogin-test\napp: 1\nrules:\n  - name: x\n    match: every\n    actions: [{action: set_role}]\n",
        "rules/bad.yaml:5:12 rules[0].match: 'every' is not allowed; expected 'all' or 'any'",
    ),
    "duplicate identity": (
        GOOD_PRIMO + "  - {type: MDM_ONLINE, nonCompliantStatus: [PENDING]}\n",
        "rules/bad.yaml:4:5 rules[1]: duplicate rule 'MDM_ONLINE' in primo-test/primo: already defined at "
        "rules/bad.yaml:3:5",
    ),
    "misspelt header key": (
        "target: primo-test\nrulez:\n  - {type: MDM_ONLINE, nonCompliantStatus: [OFFLINE]}\n",
        "rules/bad.yaml:2:1 rulez: unknown field 'rulez' (did you mean 'rules'?)",
    ),
    "misspelt protect": (
        "target: primo-test\nrules:\n  - {type: MDM_ONLINE, nonCompliantStatus: [OFFLINE], protct: true}\n",
        "rules/bad.yaml:3:55 rules[0].protct: unknown field 'protct' (did you mean 'protect'?)",
    ),
    "unknown target": (
        GOOD_PRIMO.replace("primo-test", "primo-tset"),
        "rules/bad.yaml:1:9 target: unknown target 'primo-tset' (did you mean 'primo-test'?)",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_MANIFESTS))
@pytest.mark.parametrize("command", ["validate", "plan", "apply"])
def test_bad_manifest_is_reported_with_location_and_no_api_call(project: Project, case: str, command: str) -> None:
    text, expected = BAD_MANIFESTS[case]
    project.write("rules/bad.yaml", text)
    args = ["--auto-approve"] if command == "apply" else []
    result = project.run(command, *args)
    assert result.exit_code == 1
    assert f"error: {expected}" in result.output
    assert project.sandbox.stats.total == 0


def test_missing_credential_variable(project: Project) -> None:
    project.write("rules/p.yaml", GOOD_PRIMO)
    del project.env["PRIMO_TEST_API_KEY"]
    result = project.run("validate")
    assert result.exit_code == 1
    assert "reconciler.yaml:" in result.output
    assert "targets.primo-test.credentials.api_key: environment variable PRIMO_TEST_API_KEY is not set" in result.output


def test_literal_secret_in_config_is_refused(project: Project) -> None:
    config = project.root / "reconciler.yaml"
    config.write_text(config.read_text().replace("api_key: {env: PRIMO_TEST_API_KEY}", "api_key: hunter2"))
    result = project.run("validate")
    assert result.exit_code == 1
    assert "must reference an environment variable" in result.output
    assert "hunter2" not in result.output


def test_all_problems_are_reported_in_one_run(project: Project) -> None:
    for case, (text, _) in BAD_MANIFESTS.items():
        project.write(f"rules/{case.replace(' ', '_')}.yaml", text)
    result = project.run("validate")
    assert result.exit_code == 1
    # 7 files; a misspelt field also leaves the real one missing (twice: nonCompliantStatus and rules)
    assert "9 problem(s) found" in result.output


def test_example_rules_validate(project: Project) -> None:
    project.write("rules/p.yaml", GOOD_PRIMO)
    result = project.run("validate")
    assert result.exit_code == 0, result.output
    assert "Valid: 1 rules" in result.output


def test_a_rule_test_file_that_plan_would_refuse_fails_validate_first(project: Project) -> None:
    project.write("rules/p.yaml", GOOD_PRIMO)
    project.write("tests/rules/p.yaml", "target: primo-tset\ncases: []\n")
    result = project.run("validate")
    assert result.exit_code == 1
    assert "tests/rules/p.yaml:1:9 target: unknown target 'primo-tset'" in result.output
    assert project.run("plan").exit_code == 1  # the same file stops the plan


def test_an_invalid_protect_is_reported_with_the_rules_other_problems(project: Project) -> None:
    project.write(
        "rules/bad.yaml",
        "target: primo-test\nrules:\n"
        "  - {type: MDM_ONLINE, nonCompliantStatus: [ONLINE], protect: maybe}\n"
        "  - {type: MDM_ENROLLMENT, nonCompliantStatus: [PENDING], protect: 1, colour: red}\n",
    )
    result = project.run("validate")
    assert result.exit_code == 1
    assert "rules[0].protect: must be true or false" in result.output
    assert "rules[0].nonCompliantStatus: ONLINE is a compliant status" in result.output
    assert "rules[1].protect: must be true or false" in result.output
    assert "rules[1].colour: unknown field 'colour'" in result.output
    assert "4 problem(s) found" in result.output
