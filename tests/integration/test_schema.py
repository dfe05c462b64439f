"""`reconciler schema` describes the manifest format: the example rules conform, broken ones do not."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner
from ruamel.yaml import YAML

from reconciler.cli import main
from reconciler.project.config import load_config

REPO = Path(__file__).resolve().parents[2]


def _schema(*args: str) -> dict[str, Any]:
    result = CliRunner().invoke(main, ["schema", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    schema = json.loads(result.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    return schema


def _yaml(text: str) -> Any:
    return YAML(typ="safe").load(text)


@pytest.fixture(scope="module")
def repo_schema() -> dict[str, Any]:
    return _schema("--config", str(REPO / "reconciler.yaml"))


@pytest.mark.parametrize("path", sorted((REPO / "rules").rglob("*.yaml")), ids=lambda p: p.name)
def test_example_rules_conform(repo_schema: dict[str, Any], path: Path) -> None:
    jsonschema.validate(_yaml(path.read_text(encoding="utf-8")), repo_schema)


BAD = {
    "unknown field": "target: primo-prod\nrules:\n  - {type: MDM_ONLINE, nonCompliantStatuses: [OFFLINE]}\n",
    "bad enum": "target: primo-prod\nrules:\n  - {type: MDM_ONLNE, nonCompliantStatus: [OFFLINE]}\n",
    "unknown target": "target: primo-staging\nrules:\n  - {type: MDM_ONLINE, nonCompliantStatus: [OFFLINE]}\n",
    "rule of another provider": "target: vault-prod\nrules:\n  - {type: MDM_ONLINE, nonCompliantStatus: [OFFLINE]}\n",
    "onelogin without app": "target: onelogin-prod\nrules:\n  - {name: x, actions: [{action: set_role}]}\n",
    "vizivault bad constraint": (
        "target: vault-prod\nrules:\n  - key: k\n    name: n\n    type: data\n"
        "    constraint: {type: geolocation, operator: any, countries: [US]}\n"
        "    action: {type: block}\n"
    ),
    "protect not a boolean": "target: primo-prod\nrules:\n  - {type: MDM_ONLINE, nonCompliantStatus: [], protect: 1}\n",
}


ONE_FOR_MANY_TENANTS = """\
target: onelogin-prod
app: {name: Salesforce}
rules:
  - name: Admins
    only_targets: [onelogin-prod]
    conditions: [{source: last_login, operator: ">", value: {var: DAYS}}]
    actions: [{action: set_role, value: [{name: Admin}, {var: EXTRA_ROLE}]}]
"""


def test_variables_names_and_target_filters_conform(repo_schema: dict[str, Any]) -> None:
    jsonschema.validate(_yaml(ONE_FOR_MANY_TENANTS), repo_schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(_yaml(ONE_FOR_MANY_TENANTS.replace("{var: DAYS}", "{var: DAYS, x: 1}")), repo_schema)


@pytest.mark.parametrize("case", sorted(BAD))
def test_broken_manifests_do_not_conform(repo_schema: dict[str, Any], case: str) -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(_yaml(BAD[case]), repo_schema)


def test_without_a_config_any_target_name_is_accepted(tmp_path: Path) -> None:
    schema = _schema("--config", str(tmp_path / "absent.yaml"))
    manifest = "target: anything\nrules:\n  - {type: MDM_ONLINE, nonCompliantStatus: [OFFLINE], protect: true}\n"
    jsonschema.validate(_yaml(manifest), schema)
    out = tmp_path / ".reconciler" / "manifest.schema.json"  # the folder is made on first use
    result = CliRunner().invoke(main, ["schema", "--config", str(tmp_path / "absent.yaml"), "--out", str(out)])
    assert result.exit_code == 0
    assert json.loads(out.read_text(encoding="utf-8")) == schema


def test_the_example_project_validates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(REPO / "rules", tmp_path / "rules")
    shutil.copy(REPO / "reconciler.yaml", tmp_path / "reconciler.yaml")
    config = load_config(tmp_path / "reconciler.yaml")
    for target in config.targets.values():
        for ref in [*target.spec.credentials.values(), target.spec.url]:
            if hasattr(ref, "env"):
                monkeypatch.setenv(ref.env, "https://example.invalid")
    result = CliRunner().invoke(main, ["validate", "--config", str(tmp_path / "reconciler.yaml")])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Valid: ")
