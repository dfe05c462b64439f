from reconciler.diffing import field_changes


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
