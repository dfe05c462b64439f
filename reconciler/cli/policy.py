"""`reconciler policy test`: the Rego unit tests of the project's policies, as `opa test` runs them."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from reconciler.cli.options import EXIT_ERROR, EXIT_OK, config_option, reports_errors, write_report
from reconciler.errors import ReconcilerError

MARKS = {"pass": ("✓ pass ", "green"), "fail": ("✗ FAIL ", "red"), "error": ("✗ ERROR", "red")}


@click.group("policy")
def policy_group() -> None:
    """Policies as code: Rego rules over every plan and every desired rule."""


@policy_group.command("test")
@config_option
@click.option("--junit", "junit_path", type=click.Path(path_type=Path, dir_okay=False), help="Also write JUnit XML.")
@reports_errors
def policy_test(config_path: Path, junit_path: Path | None) -> None:
    """Run every `test_` rule in the policy folder: exit 0 when all pass, 1 otherwise.

    No test at all is exit 0 with a note, or exit 1 when `policies.required` is true."""
    from reconciler.project.config import load_config
    from reconciler.project.policies import read_policy_sources
    from reconciler.project.rego import run_tests
    from reconciler.project.regosource import untested_checks
    from reconciler.render.junit import junit_xml

    config = load_config(config_path)
    folder, sources = read_policy_sources(config)
    results = run_tests(sources)
    if not results:
        found = f"{len(sources)} .rego file(s)" if sources else "no .rego file"
        if config.policies.required:
            raise ReconcilerError(f"no test_ rule in {folder!r} ({found}) and policies.required is true")
        click.echo(f"No policy test: no test_ rule in {folder!r} ({found}).")
        return
    for result in results:
        mark, color = MARKS[result.outcome]
        line = f"{click.style(mark, fg=color)} data.{result.package}.{result.name} ({result.location})"
        click.echo(line + (f": {result.message}" if result.message else ""))
    if junit_path is not None:
        write_report(junit_path, junit_xml(results), "the JUnit report")
    for check in untested_checks(sources):
        note = f"! untested: {check.rule} ({check.location}): no test refers to its package"
        click.echo(click.style(note, fg="yellow"))
    counts = {outcome: sum(1 for r in results if r.outcome == outcome) for outcome in MARKS}
    click.echo(
        f"\n{len(results)} policy tests: {counts['pass']} passed, {counts['fail']} failed, {counts['error']} errors."
    )
    sys.exit(EXIT_OK if counts["pass"] == len(results) else EXIT_ERROR)
