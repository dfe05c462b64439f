"""Plans and apply reports as text for people and JSON for machines. Nothing here holds secrets:
plans carry rule bodies and ids, never credentials."""

from __future__ import annotations

import json
from typing import Any

import click

from reconciler.engine.apply import ApplyReport, Outcome, ScopeCheck
from reconciler.engine.diff import FieldChange
from reconciler.engine.plan import Change, Plan, ScopePlan
from reconciler.render.policy import policy_lines
from reconciler.render.ruletests import impact_lines

SYMBOLS = {"create": "+", "update": "~", "delete": "-", "reorder": "↕"}
COLORS = {"create": "green", "update": "yellow", "delete": "red", "reorder": "cyan"}
# After a deleted rule's identity when it is an extra copy of a managed rule.
DUPLICATE = " (duplicate of a managed rule)"


def action_word(action: str, delete_verb: str = "delete") -> str:
    """What a change is called: its action, except a delete, which a provider may call otherwise (disable)."""
    return delete_verb if action == "delete" else action


def value_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=False)


def _field_line(change: FieldChange) -> str:
    if change.action == "add":
        return click.style(f"+ {change.path}: {value_text(change.after)}", fg="green")
    if change.action == "remove":
        return click.style(f"- {change.path}: {value_text(change.before)}", fg="red")
    return click.style(f"~ {change.path}: {value_text(change.before)} -> {value_text(change.after)}", fg="yellow")


def change_lines(change: Change, delete_verb: str = "delete") -> list[str]:
    word = action_word(change.action, delete_verb)
    head = click.style(f"{SYMBOLS[change.action]} {word}", fg=COLORS[change.action], bold=True)
    if change.action == "reorder":
        return [
            f"  {head}",
            f"      before: {', '.join(map(value_text, change.order_before or []))}",
            f"      after:  {', '.join(map(value_text, change.order_after or []))}",
        ]
    where = click.style(f"  ({change.source})", dim=True) if change.source else ""
    lines = [f"  {head} {value_text(change.identity)}{DUPLICATE if change.duplicate else ''}{where}"]
    lines += [f"      {_field_line(f)}" for f in change.fields]
    if change.names:
        lines.append(click.style(f"      by name: {names_text(change.names)}", dim=True))
    return lines


def names_text(names: list[dict[str, str]]) -> str:
    """Values a manifest gives by name, with their ids: `set_role: Administrators (340476)`."""
    return "; ".join(f"{n['field']}: {n['name']} ({n['id']})" for n in names)


def scope_heading(scope: ScopePlan) -> str:
    return click.style(f"{scope.target} · {scope.provider} · {scope.label}", bold=True)


def summary_line(plan: Plan) -> str:
    counts = plan.counts()
    if not plan.scopes:  # every target was left alone for want of manifests: nothing was compared
        text = "No changes: no manifest declares rules, so no live rule was compared."
    elif not plan.has_changes and not plan.has_errors:
        text = "No changes. Live rules match the manifests."
    else:
        text = (
            f"Plan: {counts['create']} to create, {counts['update']} to update, "
            f"{counts['delete']} to delete, {counts['reorder']} to reorder."
        )
    if counts["unmanaged"]:
        text += f" {counts['unmanaged']} unmanaged left alone."
    if counts["errors"]:
        text += click.style(f" {counts['errors']} scope(s) could not be read.", fg="red", bold=True)
    return text


def render_plan(plan: Plan, *, forced: bool = False) -> str:
    """The plan for people; `forced` (apply --force) shows the guards --force overrides as passed."""
    lines: list[str] = []
    for warning in plan.warnings:
        lines.append(click.style(f"warning: {warning}", fg="yellow"))
    for scope in plan.scopes:
        lines.append("")
        lines.append(scope_heading(scope))
        if scope.error:
            lines.append(click.style(f"  ✗ could not read live rules: {scope.error}", fg="red"))
            lines.append("    nothing is planned for this scope until its rules can be read")
            continue
        if not scope.changes:
            lines.append(click.style("  no changes", dim=True))
        for change in scope.changes:
            lines += change_lines(change, scope.delete_verb)
        if scope.unmanaged:
            names = ", ".join(value_text(n) for n in scope.unmanaged)
            lines.append(
                click.style(
                    f"  ! {len(scope.unmanaged)} unmanaged left alone (in no manifest; prune: true or --prune "
                    f"deletes them): {names}",
                    fg="magenta",
                )
            )
    if plan.policy is not None:
        lines += policy_lines(plan.policy)
    lines += impact_lines(plan.impact)
    lines += refusal_lines(plan, forced=forced)
    lines.append("")
    lines.append(summary_line(plan))
    return "\n".join(lines)


def refusal_lines(plan: Plan, *, forced: bool = False) -> list[str]:
    """Each guard the plan trips: which, why, and how to get past it (or that --force got past it)."""
    lines = []
    for refusal in plan.refusals:
        if refusal.guard == "policy":
            continue  # listed with the policy results, with their rule and owner
        lines.append("")
        if forced and refusal.force_overrides:
            passed = f"! guard {refusal.guard} ({refusal.target}) passed with --force: {refusal.message}"
            lines.append(click.style(passed, fg="yellow"))
            continue
        lines.append(
            click.style(f"✗ apply refused by guard {refusal.guard} ({refusal.target}): {refusal.message}", fg="red")
        )
        lines.append(f"    to proceed: {refusal.how_to_proceed}")
    return lines


def change_name(change: Change, delete_verb: str) -> str:
    """A change as a report names it: `create "R1"`, `disable "MDM_ONLINE"`, `reorder`."""
    action = action_word(change.action, delete_verb)
    if action == "reorder":
        return "reorder"
    return f"{action} {value_text(change.identity)}{DUPLICATE if change.duplicate else ''}"


def outcome_line(outcome: Outcome) -> str:
    mark, color = {"applied": ("✓", "green"), "failed": ("✗", "red"), "skipped": ("·", "yellow")}[outcome.status]
    what = change_name(outcome.change, outcome.delete_verb)
    text = f"{mark} {outcome.status} {what} in {outcome.target} · {outcome.label}"
    if outcome.message:
        text += f": {outcome.message}"
    return click.style(text, fg=color)


def render_report(report: ApplyReport) -> str:
    lines = [outcome_line(o) for o in report.outcomes]
    lines.append("")
    lines.append(
        f"Apply: {report.count('applied')} applied, {report.count('failed')} failed, {report.count('skipped')} skipped."
    )
    lines += verify_lines(report.checks)
    return "\n".join(lines)


def verify_lines(checks: list[ScopeCheck]) -> list[str]:
    """What reading back the scopes written to found: all verified, or what still differs in each."""
    failed = [check for check in checks if not check.verified]
    if not checks:
        return []
    repaired = sum(check.repaired for check in checks)
    lines = []
    if repaired:
        text = (
            f"Read back, {repaired} change(s) were made then and there (see above): copies of managed rules "
            "another writer made at the same time deleted, or the manifest's order restored where the API "
            "placed a created rule elsewhere."
        )
        lines.append(click.style(text, fg="yellow"))
    if not failed:
        text = f"Verified: the live rules of the {len(checks)} scope(s) written to match the manifests."
        return [*lines, click.style(text, fg="green")]
    text = (
        f"✗ Verify: {len(failed)} of the {len(checks)} scope(s) written to still differ from the manifests "
        "(an API that did not keep a write, or another writer at the same time); the next apply converges:"
    )
    lines.append(click.style(text, fg="red"))
    for check in failed:
        lines += [f"  {check.target} · {check.label}: {difference}" for difference in check.differences]
    return lines


def report_json(report: ApplyReport) -> dict[str, Any]:
    return {
        "applied": report.count("applied"),
        "failed": report.count("failed"),
        "skipped": report.count("skipped"),
        "outcomes": [o.to_json() for o in report.outcomes],
        "verified": all(check.verified for check in report.checks),
        "checks": [check.to_json() for check in report.checks],
    }


def render_interrupted(plan: Plan, report: ApplyReport, signal_name: str) -> str:
    """What an interrupted apply did: each change applied or failed, and each one it did not make."""
    done = {id(o.change) for o in report.outcomes}
    missing = [(scope, c) for scope in plan.scopes if not scope.error for c in scope.changes if id(c) not in done]
    lines = [
        click.style(
            f"Interrupted by {signal_name} during the apply: {report.count('applied')} applied, "
            f"{report.count('failed')} failed, {len(missing)} not applied. A change being written when the "
            "signal came may have reached the API or not: the next plan shows it, and the next apply converges.",
            fg="red",
            bold=True,
        )
    ]
    lines += [outcome_line(o) for o in report.outcomes]
    for scope, change in missing:
        what = change_name(change, scope.delete_verb)
        lines.append(click.style(f"· not applied {what} in {scope.target} · {scope.label}", fg="yellow"))
    return "\n".join(lines)
