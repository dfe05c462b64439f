"""The `reconciler` command: validate, plan, apply, sandbox, demo."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from reconciler import eventloop
from reconciler.config import CONFIG_FILE
from reconciler.errors import InputError, ReconcilerError
from reconciler.importing import import_target, render_import
from reconciler.live import Sessions
from reconciler.progress import ProgressDisplay, wanted
from reconciler.providers import PROVIDERS
from reconciler.rendering import plan_json, render_plan, render_report, report_json
from reconciler.runner import Workspace, delete_verbs, make_plan, open_sessions, open_workspace, run_apply

F = TypeVar("F", bound=Callable[..., Any])

EXIT_OK, EXIT_ERROR, EXIT_CHANGES = 0, 1, 2


def reports_errors(func: F) -> F:
    """Bad input and API failures become a clear message on stderr and exit code 1, never a traceback."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except InputError as exc:
            for problem in exc.problems:
                click.echo(f"error: {problem}", err=True)
            click.echo(f"{len(exc.problems)} problem(s) found; nothing was sent to any API.", err=True)
            sys.exit(EXIT_ERROR)
        except ReconcilerError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(EXIT_ERROR)

    return wrapper  # type: ignore[return-value]


config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    default=CONFIG_FILE,
    show_default=True,
    envvar="RECONCILER_CONFIG",
    help="Project config naming the targets.",
)
target_option = click.option(
    "--target", "-t", "targets", multiple=True, help="Limit the run to this target (repeatable)."
)
prune_option = click.option(
    "--prune/--no-prune", default=None, help="Delete live rules no manifest mentions (overrides the target's prune)."
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--no-color", is_flag=True, help="Plain output without colours.")
@click.pass_context
def main(ctx: click.Context, no_color: bool) -> None:
    """Make SaaS rules (Primo, ViziVault, OneLogin) match the YAML manifests in git."""
    if no_color:
        ctx.color = False


@main.command()
@config_option
@target_option
@reports_errors
def validate(config_path: Path, targets: tuple[str, ...]) -> None:
    """Check config and manifests against each provider's model. Makes no API call."""
    workspace = open_workspace(config_path, targets)
    click.echo(
        f"Valid: {workspace.desired.rule_count()} rules in {len(workspace.desired.scopes)} scope(s) "
        f"for {len(workspace.targets)} target(s)."
    )


def _echo_plan(plan: Any, as_json: bool) -> None:
    if as_json:
        click.echo(plan_json(plan))
    else:
        click.echo(render_plan(plan, delete_verbs()))


@main.command()
@config_option
@target_option
@prune_option
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON (format_version 1).")
@click.option(
    "--detailed-exitcode", is_flag=True, help="Exit 0 when there are no changes, 2 when there are, 1 on error."
)
@reports_errors
def plan(
    config_path: Path, targets: tuple[str, ...], prune: bool | None, as_json: bool, detailed_exitcode: bool
) -> None:
    """Show what apply would change, rule by rule and field by field."""
    workspace = open_workspace(config_path, targets)

    async def run() -> Any:
        async with open_sessions(workspace) as sessions:
            return await _plan_with_progress(workspace, sessions, prune, as_json)

    result = eventloop.run(run())
    _echo_plan(result, as_json)
    if result.has_errors:
        sys.exit(EXIT_ERROR)
    if detailed_exitcode and result.has_changes:
        sys.exit(EXIT_CHANGES)


def _confirm_or_refuse(auto_approve: bool) -> bool:
    if auto_approve:
        return True
    if not sys.stdin.isatty():
        raise ReconcilerError("apply needs confirmation: run it in a terminal, or pass --auto-approve")
    return click.confirm("Apply these changes?", default=False)


async def _plan_with_progress(workspace: Workspace, sessions: Sessions, prune: bool | None, as_json: bool) -> Any:
    with ProgressDisplay(wanted(as_json)) as progress:
        fetched = progress.counter("Reading live rules (scopes)", len(workspace.desired.scopes))
        return await make_plan(workspace, sessions, prune=prune, on_fetched=fetched)


async def _plan_and_apply(workspace: Workspace, prune: bool | None, auto_approve: bool, as_json: bool) -> int:
    async with open_sessions(workspace) as sessions:
        result = await _plan_with_progress(workspace, sessions, prune, as_json)
        if not as_json:
            click.echo(render_plan(result, delete_verbs()))
        if not result.has_changes:
            if as_json:
                click.echo(json.dumps({"plan": result.to_json(), "apply": None}, indent=2))
            return EXIT_ERROR if result.has_errors else EXIT_OK
        if not _confirm_or_refuse(auto_approve):
            click.echo("Apply cancelled; nothing was changed.")
            return EXIT_ERROR
        with ProgressDisplay(wanted(as_json)) as progress:
            applied = progress.counter("Applying changes", sum(len(s.changes) for s in result.scopes))
            report = await run_apply(result, sessions, applied)
        if as_json:
            click.echo(json.dumps({"plan": result.to_json(), "apply": report_json(report)}, indent=2))
        else:
            click.echo("")
            click.echo(render_report(report))
        return EXIT_OK if report.ok and not result.has_errors else EXIT_ERROR


@main.command()
@config_option
@target_option
@prune_option
@click.option("--auto-approve", is_flag=True, help="Apply without asking (for CI).")
@click.option("--json", "as_json", is_flag=True, help="Print the plan and the outcome of each change as JSON.")
@reports_errors
def apply(config_path: Path, targets: tuple[str, ...], prune: bool | None, auto_approve: bool, as_json: bool) -> None:
    """Show the plan, ask, then make the live rules match the manifests."""
    workspace = open_workspace(config_path, targets)
    sys.exit(eventloop.run(_plan_and_apply(workspace, prune, auto_approve, as_json)))


@main.command("import")
@config_option
@click.option("--target", "-t", "target_name", required=True, help="The target whose live rules to import.")
@click.option("--app", "apps", multiple=True, type=int, help="Import only this OneLogin app (repeatable).")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Folder for scopes no manifest holds yet.  [default: <rules_dir>/<target>/]",
)
@click.option("--dry-run", is_flag=True, help="Show what would be written, as a diff; write nothing.")
@click.option("--drop-missing", is_flag=True, help="Remove manifest rules that are not live (default: report them).")
@reports_errors
def import_(
    config_path: Path, target_name: str, apps: tuple[int, ...], out_dir: Path | None, dry_run: bool, drop_missing: bool
) -> None:
    """Write the target's live rules into manifests, so that `plan` then shows no changes.

    Rules a manifest already holds are updated in place, keeping comments and layout.
    """
    workspace = open_workspace(config_path, (target_name,))
    target = workspace.targets[0]

    async def run() -> Any:
        async with Sessions([target]) as sessions:
            return await import_target(
                workspace.config,
                target,
                PROVIDERS[target.provider],
                sessions,
                apps=apps,
                out_dir=out_dir,
                drop_missing=drop_missing,
            )

    result = eventloop.run(run())
    if dry_run:
        click.echo(result.diff(), nl=False)
    else:
        result.write()
    click.echo(render_import(result, dry_run=dry_run))


def _register_optional_commands() -> None:
    from reconciler.demo import demo_command
    from reconciler.sandbox.cli import sandbox_command

    main.add_command(sandbox_command)
    main.add_command(demo_command)


_register_optional_commands()
