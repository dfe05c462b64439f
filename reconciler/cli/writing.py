"""The terminal around writes, shared by `apply`, `apply FILE` and `sync --repair`: the progress of the
changes and the signal handlers while they are written, then one message for a refusal, a cancel or
an interruption (`runner.writing` decides which)."""

from __future__ import annotations

import signal
from typing import TYPE_CHECKING

import click

from reconciler.cli.interrupt import until_interrupted
from reconciler.cli.progress import ProgressDisplay, wanted

if TYPE_CHECKING:
    from reconciler.engine.plan import Plan
    from reconciler.runner.writing import StartWrites, Watch, Written

REFUSED = "Apply refused by a safety guard or a policy (see above); nothing was changed."
CANCELLED = "Apply cancelled; nothing was changed."


def watched(as_json: bool) -> Watch:
    """Writes shown as they land (a bar, or a line every 10 s) and stopped cleanly by SIGINT or SIGTERM.
    Only the writes run under these handlers: the prompt before them keeps the ordinary Ctrl-C."""

    async def watch(plan: Plan, start: StartWrites) -> int | None:
        with ProgressDisplay(wanted(as_json)) as progress:
            applied = progress.counter("Applying changes", sum(len(s.changes) for s in plan.scopes))
            _, signum = await until_interrupted(start(applied))
        return signum

    return watch


def print_warnings(warnings: list[str]) -> None:
    """On stderr, in yellow, the warnings of the target locks taken before the writes."""
    for warning in warnings:
        click.echo(click.style(f"warning: {warning}", fg="yellow"), err=True)


def print_written(plan: Plan, written: Written) -> None:
    """On stderr, what stopped the writes, if anything did; the report of those made is the command's."""
    from reconciler.render.text import render_interrupted

    if written.refused:
        click.echo(REFUSED, err=True)
    elif written.cancelled:
        click.echo(CANCELLED, err=True)
    elif written.stopped_by is not None and written.report is not None:
        click.echo(render_interrupted(plan, written.report, signal.Signals(written.stopped_by).name), err=True)
