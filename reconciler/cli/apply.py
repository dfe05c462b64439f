"""`apply`: show the plan, ask, then make the live rules match (or apply a saved plan as reviewed)."""

from __future__ import annotations

import sys
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import click

from reconciler.cli import eventloop
from reconciler.cli.interrupt import exit_status
from reconciler.cli.options import (
    EXIT_ERROR,
    EXIT_OK,
    config_option,
    confirm_or_refuse,
    force_option,
    plan_with_progress,
    prune_option,
    reports_errors,
    target_option,
)
from reconciler.cli.writing import print_warnings, print_written, watched

if TYPE_CHECKING:
    from collections.abc import Awaitable, MutableMapping

    from reconciler.engine.apply import ApplyReport
    from reconciler.engine.model import LiveScope, ScopeRef
    from reconciler.engine.plan import Plan
    from reconciler.engine.saved import ReviewedPlan
    from reconciler.runner.sessions import Sessions
    from reconciler.runner.workspace import Workspace

from reconciler.errors import ApiError, ReconcilerError


def _echo_json_outcome(result: Plan, report: ApplyReport | None) -> None:
    from reconciler.engine.plan import json_text
    from reconciler.render.text import report_json

    outcome = None if report is None else report_json(report)
    click.echo(json_text({"plan": result.to_json(), "apply": outcome}))


async def _read_and_apply(
    config_path: Path, targets: tuple[str, ...], prune: bool | None, auto_approve: bool, as_json: bool, force: bool
) -> int:
    """Apply without a saved plan: live rules are read while the manifests load, as `plan` does
    (runner/prefetch.py). The local lock only warns of another run, never waits, so taking it once the
    manifests tell which targets are written changes nothing the reads see."""
    from reconciler.runner.lock import hold_target_locks
    from reconciler.runner.prefetch import open_reading
    from reconciler.runner.workspace import written_targets

    reading = await open_reading(config_path, targets)
    with hold_target_locks(written_targets(reading.workspace), "apply") as warnings:
        print_warnings(warnings)
        return await _plan_and_apply(
            reading.workspace, prune, auto_approve, as_json, force, sessions=reading.sessions, started=reading.started
        )


async def _plan_and_apply(
    workspace: Workspace,
    prune: bool | None,
    auto_approve: bool,
    as_json: bool,
    force: bool = False,
    saved: ReviewedPlan | None = None,
    *,
    sessions: Sessions | None = None,
    started: MutableMapping[ScopeRef, Awaitable[LiveScope | ApiError]] | None = None,
) -> int:
    from reconciler.render.text import render_plan, render_report
    from reconciler.runner.flows import check_fresh
    from reconciler.runner.sessions import open_sessions
    from reconciler.runner.writing import guard_confirm_apply

    async with sessions or open_sessions(workspace) as sessions:
        if saved is None:
            reviewed = await plan_with_progress(
                workspace, sessions, prune, as_json, fingerprinted=False, started=started
            )
            result = reviewed.plan
        else:
            result = await check_fresh(saved, workspace, sessions)
        if not as_json:
            click.echo(render_plan(result, forced=force))
        confirm = partial(confirm_or_refuse, auto_approve)
        written = await guard_confirm_apply(
            workspace, sessions, result, prune=prune, force=force, confirm=confirm, watch=watched(as_json)
        )
    print_written(result, written)
    if written.stopped_by is not None:
        return exit_status(written.stopped_by)
    report = written.report
    if as_json:
        _echo_json_outcome(result, report)
    elif report is not None:
        click.echo("")
        click.echo(render_report(report))
    if written.refused or written.cancelled:
        return EXIT_ERROR
    ok = report is None or report.ok  # no report: there was nothing to change
    return EXIT_OK if ok and not result.has_errors else EXIT_ERROR


@click.command()
@config_option
@target_option
@prune_option
@click.option("--auto-approve", is_flag=True, help="Apply without asking (for CI).")
@click.option("--json", "as_json", is_flag=True, help="Print the plan and the outcome of each change as JSON.")
@force_option
@click.argument("plan_file", required=False, type=click.Path(path_type=Path, dir_okay=False))
@reports_errors
def apply(
    config_path: Path,
    targets: tuple[str, ...],
    prune: bool | None,
    auto_approve: bool,
    as_json: bool,
    force: bool,
    plan_file: Path | None,
) -> None:
    """Show the plan, ask, then make the live rules match the manifests.

    With PLAN_FILE (from `plan --out`), apply exactly that plan's changes, refusing if the manifests or
    the live rules changed since it was made.
    """
    from reconciler.engine.saved import read_plan_file
    from reconciler.runner.flows import plan_workspace
    from reconciler.runner.lock import hold_target_locks
    from reconciler.runner.workspace import open_workspace, written_targets

    if as_json and not auto_approve:
        raise click.UsageError("--json needs --auto-approve: apply cannot ask for confirmation while it prints JSON")
    if plan_file is None:
        sys.exit(eventloop.run(_read_and_apply(config_path, targets, prune, auto_approve, as_json, force)))
    if targets or prune is not None:
        raise ReconcilerError("a saved plan already fixes its targets and prune: give --target and --prune to plan")
    saved = read_plan_file(plan_file)
    workspace = plan_workspace(open_workspace(config_path, tuple(saved.targets)), saved)
    with hold_target_locks(written_targets(workspace), "apply") as warnings:
        print_warnings(warnings)
        sys.exit(eventloop.run(_plan_and_apply(workspace, prune, auto_approve, as_json, force, saved)))
