"""The command line as users of Terraform and octoDNS expect it: --version, NO_COLOR and --no-color,
-v and RECONCILER_LOG, apply --json with --auto-approve, prompts on stderr, a failing host named."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner, Result

from reconciler import __version__
from reconciler.cli import main, options
from reconciler.http import client
from tests.conftest import Project

PRIMO = "target: primo-test\nrules:\n  - {type: MDM_ONLINE, nonCompliantStatus: [OFFLINE]}\n"
ANSI = re.compile(r"\x1b\[")


def run(project: Project, *args: str, color: bool = True, **env: str) -> Result:
    """The CLI as a terminal would run it (colours on unless turned off), without the project's --no-color."""
    config = ["--config", str(project.root / "reconciler.yaml")]
    command = [*args[:1], *config, *args[1:]]
    return CliRunner().invoke(main, command, env={**project.env, **env}, color=color, catch_exceptions=False)


def test_version() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert (result.exit_code, result.output) == (0, f"reconciler {__version__}\n")


def test_plans_name_the_version_that_made_them(project: Project) -> None:
    project.write("rules/p.yaml", PRIMO)
    assert project.plan_json()["reconciler_version"] == __version__
    markdown = project.run("plan", "--markdown", "-").stdout
    assert markdown.rstrip().endswith(f"<sub>reconciler {__version__}</sub>")


def test_colours_on_a_terminal_unless_no_color_is_set_or_given_on_either_side(project: Project) -> None:
    project.write("rules/p.yaml", PRIMO)
    assert ANSI.search(run(project, "plan").output)  # the check below can fail
    assert not ANSI.search(run(project, "plan", NO_COLOR="1").output)
    assert not ANSI.search(run(project, "plan", "--no-color").output)
    config = ["--config", str(project.root / "reconciler.yaml")]
    before = CliRunner().invoke(main, ["--no-color", "plan", *config], env=project.env, color=True)
    assert before.exit_code == 0 and not ANSI.search(before.output)
    assert ANSI.search(run(project, "plan", NO_COLOR="").output)  # an empty NO_COLOR does not count


def test_verbose_prints_one_line_per_request_and_no_secret(project: Project) -> None:
    project.write("rules/p.yaml", PRIMO)
    host = project.sandbox.base_url.split("://", 1)[1]
    quiet = run(project, "plan", "--no-color")
    assert f"GET {host} " not in quiet.stderr
    for args, env in ((["-v"], {}), ([], {"RECONCILER_LOG": "debug"})):
        project.sandbox.stats.reset()
        verbose = run(project, "plan", *args, **env)
        assert verbose.exit_code == 0, verbose.output
        lines = [line for line in verbose.stderr.splitlines() if line.startswith("GET ")]
        assert re.fullmatch(rf"GET {re.escape(host)} /primo/primo-test/compliance/alert-rules 200 \d+ ms", lines[0])
        assert len(lines) == project.sandbox.stats.total
        for secret in project.env.values():
            assert secret not in verbose.output
    bad = run(project, "plan", RECONCILER_LOG="chatty")
    assert bad.exit_code != 0 and "RECONCILER_LOG='chatty' is not one of debug" in bad.output


def test_a_failing_host_is_named_while_waiting_and_in_the_error(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(client, "NOTICE_AFTER_S", 0.0)
    config = project.root / "reconciler.yaml"
    text = config.read_text(encoding="utf-8")
    primo_url = project.sandbox.url("primo", "primo-test")
    config.write_text(
        text.replace(primo_url, "http://127.0.0.1:9").replace("provider: primo", "provider: primo\n    retry_for: 1")
    )
    project.write("rules/p.yaml", PRIMO)
    result = run(project, "plan", "--no-color")
    assert result.exit_code == 1
    assert "waiting for 127.0.0.1:9: GET 127.0.0.1:9/compliance/alert-rules failed" in result.stderr
    assert (
        "could not read live rules: GET 127.0.0.1:9/compliance/alert-rules: no answer: connection failed"
        in result.output
    )


def test_apply_json_needs_auto_approve(project: Project) -> None:
    project.write("rules/p.yaml", PRIMO)
    refused = project.run("apply", "--json")
    assert refused.exit_code != 0 and "--json needs --auto-approve" in refused.output
    assert project.sandbox.stats.total == 0
    repair = project.run("sync", "--repair", "--json")
    assert repair.exit_code != 0 and "needs --auto-approve" in repair.output
    applied = project.run("apply", "--json", "--auto-approve")
    assert applied.exit_code == 0 and json.loads(applied.stdout)["apply"]["applied"] == 1


def test_the_confirmation_prompt_goes_to_stderr(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(options, "interactive", lambda: True)
    project.write("rules/p.yaml", PRIMO)
    declined = project.run("apply", input="n\n")
    assert "Apply these changes?" in declined.stderr and "Apply these changes?" not in declined.stdout
    assert project.tenant("primo-test").rules == {}


def test_plan_diffs_name_list_items_and_list_created_fields_as_the_manifest_does(project: Project) -> None:
    project.tenant("primo-test").upsert_rule("MDM_ONLINE", ["OFFLINE_7_DAYS", "PENDING"])
    project.write(
        "rules/p.yaml", "target: primo-test\nrules:\n  - {type: MDM_ONLINE, nonCompliantStatus: [PENDING, OFFLINE]}\n"
    )
    project.write(
        "rules/v.yaml",
        "target: vault-test\nrules:\n  - name: Block exports\n    action: {type: block, message: no}\n"
        "    type: activity\n    key: noExports\n"
        "    constraint: {type: application, operator: any, applications: [export]}\n",
    )
    plan = project.run("plan")
    assert '- nonCompliantStatus: "OFFLINE_7_DAYS"' in plan.output
    assert '+ nonCompliantStatus: "OFFLINE"' in plan.output
    created = next(s for s in project.plan_json()["scopes"] if s["target"] == "vault-test")["changes"][0]
    assert [f["path"] for f in created["fields"]] == ["key", "name", "action", "type", "constraint"]


@pytest.mark.parametrize("command", ["plan", "apply", "sync", "validate", "import"])
def test_shell_completion_offers_the_configs_target_names(project: Project, command: str) -> None:
    config = str(project.root / "reconciler.yaml")
    words = f"reconciler {command} --config {config} --target "
    env = {"_RECONCILER_COMPLETE": "bash_complete", "COMP_WORDS": words, "COMP_CWORD": str(len(words.split()))}
    result = CliRunner().invoke(main, [], env=env, prog_name="reconciler")
    assert result.output.split() == [f"plain,{name}" for name in ("primo-test", "vault-test", "onelogin-test")]
    env["COMP_WORDS"] = words + "v"
    assert CliRunner().invoke(main, [], env=env, prog_name="reconciler").output.split() == ["plain,vault-test"]
