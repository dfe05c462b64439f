"""The rules a plan leaves behind (what the impact of a plan is evaluated against), and `-k`."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.engine.model import LiveScope
from reconciler.engine.planner import plan_scope
from reconciler.engine.ruletests import RuleCase
from reconciler.errors import Location
from reconciler.providers.onelogin import OneLoginProvider
from reconciler.runner.ruletests import rules_after, select_cases
from tests.engine.test_plan import APP, desired, ol_live, ol_rule

NAMES = ["a", "b", "c", "d", "e"]
bodies = st.builds(
    lambda name, value, enabled: ol_rule(name, value, enabled),
    st.sampled_from(NAMES),
    st.sampled_from(["1", "2"]),
    st.booleans(),
)


def _names(rules: list[dict[str, Any]]) -> list[str]:
    return [rule["name"] for rule in rules]


@settings(max_examples=60)
@given(st.lists(bodies, unique_by=lambda b: b["name"]), st.lists(bodies, unique_by=lambda b: b["name"]), st.booleans())
def test_the_rules_after_a_plan_are_the_manifests_plus_what_it_leaves_alone(wanted, live_bodies, prune) -> None:
    live = LiveScope(APP, [ol_live(100 + i, i + 1, body) for i, body in enumerate(live_bodies)])
    scope = plan_scope(OneLoginProvider, desired(APP, OneLoginProvider, wanted), live, prune=prune)
    after = rules_after(scope, live)
    normalized = [OneLoginProvider.normalize(rule) for rule in after]
    managed = [rule for rule in normalized if rule["name"] in _names(wanted)]
    assert managed == [OneLoginProvider.normalize(rule) for rule in wanted]  # bodies and order of the manifests
    left_alone = [] if prune else [b for b in live_bodies if b["name"] not in _names(wanted)]
    assert sorted(_names(normalized)) == sorted(_names(wanted) + _names(left_alone))


def case(name: str) -> RuleCase:
    return RuleCase(APP, name, "tests/rules/app.yaml", Location("tests/rules/app.yaml", 1, 1), None, None)  # type: ignore[arg-type]


def test_k_selects_by_text_or_glob_in_the_name_or_file() -> None:
    cases = [case("alice gets admin"), case("bob is suspended")]
    assert [c.name for c in select_cases(cases, "ADMIN")] == ["alice gets admin"]
    assert [c.name for c in select_cases(cases, "*is*")] == ["bob is suspended"]
    assert [c.name for c in select_cases(cases, "*app.yaml::b*")] == ["bob is suspended"]
    assert len(select_cases(cases, None)) == 2
