"""`reconciler test` on the shipped examples: passes as shipped, fails readably when a rule is broken."""

from __future__ import annotations

import shutil
from pathlib import Path

import junitparser
import pytest
from click.testing import CliRunner, Result

from reconciler.cli import main

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def examples(tmp_path: Path) -> Path:
    """A copy of the repository's config, manifests and rule tests."""
    shutil.copy(REPO / "reconciler.yaml", tmp_path / "reconciler.yaml")
    shutil.copytree(REPO / "rules", tmp_path / "rules")
    shutil.copytree(REPO / "tests" / "rules", tmp_path / "tests" / "rules")
    return tmp_path


def run(root: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["--no-color", "test", "--config", str(root / "reconciler.yaml"), *args])


def test_the_shipped_examples_pass_offline_without_credentials(examples: Path) -> None:
    result = run(examples)
    assert result.exit_code == 0, result.output
    assert "✗" not in result.output
    assert "Rule tests against the manifests: 12 passed, 0 failed." in result.output


def test_a_rule_broken_on_purpose_fails_with_the_difference(examples: Path) -> None:
    manifest = examples / "rules" / "onelogin" / "app-salesforce.yaml"
    manifest.write_text(manifest.read_text().replace('value: "90"', 'value: "180"'))
    result = run(examples)
    assert result.exit_code == 1
    assert "✗ fail carol, gone for 120 days, is suspended  (tests/rules/onelogin-salesforce.yaml:17:5)" in result.output
    assert "rules: expected [Suspend after 90 days without login], got none" in result.output
    assert "set_status: expected [2], got none" in result.output
    assert "11 passed, 1 failed" in result.output


def test_junit_xml_is_valid_and_carries_the_failure(examples: Path) -> None:
    vault = examples / "rules" / "vizivault" / "pii.yaml"
    vault.write_text(vault.read_text().replace("alertLevel: WARNING", "alertLevel: INFO"))
    report = examples / "results.xml"
    assert run(examples, "--junit", str(report)).exit_code == 1
    xml = junitparser.JUnitXml.fromfile(str(report))
    suites = {suite.name: suite for suite in xml}
    assert sorted(suites) == [
        f"tests/rules/{n}" for n in ("onelogin-salesforce.yaml", "primo-devices.yaml", "vizivault-rules.yaml")
    ]
    assert (xml.tests, xml.failures, xml.errors) == (12, 1, 0)
    failed = [case for case in suites["tests/rules/vizivault-rules.yaml"] if not case.is_passed]
    assert [case.name for case in failed] == ["SSN read from FR"]
    assert "alerts: expected [WARNING: An SSN was read], got [INFO: An SSN was read]" in failed[0].result[0].text


def test_target_and_k_narrow_the_run(examples: Path) -> None:
    result = run(examples, "--target", "primo-prod")
    assert "3 passed" in result.output and "onelogin" not in result.output
    result = run(examples, "-k", "SSN")
    assert "2 passed" in result.output
    result = run(examples, "-k", "*laptop*raises*")
    assert "3 passed" in result.output


BAD_TEST_FILES = {
    "unknown target": (
        "target: onelogin-prd\napp: 500100\ncases: []\n",
        "tests/rules/bad.yaml:1:9 target: unknown target 'onelogin-prd' (did you mean 'onelogin-prod'?)",
    ),
    "unknown app": (
        "target: onelogin-prod\napp: 500999\ncases: []\n",
        "tests/rules/bad.yaml:2:6 app: no manifest declares rules for app 500999 of target 'onelogin-prod'; "
        "manifests declare app 'Workday', app 500100",
    ),
    "unknown source": (
        "target: onelogin-prod\napp: 500100\ncases:\n  - name: x\n    input: {departmnet: Sales}\n    expect: {}\n",
        "tests/rules/bad.yaml:5:13 cases[0].input.departmnet: unknown condition source 'departmnet' "
        "(did you mean 'department'?)",
    ),
    "unknown attribute": (
        "target: vault-prod\ncases:\n  - name: x\n    input: {attributes: [SNN]}\n",
        "tests/rules/bad.yaml:4:26 cases[0].input.attributes[0]: no rule of the vault names attribute 'SNN' "
        "(did you mean 'SSN'?)",
    ),
    "unknown status": (
        "target: primo-prod\ncases:\n  - name: x\n    input: {status: {MDM_ONLINE: OFLINE}}\n",
        "tests/rules/bad.yaml:4:34 cases[0].input.status.MDM_ONLINE: 'OFLINE' is not one of the 34 allowed values "
        "(did you mean 'OFFLINE'?)",
    ),
    "unknown rule in expect": (
        "target: onelogin-prod\napp: 500100\ncases:\n  - name: x\n    input: {}\n    expect: {rules: [Admins]}\n",
        "tests/rules/bad.yaml:6:22 cases[0].expect.rules[0]: no rule of this app is named 'Admins'",
    ),
    "misspelt field": (
        "target: primo-prod\ncases:\n  - name: x\n    input: {}\n    expected: {}\n",
        "tests/rules/bad.yaml:5:5 cases[0].expected: unknown field 'expected' (did you mean 'expect'?)",
    ),
    "duplicate case name": (
        "target: primo-prod\ncases:\n  - {name: x, input: {}}\n  - {name: x, input: {}}\n",
        "tests/rules/bad.yaml:4:12 cases[1].name: case name 'x' is already used by cases[0] of this file",
    ),
    "cases missing": ("target: primo-prod\n", "tests/rules/bad.yaml:1:1 cases: required field is missing"),
}


@pytest.mark.parametrize("case", sorted(BAD_TEST_FILES))
def test_bad_test_files_are_located_errors(examples: Path, case: str) -> None:
    text, expected = BAD_TEST_FILES[case]
    (examples / "tests" / "rules" / "bad.yaml").write_text(text)
    result = run(examples)
    assert result.exit_code == 1
    assert f"error: {expected}" in result.output
    assert "Traceback" not in result.output


def test_record_writes_outcomes_into_cases_without_one_and_keeps_the_rest(examples: Path) -> None:
    new = examples / "tests" / "rules" / "new.yaml"
    new.write_text(
        "# inputs whose behaviour is recorded\n"
        "target: onelogin-prod\napp: 500100\ncases:\n"
        "  - name: erin\n    input: {has_role: ['340475'], department: Sales, member_of: [crm]}  # admin in sales\n"
        "  - name: hand-written\n    input: {department: Sales}\n    expect: {}\n"
    )
    unrecorded = run(examples, "-k", "erin")
    assert unrecorded.exit_code == 1 and "? no expectation erin" in unrecorded.output
    result = run(examples, "--record")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == "recorded: tests/rules/new.yaml::erin"
    text = new.read_text()
    assert "# inputs whose behaviour is recorded" in text and "# admin in sales" in text
    assert "    expect: {}\n" in text  # hand-written: untouched
    assert "recorded: true" in text and 'set_role: ["340476"]' in text
    assert run(examples, "-k", "erin").exit_code == 0


def test_an_operator_the_evaluator_cannot_run_is_located_in_the_manifest(examples: Path) -> None:
    manifest = examples / "rules" / "onelogin" / "app-salesforce.yaml"
    manifest.write_text(manifest.read_text().replace('operator: "~"', 'operator: "starts"'))
    result = run(examples)
    assert result.exit_code == 1
    assert (
        "error: rules/onelogin/app-salesforce.yaml:16:35 rules[1].conditions[1].operator: operator 'starts' cannot be "
        "evaluated offline; known: '=', '!=', '~', '!~', 'ri', '!ri', '>', '<', '>=', '<='"
    ) in result.output
