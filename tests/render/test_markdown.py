"""Markdown plans: rule text cannot break out of HTML, tables or code fences; long plans drop diffs."""

from __future__ import annotations

from reconciler.engine.diff import field_changes
from reconciler.engine.plan import Change, Plan, ScopePlan
from reconciler.render import markdown


def plan_with(identity: str, after: dict[str, object], changes: int = 1) -> Plan:
    scope = ScopePlan("t|1", "vizivault", "rules", "rules <all>")
    for index in range(changes):
        name = identity if changes == 1 else f"{identity}{index}"
        scope.changes.append(Change("create", name, field_changes({}, after), after=after, source="rules/a.yaml:3:5"))
    return Plan([scope])


def test_rule_text_is_escaped_everywhere() -> None:
    text = markdown.render_markdown(plan_with("<script>x</script>", {"message": "a ``` b ```` c"}))
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert "| rules &lt;all&gt; |" in text  # a scope label cannot open a tag or a column
    assert "&lt;code&gt;t&#124;1" not in text and "<code>t|1</code>" in text  # headings are HTML, not table cells
    fence = "`````diff"  # longer than the longest run of backticks inside
    assert fence in text and text.count("`````") == 2


def test_a_plan_too_long_for_one_comment_keeps_its_table_and_drops_diffs() -> None:
    long_value = "x" * 2_000
    text = markdown.render_markdown(plan_with("rule", {"message": long_value}, changes=40))
    assert len(text) <= markdown.MAX_CHARS
    assert long_value not in text and "<details>" not in text
    assert "| rules &lt;all&gt; | 40 | 0 | 0 | 0 | 0 | changes |" in text
    assert "- <code>+ create</code> <b>rule39</b>" in text
    assert "diffs are left out" in text


def test_modified_dates_are_shown_when_given() -> None:
    plan = plan_with("r", {"a": 1})
    scope = plan.scopes[0]
    text = markdown.render_markdown(plan, modified={(scope.ref, "r"): "2026-11-30T08:00:00Z"}, kind="drift")
    assert text.startswith("<!-- reconciler:drift -->")
    assert "(live rule last modified 2026-11-30T08:00:00Z)" in text
