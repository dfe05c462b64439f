"""`reconciler sync`: the scheduled drift check. Plan every target; what the plan would change is drift
(someone edited a rule in the vendor's console); with `--repair`, apply to bring live back.

Exit codes: 0 no drift (or every drift repaired), 2 drift found and left, 1 an error (a scope that
could not be read, a failed repair, a refused confirmation).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import click

from reconciler.cli import eventloop
from reconciler.cli.interrupt import exit_status
from reconciler.cli.options import (
    EXIT_ERROR,
    EXIT_OK,
    config_option,
    confirm_or_refuse,
    force_option,
    markdown_option,
    prune_option,
    reports_errors,
    shard_option,
    target_option,
    write_markdown,
)
from reconciler.cli.writing import print_warnings, print_written, watched
from reconciler.errors import ReconcilerError

if TYPE_CHECKING:
    from reconciler.engine.apply import ApplyReport
    from reconciler.engine.saved import ReviewedPlan
    from reconciler.engine.shard import Shard
    from reconciler.runner.drift import Drifted, DriftReport

EXIT_DRIFT = 2  # drift found and left


def modified_text(drifted: list[Drifted]) -> str:
    from reconciler.render.text import value_text

    dated = [d for d in drifted if d.modified]
    if not dated:
        return ""
    lines = ["Last modified, as the APIs report it (none of them says by whom):"]
    lines += [f"  {d.label}: {value_text(d.identity)} at {d.modified}" for d in dated]
    return "\n\n" + "\n".join(lines)


@dataclass
class SyncOutput:
    as_json: bool = False
    markdown: IO[str] | None = None

    @property
    def text(self) -> bool:
        """Whether the text report goes to stdout: not when JSON or markdown (`--markdown -`) takes it."""
        from reconciler.render.markdown import markdown_on_stdout

        return not self.as_json and not markdown_on_stdout(self.markdown)


def _markdown(reviewed: ReviewedPlan, drifted: list[Drifted], report: ApplyReport | None) -> str:
    from reconciler.render.markdown import fenced, render_markdown
    from reconciler.render.text import render_report

    dates = {(d.ref, d.identity): d.modified for d in drifted if d.modified}
    text = render_markdown(reviewed.plan, title="reconciler drift", kind="drift", modified=dates)
    if report is not None:
        repair_lines = click.unstyle(render_report(report)).splitlines()
        text += "\n**Repair**\n\n" + fenced(repair_lines, "text") + "\n"
    return text


def print_drift(report: DriftReport, output: SyncOutput, *, forced: bool) -> None:
    """The drift as planned, before any repair is asked for."""
    from reconciler.render.text import render_plan

    if not output.text:
        return
    plan = report.plan
    click.echo(render_plan(plan, forced=forced) + modified_text(report.drifted))
    if plan.has_changes:
        click.echo(f"\nDrift: {len(report.drifted)} change(s) would bring live rules back to the manifests.")


def print_outcome(report: DriftReport, output: SyncOutput) -> None:
    """What happened after the drift was shown: the repair, or why there was none; JSON and markdown."""
    from reconciler.engine.plan import json_text
    from reconciler.render.text import render_report, report_json

    if report.written is not None:
        print_written(report.plan, report.written)
        if report.written.stopped_by is not None:
            return  # stopped midway: what it applied and what it did not is listed above, as apply does
    if output.text and report.repair is not None:
        click.echo("")
        click.echo(render_report(report.repair))
    if output.as_json:
        document = {
            "drift": report.plan.has_changes,
            "drifted": [d.to_json() for d in report.drifted],
            "plan": report.reviewed.to_json(),
            "repair": None if report.repair is None else report_json(report.repair),
        }
        click.echo(json_text(document))
    if output.markdown is not None:
        write_markdown(output.markdown, _markdown(report.reviewed, report.drifted, report.repair))


def exit_code(report: DriftReport) -> int:
    plan, repair = report.plan, report.repair
    if report.written is not None and report.written.stopped_by is not None:
        return exit_status(report.written.stopped_by)
    if plan.has_errors or report.refused or (repair is not None and not repair.ok):
        return EXIT_ERROR
    if plan.has_changes and repair is None:
        return EXIT_DRIFT
    return EXIT_OK


@click.command()
@config_option
@target_option
@prune_option
@shard_option
@click.option("--repair", is_flag=True, help="Apply the changes that bring live rules back to the manifests.")
@force_option
@click.option("--auto-approve", is_flag=True, help="Repair without asking (for CI).")
@click.option("--json", "as_json", is_flag=True, help="Print the drift report as JSON.")
@markdown_option
@reports_errors
def sync(
    config_path: Path,
    targets: tuple[str, ...],
    prune: bool | None,
    shard: Shard | None,
    repair: bool,
    force: bool,
    auto_approve: bool,
    as_json: bool,
    markdown_out: Any,
) -> None:
    """Check every target for drift from the manifests (for scheduled jobs); --repair fixes it.

    Exits 0 when live rules match the manifests (or every drift was repaired), 2 when drift was found
    and left, 1 on error.
    """
    from reconciler.render.markdown import markdown_on_stdout
    from reconciler.runner.drift import run_sync
    from reconciler.runner.lock import hold_target_locks
    from reconciler.runner.workspace import open_workspace, shard_workspace, written_targets

    if as_json and markdown_on_stdout(markdown_out):
        raise ReconcilerError("--json and --markdown - both print to stdout: give --markdown a file")
    if repair and as_json and not auto_approve:
        raise click.UsageError("--repair --json needs --auto-approve: sync cannot ask for confirmation with JSON")
    workspace = shard_workspace(open_workspace(config_path, targets), shard)
    output = SyncOutput(as_json, markdown_out)
    confirm = partial(confirm_or_refuse, auto_approve)  # asked only when there is drift to repair

    def shown(report: DriftReport) -> None:
        print_drift(report, output, forced=force and repair)

    work = run_sync(
        workspace, prune=prune, repair=repair, force=force, confirm=confirm, on_planned=shown, watch=watched(as_json)
    )
    with hold_target_locks(written_targets(workspace) if repair else [], "sync --repair") as warnings:
        print_warnings(warnings)
        report = eventloop.run(work)
    print_outcome(report, output)
    sys.exit(exit_code(report))
