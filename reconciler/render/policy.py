"""Policy results as text: denies first, then warnings and exceptions, then the counts."""

from __future__ import annotations

import click

from reconciler.engine.policy import PolicyFinding, PolicyReport


def policy_summary(report: PolicyReport) -> str:
    counts = report.counts()
    text = f"Policies: {counts['denied']} denied, {counts['warned']} warned, {counts['passed']} passed"
    if counts["excepted"]:
        text += f", {counts['excepted']} excepted"
    return text + f" ({counts['checks']} checks in {counts['files']} files)."


def _origin(finding: PolicyFinding) -> str:
    owner = f", owner {finding.owner}" if finding.owner else ""
    return f"{finding.rule} at {finding.location}{owner}"


def policy_lines(report: PolicyReport, *, planned: bool = True) -> list[str]:
    """The report for a terminal; under a plan, denies say they refuse the apply, whatever --force says."""
    lines = [""]
    for finding in report.denies:
        lines.append(click.style(f"✗ policy deny: {finding.message}", fg="red", bold=True))
        lines.append(f"    {_origin(finding)}")
    for finding in report.warns:
        lines.append(click.style(f"! policy warn: {finding.message}", fg="yellow"))
        lines.append(f"    {_origin(finding)}")
    for finding in report.excepted:
        lines.append(click.style(f"~ policy deny excepted: {finding.message}", fg="cyan"))
        lines.append(f"    {_origin(finding)}; {finding.excepted}")
    if report.denies and planned:
        lines.append(
            click.style(
                f"✗ apply refused by {len(report.denies)} policy deny(ies): --force does not override a policy",
                fg="red",
            )
        )
    lines.append(policy_summary(report))
    return lines
