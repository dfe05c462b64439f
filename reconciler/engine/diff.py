"""Field-level differences between two normalized rule bodies (deepdiff, one entry per leaf)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from reconciler.engine.model import format_field_path

_REPORTS = {
    "values_changed": "change",
    "type_changes": "change",
    "dictionary_item_added": "add",
    "dictionary_item_removed": "remove",
    "iterable_item_added": "add",
    "iterable_item_removed": "remove",
}
_ABSENT = object()


@dataclass(frozen=True)
class FieldChange:
    """One leaf that differs: `path` like `conditions[0].value`; before/after are absent on add/remove."""

    path: str
    action: str  # "change" | "add" | "remove"
    before: Any = None
    after: Any = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path, "action": self.action}
        if self.action != "add":
            out["before"] = self.before
        if self.action != "remove":
            out["after"] = self.after
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FieldChange:
        return cls(data["path"], data["action"], data.get("before"), data.get("after"))


Path = tuple[str | int, ...]


def _differing_parts(
    before: dict[str, Any], after: dict[str, Any], unordered: frozenset[str], path: Path, found: list[FieldChange]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Both bodies cut down to the fields that differ, through nested mappings, so DeepDiff walks only
    those (its cost grows with what it walks; most rules of a large plan differ in one field).
    Paths stay the same, so its findings are the same as for the whole bodies. Lists named in
    `unordered` are compared as sets here, their added and removed items put in `found`."""
    old: dict[str, Any] = {}
    new: dict[str, Any] = {}
    for key in {**before, **after}:
        a, b = before.get(key, _ABSENT), after.get(key, _ABSENT)
        if a == b:
            continue
        if key in unordered and _scalars(a) and _scalars(b):
            found += _set_changes((*path, key), a, b)
            continue
        if isinstance(a, dict) and isinstance(b, dict):
            a, b = _differing_parts(a, b, unordered, (*path, key), found)
        elif isinstance(a, list) and isinstance(b, list):
            a, b = _differing_items(a, b, unordered, (*path, key), found)
        else:  # a field added or removed, a scalar changed, or a value of another kind: said as DeepDiff would
            found.append(_leaf_change(format_field_path((*path, key)), a, b))
            continue
        if a == b:  # every difference inside was found above
            continue
        if a is not _ABSENT:
            old[key] = a
        if b is not _ABSENT:
            new[key] = b
    return old, new


def _leaf_change(path: str, before: Any, after: Any) -> FieldChange:
    if before is _ABSENT:
        return FieldChange(path, "add", after=after)
    if after is _ABSENT:
        return FieldChange(path, "remove", before=before)
    return FieldChange(path, "change", before, after)


def in_written_order(normalized: Any, written: Any) -> Any:
    """`normalized` with each list in the order `written` (the manifest) gives the same items, for showing
    a created rule as its manifest has it. Items are matched whatever the order of the lists inside them;
    a list whose items normalizing changed (case, type, repeats) keeps its normalized order."""
    if normalized == written:  # most bodies: nothing to reorder, and one comparison in C says so
        return normalized
    if isinstance(normalized, dict) and isinstance(written, dict):
        return {key: in_written_order(value, written.get(key, _ABSENT)) for key, value in normalized.items()}
    if not isinstance(normalized, list) or not isinstance(written, list) or len(normalized) != len(written):
        return normalized
    keys = [_orderless(item) for item in normalized]
    places = [_orderless(item) for item in written]
    if sorted(keys) != sorted(places) or len(set(keys)) != len(keys):
        return normalized
    by_key = dict(zip(keys, normalized, strict=True))
    return [in_written_order(by_key[key], item) for key, item in zip(places, written, strict=True)]


def _orderless(value: Any) -> str:
    """A value's text with every list sorted: equal for two values that differ only in list order.
    Scalars are told apart by type as well as value (`1`, `1.0`, `True` and `"1"` differ)."""
    if isinstance(value, dict):
        return "{" + ",".join(f"{_orderless(k)}:{_orderless(v)}" for k, v in sorted(value.items(), key=_key_text)) + "}"
    if isinstance(value, list):
        return "[" + ",".join(sorted(_orderless(item) for item in value)) + "]"
    return f"{type(value).__name__}:{value!r}"


def _key_text(item: tuple[Any, Any]) -> str:
    return str(item[0])


def _scalars(value: Any) -> bool:
    return isinstance(value, list) and not any(isinstance(item, dict | list) for item in value)


def _set_changes(path: Path, before: list[Any], after: list[Any]) -> list[FieldChange]:
    """Items of an unordered list named by value, not by their index in a sorted copy."""
    name = format_field_path(path)
    removed = [FieldChange(name, "remove", before=item) for item in before if item not in after]
    return removed + [FieldChange(name, "add", after=item) for item in after if item not in before]


def _differing_items(
    before: list[Any], after: list[Any], unordered: frozenset[str], path: Path, found: list[FieldChange]
) -> tuple[list[Any], list[Any]]:
    """Two lists of mappings with the items equal at the same index blanked (None in both) and the
    others cut down: DeepDiff pairs such lists by index, so indexes and findings stay the same.
    Lists holding anything but mappings are left whole (DeepDiff may align those by content)."""
    if not all(isinstance(item, dict) for item in before) or not all(isinstance(item, dict) for item in after):
        return before, after
    old, new = list(before), list(after)
    for index, (a, b) in enumerate(zip(before, after, strict=False)):  # a longer list keeps its extras
        if a == b:
            old[index] = new[index] = None
        else:
            old[index], new[index] = _differing_parts(a, b, unordered, (*path, index), found)
    return old, new


def field_changes(
    before: dict[str, Any],
    after: dict[str, Any],
    *,
    unordered: frozenset[str] = frozenset(),
    order: Sequence[str] = (),
) -> list[FieldChange]:
    """What must change to turn `before` (live) into `after` (desired), leaf by leaf, sorted by path.

    Lists under a name in `unordered` are sets: their items are added or removed by value. A whole
    rule that appears or goes lists its fields in `order` first (identity, then as the manifest has
    them), then the others by name.
    """
    if before == after:
        return []
    if not before or not after:  # a whole rule appears or goes: one entry per top-level field
        action, body = ("add", after) if not before else ("remove", before)
        rank = {name: index for index, name in enumerate(dict.fromkeys(order))}
        keys = sorted(body, key=lambda key: (rank.get(key, len(rank)), key))
        return [
            FieldChange(key, action, None if action == "add" else body[key], body[key] if action == "add" else None)
            for key in keys
        ]
    found: list[FieldChange] = []
    old, new = _differing_parts(before, after, unordered, (), found)
    if not old and not new:  # every difference was a leaf or a set's item: nothing left for DeepDiff
        return sorted(found, key=lambda c: c.path)
    from deepdiff import DeepDiff  # here: loading manifests (validate) needs no diff library

    # threshold_to_diff_deeper=0: always down to the leaves, however many keys of a mapping changed.
    tree = DeepDiff(old, new, view="tree", verbose_level=2, threshold_to_diff_deeper=0)
    for report, action in _REPORTS.items():
        for level in tree.get(report, []):
            path = format_field_path(level.path(output_format="list"))
            found.append(
                FieldChange(
                    path,
                    action,
                    None if action == "add" else level.t1,
                    None if action == "remove" else level.t2,
                )
            )
    return sorted(found, key=lambda c: c.path)
