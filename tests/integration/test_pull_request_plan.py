"""What the pull-request workflow runs, through the CLI and the sandbox: the plan as comments within
GitHub's limit, credentials only for the base branch's hosts, missing credentials named, usage errors 1."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Project
from tests.integration.manifests import ONE_RULE_APP


def test_markdown_parts_are_written_as_numbered_comments(project: Project) -> None:
    project.tenant("onelogin-test").add_app(7, "App")
    project.write("rules/app.yaml", ONE_RULE_APP)
    folder = project.root / "comment"
    folder.mkdir()
    (folder / "part-002.md").write_text("left from a longer plan", encoding="utf-8")
    result = project.run("plan", "--detailed-exitcode", "--markdown-parts", str(folder))
    assert result.exit_code == 2, result.output
    assert [p.name for p in sorted(folder.iterdir())] == ["part-001.md"]
    text = (folder / "part-001.md").read_text(encoding="utf-8")
    assert text.startswith("<!-- reconciler:plan -->\n<!-- reconciler:changes onelogin-test sha256:")
    assert "<b>first</b>" in text


def base_config(project: Project, url_from: str, url_to: str) -> Path:
    """The project's config as the base branch has it, with one target's url different."""
    text = (project.root / "reconciler.yaml").read_text(encoding="utf-8")
    base = project.root / "base.yaml"
    base.write_text(text.replace(url_from, url_to), encoding="utf-8")
    return base


def test_a_url_changed_by_the_pull_request_is_not_read_with_the_credentials(project: Project) -> None:
    project.tenant("onelogin-test").add_app(7, "App")
    project.write("rules/app.yaml", ONE_RULE_APP)
    real = project.sandbox.url("onelogin", "onelogin-test")
    # The pull request points the target at another host; the base branch names the real one.
    config = project.root / "reconciler.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace(real, "http://127.0.0.1:9/"), encoding="utf-8")
    base = base_config(project, "http://127.0.0.1:9/", real)
    result = project.run("plan", "--base-config", str(base))
    assert result.exit_code == 0, result.output
    assert "this pull request changes its url; it is planned with the base branch's" in result.output
    assert "1 to create" in result.output  # read from the base branch's host


def test_a_target_the_base_branch_lacks_fails_saying_why(project: Project) -> None:
    project.tenant("onelogin-test").add_app(7, "App")
    project.write("rules/app.yaml", ONE_RULE_APP)
    missing = project.root / "no-base.yaml"
    result = project.run("plan", "--base-config", str(missing))
    assert result.exit_code == 1
    assert "targets.onelogin-test: the base branch has no onelogin target of this name" in result.output


def test_a_missing_credential_fails_naming_the_variable(project: Project) -> None:
    project.tenant("onelogin-test").add_app(7, "App")
    project.write("rules/app.yaml", ONE_RULE_APP)
    del project.env["ONELOGIN_TEST_CLIENT_SECRET"]
    result = project.run("plan")
    assert result.exit_code == 1
    assert "environment variable ONELOGIN_TEST_CLIENT_SECRET is not set" in result.output


@pytest.mark.parametrize(
    "args",
    [("sync", "--targt", "x"), ("plan", "--shard", "5"), ("apply", "--nope"), ("nosuch",), ("plan", "extra")],
)
def test_usage_errors_exit_1_never_2(project: Project, args: tuple[str, ...]) -> None:
    result = project.run(*args)
    assert result.exit_code == 1, result.output
    assert "Error:" in result.output
