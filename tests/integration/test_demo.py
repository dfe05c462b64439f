"""The README's first command: the demo plans creates, updates and a reorder, applies, and converges."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import main

REPO = Path(__file__).resolve().parents[2]


def test_demo_converges_from_any_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no project here: the demo runs on the example shipped with reconciler
    result = CliRunner().invoke(main, ["--no-color", "demo"])
    assert result.exit_code == 0, result.output
    steps = result.output.split("$ reconciler ")[1:]
    assert [s.splitlines()[0] for s in steps] == [
        "validate",
        "test",
        "plan --detailed-exitcode",
        "apply --auto-approve",
        "plan --detailed-exitcode",
        "test --live",
    ]
    rule_tests, first_plan, apply, last_plan, live_tests = steps[1:]
    assert "Rule tests against the manifests: 12 passed, 0 failed." in rule_tests
    assert "(tests/rules/onelogin-salesforce.yaml:5:5)" in rule_tests  # the example's files, named as in it
    assert str(tmp_path) not in result.output and "(rules/onelogin/app-salesforce.yaml:" in first_plan
    assert Path.cwd() == tmp_path  # the demo goes back where it was started
    assert "~ SSN read from FR: alerts +WARNING: An SSN was read, -INFO: An SSN was read" in first_plan
    assert "Rule tests against the live rules: 12 passed, 0 failed." in live_tests
    assert "+ create" in first_plan and "~ update" in first_plan and "↕ reorder" in first_plan
    assert "(exit code 2)" in first_plan
    assert "0 failed, 0 skipped" in apply
    assert "No changes." in last_plan and "(exit code 0)" in last_plan


def test_python_dash_m_runs_the_cli() -> None:
    out = subprocess.run([sys.executable, "-m", "reconciler", "--help"], capture_output=True, text=True, check=True)
    for command in ("validate", "plan", "apply", "sandbox", "demo"):
        assert command in out.stdout
