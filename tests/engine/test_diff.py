from typing import Any

import pytest
from deepdiff import DeepDiff
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.engine.diff import _REPORTS, field_changes, in_written_order
from reconciler.engine.model import format_field_path


def test_leaf_level_paths() -> None:
    before = {"a": 1, "conditions": [{"value": "1"}], "gone": True}
    after = {"a": 2, "conditions": [{"value": "2"}], "new": [1]}
    changes = [(c.path, c.action, c.before, c.after) for c in field_changes(before, after)]
    assert changes == [
        ("a", "change", 1, 2),
        ("conditions[0].value", "change", "1", "2"),
        ("gone", "remove", True, None),
        ("new", "add", None, [1]),
    ]


def test_equal_bodies_have_no_changes() -> None:
    assert field_changes({"a": [1, {"b": 2}]}, {"a": [1, {"b": 2}]}) == []


_leaves = st.one_of(st.integers(0, 3), st.sampled_from(["x", "y"]), st.booleans(), st.none())
_bodies = st.recursive(
    _leaves,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from("abcd"), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=300, derandomize=True)
@given(
    st.dictionaries(st.sampled_from("abcd"), _bodies, min_size=1),
    st.dictionaries(st.sampled_from("abcd"), _bodies, min_size=1),
)
def test_same_changes_as_deepdiff_over_whole_bodies(before: dict[str, Any], after: dict[str, Any]) -> None:
    """Only the differing parts are handed to DeepDiff; what it finds must not change."""
    whole = DeepDiff(before, after, view="tree", verbose_level=2, threshold_to_diff_deeper=0)
    expected = sorted(
        (format_field_path(level.path(output_format="list")), report)
        for report in _REPORTS
        for level in whole.get(report, [])
    )
    found = sorted((c.path, c.action) for c in field_changes(before, after))
    assert [path for path, _ in found] == [path for path, _ in expected]
    assert [action for _, action in found] == [_REPORTS[report] for _, report in expected]


# No booleans here: 0 == False, so equality (which the cut-down relies on) and DeepDiff's type check
# part ways on them, at any depth and before this blanking of list items; one provider's normalized
# bodies never mix the two in one field.
_item_leaves = st.one_of(st.integers(0, 3), st.sampled_from(["x", "y"]), st.none())
_item_bodies = st.recursive(
    _item_leaves,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from("abcd"), inner, max_size=4),
    max_leaves=12,
)
_items = st.dictionaries(st.sampled_from("abc"), _item_bodies, max_size=3)


@settings(max_examples=300, derandomize=True)
@given(st.lists(_items, max_size=4), st.lists(_items, max_size=4))
def test_lists_of_mappings_give_the_same_changes_as_deepdiff(before: list[Any], after: list[Any]) -> None:
    """Equal items of lists of mappings are blanked before DeepDiff: indexes and findings stay its own."""
    whole = DeepDiff({"items": before}, {"items": after}, view="tree", verbose_level=2, threshold_to_diff_deeper=0)
    expected = sorted(
        (format_field_path(level.path(output_format="list")), _REPORTS[report])
        for report in _REPORTS
        for level in whole.get(report, [])
    )
    assert sorted((c.path, c.action) for c in field_changes({"items": before}, {"items": after})) == expected


def test_unordered_lists_name_their_items_not_an_index_in_a_sorted_copy() -> None:
    before = {"type": "T", "statuses": ["MDM_OFF", "PENDING"], "inner": [{"tags": ["a", "b"], "n": 1}]}
    after = {"type": "T", "statuses": ["OFFLINE", "PENDING"], "inner": [{"tags": ["b", "c"], "n": 2}]}
    changes = [(c.path, c.action, c.before, c.after) for c in field_changes(before, after, unordered=UNORDERED)]
    assert changes == [
        ("inner[0].n", "change", 1, 2),
        ("inner[0].tags", "remove", "a", None),
        ("inner[0].tags", "add", None, "c"),
        ("statuses", "remove", "MDM_OFF", None),
        ("statuses", "add", None, "OFFLINE"),
    ]
    # Lists not named unordered keep their positions.
    assert [c.path for c in field_changes({"v": ["1", "2"]}, {"v": ["1", "3"]}, unordered=UNORDERED)] == ["v[1]"]


def test_a_whole_rule_lists_its_fields_in_the_given_order_then_by_name() -> None:
    body = {"action": 1, "constraint": 2, "key": "k", "name": "n", "type": "data", "executionOrder": 1}
    order = ("key", "name", "type", "constraint", "action")
    assert [c.path for c in field_changes({}, body, order=order)] == [*order, "executionOrder"]
    assert [c.path for c in field_changes(body, {}, order=("key",))][:2] == ["key", "action"]


UNORDERED = frozenset({"statuses", "tags"})


def test_a_created_rule_shows_its_lists_as_the_manifest_orders_them() -> None:
    written = {"type": "T", "statuses": ["PENDING", "MDM_OFF"], "inner": {"tags": ["b", "a"]}, "n": [2, 1]}
    normalized = {"type": "T", "statuses": ["MDM_OFF", "PENDING"], "inner": {"tags": ["a", "b"]}, "n": [1, 2]}
    assert in_written_order(normalized, written) == written


def test_lists_of_mappings_follow_the_manifest_down_to_their_own_lists() -> None:
    written = {
        "all": [{"type": "geo", "countries": ["FR", "DE"]}, {"type": "attribute", "attributes": ["NAME", "EMAIL"]}]
    }
    normalized = {
        "all": [{"type": "attribute", "attributes": ["EMAIL", "NAME"]}, {"type": "geo", "countries": ["DE", "FR"]}]
    }
    assert in_written_order(normalized, written) == written
    assert in_written_order({"mixed": [1, "a"]}, {"mixed": ["a", 1]}) == {"mixed": ["a", 1]}


def test_lists_that_normalizing_changed_keep_their_normalized_order() -> None:
    normalized = {"codes": ["DE", "FR"], "twice": ["A"], "rules": [{"k": 1}, {"k": 2}], "n": [1, 2]}
    written = {"codes": ["fr", "de"], "twice": ["A", "A"], "rules": [{"k": 2}, {"k": "1"}], "n": [2, 1, 1]}
    assert in_written_order(normalized, written) == normalized
    assert in_written_order({"only": ["b", "a"]}, {}) == {"only": ["b", "a"]}


def test_items_equal_in_python_but_of_other_types_are_told_apart() -> None:
    # 1 == True in Python, yet a manifest's `true` is not its `1`: each item keeps its own place.
    written = {"n": ["a", True, 1], "keys": [{2: "b", "1": "a"}, {1: "a"}]}
    normalized = {"n": [1, "a", True], "keys": [{1: "a"}, {"1": "a", 2: "b"}]}
    shown = in_written_order(normalized, written)
    assert [type(item) for item in shown["n"]] == [str, bool, int]
    assert shown["keys"] == [{"1": "a", 2: "b"}, {1: "a"}]


def test_leaf_differences_are_found_without_deepdiff(monkeypatch: pytest.MonkeyPatch) -> None:
    # Most updates of a large plan change one value, often inside a list of mappings: those are found
    # while the bodies are cut down, and DeepDiff (a third of a ms per rule) is not called at all.
    import deepdiff

    def refused(*args: object, **kwargs: object) -> None:
        raise AssertionError("DeepDiff called for leaf differences")

    monkeypatch.setattr(deepdiff, "DeepDiff", refused)
    before = {"name": "R", "conditions": [{"source": "email", "value": "1"}, {"source": "x", "value": "2"}], "gone": 1}
    after = {"name": "R", "conditions": [{"source": "email", "value": "9"}, {"source": "x", "value": "2"}], "new": [1]}
    assert [c.to_json() for c in field_changes(before, after)] == [
        {"path": "conditions[0].value", "action": "change", "before": "1", "after": "9"},
        {"path": "gone", "action": "remove", "before": 1},
        {"path": "new", "action": "add", "after": [1]},
    ]
