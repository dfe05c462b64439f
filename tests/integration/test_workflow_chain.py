"""The GitOps chain end to end: the workflows' own shell steps, with the real `reconciler` against the
sandbox and a fake `gh`. A pull request's plan is posted; on merge the plan of the merged commit is
compared with it, and the gated job applies exactly the saved file, or refuses it once stale; the
failure reaches the pull request and the apply issue."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from reconciler.sandbox import SandboxServer
from tests.integration.fakes.steps import NEEDS_JQ, RUN_URL, Step
from tests.integration.manifests import ONE_RULE_APP

pytestmark = [NEEDS_JQ, pytest.mark.skipif(shutil.which("git") is None, reason="the plan reads the base branch")]

# The variable names the workflows' `env:` blocks fill from the repository's secrets.
CONFIG = """\
version: 1
targets:
  vault-test:
    provider: vizivault
    url: {{env: VIZIVAULT_URL}}
    credentials:
      api_key: {{env: VIZIVAULT_API_KEY}}
  onelogin-test:
    provider: onelogin
    url: {onelogin}
    credentials:
      client_id: {{env: ONELOGIN_CLIENT_ID}}
      client_secret: {{env: ONELOGIN_CLIENT_SECRET}}
"""
VAULT_RULE = """\
  - key: {key}
    name: {key}
    type: data
    constraint: {{type: tag, operator: any, tags: [{key}]}}
    action: {{type: block, message: no}}
"""


def vault_manifest(*keys: str) -> str:
    return "target: vault-test\nrules:\n" + "".join(VAULT_RULE.format(key=key) for key in keys)


def vault_rule(key: str) -> dict[str, object]:
    return {
        "key": key,
        "name": key,
        "type": "data",
        "constraint": {"type": "tag", "operator": "any", "tags": [key]},
        "action": {"type": "block", "message": "no"},
    }


def secrets_of(sandbox: SandboxServer) -> dict[str, str]:
    """The repository's secrets, as the workflows' `env:` blocks pass them."""
    vault = sandbox.state.tenant("vizivault", "vault-test")
    onelogin = sandbox.state.tenant("onelogin", "onelogin-test")
    return {
        "PRIMO_API_KEY": "",
        "VIZIVAULT_URL": sandbox.url("vizivault", "vault-test"),
        "VIZIVAULT_API_KEY": vault.api_key,
        "ONELOGIN_CLIENT_ID": onelogin.client_id,
        "ONELOGIN_CLIENT_SECRET": onelogin.client_secret,
    }


def commit(work: Path, message: str) -> None:
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "HOME": str(work)}
    env |= {"GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com", "PATH": os.environ["PATH"]}
    for command in (["add", "-A"], ["commit", "-q", "-m", message]):
        subprocess.run(["git", *command], cwd=work, env=env, check=True, capture_output=True)


def test_the_merge_applies_the_plan_shown_to_the_approver_and_refuses_it_once_stale(
    tmp_path: Path, sandbox: SandboxServer
) -> None:
    vault = sandbox.state.tenant("vizivault", "vault-test")
    onelogin = sandbox.state.tenant("onelogin", "onelogin-test")
    onelogin.add_app(7, "App")
    vault.upsert_rule(vault_rule("block-eu"))
    secrets = secrets_of(sandbox)

    def step(workflow: str, job: str, name: str) -> Step:
        return Step(workflow, job, name, tmp_path, real_reconciler=True)

    # The base branch, then the pull request: a vault rule added, a OneLogin app's first rule.
    work = tmp_path / "work"
    work.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=work, check=True)
    (work / "reconciler.yaml").write_text(CONFIG.format(onelogin=sandbox.url("onelogin", "onelogin-test")))
    (work / "rules").mkdir()
    (work / "rules" / "vault.yaml").write_text(vault_manifest("block-eu"))
    commit(work, "base")
    (work / "rules" / "vault.yaml").write_text(vault_manifest("block-eu", "block-us"))
    (work / "rules" / "app.yaml").write_text(ONE_RULE_APP)
    commit(work, "pull request")

    # plan.yml: the plan of the pull request, then its comment.
    plan = step("plan.yml", "plan", "Validate and plan")
    result = plan.run(HEAD_REPO="o/r", REPO="o/r", RECONCILER_PR_LABELS="[]", **secrets)
    assert result.returncode == 0, result.stdout + result.stderr
    comment = step("plan.yml", "comment", "Post or update the plan comments")
    shutil.copytree(work / "plan" / "comment", work / "comment")
    assert comment.run(REPO="o/r", PR="12", HEAD_SHA="abcdef123", RUN_URL=RUN_URL, RUN_NUMBER="7").returncode == 0
    (posted,) = comment.gh()["comments"]
    assert "<!-- reconciler:changes vault-test sha256:" in posted["body"]

    # Between review and merge, someone creates the OneLogin rule in the console, disabled.
    console = {"name": "first", "match": "all", "enabled": False, "position": 1}
    console |= {"conditions": [{"source": "has_role", "operator": "ri", "value": "340475"}]}
    onelogin.add_rule(7, {**console, "actions": [{"action": "set_role", "value": ["340476"]}]})

    # apply.yml: find the pull request's plan, plan the merged commit, compare.
    find = step("apply.yml", "plan", "Find the plan shown on the pull request")
    find.gh_state = {**comment.gh(), "pulls": [{"number": 12, "merged_at": "2026-12-01T00:00:00Z"}]}
    assert find.run(GH_TOKEN="t", REPO="o/r", SHA="1234567abc", EVENT="push").returncode == 0
    merged = step("apply.yml", "plan", "Plan")
    result = merged.run(PR="12", EVENT="push", RECONCILER_PULL_REQUEST="12", RECONCILER_PR_LABELS="[]", **secrets)
    assert result.returncode == 0, result.stdout + result.stderr
    assert merged.outputs()["changed"] == "true"
    assert merged.file("plans/vault-test.compare.md").startswith("The same changes as the plan last shown on pull")
    assert merged.file("plans/onelogin-test.compare.md").startswith("**Not the plan last shown on pull request #12**")
    summary = merged.summary()
    assert "## `onelogin-test`" in summary and "**Not the plan last shown" in summary

    # The gated job applies the vault plan file as it was shown.
    apply = step("apply.yml", "apply", "Apply the plan shown to the approver")
    result = apply.run(TARGET="vault-test", FORCE="", **secrets)
    assert result.returncode == 0, result.stdout + result.stderr
    assert set(vault.rules) == {"block-eu", "block-us"}
    assert "Verified" in merged.file("report/vault-test.md")

    # The OneLogin rule changes again before its approval: the saved plan is refused, nothing written.
    onelogin.delete_rule(7, onelogin.rules(7)[0]["id"])
    result = apply.run(TARGET="onelogin-test", FORCE="", **secrets)
    assert result.returncode == 1
    report = merged.file("report/onelogin-test.md")
    assert report.startswith("### Apply of `onelogin-test`: exit 1") and "plan is stale" in report
    assert onelogin.rules(7) == []

    # report: the pull request and the one `reconciler-apply` issue are told.
    outcome = step("apply.yml", "report", "Comment on the pull request, open or update the apply issue")
    outcome.gh_state = {"issues": []}
    result = outcome.run(
        GH_TOKEN="t",
        REPO="o/r",
        PR="12",
        SHA="1234567abc",
        PLAN_RESULT="success",
        APPLY_RESULT="failure",
        RUN_URL=RUN_URL,
    )
    assert result.returncode == 0, result.stderr
    state = outcome.gh()
    assert "plan is stale" in state["pr_comments"][0]["body"]
    (issue,) = state["issues"]
    assert issue["labels"] == ["reconciler-apply"] and "plan is stale" in issue["body"]


def test_a_pull_request_that_moves_a_target_is_planned_at_the_base_branchs_url(
    tmp_path: Path, sandbox: SandboxServer
) -> None:
    onelogin = sandbox.state.tenant("onelogin", "onelogin-test")
    onelogin.add_app(7, "App")
    work = tmp_path / "work"
    work.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=work, check=True)
    config = CONFIG.format(onelogin=sandbox.url("onelogin", "onelogin-test"))
    (work / "reconciler.yaml").write_text(config)
    commit(work, "base")
    # The pull request sends the OneLogin keys to a host of its own, and adds the app's rules.
    (work / "reconciler.yaml").write_text(
        config.replace(sandbox.url("onelogin", "onelogin-test"), "https://collector.test")
    )
    (work / "rules").mkdir()
    (work / "rules" / "app.yaml").write_text(ONE_RULE_APP)
    commit(work, "pull request")
    plan = Step("plan.yml", "plan", "Validate and plan", tmp_path, real_reconciler=True)
    result = plan.run(HEAD_REPO="o/r", REPO="o/r", **secrets_of(sandbox))
    assert result.returncode == 0, result.stdout + result.stderr  # planned, at the base branch's url
    comment = plan.file("plan/comment/part-001.md")
    assert "target &#x27;onelogin-test&#x27;: this pull request changes its url" in comment
    assert "<code>+ create</code> <b>first</b>" in comment  # read from the sandbox, the base branch's host
    assert sandbox.stats.reads > 0 and onelogin.rules(7) == []
