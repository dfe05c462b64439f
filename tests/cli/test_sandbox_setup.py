"""`reconciler sandbox` prints a reconciler.yaml and the `export` lines that make a client of it: pasted
as they are, next to the example rules, `plan` reads every tenant."""

from __future__ import annotations

import shlex
from pathlib import Path

from click.testing import CliRunner

from reconciler.cli import main
from reconciler.cli.demo import example_config
from reconciler.sandbox import SandboxServer
from reconciler.sandbox.cli import client_setup, target_names


def test_the_printed_config_and_exports_plan_the_example_rules(sandbox: SandboxServer, tmp_path: Path) -> None:
    for provider, name in (("primo", "primo-prod"), ("vizivault", "vault-prod"), ("onelogin", "onelogin-prod")):
        sandbox.state.tenant(provider, name)
    onelogin = sandbox.state.tenant("onelogin", "onelogin-prod")
    onelogin.add_app(500100, "Salesforce")  # the apps the example manifests name, as the README starts it
    onelogin.add_app(500200, "Workday")
    tenants = [t for t in sandbox.state.tenants() if t.name.endswith("-prod")]
    config, exports = client_setup(sandbox, tenants)
    (tmp_path / "reconciler.yaml").write_text(config, encoding="utf-8")
    (tmp_path / "rules").symlink_to(example_config().parent / "rules")
    env = dict(line.removeprefix("export ").split("=", 1) for line in exports)
    env = {name: shlex.split(value)[0] for name, value in env.items()}
    result = CliRunner().invoke(
        main, ["--no-color", "plan", "--detailed-exitcode", "--config", str(tmp_path / "reconciler.yaml")], env=env
    )
    assert result.exit_code == 2, result.output  # every example rule is to be created
    assert "could not read" not in result.output


def test_targets_are_named_after_tenants_and_told_apart_by_provider_when_names_repeat(sandbox: SandboxServer) -> None:
    tenants = [sandbox.state.tenant("primo", "same"), sandbox.state.tenant("onelogin", "same")]
    tenants.append(sandbox.state.tenant("vizivault", "vault-only"))
    assert target_names(tenants) == ["primo-same", "onelogin-same", "vault-only"]
