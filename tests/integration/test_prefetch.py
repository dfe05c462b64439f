"""Plans read live rules while the manifests load: each scope is read once, and a bad manifest found
after good ones still stops the run with its located error, no plan and no write."""

from __future__ import annotations

import pytest

from tests.conftest import Project
from tests.integration.manifests import ONE_RULE_APP


def _apps(project: Project, *apps: int) -> None:
    tenant = project.tenant("onelogin-test")
    for app in apps:
        tenant.add_app(app, f"App {app}")
        project.write(f"rules/app-{app}.yaml", ONE_RULE_APP.replace("app: 7", f"app: {app}"))


def test_each_scope_is_read_once_however_early_its_read_starts(project: Project) -> None:
    _apps(project, 7, 8, 9)
    project.write("rules/p.yaml", "target: primo-test\nrules:\n  - {type: MDM_ONLINE, nonCompliantStatus: [OFFLINE]}\n")
    result = project.run("plan")
    assert result.exit_code == 0, result.output
    by_route = project.sandbox.stats.by_route
    assert by_route["GET onelogin /api/2/apps/{app_id}/rules"] == 2 * 3  # enabled and disabled lists, per app
    assert by_route["POST onelogin /auth/oauth2/v2/token"] == 1
    assert project.sandbox.stats.writes == 0


@pytest.mark.parametrize("command", [("plan",), ("apply", "--auto-approve")])
def test_a_bad_manifest_after_good_ones_stops_the_run_before_any_plan_or_write(
    project: Project, command: tuple[str, ...]
) -> None:
    _apps(project, 7, 8)
    project.write("rules/app-7b.yaml", "target: onelogin-test\napp: 9\nrules: 3\n")  # sorts between the two
    result = project.run(*command)
    assert result.exit_code == 1
    assert "error: rules/app-7b.yaml:3:1 rules: must be a list of rules" in result.output
    assert "to create" not in result.output and "No changes" not in result.output
    assert project.sandbox.stats.writes == 0
