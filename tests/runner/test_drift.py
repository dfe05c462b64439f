"""`run_sync` returns what it found and did, and prints nothing: the cli does the printing."""

from __future__ import annotations

import pytest

from reconciler.cli import eventloop
from reconciler.runner.drift import DriftReport, run_sync
from reconciler.runner.workspace import open_workspace
from tests.conftest import Project


def sync(project: Project, *, repair: bool, answer: bool) -> DriftReport:
    workspace = open_workspace(project.root / "reconciler.yaml", ("primo-test",))
    seen: list[DriftReport] = []
    report = eventloop.run(
        run_sync(workspace, prune=None, repair=repair, confirm=lambda: answer, on_planned=seen.append)
    )
    assert seen == [report]  # shown once, before any repair
    return report


def test_drift_is_returned_not_printed(drifted: Project, capsys: pytest.CaptureFixture[str]) -> None:
    report = sync(drifted, repair=False, answer=True)
    assert capsys.readouterr() == ("", "")
    assert [(d.action, d.identity) for d in report.drifted] == [("create", "MDM_ONLINE")]
    assert report.repair is None and not report.cancelled and not report.refused


def test_repair_is_applied_when_confirmed(drifted: Project) -> None:
    report = sync(drifted, repair=True, answer=True)
    assert report.repair is not None and report.repair.ok
    assert sync(drifted, repair=False, answer=True).drifted == []


def test_repair_declined_is_cancelled(drifted: Project) -> None:
    report = sync(drifted, repair=True, answer=False)
    assert report.repair is None and report.cancelled
    assert len(sync(drifted, repair=False, answer=True).drifted) == 1
