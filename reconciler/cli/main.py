"""The `reconciler` command: the group, and each command module added to it.

`demo` and `sandbox` run the vendor emulators (starlette, uvicorn): they are imported only when one of
them is asked for, so `plan` and `apply` never load that web stack.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

import click

import reconciler
from reconciler.cli import logs
from reconciler.cli.options import EXIT_ERROR, common_options
from reconciler.errors import suggest
from reconciler.safetext import SafeStream

# name -> "module:attribute". A command's module is imported when the command runs or its help is
# shown, and each module imports what its command needs inside the command: `reconciler --help` and
# `reconciler validate` load no HTTP client, `plan` no sandbox web stack.
COMMANDS = {
    "apply": "reconciler.cli.apply:apply",
    "demo": "reconciler.cli.demo:demo_command",
    "import": "reconciler.cli.project:import_",
    "plan": "reconciler.cli.plan:plan",
    "policy": "reconciler.cli.policy:policy_group",
    "sandbox": "reconciler.sandbox.cli:sandbox_command",
    "schema": "reconciler.cli.project:schema",
    "show": "reconciler.cli.plan:show",
    "sync": "reconciler.cli.sync:sync",
    "targets": "reconciler.cli.project:targets_command",
    "test": "reconciler.cli.ruletests:test_command",
    "validate": "reconciler.cli.project:validate",
}


class CommandGroup(click.Group):
    """A group whose commands are imported only when they are run or listed. Every command also takes
    the group's own options (`--no-color`, `-v`) after its name.

    Usage errors (an unknown option, a bad value) exit 1, as in Terraform, not click's 2: exit 2 means
    only "changes" (`plan --detailed-exitcode`) or "drift" (`sync`), never a typo in a scheduled job.
    """

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        try:
            return super().make_context(*args, **kwargs)
        except click.UsageError as exc:
            exc.exit_code = EXIT_ERROR
            raise

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:
            exc.exit_code = EXIT_ERROR
            raise

    def main(self, *args: Any, **kwargs: Any) -> Any:
        """Every text the run prints passes through `safetext`: known secrets redacted, control characters
        escaped, whoever writes it (click, logging, a traceback)."""
        streams = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = (s if isinstance(s, SafeStream) else SafeStream(s) for s in streams)
        try:
            return super().main(*args, **kwargs)
        finally:
            sys.stdout, sys.stderr = streams

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in COMMANDS and cmd_name not in self.commands:
            module, attribute = COMMANDS[cmd_name].split(":")
            self.add_command(getattr(importlib.import_module(module), attribute), cmd_name)
        return super().get_command(ctx, cmd_name)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0] if args else ""
        if name and not name.startswith("-") and self.get_command(ctx, name) is None:
            ctx.fail(f"No such command {name!r}{suggest(name, self.list_commands(ctx))}.")  # as for options
        return super().resolve_command(ctx, args)

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        taken = {option for param in cmd.params for option in param.opts}
        cmd.params.extend(param for param in common_options() if not taken & set(param.opts))
        super().add_command(cmd, name)


@click.group(cls=CommandGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(reconciler.__version__, "--version", prog_name="reconciler", message="%(prog)s %(version)s")
@click.option("--no-color", is_flag=True, help="Plain output without colours (as NO_COLOR=1).")
@click.option("-v", "--verbose", is_flag=True, help="One line per API request on stderr (as RECONCILER_LOG=debug).")
@click.pass_context
def main(ctx: click.Context, no_color: bool, verbose: bool) -> None:
    """Make SaaS rules (Primo, ViziVault, OneLogin) match the YAML manifests in git."""
    if no_color or os.environ.get("NO_COLOR"):  # https://no-color.org: set and not empty
        ctx.color = False
    logs.start(verbose)
    ctx.call_on_close(logs.stop)
