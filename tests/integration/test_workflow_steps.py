"""Dry runs of the workflows' shell steps, as GitHub runs them (`bash -e -o pipefail`), with a fake
`reconciler` and a fake `gh` on PATH: what each step posts, opens, closes and fails on."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.integration.fakes.steps import NEEDS_JQ, RUN_URL, Step, bot, digest_line, plan_markdown

pytestmark = NEEDS_JQ


# ---- plan.yml ----------------------------------------------------------------------------------------


def plan_step(tmp_path: Path, **reconciler: Any) -> Step:
    return Step("plan.yml", "plan", "Validate and plan", tmp_path, reconciler=reconciler)


def test_a_fork_is_validated_and_skipped_green_with_the_reason(tmp_path: Path) -> None:
    step = plan_step(tmp_path)
    result = step.run(HEAD_REPO="someone/fork", REPO="o/r")
    assert result.returncode == 0, result.stderr
    assert step.reconciler_calls() == [["validate", "--no-credentials"]]
    assert "Plan skipped: this pull request comes from a fork (someone/fork)" in step.summary()


def test_a_missing_credential_on_a_same_repository_pull_request_is_red_and_commented(tmp_path: Path) -> None:
    error = "error: reconciler.yaml:6:16 targets.vault.credentials.api_key: environment variable VAULT_KEY is not set\n"
    step = plan_step(tmp_path, plan={"exit": 1, "stderr": error})
    result = step.run(HEAD_REPO="o/r", REPO="o/r")
    assert result.returncode == 1
    comment = step.file("plan/comment/part-001.md")
    assert comment.startswith("<!-- reconciler:plan -->\n") and "**The plan failed" in comment
    assert "environment variable VAULT_KEY is not set" in comment and "VAULT_KEY is not set" in step.summary()
    (call,) = step.reconciler_calls()
    assert call[:2] == ["plan", "--detailed-exitcode"] and "--base-config" in call


def test_a_plan_with_changes_is_green_and_ready_for_the_comment(tmp_path: Path) -> None:
    step = plan_step(tmp_path, plan={"exit": 2, "markdown": plan_markdown()})
    result = step.run(HEAD_REPO="o/r", REPO="o/r")
    assert result.returncode == 0, result.stderr
    assert step.file("plan/comment/part-001.md") == plan_markdown()
    assert "**Plan: 1 to create**" in step.summary()


def comment_step(tmp_path: Path, existing: list[dict[str, Any]], parts: list[str]) -> Step:
    step = Step("plan.yml", "comment", "Post or update the plan comments", tmp_path)
    step.gh_state = {"comments": existing}
    for number, text in enumerate(parts, start=1):
        step.write(f"comment/part-{number:03d}.md", text)
    return step


def run_comment(step: Step) -> subprocess.CompletedProcess[str]:
    return step.run(GH_TOKEN="t", REPO="o/r", PR="12", HEAD_SHA="abcdef1234567", RUN_URL=RUN_URL, RUN_NUMBER="7")


def test_the_first_plan_comment_names_commit_run_and_time(tmp_path: Path) -> None:
    step = comment_step(tmp_path, [], [plan_markdown()])
    assert run_comment(step).returncode == 0
    (posted,) = step.gh()["comments"]
    assert posted["body"].startswith("<!-- reconciler:plan -->\n_Plan of abcdef1, [run 7](" + RUN_URL + "), 20")
    assert "UTC_" in posted["body"].splitlines()[1]


def test_a_push_that_keeps_the_plan_updates_in_place_and_drops_parts_no_longer_needed(tmp_path: Path) -> None:
    existing = [bot(1, plan_markdown()), bot(2, "<!-- reconciler:plan part 2 -->\nold"), bot(3, "a person's")]
    existing[2]["user"] = {"login": "reviewer"}
    step = comment_step(tmp_path, existing, [plan_markdown()])
    assert run_comment(step).returncode == 0, step.gh()
    comments = step.gh()["comments"]
    assert [c["id"] for c in comments] == [1, 3]  # part 2 deleted, nothing new posted
    assert "Plan of abcdef1" in comments[0]["body"]


def test_a_push_that_changes_the_plan_tells_the_reviewers_in_a_new_comment(tmp_path: Path) -> None:
    step = comment_step(
        tmp_path,
        [bot(1, plan_markdown(digest="aa"))],
        [plan_markdown(digest="bb"), "<!-- reconciler:plan part 2 -->\nmore\n"],
    )
    assert run_comment(step).returncode == 0
    comments = step.gh()["comments"]
    assert [c["body"].splitlines()[0] for c in comments] == [
        "<!-- reconciler:plan -->",
        "<!-- reconciler:plan part 2 -->",
        "<!-- reconciler:plan-changed -->",
    ]
    assert "The plan changed with commit abcdef1" in comments[2]["body"]
    assert "[read the updated plan](https://github.test/comment/1)" in comments[2]["body"]


def test_a_plan_job_that_left_nothing_still_gets_a_comment(tmp_path: Path) -> None:
    step = comment_step(tmp_path, [], [])
    assert run_comment(step).returncode == 0
    (posted,) = step.gh()["comments"]
    assert "The plan job failed before it could plan" in posted["body"]


# ---- apply.yml ---------------------------------------------------------------------------------------


def test_the_merge_plan_is_compared_with_the_plan_the_pull_request_showed(tmp_path: Path) -> None:
    find = Step("apply.yml", "plan", "Find the plan shown on the pull request", tmp_path)
    find.gh_state = {
        "pulls": [{"number": 12, "merged_at": "2026-12-01T00:00:00Z"}],
        "comments": [bot(1, plan_markdown("vault", "aa") + digest_line("primo", "cc") + "\n")],
    }
    assert find.run(GH_TOKEN="t", REPO="o/r", SHA="abc", EVENT="push").returncode == 0
    assert find.outputs()["pr"] == "12"
    plan = Step("apply.yml", "plan", "Plan", tmp_path)
    plan.reconciler = {
        "targets": {"stdout": "vault\nprimo\nquiet\n"},
        "plan vault": {"exit": 2, "markdown": plan_markdown("vault", "aa")},
        "plan primo": {"exit": 2, "markdown": plan_markdown("primo", "dd")},
        "plan quiet": {"exit": 0, "markdown": plan_markdown("quiet", "ee")},
    }
    result = plan.run(PR="12", EVENT="push")
    assert result.returncode == 0, result.stderr
    outputs = plan.outputs()
    assert json.loads(outputs["matrix"]) == {"include": [{"target": "vault"}, {"target": "primo"}]}  # quiet asks no one
    assert outputs["changed"] == "true"
    assert plan.file("plans/vault.compare.md").startswith("The same changes as the plan last shown on pull request #12")
    assert plan.file("plans/primo.compare.md").startswith("**Not the plan last shown on pull request #12**")
    assert [
        "plan",
        "--target",
        "vault",
        "--detailed-exitcode",
        "--out",
        "plans/vault.json",
        "--markdown",
        "plans/vault.md",
    ] in plan.reconciler_calls()
    assert "## `primo`" in plan.summary()


def test_a_failed_merge_plan_fails_the_job_and_an_empty_config_applies_nothing(tmp_path: Path) -> None:
    failing = Step("apply.yml", "plan", "Plan", tmp_path / "a")
    failing.root.mkdir()
    failing.write("plans/reviewed.txt", "")
    failing.reconciler = {"targets": {"stdout": "vault\n"}, "plan vault": {"exit": 1, "stderr": "error: HTTP 401\n"}}
    assert failing.run(PR="", EVENT="workflow_dispatch").returncode == 1
    assert failing.outputs()["changed"] == "false" and "error: HTTP 401" in failing.summary()
    empty = Step("apply.yml", "plan", "Plan", tmp_path / "b")
    empty.root.mkdir()
    empty.write("plans/reviewed.txt", "")
    empty.reconciler = {"targets": {"stdout": ""}}
    assert empty.run(PR="", EVENT="push").returncode == 0
    assert empty.outputs() == {"matrix": '{"include":[]}', "changed": "false"}
    assert "No targets in reconciler.yaml" in empty.summary()


@pytest.mark.parametrize(("force", "extra"), [("true", ["--force"]), ("", [])])
def test_the_apply_job_applies_the_downloaded_plan_file(tmp_path: Path, force: str, extra: list[str]) -> None:
    step = Step("apply.yml", "apply", "Apply the plan shown to the approver", tmp_path)
    step.write("plans/vault.json", "{}")
    step.write("plans/vault.compare.md", "The same changes as the plan last shown on pull request #12.\n")
    step.reconciler = {"apply": {"exit": 1, "stdout": '✗ failed create "r"\n'}}
    assert step.run(TARGET="vault", FORCE=force).returncode == 1
    assert step.reconciler_calls() == [["apply", "plans/vault.json", "--auto-approve", *extra]]
    report = step.file("report/vault.md")
    assert report.startswith("### Apply of `vault`: exit 1") and "pull request #12" in report and "✗ failed" in report


def report_step(tmp_path: Path, issues: list[dict[str, Any]]) -> Step:
    step = Step("apply.yml", "report", "Comment on the pull request, open or update the apply issue", tmp_path)
    step.gh_state = {"issues": issues}
    step.write("report/vault.md", "### Apply of `vault`: exit 1\n")
    return step


def run_report(step: Step, plan: str, apply: str, pr: str = "12") -> None:
    result = step.run(
        GH_TOKEN="t", REPO="o/r", PR=pr, SHA="abcdef1234", PLAN_RESULT=plan, APPLY_RESULT=apply, RUN_URL=RUN_URL
    )
    assert result.returncode == 0, result.stderr


def test_a_failed_apply_comments_on_the_pull_request_and_opens_one_labelled_issue(tmp_path: Path) -> None:
    step = report_step(tmp_path, [])
    run_report(step, "success", "failure")
    state = step.gh()
    assert [c["pr"] for c in state["pr_comments"]] == ["12"] and "Apply of `vault`: exit 1" in state["pr_comments"][0][
        "body"
    ]
    (issue,) = state["issues"]
    assert issue["labels"] == ["reconciler-apply"] and issue["title"] == "reconciler apply failed on main"


def test_a_second_failure_comments_on_the_open_issue_and_a_clean_apply_closes_it(tmp_path: Path) -> None:
    open_issue = {
        "number": 5,
        "title": "edited by someone",
        "labels": ["reconciler-apply"],
        "state": "open",
        "body": "",
        "comments": [],
    }
    step = report_step(tmp_path / "a", [open_issue])
    run_report(step, "failure", "skipped", pr="")
    state = step.gh()
    assert len(state["issues"]) == 1 and "Apply of `vault`: exit 1" in state["issues"][0]["comments"][0]
    assert "pr_comments" not in state  # a run by hand has no pull request
    closing = report_step(tmp_path / "b", [open_issue])
    run_report(closing, "success", "success")
    assert closing.gh()["issues"][0]["state"] == "closed"


def test_a_plan_with_no_changes_closes_the_apply_issue(tmp_path: Path) -> None:
    open_issue = {"number": 5, "title": "t", "labels": ["reconciler-apply"], "state": "open", "comments": []}
    step = report_step(tmp_path, [{**open_issue, "body": ""}])
    run_report(step, "success", "skipped")
    (issue,) = step.gh()["issues"]
    assert issue["state"] == "closed" and "Nothing left to apply at abcdef1" in issue["comments"][0]


def test_an_apply_job_that_failed_before_reporting_is_not_blamed_on_the_plan(tmp_path: Path) -> None:
    step = Step("apply.yml", "report", "Comment on the pull request, open or update the apply issue", tmp_path)
    run_report(step, "success", "failure")
    (issue,) = step.gh()["issues"]
    assert "The apply job failed before it reported" in issue["body"] and "the plan on the merged" not in issue["body"]
    assert "failed before it reported" in step.gh()["pr_comments"][0]["body"]


def test_a_pull_request_that_refuses_comments_still_leaves_the_issue(tmp_path: Path) -> None:
    step = report_step(tmp_path, [])
    step.gh_state["refuse"] = [["pr", "comment"]]
    result = step.run(
        GH_TOKEN="t", REPO="o/r", PR="12", SHA="abc", PLAN_RESULT="success", APPLY_RESULT="failure", RUN_URL=RUN_URL
    )
    assert result.returncode == 1  # the step is red ...
    (issue,) = step.gh()["issues"]  # ... and the failure has its issue
    assert "Apply of `vault`: exit 1" in issue["body"]


# ---- drift.yml ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("names", "any_target"), [("", "false"), ('{"target":"vault"}', "true")])
def test_an_empty_target_list_runs_no_check(tmp_path: Path, names: str, any_target: str) -> None:
    step = Step("drift.yml", "targets", "Matrix of targets", tmp_path)
    step.reconciler = {"targets": {"stdout": '{"include":[' + names + "]}\n"}}
    assert step.run().returncode == 0
    assert step.outputs()["any"] == any_target
    assert ("nothing to check" in step.summary()) == (any_target == "false")


@pytest.mark.parametrize(("status", "step_exit"), [(2, 0), (1, 1), (0, 0)])
def test_the_drift_check_records_its_outcome_for_the_issue_job(tmp_path: Path, status: int, step_exit: int) -> None:
    step = Step("drift.yml", "sync", "Sync", tmp_path)
    step.reconciler = {"sync vault": {"exit": status, "markdown": "<!-- reconciler:drift -->\n", "stderr": "err\n"}}
    assert step.run(TARGET="vault", REF="refs/heads/main", REPAIR="true", FORCE="true").returncode == step_exit
    assert step.file("drift/vault/status") == f"{status}\n"
    (call,) = step.reconciler_calls()
    assert call == [
        "sync",
        "--target",
        "vault",
        "--repair",
        "--auto-approve",
        "--force",
        "--markdown",
        "drift/vault/drift.md",
    ]


def test_a_repair_run_from_a_branch_writes_nothing_and_says_why(tmp_path: Path) -> None:
    step = Step("drift.yml", "sync", "Sync", tmp_path)
    assert step.run(TARGET="vault", REF="refs/heads/topic", REPAIR="true").returncode == 1
    assert step.reconciler_calls() == []
    assert step.file("drift/vault/status") == "1\n"
    assert "a repair runs on main only, not on refs/heads/topic" in step.file("drift/vault/errors.txt")
    check = Step("drift.yml", "sync", "Sync", tmp_path / "check")
    check.root.mkdir()
    assert check.run(TARGET="vault", REF="refs/heads/topic", REPAIR="false").returncode == 0  # a check may run anywhere


def drift_issue(number: int, target: str, changes: str, comments: list[str] | None = None) -> dict[str, Any]:
    body = f"<!-- reconciler:drift-issue {target} -->\n<!-- reconciler:drift -->\n{changes}\nold report\n"
    return {
        "number": number,
        "title": "renamed by someone",
        "labels": ["reconciler-drift"],
        "state": "open",
        "body": body,
        "comments": comments or [],
    }


def test_every_drift_outcome_reaches_the_targets_issue(tmp_path: Path) -> None:
    step = Step("drift.yml", "issues", "Open, comment on or close the drift issues", tmp_path)
    step.gh_state = {
        "issues": [
            drift_issue(1, "same", digest_line("same", "aa")),
            drift_issue(2, "moved", digest_line("moved", "aa"), [f"Drift persists\n{digest_line('moved', 'bb')}\n"]),
            drift_issue(3, "fixed", digest_line("fixed", "aa")),
            drift_issue(4, "broken", digest_line("broken", "aa")),
            drift_issue(5, "changed", digest_line("changed", "aa")),
        ]
    }
    outcomes = {"new": 2, "same": 2, "moved": 2, "changed": 2, "fixed": 0, "broken": 1, "gone": None}
    now = {"same": "aa", "moved": "bb", "changed": "cc"}  # "moved" said aa in its body, then bb in a comment
    for target, status in outcomes.items():
        if status is not None:
            report = f"<!-- reconciler:drift -->\n{digest_line(target, now.get(target, 'bb'))}\nreport of {target}\n"
            step.write(f"drift/{target}/status", f"{status}\n")
            step.write(f"drift/{target}/drift.md", report)
            step.write(f"drift/{target}/errors.txt", "error: HTTP 401: key expired\n" if status == 1 else "")
    matrix = json.dumps({"include": [{"target": t} for t in outcomes]})
    result = step.run(GH_TOKEN="t", REPO="o/r", MATRIX=matrix, TARGETS_RESULT="success", RUN_URL=RUN_URL)
    assert result.returncode == 0, result.stderr
    issues = {i["number"]: i for i in step.gh()["issues"]}
    assert issues[1]["comments"][0].startswith("Drift persists, unchanged since the last check.")
    assert issues[2]["comments"][1].startswith("Drift persists, unchanged")  # its last comment counts, not its body
    assert issues[5]["comments"][0].startswith("**The drift changed** since the last check.")
    assert issues[3]["state"] == "closed" and "match the manifests again" in issues[3]["comments"][0]
    assert "key expired" in issues[4]["comments"][0] and "failed" in issues[4]["comments"][0]
    created = {i["body"].splitlines()[0]: i for i in issues.values() if i["number"] >= 100}
    assert set(created) == {"<!-- reconciler:drift-issue new -->", "<!-- reconciler:drift-issue gone -->"}
    assert all(i["labels"] == ["reconciler-drift"] for i in created.values())
    assert "stopped before the check ran" in created["<!-- reconciler:drift-issue gone -->"]["body"]


def test_a_drift_run_that_cannot_list_its_targets_opens_an_issue(tmp_path: Path) -> None:
    step = Step("drift.yml", "issues", "Open, comment on or close the drift issues", tmp_path)
    result = step.run(GH_TOKEN="t", REPO="o/r", MATRIX="", TARGETS_RESULT="failure", RUN_URL=RUN_URL)
    assert result.returncode == 0, result.stderr
    (issue,) = step.gh()["issues"]
    assert issue["labels"] == ["reconciler-drift"] and "could not be listed" in issue["body"]


def test_issues_no_target_answers_for_are_closed(tmp_path: Path) -> None:
    step = Step("drift.yml", "issues", "Open, comment on or close the drift issues", tmp_path)
    step.gh_state = {
        "issues": [
            drift_issue(1, "(all targets)", ""),
            drift_issue(2, "retired", digest_line("retired", "aa")),
            drift_issue(3, "vault", digest_line("vault", "aa")),
            {**drift_issue(4, "x", ""), "body": ""},  # opened by hand with the label: left alone
        ]
    }
    step.write("drift/vault/status", "2\n")
    step.write("drift/vault/drift.md", f"<!-- reconciler:drift -->\n{digest_line('vault', 'aa')}\n")
    matrix = json.dumps({"include": [{"target": "vault"}]})
    result = step.run(GH_TOKEN="t", REPO="o/r", MATRIX=matrix, TARGETS_RESULT="success", RUN_URL=RUN_URL)
    assert result.returncode == 0, result.stderr
    issues = {i["number"]: i for i in step.gh()["issues"]}
    assert [issues[n]["state"] for n in (1, 2, 3, 4)] == ["closed", "closed", "open", "open"]
    assert "the targets are listed again" in issues[1]["comments"][0]
    assert "`retired` is no longer a target in reconciler.yaml" in issues[2]["comments"][0]
    assert issues[3]["comments"][0].startswith("Drift persists")


@pytest.mark.parametrize("existing", [False, True])
def test_a_drift_report_too_long_for_github_is_cut_at_a_line_end(tmp_path: Path, existing: bool) -> None:
    step = Step("drift.yml", "issues", "Open, comment on or close the drift issues", tmp_path)
    step.gh_state = {"issues": [drift_issue(1, "vault", digest_line("vault", "aa"))] if existing else []}
    rows = "".join(f"| ~ update | règle {n:05d} |\n" for n in range(4000))  # over 65,536 characters
    step.write("drift/vault/status", "2\n")
    step.write("drift/vault/drift.md", f"<!-- reconciler:drift -->\n{digest_line('vault', 'bb')}\n{rows}")
    matrix = json.dumps({"include": [{"target": "vault"}]})
    result = step.run(GH_TOKEN="t", REPO="o/r", MATRIX=matrix, TARGETS_RESULT="success", RUN_URL=RUN_URL)
    assert result.returncode == 0, result.stderr
    (issue,) = step.gh()["issues"]
    text = issue["comments"][0] if existing else issue["body"]
    assert len(text) <= 65_536 and digest_line("vault", "bb") in text
    assert text.rstrip().endswith(f"the artifact drift-vault of [the run]({RUN_URL}) has the whole report._")
    kept = text.split("\n\n_Cut at")[0].splitlines()
    assert kept[-1].startswith("| ~ update | règle ") and kept[-1].endswith(" |")  # whole lines only


def test_an_apply_report_too_long_for_github_is_cut_at_a_line_end(tmp_path: Path) -> None:
    step = report_step(tmp_path, [])
    lines = "".join(f'✗ failed create "règle {n:05d}": HTTP 422 — refusé\n' for n in range(3000))
    step.write("report/vault.md", f"### Apply of `vault`: exit 1\n\n````text\n{lines}````\n")
    run_report(step, "success", "failure")
    state = step.gh()
    for text in (state["pr_comments"][0]["body"], state["issues"][0]["body"]):
        assert len(text) <= 65_536 and "_The report is cut at 60,000 characters" in text
        assert text.split("\n````\n\n_The report")[0].splitlines()[-1].endswith("refusé")
