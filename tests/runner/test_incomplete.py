"""Defence in depth: a target for which any manifest failed to load is never pruned in that run.

The loader stops a run with a bad manifest before any request, so this cannot happen through the CLI
today; these tests plan with a desired state marked incomplete, as any caller that went on after a
load problem would, and check that the live rules the manifests do not mention are left alone.
"""

from __future__ import annotations

import pytest

from reconciler.cli import eventloop
from reconciler.engine.plan import Action, Plan
from reconciler.runner.flows import make_plan
from reconciler.runner.sessions import open_sessions
from reconciler.runner.workspace import Workspace, open_workspace
from tests.conftest import Project
from tests.integration.settings import configure

BOTH = (
    "target: primo-test\nrules:\n"
    "  - {type: MDM_ONLINE, nonCompliantStatus: [OFFLINE]}\n"
    "  - {type: MDM_ENROLLMENT, nonCompliantStatus: [PENDING]}\n"
)
ONE = "target: primo-test\nrules:\n  - {type: MDM_ONLINE, nonCompliantStatus: [OFFLINE]}\n"


@pytest.fixture
def one_rule_dropped(project: Project, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    """Two live rules, a manifest that now holds one of them, and a target that prunes."""
    for name, value in project.env.items():
        monkeypatch.setenv(name, value)
    configure(project, ["primo-test"], prune=True)
    project.write("rules/primo.yaml", BOTH)
    assert project.run("apply", "--auto-approve").exit_code == 0
    project.write("rules/primo.yaml", ONE)
    return open_workspace(project.root / "reconciler.yaml", ("primo-test",))


def plan(workspace: Workspace, prune: bool | None) -> Plan:
    async def go() -> Plan:
        async with open_sessions(workspace) as sessions:
            return await make_plan(workspace, sessions, prune=prune)

    return eventloop.run(go())


def deletes(planned: Plan) -> list[str]:
    return [c.identity for s in planned.scopes for c in s.changes if c.action == Action.DELETE]


@pytest.mark.parametrize("prune", [None, True], ids=["config-prune", "--prune"])
def test_a_complete_target_prunes_what_its_manifests_dropped(one_rule_dropped: Workspace, prune: bool | None) -> None:
    assert deletes(plan(one_rule_dropped, prune)) == ["MDM_ENROLLMENT"]


@pytest.mark.parametrize("prune", [None, True], ids=["config-prune", "--prune"])
def test_an_incomplete_target_is_never_pruned(one_rule_dropped: Workspace, prune: bool | None) -> None:
    one_rule_dropped.desired.incomplete_targets.add("primo-test")
    planned = plan(one_rule_dropped, prune)
    assert deletes(planned) == []
    assert [s.unmanaged for s in planned.scopes] == [["MDM_ENROLLMENT"]]  # shown, left alone
