"""Writers to one target: a second local run is warned by the lock, and an apply stopped by Ctrl-C or
SIGTERM exits 130 or 143 saying what it applied and what it did not."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from reconciler.project.config import load_config
from reconciler.runner.lock import LOCK_DIR_VARIABLE, hold_target_locks
from tests.conftest import Project

RULES = 12


def many_rules(project: Project) -> None:
    project.tenant("onelogin-test").add_app(7, "App")
    lines = ["target: onelogin-test", "app: 7", "rules:"]
    for index in range(RULES):
        lines += [
            f"  - name: r{index}",
            '    conditions: [{source: has_role, operator: ri, value: "340475"}]',
            '    actions: [{action: set_role, value: ["340476"]}]',
        ]
    project.write("rules/app.yaml", "\n".join(lines) + "\n")


def test_apply_warns_when_another_run_holds_the_targets_lock(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(LOCK_DIR_VARIABLE, str(tmp_path / "locks"))
    many_rules(project)
    target = load_config(project.root / "reconciler.yaml").targets["onelogin-test"]
    with hold_target_locks([target], "apply") as held:
        assert held == []
        result = project.run("apply", "--auto-approve")
    assert result.exit_code == 0, result.output
    assert "warning: target 'onelogin-test' is being written by another reconciler run on this machine" in result.output
    assert "Verified" in result.output  # it went on, and read back what it wrote
    clean = project.run("sync", "--repair", "--auto-approve")
    assert clean.exit_code == 0 and "being written by another" not in clean.output


@pytest.mark.parametrize(
    ("sent", "status", "writer"),
    [(signal.SIGINT, 130, ["apply"]), (signal.SIGTERM, 143, ["apply"]), (signal.SIGTERM, 143, ["sync", "--repair"])],
)
def test_an_interrupted_apply_says_what_it_applied_and_what_it_did_not(
    project: Project, tmp_path: Path, sent: signal.Signals, status: int, writer: list[str]
) -> None:
    many_rules(project)
    project.sandbox.faults.update({"latency_ms": 100})  # OneLogin creates run one after another
    env = {**os.environ, **project.env, LOCK_DIR_VARIABLE: str(tmp_path / "locks")}
    command = [sys.executable, "-m", "reconciler", "--no-color", *writer]
    command += ["--config", str(project.root / "reconciler.yaml"), "--auto-approve"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        while project.sandbox.stats.writes < 2 and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.02)
        process.send_signal(sent)
        stdout, stderr = process.communicate(timeout=20)
    finally:
        process.kill()
    assert process.returncode == status, stdout + stderr
    assert f"Interrupted by {sent.name} during the apply: " in stderr
    applied = stderr.count('✓ applied create "r')
    not_applied = stderr.count('· not applied create "r')
    assert applied >= 1 and not_applied >= 1 and applied + not_applied == RULES
    assert "· not applied reorder" not in stderr  # creates in manifest order need no sort
    assert "Traceback" not in stderr and "Aborted!" not in stderr
    live = [r["name"] for r in project.tenant("onelogin-test").rules(7)]
    assert applied <= len(live) <= applied + 1  # one write may have been in flight
    project.sandbox.faults.update({"latency_ms": 0})
    finish = project.run("apply", "--auto-approve")
    assert finish.exit_code == 0, finish.output  # the next apply converges, with no duplicate
    assert sorted(r["name"] for r in project.tenant("onelogin-test").rules(7)) == sorted(f"r{i}" for i in range(RULES))


def test_two_applies_at_once_end_with_no_duplicate(project: Project, tmp_path: Path) -> None:
    many_rules(project)
    project.sandbox.faults.update({"latency_ms": 30})  # long enough for the two runs to overlap
    env = {**os.environ, **project.env, LOCK_DIR_VARIABLE: str(tmp_path / "locks")}
    command = [sys.executable, "-m", "reconciler", "--no-color", "apply"]
    command += ["--config", str(project.root / "reconciler.yaml"), "--auto-approve"]
    runs = [
        subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for _ in "ab"
    ]
    outputs = [run.communicate(timeout=60)[0] for run in runs]
    names = [r["name"] for r in project.tenant("onelogin-test").rules(7)]
    assert sorted(names) == sorted(f"r{i}" for i in range(RULES)), outputs  # each rule once
    for run, output in zip(runs, outputs, strict=True):
        # Each run read back what it wrote: verified (deleting the other's copies if it found them), or
        # said what differed when the other run was still writing.
        assert run.returncode == 0 or "✗ Verify" in output or "✗ failed" in output, output
        assert "Verified" in output or "✗ Verify" in output, output
