"""Saved plans against the sandbox: `plan --out`, `apply FILE` applies exactly the reviewed changes,
and a plan made stale by a manifest edit or a live edit is refused without a single write."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from reconciler.cli import main
from reconciler.engine.model import ScopeRef
from reconciler.engine.shard import Shard
from tests.conftest import Project
from tests.integration.console import primo_upsert
from tests.integration.manifests import ONE_RULE_APP

PRIMO_RULES = """\
target: primo-test
rules:
  - {type: MDM_ONLINE, nonCompliantStatus: [OFFLINE]}
  - {type: MDM_ENROLLMENT, nonCompliantStatus: [PENDING]}
"""
APP_RULES = ONE_RULE_APP


def save_plan(project: Project, *args: str) -> Path:
    out = project.root / "plan.json"
    result = project.run("plan", "--out", str(out), *args)
    assert result.exit_code == 0, result.output
    return out


def test_saved_plan_applies_exactly_its_changes(project: Project) -> None:
    primo = project.tenant("primo-test")
    primo.upsert_rule("MDM_ONLINE", ["OFFLINE_7_DAYS"])
    project.tenant("onelogin-test").add_app(7, "App")
    project.write("rules/p.yaml", PRIMO_RULES)
    project.write("rules/app.yaml", APP_RULES)
    saved = save_plan(project, "--target", "primo-test")
    data = json.loads(saved.read_text())
    assert data["format_version"] == 2 and data["targets"] == ["primo-test"]
    assert set(data["fingerprints"]["manifests"]) == {"reconciler.yaml", "rules/p.yaml"}
    assert set(data["fingerprints"]["live"]) == {"primo-test/primo"}
    writes = project.sandbox.stats.writes

    result = project.run("apply", str(saved), "--auto-approve")
    assert result.exit_code == 0, result.output
    assert "2 applied, 0 failed" in result.output
    assert project.sandbox.stats.writes == writes + 2  # one update, one create: nothing else
    assert primo.rules["MDM_ONLINE"]["nonCompliantStatus"] == ["OFFLINE"]
    assert primo.rules["MDM_ENROLLMENT"]["nonCompliantStatus"] == ["PENDING"]
    assert project.tenant("onelogin-test").rules(7) == []  # another target's manifests: not in the plan
    # Applied once, the plan is stale: the live rules it saw are gone.
    again = project.run("apply", str(saved), "--auto-approve")
    assert again.exit_code == 1 and "plan is stale, run plan again" in again.output


def test_manifest_edit_after_the_plan_makes_it_stale(project: Project) -> None:
    project.write("rules/p.yaml", PRIMO_RULES)
    saved = save_plan(project, "--target", "primo-test")
    project.write("rules/p.yaml", PRIMO_RULES + "  - {type: MDM_CONTROL_WIFI, nonCompliantStatus: [FAILED]}\n")
    writes = project.sandbox.stats.writes

    result = project.run("apply", str(saved), "--auto-approve")
    assert result.exit_code == 1
    assert "plan is stale, run plan again" in result.output
    assert "manifests changed since the plan was made: rules/p.yaml" in result.output
    assert project.sandbox.stats.writes == writes
    assert project.tenant("primo-test").rules == {}


def test_new_manifest_for_a_planned_target_makes_it_stale(project: Project) -> None:
    project.write("rules/p.yaml", PRIMO_RULES)
    saved = save_plan(project, "--target", "primo-test")
    more = "target: primo-test\nrules:\n  - {type: MDM_CONTROL_WIFI, nonCompliantStatus: []}\n"
    project.write("rules/more.yaml", more)
    result = project.run("apply", str(saved), "--auto-approve")
    assert result.exit_code == 1 and "rules/more.yaml" in result.output


def test_manifest_for_a_new_scope_makes_it_stale_and_shards_are_kept(project: Project) -> None:
    project.tenant("onelogin-test").add_app(7, "App")
    project.write("rules/app.yaml", APP_RULES)
    project.write("rules/p.yaml", PRIMO_RULES)
    whole = save_plan(project)
    shard_files = []
    for index in (1, 2):
        out = project.root / f"shard{index}.json"
        assert project.run("plan", "--shard", f"{index}/2", "--out", str(out)).exit_code == 0
        shard_files.append(out)
    assert [json.loads(f.read_text())["shard"] for f in shard_files] == ["1/2", "2/2"]
    project.write("rules/app9.yaml", APP_RULES.replace("app: 7", "app: 9"))

    result = project.run("apply", str(whole), "--auto-approve")
    assert result.exit_code == 1 and "manifests changed since the plan was made: rules/app9.yaml" in result.output
    # Only the shard app 9 falls in saw its manifests change; the other shard's plan still applies.
    app9 = next(i for i in (1, 2) if Shard(i, 2).holds_scope(ScopeRef("onelogin-test", "app:9")))
    stale = project.run("apply", str(shard_files[app9 - 1]), "--auto-approve")
    assert stale.exit_code == 1 and "rules/app9.yaml" in stale.output
    fresh = project.run("apply", str(shard_files[2 - app9]), "--auto-approve")
    assert fresh.exit_code == 0, fresh.output


def test_live_edit_after_the_plan_makes_it_stale(project: Project) -> None:
    project.tenant("primo-test").upsert_rule("MDM_ONLINE", ["OFFLINE_7_DAYS"])
    project.tenant("onelogin-test").add_app(7, "App")
    project.write("rules/p.yaml", PRIMO_RULES)
    project.write("rules/app.yaml", APP_RULES)
    saved = save_plan(project)
    primo_upsert(project, "primo-test", "MDM_ONLINE", ["OFFLINE", "OFFLINE_7_DAYS"])
    writes = project.sandbox.stats.writes

    result = project.run("apply", str(saved), "--auto-approve")
    assert result.exit_code == 1
    assert "live rules of primo-test · compliance alert rules changed since the plan was made" in result.output
    assert "onelogin-test" not in result.output.split("plan is stale")[1]  # only the changed scope is named
    assert project.sandbox.stats.writes == writes
    assert project.tenant("onelogin-test").rules(7) == []


def test_show_renders_a_saved_plan_without_api_calls(project: Project) -> None:
    project.write("rules/p.yaml", PRIMO_RULES)
    saved = save_plan(project)
    calls = project.sandbox.stats.total

    def show(*args: str) -> Result:  # no config and no environment: a reviewer's machine
        return CliRunner().invoke(main, ["--no-color", "show", str(saved), *args], env={}, catch_exceptions=False)

    text = show()
    assert text.exit_code == 0 and "+ create" in text.output and "2 to create" in text.output
    assert "made from 2 file(s) and the live rules of 1 scope(s)" in text.output
    as_json = json.loads(show("--json").stdout)
    assert as_json == json.loads(saved.read_text())
    markdown = show("--markdown").stdout
    assert markdown.startswith("<!-- reconciler:plan -->") and "<details>" in markdown
    assert project.sandbox.stats.total == calls


def test_unreadable_or_old_plan_files_are_refused(project: Project) -> None:
    project.write("rules/p.yaml", PRIMO_RULES)
    saved = save_plan(project)
    data = json.loads(saved.read_text())
    old = project.write("old.json", json.dumps({**data, "format_version": 1}))
    result = project.run("apply", str(old), "--auto-approve")
    assert result.exit_code == 1 and "format_version 1" in result.output
    broken = project.write("broken.json", "{not json")
    result = project.run("apply", str(broken), "--auto-approve")
    assert result.exit_code == 1 and "broken.json:1:2: not a plan file" in result.output
    mixed = project.run("apply", str(saved), "--auto-approve", "--target", "primo-test")
    assert mixed.exit_code == 1 and "a saved plan already fixes its targets" in mixed.output
    assert project.tenant("primo-test").rules == {}


def test_saved_plan_holds_no_secret(project: Project) -> None:
    project.tenant("onelogin-test").add_app(7, "App")
    project.write("rules/app.yaml", APP_RULES)
    text = save_plan(project).read_text()
    for secret in project.env.values():
        assert secret not in text
    assert project.sandbox.base_url not in text  # nor the tenants' addresses


def test_fingerprints_are_made_only_for_a_saved_or_json_plan(project: Project, monkeypatch: Any) -> None:
    """Hashing every manifest and live rule serves `--out` and `--json`; a plan on screen skips it."""
    from reconciler.runner import flows

    hashed: list[str] = []
    real_digest = flows.live_digest
    monkeypatch.setattr(flows, "live_digest", lambda state: hashed.append(str(state.ref)) or real_digest(state))
    project.write("rules/p.yaml", PRIMO_RULES)
    assert project.run("plan").exit_code == 0
    assert project.run("apply", "--auto-approve").exit_code == 0
    assert hashed == []
    assert project.run("plan", "--json").exit_code == 0
    assert hashed == ["primo-test/primo"]
    save_plan(project)
    assert hashed == ["primo-test/primo"] * 2
