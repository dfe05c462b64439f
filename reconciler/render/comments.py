"""A plan as pull-request comments. GitHub refuses a comment over 65,536 characters, so a plan that
does not fit in one is split over several, the summary first: the title, the summary line and every
target's table open the first comment, then the changes' diffs follow in order.

Each part starts with a hidden line naming it (`<!-- reconciler:plan -->`, then
`<!-- reconciler:plan part 2 -->`, ...), so a workflow finds each of its comments and updates it in
place. A part is at most `limit` characters, which leaves the workflow room for a line naming the
commit, the run and the time.
"""

from __future__ import annotations

import html
from itertools import groupby

from reconciler.engine.plan import Plan
from reconciler.errors import ReconcilerError
from reconciler.render.markdown import (
    MAX_CHARS,
    Modified,
    change_block,
    digest_lines,
    marker,
    render_full,
    summary_block,
    target_table,
    unmanaged_line,
)

# Room each part keeps for its own heading ("### reconciler plan (part 12 of 31)").
HEADING_ROOM = 200
TOO_LONG = "_(this change's diff is too long for a comment: `reconciler show` prints it)_"


def part_marker(kind: str, number: int) -> str:
    return marker(kind) if number == 1 else f"<!-- reconciler:{kind} part {number} -->"


def _blocks(plan: Plan, modified: Modified, budget: int) -> list[str]:
    """The plan as pieces never cut apart: the head, each target's table, then each change."""
    blocks = ["\n".join(summary_block(plan))]
    groups = [list(group) for _, group in groupby(plan.scopes, key=lambda s: s.target)]
    blocks += ["\n".join(target_table(scopes)) for scopes in groups]
    for scopes in groups:
        for scope in scopes:
            heading = f"**{html.escape(scope.target)} · {html.escape(scope.label)}**\n"
            for change in scope.changes:
                dated = modified.get((scope.ref, change.identity))
                text = heading + "\n" + "\n".join(change_block(change, scope.delete_verb, dated, with_diff=True))
                if len(text) > budget:
                    text = (
                        heading
                        + "\n"
                        + "\n".join([*change_block(change, scope.delete_verb, dated, with_diff=False), TOO_LONG])
                    )
                blocks.append(text)
                heading = ""
            if scope.unmanaged:
                blocks.append(unmanaged_line(scope))
    return [piece for block in blocks for piece in _cut(block, budget)]


def _cut(block: str, budget: int) -> list[str]:
    """A block longer than a part (a table of thousands of scopes) cut at line ends."""
    if len(block) <= budget:
        return [block]
    pieces, current = [], ""
    for line in block.splitlines():
        line = line if len(line) < budget else line[: budget - 2] + "…"
        if current and len(current) + len(line) + 1 > budget:
            pieces.append(current)
            current = ""
        current += line + "\n"
    return [*pieces, current] if current else pieces


def render_comment_parts(
    plan: Plan,
    *,
    title: str = "reconciler plan",
    kind: str = "plan",
    modified: Modified | None = None,
    limit: int = MAX_CHARS,
) -> list[str]:
    """The plan as one comment when it fits in `limit` characters, else as several, summary first."""
    dates = modified or {}
    whole = render_full(plan, title, kind, dates)
    if len(whole) <= limit:
        return [whole]
    digests = digest_lines(plan)
    budget = limit - HEADING_ROOM - len(html.escape(title)) - sum(len(d) + 1 for d in digests)
    if budget < 1_000:
        raise ReconcilerError(f"a comment limit of {limit} characters leaves no room for the plan")
    bodies: list[str] = []
    for block in _blocks(plan, dates, budget):
        if bodies and len(bodies[-1]) + len(block) + 1 <= budget:
            bodies[-1] += "\n" + block
        else:
            bodies.append(block)
    count = len(bodies)
    parts = []
    for number, body in enumerate(bodies, start=1):
        lines = [part_marker(kind, number)]
        if number == 1:
            lines += digests
        if count == 1:  # one comment after all: only some diffs were too long to show
            lines += [f"### {html.escape(title)}", ""]
        else:
            lines += [f"### {html.escape(title)} (part {number} of {count})", ""]
        if number == 1 and count > 1:
            lines += [f"_The plan is too long for one comment: its changes continue in the next {count - 1}._", ""]
        parts.append("\n".join(lines) + "\n" + body.rstrip("\n") + "\n")
    return parts
