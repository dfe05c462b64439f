"""`plan` and `show`: what apply would change, from the live rules or from a saved plan."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from reconciler.cli import eventloop
from reconciler.cli.options import (
    EXIT_CHANGES,
    EXIT_ERROR,
    config_option,
    markdown_option,
    plan_with_progress,
    prune_option,
    reports_errors,
    shard_option,
    target_option,
    write_markdown,
    write_report,
)

if TYPE_CHECKING:
    from reconciler.engine.ruletests import RuleCase
    from reconciler.engine.saved import ReviewedPlan
    from reconciler.engine.shard import Shard
    from reconciler.runner.workspace import Workspace

from reconciler.errors import ReconcilerError
from reconciler.safetext import write_text_file


def write_comment_parts(parts: list[str], folder: Path) -> None:
    """Write `part-001.md`, `part-002.md`, ... into `folder` (made if missing), replacing older parts."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("part-*.md"):
            old.unlink()
        for number, text in enumerate(parts, start=1):
            write_text_file(folder / f"part-{number:03d}.md", text)
    except OSError as exc:
        raise ReconcilerError(f"{folder}: cannot write the plan comments ({exc.strerror})") from exc


def _echo_plan(reviewed: ReviewedPlan, as_json: bool) -> None:
    from reconciler.render.text import render_plan

    if as_json:
        click.echo(reviewed.dumps())
    else:
        click.echo(render_plan(reviewed.plan))


@click.command()
@config_option
@target_option
@prune_option
@shard_option
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON (format_version 2).")
@click.option(
    "--out",
    "out_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Save the plan to this file, for `apply FILE` to apply exactly these changes.",
)
@markdown_option
@click.option(
    "--markdown-parts",
    "parts_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    metavar="DIR",
    help="Also write the plan as pull-request comments, DIR/part-001.md and on, each within GitHub's size "
    "limit, summary first.",
)
@click.option(
    "--base-config",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    metavar="FILE",
    help="The base branch's config (for a pull request): read each target only at the url and with the "
    "credentials it names there.",
)
@click.option(
    "--detailed-exitcode", is_flag=True, help="Exit 0 when there are no changes, 2 when there are, 1 on error."
)
@reports_errors
def plan(
    config_path: Path,
    targets: tuple[str, ...],
    prune: bool | None,
    shard: Shard | None,
    as_json: bool,
    out_path: Path | None,
    markdown_out: Any,
    parts_dir: Path | None,
    base_config: Path | None,
    detailed_exitcode: bool,
) -> None:
    """Show what apply would change, rule by rule and field by field."""
    from reconciler.render.comments import render_comment_parts
    from reconciler.render.markdown import markdown_on_stdout, render_markdown
    from reconciler.runner.prefetch import open_reading
    from reconciler.runner.ruletests import load_workspace_cases, plan_impact

    if as_json and markdown_on_stdout(markdown_out):
        raise ReconcilerError("--json and --markdown - both print to stdout: give --markdown a file")

    async def run() -> tuple[Workspace, list[RuleCase], ReviewedPlan]:
        # Live rules are read while the manifests load (see runner/prefetch.py).
        reading = await open_reading(config_path, targets, shard, base_config=base_config)
        async with reading.sessions as sessions:
            # Bad test files stop the plan before any request: a project with rule tests reads nothing early.
            cases = load_workspace_cases(reading.whole, check_rules=False)
            # Fingerprints serve a saved plan and the JSON document only; a plan on screen needs none.
            fingerprinted = as_json or out_path is not None
            reviewed = await plan_with_progress(
                reading.workspace,
                sessions,
                prune,
                as_json,
                shard,
                fingerprinted=fingerprinted,
                started=reading.started,
                # Rule tests' impact compares the live rules of the scopes with changes to those after them.
                keep_live=(lambda scope: bool(scope.changes)) if cases else None,
            )
            return reading.workspace, cases, reviewed

    workspace, cases, reviewed = eventloop.run(run())
    result = reviewed.plan
    result.impact = plan_impact(workspace, result, reviewed.live, cases)
    if not markdown_on_stdout(markdown_out):
        _echo_plan(reviewed, as_json)
    if out_path is not None:
        write_report(out_path, reviewed.dumps() + "\n", "the plan file")
    if markdown_out is not None:
        write_markdown(markdown_out, render_markdown(result))
    if parts_dir is not None:
        write_comment_parts(render_comment_parts(result), parts_dir)
    if result.policy is not None and result.policy.denies:
        # A pull request's check goes red: the apply of this plan would be refused.
        click.echo(f"error: {len(result.policy.denies)} policy deny(ies): apply would refuse this plan.", err=True)
        sys.exit(EXIT_ERROR)
    if result.has_errors:
        sys.exit(EXIT_ERROR)
    if detailed_exitcode and result.has_changes:
        sys.exit(EXIT_CHANGES)


@click.command()
@click.argument("plan_file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the saved plan as JSON.")
@click.option("--markdown", "as_markdown", is_flag=True, help="Print the saved plan as markdown.")
@reports_errors
def show(plan_file: Path, as_json: bool, as_markdown: bool) -> None:
    """Show a plan saved by `plan --out`. Makes no API call."""
    from reconciler.engine.saved import read_plan_file
    from reconciler.render.markdown import render_markdown

    saved = read_plan_file(plan_file)
    if as_json:
        _echo_plan(saved, as_json=True)
    elif as_markdown:
        click.echo(render_markdown(saved.plan), nl=False)
    else:
        _echo_plan(saved, as_json=False)
        prints = saved.fingerprints
        click.echo(
            f"Saved plan of {', '.join(saved.targets)}, made from {len(prints.manifests)} file(s) and the live "
            f"rules of {len(prints.live)} scope(s); `apply {plan_file}` refuses it once either changes."
        )
