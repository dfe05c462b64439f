"""The README's "a new provider in 3 files": a provider class and its evaluator added to the registry,
and nothing else, are picked up by config validation, manifest loading, the JSON Schema, plan, apply,
import and the rule tests.

The new provider is Primo's API under another name, served by the sandbox's Primo emulator. It is
registered in a fresh process before anything reads the registry, as an edit of `registry.py` is.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import Project

REGISTERED = """
import sys
from reconciler.providers import registry
from reconciler.providers.primo import PrimoProvider
from reconciler.providers.primo_evaluator import PrimoEvaluator

class AcmeProvider(PrimoProvider):
    name = "acme"

registry.PROVIDERS["acme"] = AcmeProvider
registry.EVALUATORS["acme"] = PrimoEvaluator
from reconciler.cli.main import main
main(sys.argv[1:], prog_name="reconciler")
"""

MANIFEST = "target: acme-test\nrules:\n  - {type: MDM_ONLINE, nonCompliantStatus: [OFFLINE_7_DAYS]}\n"
CASES = """target: acme-test
cases:
  - name: a laptop offline for a week raises the alert
    input: {status: {MDM_ONLINE: OFFLINE_7_DAYS}}
    expect: {alerts: [MDM_ONLINE]}
"""


def test_a_provider_in_the_registry_alone_runs_every_command(project: Project) -> None:
    tenant = project.sandbox.state.tenant("primo", "acme-test")
    project.write(
        "reconciler.yaml",
        f"""\
        version: 1
        targets:
          acme-test:
            provider: acme
            url: {project.sandbox.url("primo", "acme-test")}
            credentials:
              api_key: {{env: ACME_KEY}}
        """,
    )
    project.write("rules/acme.yaml", MANIFEST)
    project.write("tests/rules/acme.yaml", CASES)
    env = {**os.environ, "ACME_KEY": tenant.api_key, "NO_COLOR": "1"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-c", REGISTERED, args[0], "--config", str(project.root / "reconciler.yaml")]
        return subprocess.run([*command, *args[1:]], env=env, cwd=project.root, capture_output=True, text=True)

    assert run("validate").returncode == 0
    schema = run("schema")
    assert schema.returncode == 0 and '"acme-test"' in schema.stdout, schema.stderr  # its targets' branch
    plan = run("plan", "--json")
    assert plan.returncode == 0, plan.stderr
    assert json.loads(plan.stdout)["summary"]["create"] == 1
    applied = run("apply", "--auto-approve")
    assert applied.returncode == 0 and "Verified" in applied.stdout, applied.stdout + applied.stderr
    assert list(tenant.rules) == ["MDM_ONLINE"]
    assert run("plan", "--detailed-exitcode").returncode == 0
    imported = run("import", "-t", "acme-test", "--dry-run")
    assert imported.returncode == 0 and "Nothing to write" in imported.stdout, imported.stdout + imported.stderr
    tested = run("test", "--live")
    assert tested.returncode == 0 and "1 passed" in tested.stdout, tested.stdout + tested.stderr
    config = project.root / "reconciler.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("api_key:", "apikey:"), encoding="utf-8")
    refused = run("validate")
    assert refused.returncode == 1 and "did you mean 'api_key'" in refused.stderr
