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


def job_steps(workflow: dict[str, Any], job: str) -> list[dict[str, Any]]:
    return workflow["jobs"][job]["steps"]


def script(workflow: dict[str, Any], job: str, name: str) -> str:
    return next(s["run"] for s in job_steps(workflow, job) if s.get("name") == name)


def test_plan_runs_on_pull_request_never_pull_request_target() -> None:
    plan = load(WORKFLOWS / "plan.yml")
    assert set(plan["on"]) == {"pull_request"}
    assert {"labeled", "unlabeled", "synchronize"} <= set(plan["on"]["pull_request"]["types"])  # labels feed policies
    comment = plan["jobs"]["comment"]
    assert "head.repo.full_name == github.repository" in comment["if"]  # forks' read-only tokens: skipped
    assert comment["permissions"] == {"pull-requests": "write"} and "steps" in comment
    assert not any("secrets." in str(s) for s in comment["steps"])  # the writing job holds no secret
    assert plan["jobs"]["plan"]["permissions"] == {"contents": "read"}


def test_plan_is_skipped_only_for_forks_and_a_failed_plan_is_red() -> None:
    plan = load(WORKFLOWS / "plan.yml")
    run = script(plan, "plan", "Validate and plan")
    step = next(s for s in job_steps(plan, "plan") if s.get("name") == "Validate and plan")
    assert step["env"]["HEAD_REPO"] == "${{ github.event.pull_request.head.repo.full_name }}"
    skip = run.index('if [ "$HEAD_REPO" != "$REPO" ]; then')
    assert run.index("exit 0", skip) < run.index("fi", skip)  # the one early success: a fork
    assert run.count("exit 0") == 1
    assert "reconciler validate >" not in run  # a missing credential is no longer taken for a fork
    assert "--detailed-exitcode" in run and 'exit "$status"' in run  # 1 fails the check, 2 is a plan
    assert "--base-config" in run and "git show HEAD^1:reconciler.yaml" in run
    assert "--markdown-parts plan/comment" in run


def test_plan_comment_is_updated_in_place_and_reviewers_are_told_of_a_changed_plan() -> None:
    plan = load(WORKFLOWS / "plan.yml")
    run = script(plan, "comment", "Post or update the plan comments")
    assert '--method PATCH "repos/$REPO/issues/comments/$id"' in run
    assert "--method DELETE" in run  # parts a shorter plan no longer needs
    assert '[ "$old_digests" != "$new_digests" ]' in run and "reconciler:plan-changed" in run
    assert "HEAD_SHA" in run and "RUN_URL" in run and "date -u" in run  # commit, run and time


def test_apply_applies_the_plan_file_shown_to_the_approver() -> None:
    apply = load(WORKFLOWS / "apply.yml")
    assert apply["on"]["push"]["branches"] == ["main"]
    assert "docs/**" not in apply["on"]["push"]["paths"] and "rules/**" in apply["on"]["push"]["paths"]
    assert apply["concurrency"] == {"group": "reconciler-apply", "cancel-in-progress": False, "queue": "max"}
    plan_run = script(apply, "plan", "Plan")
    assert '--out "plans/$target.json"' in plan_run and "GITHUB_STEP_SUMMARY" in plan_run
    assert apply["jobs"]["plan"].get("environment") is None  # planned with read keys, before any approval
    # Run by hand from a branch, nothing is planned nor applied: production gets what main says.
    assert "github.ref == 'refs/heads/main'" in apply["jobs"]["plan"]["if"]
    paths = {"reconciler.yaml", "rules/**", "policies/**", ".github/workflows/apply.yml"}
    assert set(apply["on"]["push"]["paths"]) == paths
    job = apply["jobs"]["apply"]
    assert job["environment"] == "production" and job["needs"] == "plan"
    assert job["concurrency"] == {
        "group": "reconciler-write-${{ matrix.target }}",
        "cancel-in-progress": False,
        "queue": "max",
    }
    downloads = [s for s in job["steps"] if s.get("uses", "").startswith("actions/download-artifact@")]
    assert [d["with"]["name"] for d in downloads] == ["plans"]
    run = script(apply, "apply", "Apply the plan shown to the approver")
    assert 'reconciler apply "plans/$TARGET.json" --auto-approve' in run
    assert "reconciler plan" not in run  # never a fresh plan: the file the approver saw
    assert "compare.md" in run  # the summary says how it compares with the pull request's plan
    assert apply["on"]["workflow_dispatch"]["inputs"]["force"]["type"] == "boolean"
    assert any(s.get("env", {}).get("FORCE") == "${{ inputs.force }}" for s in job["steps"])


def test_a_failed_apply_comments_on_the_pull_request_and_keeps_one_labelled_issue() -> None:
    apply = load(WORKFLOWS / "apply.yml")
    job = apply["jobs"]["report"]
    assert set(job["needs"]) == {"plan", "apply"}
    assert job["permissions"] == {"issues": "write", "pull-requests": "write"}
    run = script(apply, "report", "Comment on the pull request, open or update the apply issue")
    assert "label=reconciler-apply" in run and '--label "$label"' in run
    assert 'gh pr comment "$PR"' in run and 'gh issue comment "$number"' in run


def test_drift_is_a_matrix_of_targets_from_the_cli() -> None:
    drift = load(WORKFLOWS / "drift.yml")
    assert "schedule" in drift["on"] and "workflow_dispatch" in drift["on"]
    assert any("reconciler targets --matrix" in s.get("run", "") for s in drift["jobs"]["targets"]["steps"])
    assert drift["jobs"]["sync"]["strategy"]["matrix"] == "${{ fromJSON(needs.targets.outputs.matrix) }}"
    assert drift["jobs"]["sync"]["if"] == "${{ needs.targets.outputs.any == 'true' }}"  # no targets: no empty matrix
    assert any("reconciler sync" in s.get("run", "") for s in drift["jobs"]["sync"]["steps"])


def test_drift_issues_are_found_by_label_and_every_outcome_reaches_one() -> None:
    drift = load(WORKFLOWS / "drift.yml")
    job = drift["jobs"]["issues"]
    assert "!cancelled()" in job["if"] and set(job["needs"]) == {"targets", "sync"}
    run = script(drift, "issues", "Open, comment on or close the drift issues")
    assert "label=reconciler-drift" in run and '--label "$label"' in run
    assert "--search" not in run and "in:title" not in run
    assert 'gh issue comment "$number"' in run and "gh issue edit" not in run  # comments notify, edits do not
    assert "failed()" in run and "none)" in run  # errors and jobs that never ran open or update an issue too


def test_writers_share_one_concurrency_group_per_target() -> None:
    apply = load(WORKFLOWS / "apply.yml")
    drift = load(WORKFLOWS / "drift.yml")
    assert apply["jobs"]["apply"]["concurrency"]["group"] == drift["jobs"]["sync"]["concurrency"]["group"]
    assert "--repair" in script(drift, "sync", "Sync")
    # A repair run by hand that waits for the group is never dropped for the next scheduled check.
    assert drift["concurrency"] == {"group": "reconciler-drift", "cancel-in-progress": False, "queue": "max"}
    assert drift["jobs"]["sync"]["concurrency"]["queue"] == "max"
    assert "production" in drift["jobs"]["sync"]["environment"]  # a repair writes after the same approval


def test_ci_runs_once_per_change_on_each_python() -> None:
    ci = load(WORKFLOWS / "ci.yml")
    assert ci["on"]["push"] == {"branches": ["main"]} and "pull_request" in ci["on"]
    assert ci["jobs"]["test"]["strategy"]["matrix"]["python"] == ["3.11", "3.12", "3.13", "3.14"]
    assert ci["concurrency"]["cancel-in-progress"] == "${{ github.ref != 'refs/heads/main' }}"
    assert [s["run"] for s in steps(ci) if "run" in s] == ["bash .ci/run"]
