"""Commands about the project on disk: validate, schema, targets, import."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from reconciler.cli import eventloop
from reconciler.cli.options import complete_targets, config_option, reports_errors, target_option, write_report
from reconciler.errors import ReconcilerError


@click.command()
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
    """Check config, manifests and rule-test files against each provider's rules. No API call unless --remote."""
    from reconciler.render.policy import policy_lines
    from reconciler.runner.policing import policy_report
    from reconciler.runner.workspace import open_workspace

    if remote and no_credentials:
        raise ReconcilerError("--remote reads the tenants, so it needs the credentials: drop --no-credentials")
    from reconciler.project.ruletests import load_cases

    workspace = open_workspace(config_path, targets, check_env=not no_credentials)
    # The rule-test files too, as plan reads them for its impact: what stops a plan stops validate first.
    load_cases(workspace.config, workspace.targets, workspace.desired, check_rules=False)
    if remote:
        from reconciler.runner.remote import check_remote  # the HTTP stack loads only for --remote

        eventloop.run(check_remote(workspace))
    report = policy_report(workspace, None)
    if report is not None:
        click.echo("\n".join(policy_lines(report, planned=False)[1:]))
        if report.denies:
            raise ReconcilerError(f"{len(report.denies)} policy deny(ies) over the desired rules (see above)")
    click.echo(
        f"Valid: {workspace.desired.rule_count()} rules in {len(workspace.desired.scopes)} scope(s) "
        f"for {len(workspace.targets)} target(s)."
    )


@click.command()
@config_option
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), help="Write the schema to this file.")
@reports_errors
def schema(config_path: Path, out: Path | None) -> None:
    """Print the JSON Schema of manifests (for editors); target names come from the config when there is one."""
    from reconciler.project.config import load_config
    from reconciler.project.schema import manifest_schema_json

    text = manifest_schema_json(load_config(config_path) if config_path.exists() else None)
    if out:
        write_report(out, text, "the schema")  # `.reconciler/` is made on first use
    else:
        click.echo(text, nl=False)


@click.command("targets")
@config_option
@click.option("--matrix", "as_matrix", is_flag=True, help="Print a GitHub Actions matrix (JSON) instead of names.")
@click.option("--shards", type=click.IntRange(1, 256), default=None, help="With --matrix: one job per shard I/N.")
@reports_errors
def targets_command(config_path: Path, as_matrix: bool, shards: int | None) -> None:
    """List the configured targets, one per line, or as a matrix for CI jobs. Makes no API call."""
    from reconciler.engine.shard import matrix
    from reconciler.project.config import load_config

    names = list(load_config(config_path).targets)
    if as_matrix:
        click.echo(json.dumps(matrix(names, shards), separators=(",", ":")))
    elif shards is not None:
        raise ReconcilerError("--shards needs --matrix")
    else:
        for name in names:
            click.echo(name)


@click.command("import")
@config_option
@click.option(
    "--target",
    "-t",
    "target_name",
    required=True,
    shell_complete=complete_targets,
    help="The target whose live rules to import.",
)
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
    from reconciler.project.config import load_config

    rules_dir = load_config(config_path).rules_dir
    made = not rules_dir.exists() and not rules_dir.is_symlink()
    if made:  # a new repository: importing is how its rules folder begins
        try:
            rules_dir.mkdir(parents=True)
        except OSError as exc:
            raise ReconcilerError(f"{rules_dir}: cannot make the rules folder ({exc.strerror})") from exc
    try:
        _import(config_path, target_name, apps, out_dir, dry_run, drop_missing)
    finally:
        if made and dry_run and not any(rules_dir.iterdir()):
            rules_dir.rmdir()  # a dry run leaves nothing behind


def _import(
    config_path: Path, target_name: str, apps: tuple[int, ...], out_dir: Path | None, dry_run: bool, drop_missing: bool
) -> None:
    from reconciler.project.importing.importer import import_target, render_import
    from reconciler.runner.sessions import Sessions
    from reconciler.runner.workspace import open_workspace

    workspace = open_workspace(config_path, (target_name,))
    target = workspace.targets[0]

    async def run() -> Any:
        async with Sessions([target]) as sessions:
            return await import_target(
                workspace.config,
                target,
                target.provider_class,
                sessions.provider(target.name),
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
