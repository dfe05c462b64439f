"""What every command shares: its options, and how errors become one line on stderr and an exit code."""

from __future__ import annotations

import os
import sys
from collections.abc import Awaitable, Callable, MutableMapping
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from reconciler.cli import logs
from reconciler.cli.progress import ProgressDisplay, wanted
from reconciler.errors import InputError, ReconcilerError
from reconciler.project import CONFIG_FILE
from reconciler.safetext import safe_text, write_text_file

if TYPE_CHECKING:  # the commands import what they run when they run (see main.COMMANDS)
    from reconciler.engine.model import LiveScope, ScopeRef
    from reconciler.engine.plan import ScopePlan
    from reconciler.engine.saved import ReviewedPlan
    from reconciler.engine.shard import Shard
    from reconciler.errors import ApiError
    from reconciler.runner.sessions import Sessions
    from reconciler.runner.workspace import Workspace

F = TypeVar("F", bound=Callable[..., Any])

EXIT_OK, EXIT_ERROR, EXIT_CHANGES = 0, 1, 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report Ctrl-C


def write_report(path: Path, text: str, what: str) -> None:
    """Write a file a command was asked for (`--junit`, `--out`), its folder made if missing; a path that
    cannot be written is one line naming it, never a traceback."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_text_file(path, text)
    except OSError as exc:
        raise ReconcilerError(f"{path}: cannot write {what} ({exc.strerror})") from exc


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
        except KeyboardInterrupt:  # before any write (an apply's writes handle their own interrupt)
            click.echo("Interrupted; nothing was changed in any tenant.", err=True)
            sys.exit(EXIT_INTERRUPTED)

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


def complete_targets(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    """Shell completion of `--target`: the names of the config's targets (none when it cannot be read)."""
    from reconciler.project.config import load_config

    config_path = ctx.params.get("config_path") or Path(os.environ.get("RECONCILER_CONFIG", CONFIG_FILE))
    try:
        names = load_config(Path(config_path)).targets
    except (ReconcilerError, OSError):
        return []
    return [name for name in names if name.startswith(incomplete)]


target_option = click.option(
    "--target",
    "-t",
    "targets",
    multiple=True,
    shell_complete=complete_targets,
    help="Limit the run to this target (repeatable).",
)
prune_option = click.option(
    "--prune/--no-prune", default=None, help="Delete live rules no manifest mentions (overrides the target's prune)."
)
force_option = click.option(
    "--force", is_flag=True, help="Apply past the guards on mass changes and deleting all (never past protect)."
)


def _parse_shard(ctx: click.Context, param: click.Parameter, value: str | None) -> Shard | None:
    from reconciler.engine.shard import Shard

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


def write_markdown(out: Any, text: str) -> None:
    """Write a `--markdown` report (a lazy file, '-' for stdout), its folder made if missing, like the
    files of `write_report`; the folder is made only when there is a report to write."""
    name = getattr(out, "name", "-")
    try:
        if name != "-":
            Path(name).parent.mkdir(parents=True, exist_ok=True)
        out.write(safe_text(text))
    except OSError as exc:
        raise ReconcilerError(f"{name}: cannot write the markdown report ({exc.strerror})") from exc


markdown_option = click.option(
    "--markdown",
    "markdown_out",
    type=click.File("w", encoding="utf-8", lazy=True),
    default=None,
    metavar="FILE",
    help="Also write the report as markdown (pull-request comment, job summary) to FILE; '-' is stdout.",
)


def _colour_off(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value:
        ctx.color = False


def _verbose(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value:
        logs.be_verbose()


def common_options() -> list[click.Parameter]:
    """The group's options, which every command also takes after its name (`plan --no-color`)."""
    return [
        click.Option(
            ["--no-color"], is_flag=True, expose_value=False, callback=_colour_off, help="Plain output without colours."
        ),
        click.Option(
            ["-v", "--verbose"],
            is_flag=True,
            expose_value=False,
            callback=_verbose,
            help="One line per API request on stderr (as RECONCILER_LOG=debug).",
        ),
    ]


def interactive() -> bool:
    """Someone can answer a prompt: stdin is a terminal."""
    return sys.stdin.isatty()


def confirm_or_refuse(auto_approve: bool) -> bool:
    """Go ahead with --auto-approve, or when the person at the terminal says so (asked on stderr, so
    that stdout carries only the plan)."""
    if auto_approve:
        return True
    if not interactive():
        raise ReconcilerError("apply needs confirmation: run it in a terminal, or pass --auto-approve")
    return click.confirm("Apply these changes?", default=False, err=True)


async def plan_with_progress(
    workspace: Workspace,
    sessions: Sessions,
    prune: bool | None,
    as_json: bool,
    shard: Shard | None = None,
    *,
    fingerprinted: bool,
    started: MutableMapping[ScopeRef, Awaitable[LiveScope | ApiError]] | None = None,
    keep_live: Callable[[ScopePlan], bool] | None = None,
) -> ReviewedPlan:
    from reconciler.runner.flows import make_reviewed_plan

    with ProgressDisplay(wanted(as_json)) as progress:
        fetched = progress.counter("Reading live rules (scopes)", len(workspace.desired.scopes))
        return await make_reviewed_plan(
            workspace,
            sessions,
            prune=prune,
            shard=shard,
            on_fetched=fetched,
            fingerprinted=fingerprinted,
            started=started,
            keep_live=keep_live,
        )
