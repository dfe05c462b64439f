"""The GitHub Actions workflows lint clean (actionlint, zizmor offline) and keep the house rules:
least-privilege permissions on every job, actions pinned by commit, secrets only from `secrets.*`,
no expression pasted into a shell script, applies never overlapping."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

WORKFLOWS = Path(__file__).resolve().parents[2] / ".github" / "workflows"
FILES = sorted(WORKFLOWS.glob("*.yml"))
PINNED = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$")


def tool(name: str) -> str:
    path = shutil.which(name)
    assert path, f"{name} is missing: it comes with the test extras (pip install -e '.[test]')"
    return path


def load(path: Path) -> dict[str, Any]:
    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))


def steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def test_the_four_workflows_exist() -> None:
    assert [p.name for p in FILES] == ["apply.yml", "ci.yml", "drift.yml", "plan.yml"]


def test_actionlint_is_clean() -> None:
    tool("shellcheck")  # actionlint runs it over every run: script when it is on PATH, as on GitHub's runners
    result = subprocess.run(
        [tool("actionlint"), "-no-color", *map(str, FILES)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("persona", ["regular", "pedantic"])
def test_zizmor_is_clean(persona: str) -> None:
    result = subprocess.run(
        [tool("zizmor"), "--offline", "--no-progress", f"--persona={persona}", str(WORKFLOWS)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout, result.stdout


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_house_rules(path: Path) -> None:
    workflow = load(path)
    text = path.read_text(encoding="utf-8")
    assert workflow["permissions"] == {}  # nothing by default: each job asks for what it needs
    for name, job in workflow["jobs"].items():
        assert "permissions" in job, f"{path.name}: job {name} states no permissions"
        assert job.get("timeout-minutes"), f"{path.name}: job {name} has no timeout"
    for step in steps(workflow):
        if "uses" in step:
            assert PINNED.match(step["uses"]), f"{path.name}: {step['uses']} is not pinned to a commit"
        if "run" in step:
            assert "${{" not in step["run"], f"{path.name}: an expression inside run: (pass it through env:)"
        if step.get("uses", "").startswith("actions/checkout@"):
            assert step.get("with", {}).get("persist-credentials") is False
    for line in text.splitlines():
        if "uses:" in line:
            assert re.search(r"# v\d+\.\d+\.\d+$", line), f"{path.name}: no version comment on {line.strip()}"
    for expression in re.findall(r"\$\{\{([^}]*)\}\}", text):
        assert "secrets." not in expression or re.fullmatch(r"\s*secrets\.[A-Z_]+\s*", expression)


def test_apply_never_overlaps_and_runs_in_a_protected_environment() -> None:
    apply = load(WORKFLOWS / "apply.yml")
    assert apply["on"]["push"]["branches"] == ["main"]
    assert apply["concurrency"]["cancel-in-progress"] is False
    job = apply["jobs"]["apply"]
    assert job["environment"] == "production"
    assert any("apply --auto-approve" in s.get("run", "") for s in steps(apply))


def test_plan_runs_on_pull_request_never_pull_request_target() -> None:
    plan = load(WORKFLOWS / "plan.yml")
    assert set(plan["on"]) == {"pull_request"}
    comment = plan["jobs"]["comment"]
    assert "head.repo.full_name == github.repository" in comment["if"]  # forks' read-only tokens: skipped
    assert comment["permissions"] == {"pull-requests": "write"} and "steps" in comment
    assert not any("secrets." in str(s) for s in comment["steps"])  # the writing job holds no secret
    assert plan["jobs"]["plan"]["permissions"] == {"contents": "read"}


def test_drift_is_a_matrix_of_targets_from_the_cli() -> None:
    drift = load(WORKFLOWS / "drift.yml")
    assert "schedule" in drift["on"] and "workflow_dispatch" in drift["on"]
    assert any("reconciler targets --matrix" in s.get("run", "") for s in drift["jobs"]["targets"]["steps"])
    assert drift["jobs"]["sync"]["strategy"]["matrix"] == "${{ fromJSON(needs.targets.outputs.matrix) }}"
    assert any("reconciler sync" in s.get("run", "") for s in drift["jobs"]["sync"]["steps"])


def test_ci_runs_the_projects_ci_script() -> None:
    ci = load(WORKFLOWS / "ci.yml")
    assert {"push", "pull_request"} <= set(ci["on"])
    assert [s["run"] for s in steps(ci) if "run" in s] == ["bash .ci/run"]
