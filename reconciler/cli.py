"""The `reconciler` command: thin click wiring over the engine (validate, plan, apply, show, sync, targets,
import, schema, sandbox, demo)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from functools import partial, wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from reconciler import eventloop
from reconciler.applying import ApplyReport
from reconciler.config import CONFIG_FILE, load_config
from reconciler.errors import InputError, ReconcilerError
from reconciler.guards import blocking
from reconciler.importing import import_target, render_import
from reconciler.live import Sessions
from reconciler.markdown import markdown_on_stdout, render_markdown
from reconciler.planning import Plan
from reconciler.progress import ProgressDisplay, wanted
from reconciler.providers import PROVIDERS
from reconciler.remote import check_remote
from reconciler.rendering import json_text, render_plan, render_report, report_json
from reconciler.runner import Workspace, delete_verbs, open_sessions, open_workspace, run_apply
from reconciler.savedplan import (
    ReviewedPlan,
    check_fresh,
    make_reviewed_plan,
    plan_workspace,
    read_plan_file,
    write_plan_file,
)
from reconciler.schema import manifest_schema_json
from reconciler.selection import Shard, matrix, shard_workspace
from reconciler.syncing import SyncOutput, run_sync

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
            click.echo(f"{len(exc.problems)} problem(s) found; nothing was changed in any tenant.", err=True)
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
force_option = click.option(
    "--force", is_flag=True, help="Apply past the guards on mass changes and deleting all (never past protect)."
)


def _parse_shard(ctx: click.Context, param: click.Parameter, value: str | None) -> Shard | None:
    try:
        return None if value is None else Shard.parse(value)
    except ReconcilerError as exc:
        raise click.BadParameter(str(exc)) from exc


shard_option = click.option(
    "--shard",
    type=str,
    default=None,
    callback=_parse_shard,
    metavar="I/N",
    help="Cover only shard I of N: scopes (targets, OneLogin apps) split by a stable hash.",
)
markdown_option = click.option(
    "--markdown",
    "markdown_out",
    type=click.File("w", encoding="utf-8", lazy=True),
    default=None,
    metavar="FILE",
    help="Also write the report as markdown (pull-request comment, job summary) to FILE; '-' is stdout.",
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
@click.option(
    "--no-credentials",
    is_flag=True,
    help="Do not require the credentials' environment variables (e.g. a pull request from a fork).",
)
@click.option("--remote", is_flag=True, help="Also check against each tenant's own catalogs (read-only API calls).")
@reports_errors
def validate(config_path: Path, targets: tuple[str, ...], no_credentials: bool, remote: bool) -> None:
    """Check config and manifests against each provider's rules. Makes no API call unless --remote."""
    if remote and no_credentials:
        raise ReconcilerError("--remote reads the tenants, so it needs the credentials: drop --no-credentials")
    workspace = open_workspace(config_path, targets, check_env=not no_credentials)
    if remote:
        eventloop.run(check_remote(workspace))
    click.echo(
        f"Valid: {workspace.desired.rule_count()} rules in {len(workspace.desired.scopes)} scope(s) "
        f"for {len(workspace.targets)} target(s)."
    )


@main.command()
@config_option
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), help="Write the schema to this file.")
@reports_errors
def schema(config_path: Path, out: Path | None) -> None:
    """Print the JSON Schema of manifests (for editors); target names come from the config when there is one."""
    text = manifest_schema_json(load_config(config_path) if config_path.exists() else None)
    if out:
        try:
            out.parent.mkdir(parents=True, exist_ok=True)  # `.reconciler/` is made on first use
            out.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise ReconcilerError(f"{out}: cannot write the schema ({exc.strerror})") from exc
    else:
        click.echo(text, nl=False)


def _echo_plan(reviewed: ReviewedPlan, as_json: bool) -> None:
    if as_json:
        click.echo(reviewed.dumps())
    else:
        click.echo(render_plan(reviewed.plan, delete_verbs()))


@main.command()
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
    detailed_exitcode: bool,
) -> None:
    """Show what apply would change, rule by rule and field by field."""
    if as_json and markdown_on_stdout(markdown_out):
        raise ReconcilerError("--json and --markdown - both print to stdout: give --markdown a file")
    workspace = shard_workspace(open_workspace(config_path, targets), shard)

    async def run() -> ReviewedPlan:
        async with open_sessions(workspace) as sessions:
            return await _plan_with_progress(workspace, sessions, prune, as_json, shard)

    reviewed = eventloop.run(run())
    result = reviewed.plan
    if not markdown_on_stdout(markdown_out):
        _echo_plan(reviewed, as_json)
    if out_path is not None:
        write_plan_file(reviewed, out_path)
    if markdown_out is not None:
        markdown_out.write(render_markdown(result, delete_verbs()))
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


async def _plan_with_progress(
    workspace: Workspace, sessions: Sessions, prune: bool | None, as_json: bool, shard: Shard | None = None
) -> ReviewedPlan:
    with ProgressDisplay(wanted(as_json)) as progress:
        fetched = progress.counter("Reading live rules (scopes)", len(workspace.desired.scopes))
        return await make_reviewed_plan(workspace, sessions, prune=prune, shard=shard, on_fetched=fetched)


def _echo_json_outcome(result: Plan, report: ApplyReport | None) -> None:
    outcome = None if report is None else report_json(report)
    click.echo(json_text({"plan": result.to_json(), "apply": outcome}))


async def _plan_and_apply(
    workspace: Workspace,
    prune: bool | None,
    auto_approve: bool,
    as_json: bool,
    force: bool = False,
    saved: ReviewedPlan | None = None,
) -> int:
    async with open_sessions(workspace) as sessions:
        if saved is None:
            result = (await _plan_with_progress(workspace, sessions, prune, as_json)).plan
        else:
            result = await check_fresh(saved, workspace, sessions)
        if not as_json:
            click.echo(render_plan(result, delete_verbs(), forced=force))
        if blocking(result.refusals, force):
            if as_json:
                _echo_json_outcome(result, None)
            click.echo("Apply refused by a safety guard (see above); nothing was changed.", err=True)
            return EXIT_ERROR
        if not result.has_changes:
            if as_json:
                _echo_json_outcome(result, None)
            return EXIT_ERROR if result.has_errors else EXIT_OK
        if not _confirm_or_refuse(auto_approve):
            click.echo("Apply cancelled; nothing was changed.")
            return EXIT_ERROR
        with ProgressDisplay(wanted(as_json)) as progress:
            applied = progress.counter("Applying changes", sum(len(s.changes) for s in result.scopes))
            report = await run_apply(result, sessions, applied)
        if as_json:
            _echo_json_outcome(result, report)
        else:
            click.echo("")
            click.echo(render_report(report, delete_verbs()))
        return EXIT_OK if report.ok and not result.has_errors else EXIT_ERROR


@main.command()
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
    if plan_file is None:
        workspace = open_workspace(config_path, targets)
        sys.exit(eventloop.run(_plan_and_apply(workspace, prune, auto_approve, as_json, force)))
    if targets or prune is not None:
        raise ReconcilerError("a saved plan already fixes its targets and prune: give --target and --prune to plan")
    saved = read_plan_file(plan_file)
    workspace = plan_workspace(open_workspace(config_path, tuple(saved.targets)), saved)
    sys.exit(eventloop.run(_plan_and_apply(workspace, prune, auto_approve, as_json, force, saved)))


@main.command()
@click.argument("plan_file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the saved plan as JSON.")
@click.option("--markdown", "as_markdown", is_flag=True, help="Print the saved plan as markdown.")
@reports_errors
def show(plan_file: Path, as_json: bool, as_markdown: bool) -> None:
    """Show a plan saved by `plan --out`. Makes no API call."""
    saved = read_plan_file(plan_file)
    if as_json:
        _echo_plan(saved, as_json=True)
    elif as_markdown:
        click.echo(render_markdown(saved.plan, delete_verbs()), nl=False)
    else:
        _echo_plan(saved, as_json=False)
        prints = saved.fingerprints
        click.echo(
            f"Saved plan of {', '.join(saved.targets)}, made from {len(prints.manifests)} file(s) and the live "
            f"rules of {len(prints.live)} scope(s); `apply {plan_file}` refuses it once either changes."
        )


@main.command()
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
    if as_json and markdown_on_stdout(markdown_out):
        raise ReconcilerError("--json and --markdown - both print to stdout: give --markdown a file")
    workspace = shard_workspace(open_workspace(config_path, targets), shard)
    output = SyncOutput(as_json, markdown_out)
    confirm = partial(_confirm_or_refuse, auto_approve)  # asked only when there is drift to repair
    sys.exit(
        eventloop.run(run_sync(workspace, prune=prune, repair=repair, force=force, confirm=confirm, output=output))
    )


@main.command("targets")
@config_option
@click.option("--matrix", "as_matrix", is_flag=True, help="Print a GitHub Actions matrix (JSON) instead of names.")
@click.option("--shards", type=click.IntRange(1, 256), default=None, help="With --matrix: one job per shard I/N.")
@reports_errors
def targets_command(config_path: Path, as_matrix: bool, shards: int | None) -> None:
    """List the configured targets, one per line, or as a matrix for CI jobs. Makes no API call."""
    names = list(load_config(config_path).targets)
    if as_matrix:
        click.echo(json.dumps(matrix(names, shards), separators=(",", ":")))
    elif shards is not None:
        raise ReconcilerError("--shards needs --matrix")
    else:
        for name in names:
            click.echo(name)


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
