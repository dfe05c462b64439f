"""Shared fixtures: a real sandbox on loopback and a throwaway project pointed at it."""

from __future__ import annotations

import json
import os
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from reconciler.cli import main
from reconciler.sandbox import SandboxServer

PROVIDER_OF = {"primo-test": "primo", "vault-test": "vizivault", "onelogin-test": "onelogin"}
CREDENTIALS = {
    "primo": {"api_key": "api_key"},
    "vizivault": {"api_key": "api_key"},
    "onelogin": {"client_id": "client_id", "client_secret": "client_secret"},
}


@pytest.fixture(autouse=True, scope="session")
def lock_files_of_the_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Applies under test take their targets' lock files in the session's own folder: every sandbox has
    its own port, so each would otherwise leave a lock file in the user's temp folder."""
    from reconciler.runner.lock import LOCK_DIR_VARIABLE

    before = os.environ.get(LOCK_DIR_VARIABLE)
    os.environ[LOCK_DIR_VARIABLE] = str(tmp_path_factory.mktemp("locks"))
    yield
    if before is None:
        os.environ.pop(LOCK_DIR_VARIABLE, None)
    else:
        os.environ[LOCK_DIR_VARIABLE] = before


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer() as server:
        yield server


@dataclass
class Project:
    """A project folder with reconciler.yaml targeting sandbox tenants, and a CLI to run in it."""

    root: Path
    sandbox: SandboxServer
    env: dict[str, str]
    targets: dict[str, str] = field(default_factory=lambda: dict(PROVIDER_OF))  # target -> provider

    def write(self, relative: str, text: str) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    def run(self, *args: str, input: str | None = None) -> Result:
        runner = CliRunner()
        return runner.invoke(
            main,
            ["--no-color", *args[:1], "--config", str(self.root / "reconciler.yaml"), *args[1:]],
            env=self.env,
            input=input,
            catch_exceptions=False,
        )

    def plan_json(self, *args: str) -> dict[str, Any]:
        result = self.run("plan", "--json", *args)
        assert result.exit_code in (0, 2), result.output
        return json.loads(result.stdout)

    def tenant(self, target: str) -> Any:
        return self.sandbox.state.tenant(self.targets[target], target)


def make_project(root: Path, sandbox: SandboxServer, targets: dict[str, str] = PROVIDER_OF) -> Project:
    """A project in `root` whose targets (name -> provider) are sandbox tenants of the same names."""
    env: dict[str, str] = {}
    lines = ["version: 1", "targets:"]
    for target, provider in targets.items():
        tenant = sandbox.state.tenant(provider, target)
        lines += [
            f"  {target}:",
            f"    provider: {provider}",
            f"    url: {sandbox.url(provider, target)}",
            "    credentials:",
        ]
        for name, attribute in CREDENTIALS[provider].items():
            var = f"{target.upper().replace('-', '_')}_{name.upper()}"
            env[var] = getattr(tenant, attribute)
            lines.append(f"      {name}: {{env: {var}}}")
    (root / "reconciler.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (root / "rules").mkdir()
    return Project(root, sandbox, env, dict(targets))


@pytest.fixture
def project(tmp_path: Path, sandbox: SandboxServer) -> Project:
    return make_project(tmp_path, sandbox)
