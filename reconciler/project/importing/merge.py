"""Updating a manifest rule in place: only the values that differ from live change."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from reconciler.engine.provider import Provider
from reconciler.project.importing.files import canonical, rule_data
from reconciler.project.importing.live_form import ImportedRule
from reconciler.project.importing.yamlstyle import to_node
from reconciler.project.loader import RULE_META_KEYS
from reconciler.project.yamlsource import plain


def _with(root: Any, path: Sequence[str | int], value: Any) -> Any:
    """A copy of `root` with `value` put at `path` (a missing key is added)."""
    if not path:
        return value
    out = copy.deepcopy(root)
    node = out
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return out


class RuleMerge:
    """Turns an existing manifest rule (ruamel nodes) into `wanted`, touching only what differs.

    A part of the existing rule is kept whenever putting it into `wanted` does not change what the
    rule means to the plan (the provider's normalized body): equivalent spellings, the user's order of
    an order-free list, a default written out, all stay as the user wrote them.
    """

    def __init__(self, provider: type[Provider], wanted: dict[str, Any]) -> None:
        self.provider = provider
        self.wanted = wanted
        self.target = canonical(provider, wanted)

    def keeps_meaning(self, path: Sequence[str | int], value: Any) -> bool:
        return canonical(self.provider, _with(self.wanted, path, value)) == self.target

    def merge_rule(self, node: CommentedMap) -> bool:
        """Update `node` in place; True when anything changed."""
        if self.keeps_meaning((), rule_data(node)):
            return False
        self._merge_map(node, self.wanted, ())
        if canonical(self.provider, rule_data(node)) != self.target:
            # Never expected; but a rule that does not say what is live must not be written.
            meta = {k: node[k] for k in RULE_META_KEYS if k in node}
            node.clear()
            node.update(to_node(self.wanted))
            node.update(meta)
        return True

    def _merge_value(self, node: Any, wanted: Any, path: tuple[str | int, ...]) -> Any:
        if self.keeps_meaning(path, plain(node)):
            return node
        if isinstance(node, CommentedMap) and isinstance(wanted, dict):
            self._merge_map(node, wanted, path)
            return node
        if isinstance(node, CommentedSeq) and isinstance(wanted, list):
            self._merge_seq(node, wanted, path)
            return node
        return to_node(wanted, list_item=bool(path) and isinstance(path[-1], int))

    def _merge_map(self, node: CommentedMap, wanted: dict[str, Any], path: tuple[str | int, ...]) -> None:
        for key in list(node):
            if key in wanted or (not path and key in RULE_META_KEYS):
                continue
            if not self.keeps_meaning((*path, key), plain(node[key])):
                del node[key]
        previous: str | None = None
        for key, value in wanted.items():
            if key in node:
                merged = self._merge_value(node[key], value, (*path, key))
                if merged is not node[key]:
                    node[key] = merged
            else:
                position = list(node).index(previous) + 1 if previous is not None else 0
                node.insert(position, key, to_node(value))
            previous = key

    def _order_free(self, wanted: list[Any], path: tuple[str | int, ...]) -> bool:
        if len(wanted) < 2:
            return True
        return self.keeps_meaning(path, list(reversed(wanted))) and self.keeps_meaning(path, [*wanted[1:], wanted[0]])

    def _merge_seq(self, node: CommentedSeq, wanted: list[Any], path: tuple[str | int, ...]) -> None:
        if not self._order_free(wanted, path):
            for index, value in enumerate(wanted[: len(node)]):
                merged = self._merge_value(node[index], value, (*path, index))
                if merged is not node[index]:
                    node[index] = merged
            del node[len(wanted) :]
            node.extend(to_node(v, list_item=True) for v in wanted[len(node) :])
            return
        # Order means nothing here: keep every item that says something wanted, where it stands.
        matched: dict[int, int] = {}  # existing index -> wanted index
        for want_index in range(len(wanted)):
            for index, item in enumerate(node):
                if index not in matched and self.keeps_meaning((*path, want_index), plain(item)):
                    matched[index] = want_index
                    break
        spare = [i for i in range(len(node)) if i not in matched]
        unmet = [j for j in range(len(wanted)) if j not in matched.values()]
        for index, want_index in zip(spare, unmet, strict=False):
            merged = self._merge_value(node[index], wanted[want_index], (*path, want_index))
            if merged is not node[index]:
                node[index] = merged
            matched[index] = want_index
        for index in sorted((i for i in range(len(node)) if i not in matched), reverse=True):
            del node[index]
        node.extend(to_node(wanted[j], list_item=True) for j in unmet[len(spare) :])


def pin_computed_fields(
    provider: type[Provider], existing: dict[str, Any], imported: ImportedRule, form: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The imported rule (as written, or in `form`), keeping server-filled fields the manifest pins (at
    their live values)."""
    wanted = dict(imported.written if form is None else form)
    for name in provider.computed_fields:
        if name in existing and name not in wanted and imported.live.body.get(name) is not None:
            wanted[name] = imported.live.body[name]
    return wanted


def differs(provider: type[Provider], node: Any, imported: ImportedRule) -> bool:
    """True when the manifest rule does not say what is live (as the plan or a re-import sees it)."""
    existing = rule_data(node)
    desired = canonical(provider, existing)
    # The manifest may give ids or names (import writes names where they are unique): either holds.
    forms = [pin_computed_fields(provider, existing, imported, form) for form in (imported.written, imported.manifest)]
    return desired is None or all(desired != canonical(provider, form) for form in forms)
