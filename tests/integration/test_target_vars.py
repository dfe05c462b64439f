"""One manifest for several targets: `{var: NAME}` takes each target's own value, and a rule may be
limited to some targets (`only_targets` / `except_targets`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from reconciler.sandbox import SandboxServer
from tests.conftest import Project, make_project

TARGETS = {"vault-staging": "vizivault", "vault-prod": "vizivault", "primo-prod": "primo"}


def set_vars(project: Project, values: dict[str, dict[str, Any]]) -> None:
    """Give targets `vars:` in the project's reconciler.yaml."""
    yaml = YAML()
    path = project.root / "reconciler.yaml"
    config = yaml.load(path)
    for target, target_vars in values.items():
        config["targets"][target]["vars"] = target_vars
    yaml.dump(config, path)


@pytest.fixture
def vaults(tmp_path: Path, sandbox: SandboxServer) -> Project:
    project = make_project(tmp_path, sandbox, TARGETS)
    set_vars(
        project,
        {"vault-staging": {"LEVEL": "INFO", "DAYS": 30}, "vault-prod": {"LEVEL": "DANGER", "DAYS": 365}},
    )
    return project


RULES = """\
targets: [vault-staging, vault-prod]
rules:
  - key: ssnRead
    name: SSN read alert
    type: activity
    constraint: {type: eventType, eventTypes: [READ]}
    action: {type: alert, alertLevel: {var: LEVEL}, message: read}
  - key: keep
    name: Keep a while
    type: data
    constraint: {type: attribute, operator: any, attributes: [NAME]}
    action: {type: retention, daysSinceStore: {var: DAYS}}
  - key: prodOnly
    name: Block in prod
    only_targets: [vault-prod]
    type: data
    constraint: {type: attribute, operator: any, attributes: [SSN]}
    action: {type: block}
  - key: notProd
    name: Tag outside prod
    except_targets: vault-prod
    type: data
    constraint: {type: attribute, operator: any, attributes: [SSN]}
    action: {type: tag, tag: test}
"""


def _bodies(plan: dict[str, Any], target: str) -> dict[str, Any]:
    (scope,) = [s for s in plan["scopes"] if s["target"] == target]
    return {c["identity"]: c["body"] for c in scope["changes"]}


def test_each_target_gets_its_own_values_and_rules(vaults: Project) -> None:
    vaults.write("rules/vault.yaml", RULES)
    plan = vaults.plan_json()
    staging, prod = _bodies(plan, "vault-staging"), _bodies(plan, "vault-prod")
    assert staging["ssnRead"]["action"]["alertLevel"] == "INFO"
    assert prod["ssnRead"]["action"]["alertLevel"] == "DANGER"
    assert (staging["keep"]["action"]["daysSinceStore"], prod["keep"]["action"]["daysSinceStore"]) == (30, 365)
    assert sorted(staging) == ["keep", "notProd", "ssnRead"]
    assert sorted(prod) == ["keep", "prodOnly", "ssnRead"]
    assert vaults.run("apply", "--auto-approve").exit_code == 0
    assert not vaults.plan_json()["summary"]["create"]
    assert vaults.plan_json()["summary"]["update"] == 0


def test_a_value_from_a_variable_is_checked_like_one_written_there(vaults: Project) -> None:
    set_vars(vaults, {"vault-prod": {"LEVEL": "PANIC", "DAYS": 365}})
    vaults.write("rules/vault.yaml", RULES)
    result = vaults.run("validate")
    assert result.exit_code == 1
    assert "rules/vault.yaml:7:27 rules[0].action.alertLevel: 'PANIC' is not allowed" in result.output
    assert result.output.count("alertLevel") == 1


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            ("{var: DAYS}", "{var: WEEKS}"),
            "rules/vault.yaml:12:31 rules[1].action.daysSinceStore: variable 'WEEKS' is not set for target "
            "'vault-staging' (targets.vault-staging.vars in ",
        ),
        (
            ("{var: DAYS}", "{var: 7days}"),
            "rules/vault.yaml:12:31 rules[1].action.daysSinceStore: a variable reference is {var: NAME}: "
            "'7days' is not a variable name (letters, digits, '_')",
        ),
        (
            ("{var: DAYS}", "{var: DAYS, default: 3}"),
            "rules/vault.yaml:12:31 rules[1].action.daysSinceStore: a variable reference is {var: NAME} alone; "
            "also given: default",
        ),
        (
            ("only_targets: [vault-prod]", "only_targets: [vault-prd]"),
            "rules/vault.yaml:15:20 rules[2].only_targets[0]: 'vault-prd' is not a target of this file "
            "(did you mean 'vault-prod'?)",
        ),
        (
            ("only_targets: [vault-prod]", "only_targets: [primo-prod]"),
            "rules/vault.yaml:15:20 rules[2].only_targets[0]: 'primo-prod' is not a target of this file; "
            "this file's targets: vault-staging, vault-prod",
        ),
        (
            ("except_targets: vault-prod", "except_targets: {name: vault-prod}"),
            "rules/vault.yaml:21:5 rules[3].except_targets: must be a target name or a list of names",
        ),
        (
            ("only_targets: [vault-prod]", "only_targets: [vault-prod]\n    except_targets: [vault-staging]"),
            "rules/vault.yaml:16:5 rules[2].except_targets: give 'only_targets' or 'except_targets', not both",
        ),
    ],
)
def test_bad_variables_and_target_filters_are_located_and_nothing_is_written(
    vaults: Project, edit: tuple[str, str], message: str
) -> None:
    vaults.write("rules/vault.yaml", RULES.replace(*edit))
    for command in (("validate",), ("apply", "--auto-approve")):
        result = vaults.run(*command)
        assert result.exit_code == 1
        assert f"error: {message}" in result.output
        assert result.output.count("error:") == (2 if "is not set" in message else 1)  # missing for both targets
    assert vaults.sandbox.stats.total == 0


def test_a_missing_variable_of_a_target_outside_the_run_is_not_its_problem(vaults: Project) -> None:
    set_vars(vaults, {"vault-prod": {"LEVEL": "DANGER"}})
    vaults.write("rules/vault.yaml", RULES)
    assert vaults.run("validate", "-t", "vault-staging").exit_code == 0
    result = vaults.run("validate")
    assert result.exit_code == 1
    assert "variable 'DAYS' is not set for target 'vault-prod'" in result.output


def test_variables_are_checked_in_the_config(vaults: Project) -> None:
    set_vars(vaults, {"vault-prod": {"2x": 1, "OK": {"nested": True}}})
    result = vaults.run("validate")
    assert result.exit_code == 1
    assert "targets.vault-prod.vars: '2x' is not a variable name" in result.output
    set_vars(vaults, {"vault-prod": {"OK": {"nested": True}}})
    result = vaults.run("validate")
    assert "targets.vault-prod.vars: variable 'OK' must be a text, number, true/false, or a list of those" in (
        result.output
    )
