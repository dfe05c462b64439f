"""Plans as GitHub-flavoured markdown, for pull-request comments, issues and `$GITHUB_STEP_SUMMARY`.

One summary table per target (a row per scope), then each change as a collapsible `<details>` with
its field-level diff. Everything comes from the plan, which holds rule bodies and never credentials.
Text from rules is escaped: a rule's name or value cannot open HTML or break a table or a fence.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from itertools import groupby

import click

from reconciler.engine.diff import FieldChange
from reconciler.engine.model import ScopeRef
from reconciler.engine.plan import Change, Plan, ScopePlan
from reconciler.engine.policy import PolicyReport
from reconciler.render.policy import policy_summary
from reconciler.render.ruletests import impact_markdown
from reconciler.render.text import DUPLICATE, SYMBOLS, action_word, names_text, summary_line, value_text

# GitHub refuses comments over 65,536 characters; past this a plan is shown without its diffs.
MAX_CHARS = 60_000
COLUMNS = ("create", "update", "delete", "reorder")

# (scope, identity) -> when the API says the live rule last changed.
Modified = Mapping[tuple[ScopeRef, str], str]


def marker(kind: str) -> str:
    """A hidden line that lets a workflow find the one comment or issue it keeps up to date."""
    return f"<!-- reconciler:{kind} -->"


def cell(text: str) -> str:
    return html.escape(text).replace("|", "&#124;").replace("\n", " ")


def fenced(lines: list[str], language: str = "diff") -> str:
    """A code block whose fence is longer than any run of backticks inside it."""
    longest = max((len(run) for line in lines for run in re.findall(r"`+", line)), default=0)
    fence = "`" * max(3, longest + 1)
    return "\n".join([f"{fence}{language}", *lines, fence])


def diff_lines(fields: list[FieldChange]) -> list[str]:
    lines = []
    for change in fields:
        if change.action != "add":
            lines.append(f"- {change.path}: {value_text(change.before)}")
        if change.action != "remove":
            lines.append(f"+ {change.path}: {value_text(change.after)}")
    return lines


def change_block(change: Change, delete_verb: str, modified: str | None, with_diff: bool) -> list[str]:
    title = f"<code>{SYMBOLS[change.action]} {action_word(change.action, delete_verb)}</code>"
    if change.action != "reorder":
        title += f" <b>{html.escape(change.identity)}</b>{DUPLICATE if change.duplicate else ''}"
    if change.source:
        title += f" <code>{html.escape(change.source)}</code>"
    if modified:
        title += f" (live rule last modified {html.escape(modified)})"
    if change.action == "reorder":
        lines = [
            f"- order: {', '.join(map(value_text, change.order_before or []))}",
            f"+ order: {', '.join(map(value_text, change.order_after or []))}",
        ]
    else:
        lines = diff_lines(change.fields)
    if change.names:
        lines.append(f"  by name: {names_text(change.names)}")
    if not with_diff:
        return [f"- {title}"]
    return ["<details>", f"<summary>{title}</summary>", "", fenced(lines), "", "</details>", ""]


def status(scope: ScopePlan) -> str:
    if scope.error:
        return "❌ live rules could not be read"
    return "changes" if scope.changes else "✅ no changes"


def target_table(scopes: list[ScopePlan]) -> list[str]:
    """The target's heading and its table of scopes, with why a scope could not be read."""
    first = scopes[0]
    lines = [
        f"#### <code>{html.escape(first.target)}</code> ({html.escape(first.provider)})",
        "",
        "| Scope | Create | Update | Delete | Reorder | Unmanaged | Status |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for scope in scopes:
        counts = [sum(1 for c in scope.changes if c.action == a) for a in COLUMNS]
        numbers = " | ".join(str(n) for n in [*counts, len(scope.unmanaged)])
        lines.append(f"| {cell(scope.label)} | {numbers} | {status(scope)} |")
    lines.append("")
    for scope in scopes:
        if scope.error:
            lines += [f"**{cell(scope.label)}**: could not read live rules, nothing planned: `{cell(scope.error)}`", ""]
    return lines


def scope_details(scope: ScopePlan, modified: Modified, with_diff: bool) -> list[list[str]]:
    """A scope's changes and unmanaged rules as blocks: its heading with the first change, then one per change."""
    blocks: list[list[str]] = []
    for change in scope.changes:
        blocks.append(change_block(change, scope.delete_verb, modified.get((scope.ref, change.identity)), with_diff))
    if blocks:
        blocks[0] = [f"**{cell(scope.label)}**", "", *blocks[0]]
        if not with_diff:
            blocks[-1] = [*blocks[-1], ""]
    if scope.unmanaged:
        blocks.append([unmanaged_line(scope), ""])
    return blocks


def unmanaged_line(scope: ScopePlan) -> str:
    names = ", ".join(f"<code>{html.escape(n)}</code>" for n in scope.unmanaged)
    return f"{cell(scope.label)}: {len(scope.unmanaged)} unmanaged left alone (in no manifest): {names}"


def target_section(scopes: list[ScopePlan], modified: Modified, with_diff: bool) -> list[str]:
    lines = target_table(scopes)
    for scope in scopes:
        for block in scope_details(scope, modified, with_diff):
            lines += block
    return lines


def digest_lines(plan: Plan) -> list[str]:
    """One hidden line per target with the digest of what its plan would do: workflows compare them to
    tell reviewers that a plan changed, and approvers whether it is the plan that was reviewed."""
    return [f"<!-- reconciler:changes {target} {plan.digest(target)} -->" for target in plan.targets()]


def summary_block(plan: Plan) -> list[str]:
    lines = [f"**{html.escape(click.unstyle(summary_line(plan)))}**", ""]
    for warning in plan.warnings:
        lines += [f"> [!WARNING]\n> {html.escape(warning)}", ""]
    if plan.policy is not None:
        lines += policy_markdown(plan.policy)
    lines += impact_markdown(plan.impact, cell)  # the behaviour change leads, above the field diff
    return lines


def policy_markdown(report: PolicyReport) -> list[str]:
    """The report for a pull-request comment: the denies first, as they block the merge's apply."""
    lines = [f"**{html.escape(policy_summary(report))}**", ""]
    rows = [("❌ deny", f) for f in report.denies] + [("⚠️ warn", f) for f in report.warns]
    rows += [("🔕 excepted", f) for f in report.excepted]
    if rows:
        lines += ["| Result | Message | Policy | Owner |", "| --- | --- | --- | --- |"]
        for label, finding in rows:
            message = cell(finding.message)
            if finding.excepted:
                message += f"<br>excepted: {cell(finding.excepted)}"
            policy = f"<code>{cell(finding.rule)}</code> <code>{cell(finding.location)}</code>"
            lines.append(f"| {label} | {message} | {policy} | {cell(finding.owner or '')} |")
        lines.append("")
    if report.denies:
        lines += ["> [!CAUTION]", "> The apply is refused until every deny is fixed or excepted.", ""]
    return lines


def _render(plan: Plan, title: str, kind: str, modified: Modified, with_diff: bool) -> str:
    lines = [marker(kind), *digest_lines(plan), f"### {html.escape(title)}", "", *summary_block(plan)]
    for _, group in groupby(plan.scopes, key=lambda s: s.target):
        lines += target_section(list(group), modified, with_diff)
    if not with_diff:
        lines += ["_The field-level diffs are left out: the plan is too long for one comment._", ""]
    lines.append(f"<sub>reconciler {html.escape(plan.made_by)}</sub>")
    return "\n".join(lines).rstrip("\n") + "\n"


def render_full(plan: Plan, title: str, kind: str, modified: Modified) -> str:
    """The plan with every diff, however long."""
    return _render(plan, title, kind, modified, with_diff=True)


def render_markdown(
    plan: Plan,
    *,
    title: str = "reconciler plan",
    kind: str = "plan",
    modified: Modified | None = None,
) -> str:
    """The plan as markdown; when too long for a comment, the same without the per-change diffs."""
    dates = modified or {}
    text = render_full(plan, title, kind, dates)
    if len(text) > MAX_CHARS:
        text = _render(plan, title, kind, dates, with_diff=False)
    return text


def markdown_on_stdout(stream: object) -> bool:
    """True when `--markdown -` sends markdown to stdout, which then carries nothing else."""
    return getattr(stream, "name", None) == "-"
