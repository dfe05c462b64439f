"""`reconciler test`: the behaviour the rule tests expect, checked against the manifests or the live rules."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from reconciler.cli import eventloop
from reconciler.cli.options import EXIT_ERROR, config_option, reports_errors, target_option, write_report

if TYPE_CHECKING:
    from reconciler.engine.ruletests import CaseResult, RuleCase
    from reconciler.runner.workspace import Workspace


def _live_results(workspace: Workspace, cases: list[RuleCase]) -> list[CaseResult]:
    from reconciler.runner.ruletests import run_live
    from reconciler.runner.sessions import open_sessions

    async def run() -> list[CaseResult]:
        async with open_sessions(workspace) as sessions:
            return await run_live(workspace, sessions, cases)

    return eventloop.run(run())


@click.command("test")
@config_option
@target_option
@click.option(
    "-k", "pattern", default=None, metavar="PATTERN",
    help="Only the cases whose name (or file::name) contains PATTERN, or matches it as a glob.",
)  # fmt: skip
@click.option("--live", is_flag=True, help="Run the cases against the live rules (read-only: one list per scope).")
@click.option(
    "--record", is_flag=True,
    help="Write the current outcome of each case without `expect` (or with `recorded: true`) into its file.",
)  # fmt: skip
@click.option(
    "--junit", "junit_path", type=click.Path(path_type=Path, dir_okay=False), default=None, metavar="FILE",
    help="Also write the results as JUnit XML to FILE.",
)  # fmt: skip
@reports_errors
def test_command(
    config_path: Path, targets: tuple[str, ...], pattern: str | None, live: bool, record: bool, junit_path: Path | None
) -> None:
    """Run the rule tests (tests/rules/*.yaml): each case's input through the rules, its outcome compared
    with the expected one. Offline, against the manifests, unless --live."""
    from reconciler.render.ruletests import junit_xml, render_results
    from reconciler.runner.ruletests import load_workspace_cases, record_outcomes, run_offline
    from reconciler.runner.workspace import open_workspace

    workspace = open_workspace(config_path, targets, check_env=live)
    cases = load_workspace_cases(workspace, pattern)
    results = _live_results(workspace, cases) if live else run_offline(workspace, cases)
    source = "the live rules" if live else "the manifests"
    if record:
        report = record_outcomes(workspace, results)
        for case, what in report:
            if what != "kept":  # hand-written expectations are never touched: no need to list them
                click.echo(f"{what}: {case.title}")
        recorded = sum(1 for _, what in report if what == "recorded")
        click.echo(f"Recorded the outcome of {recorded} case(s) from {source}; review them before trusting them.")
        if any(what.startswith("not recorded") for _, what in report):
            sys.exit(EXIT_ERROR)
        return
    labels = {ref: workspace.config.targets[ref.target].provider_class.scope_label(ref.scope)
              for ref in workspace.desired.scopes}  # fmt: skip
    click.echo(render_results(results, labels, source))
    if junit_path is not None:
        write_report(junit_path, junit_xml(results, source), "the JUnit report")
    if not all(result.passed for result in results):
        sys.exit(EXIT_ERROR)
