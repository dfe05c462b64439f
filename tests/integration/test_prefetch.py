"""Large projects' plans and applies read live rules while the manifests load: each scope is read once,
and a bad manifest found after good ones still stops the run with its located error, no plan and no write. A
small project sends no request before every manifest has loaded cleanly."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.engine.model import ScopeRef
from reconciler.engine.read import fetch_scope
from reconciler.http import client
from reconciler.project import parsing
from reconciler.project.finding import manifest_files
from reconciler.project.parsing import manifest_bytes_reach
from reconciler.runner import prefetch
from tests.conftest import Project
from tests.integration.manifests import ONE_RULE_APP
from tests.integration.settings import configure


@pytest.fixture
def reads_early(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any project counts as large, so that reads start while its manifests load."""
    monkeypatch.setattr(prefetch, "EARLY_READS_MIN_BYTES", 0)


@pytest.fixture
def early(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The scopes whose reads started while the manifests loaded."""
    started: list[str] = []

    async def counted(providers: Any, ref: ScopeRef) -> Any:
        started.append(str(ref))
        return await fetch_scope(providers, ref)

    monkeypatch.setattr(prefetch, "fetch_scope", counted)
    return started


def _apps(project: Project, *apps: int) -> None:
    tenant = project.tenant("onelogin-test")
    for app in apps:
        tenant.add_app(app, f"App {app}")
        project.write(f"rules/app-{app}.yaml", ONE_RULE_APP.replace("app: 7", f"app: {app}"))


def test_each_scope_is_read_once_however_early_its_read_starts(
    project: Project, reads_early: None, early: list[str]
) -> None:
    _apps(project, 7, 8, 9)
    project.write("rules/p.yaml", "target: primo-test\nrules:\n  - {type: MDM_ONLINE, nonCompliantStatus: [OFFLINE]}\n")
    result = project.run("plan")
    assert result.exit_code == 0, result.output
    by_route = project.sandbox.stats.by_route
    assert by_route["GET onelogin /api/2/apps/{app_id}/rules"] == 2 * 3  # enabled and disabled lists, per app
    assert by_route["POST onelogin /auth/oauth2/v2/token"] == 1
    assert project.sandbox.stats.writes == 0
    assert len(early) == 4  # every scope's read started while the manifests loaded


def test_apply_reads_early_too_and_reads_each_scope_once_before_writing(
    project: Project, reads_early: None, early: list[str]
) -> None:
    _apps(project, 7, 8, 9)
    result = project.run("apply", "--auto-approve")
    assert result.exit_code == 0, result.output
    assert len(early) == 3
    # One read per app for the plan and one to verify (each two lists), one write per rule.
    assert project.sandbox.stats.by_route["GET onelogin /api/2/apps/{app_id}/rules"] == 2 * 3 * 2
    assert project.sandbox.stats.writes == 3


@pytest.mark.parametrize("command", [("plan",), ("apply", "--auto-approve")])
def test_a_bad_manifest_after_good_ones_stops_the_run_before_any_plan_or_write(
    project: Project, command: tuple[str, ...], reads_early: None
) -> None:
    _apps(project, 7, 8)
    project.write("rules/app-7b.yaml", "target: onelogin-test\napp: 9\nrules: 3\n")  # sorts between the two
    result = project.run(*command)
    assert result.exit_code == 1
    assert "error: rules/app-7b.yaml:3:1 rules: must be a list of rules" in result.output
    assert "to create" not in result.output and "No changes" not in result.output
    assert project.sandbox.stats.writes == 0


@pytest.mark.parametrize("command", [("plan",), ("apply", "--auto-approve")])
def test_a_small_project_with_a_bad_manifest_after_good_ones_sends_no_request(
    project: Project, command: tuple[str, ...]
) -> None:
    _apps(project, 7, 8)
    project.write("rules/app-7b.yaml", "target: onelogin-test\napp: 9\nrules: 3\n")
    project.sandbox.stats.reset()
    result = project.run(*command)
    assert result.exit_code == 1
    assert "error: rules/app-7b.yaml:3:1 rules: must be a list of rules" in result.output
    assert project.sandbox.stats.total == 0


def test_only_manifests_of_a_megabyte_or_more_make_a_project_large(project: Project) -> None:
    project.write("rules/a.yaml", "# " + "x" * 1000 + "\n")
    assert not manifest_bytes_reach(manifest_files(project.root / "rules"), prefetch.EARLY_READS_MIN_BYTES)
    project.write("rules/b.yaml", "# " + "x" * prefetch.EARLY_READS_MIN_BYTES + "\n")
    assert manifest_bytes_reach(manifest_files(project.root / "rules"), prefetch.EARLY_READS_MIN_BYTES)


@pytest.mark.parametrize("bad", [False, True])
def test_a_plan_whose_manifests_are_parsed_apart_says_the_same(
    project: Project, reads_early: None, monkeypatch: pytest.MonkeyPatch, bad: bool
) -> None:
    _apps(project, 7, 8, 9)
    project.write("rules/p.yaml", "target: primo-test\nrules:\n  - {type: MDM_ONLINE, nonCompliantStatus: [OFFLINE]}\n")
    if bad:
        project.write("rules/app-7b.yaml", "target: onelogin-test\napp: 9\nrules: 3\n")
    here = project.run("plan")
    monkeypatch.setattr(parsing, "PARSE_APART_MIN_BYTES", 0)
    apart = project.run("plan")
    assert (apart.exit_code, apart.output) == (here.exit_code, here.output)
    assert ("error: rules/app-7b.yaml:3:1" in apart.output) == bad


def test_reads_begun_early_end_quietly_when_a_name_stops_the_run(
    project: Project, reads_early: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A name that does not resolve stops the run after its reads began: those still in flight are
    cancelled before their connections close, never retried against a closed pool and said to be failing."""
    monkeypatch.setattr(client, "NOTICE_AFTER_S", 0.1)
    configure(project, ["onelogin-test"], concurrency=1)  # the apps' reads wait their turn behind the name's
    project.write("rules/a-named.yaml", ONE_RULE_APP.replace("app: 7", "app: {name: No Such App}"))
    _apps(project, 7, 8, 9)
    project.sandbox.faults.latency_ms = 200
    result = project.run("plan")
    assert result.exit_code == 1
    assert "has no app named 'No Such App'" in result.output
    assert "waiting for" not in result.output and "failed" not in result.output, result.output
