"""A plan too long for one pull-request comment is split at the limit, summary first, each part named."""

from __future__ import annotations

import re

import pytest

from reconciler.engine.diff import field_changes
from reconciler.engine.plan import Change, Plan, Refusal, ScopePlan
from reconciler.errors import ReconcilerError
from reconciler.render.comments import render_comment_parts
from reconciler.render.markdown import MAX_CHARS

GITHUB_COMMENT_LIMIT = 65_536


def plan_of(changes: int, size: int, targets: tuple[str, ...] = ("vault",)) -> Plan:
    scopes = []
    for target in targets:
        scope = ScopePlan(target, "vizivault", "rules", "all rules")
        for index in range(changes):
            after = {"key": f"r{index}", "message": "x" * size}
            scope.changes.append(Change("create", f"r{index}", field_changes({}, after), after=after))
        scopes.append(scope)
    return Plan(scopes)


def test_a_plan_that_fits_is_one_comment_with_every_diff() -> None:
    parts = render_comment_parts(plan_of(3, 100))
    assert len(parts) == 1
    assert parts[0].startswith("<!-- reconciler:plan -->\n<!-- reconciler:changes vault sha256:")
    assert parts[0].count("<details>") == 3


def test_a_long_plan_is_split_within_the_limit_summary_first_and_nothing_is_lost() -> None:
    plan = plan_of(60, 2_000, targets=("vault", "vault-eu"))
    parts = render_comment_parts(plan)
    assert len(parts) > 2
    assert all(len(part) <= MAX_CHARS < GITHUB_COMMENT_LIMIT for part in parts)
    first = parts[0]
    assert first.startswith("<!-- reconciler:plan -->\n")
    assert f"(part 1 of {len(parts)})" in first
    assert (
        first.index("**Plan: 120 to create") < first.index("<code>vault</code>") < first.index("<code>vault-eu</code>")
    )
    assert first.index("<code>vault-eu</code>") < first.index("<details>")  # every table before any diff
    for number, part in enumerate(parts[1:], start=2):
        assert part.startswith(f"<!-- reconciler:plan part {number} -->\n")
        assert f"(part {number} of {len(parts)})" in part
        assert "reconciler:changes" not in part  # the digests live in the first part only
    everything = "".join(parts)
    assert everything.count("<details>") == everything.count("</details>") == 120
    shown = re.findall(r"<b>(r\d+)</b>", everything)
    assert len(shown) == 120 and len(set(shown)) == 60


def test_a_single_change_too_long_for_a_comment_is_listed_without_its_diff() -> None:
    parts = render_comment_parts(plan_of(1, 100_000))
    assert len(parts) == 1 and len(parts[0]) <= MAX_CHARS and "(part" not in parts[0]
    assert "too long for a comment" in parts[0] and "<b>r0</b>" in parts[0] and "<details>" not in parts[0]


def test_a_limit_too_small_for_any_plan_is_refused() -> None:
    with pytest.raises(ReconcilerError, match="leaves no room"):
        render_comment_parts(plan_of(40, 2_000), limit=500)


def test_the_digest_changes_with_the_changes_only() -> None:
    plan = plan_of(2, 10)
    same = plan_of(2, 10)
    for scope in same.scopes:
        for change in scope.changes:
            change.source = "rules/moved.yaml:40:5"  # moving a rule within its file changes no write
    assert plan.digest("vault") == same.digest("vault")
    assert plan.digest("vault") != plan_of(3, 10).digest("vault")
    refused = plan_of(2, 10)
    refused.refusals.append(Refusal("vault", "delete_all", "m", "h", force_overrides=True))
    assert plan.digest("vault") != refused.digest("vault")
    assert plan.digest("other") != plan.digest("vault")
