"""(desired, live) -> ScopePlan: what to create, update, delete and reorder in one scope."""

from __future__ import annotations

from typing import Any

from reconciler.engine.diff import field_changes, in_written_order
from reconciler.engine.model import DesiredScope, LiveRule, LiveScope
from reconciler.engine.plan import Action, Change, ScopePlan
from reconciler.engine.provider import Provider
from reconciler.errors import ApiError
from reconciler.http.answers import SHAPE_ERRORS, shape_words


def comparable(provider: type[Provider], live: dict[str, Any], desired: dict[str, Any]) -> dict[str, Any]:
    """The live body as it compares to this desired body: server-filled fields the manifest omits are dropped."""
    normalized = provider.normalize(live)
    for name in provider.computed_fields:
        if name not in desired:
            normalized.pop(name, None)
    return normalized


def _match_live(
    provider: type[Provider], bodies: dict[str, dict[str, Any]], live: list[LiveRule]
) -> tuple[dict[str, LiveRule], list[LiveRule]]:
    """Live rules by identity, and the extras: later rules sharing an identity, never matched twice.

    Of several live rules with a managed identity (two applies at once, a copy made in a console), the
    one that already matches the manifest is kept, else the first; the others are extras. `bodies`
    are the desired rules' normalised bodies by identity.
    """
    by_identity: dict[str, LiveRule] = {}
    extras: list[LiveRule] = []
    for rule in live:
        kept = by_identity.get(rule.identity)
        if kept is None:
            by_identity[rule.identity] = rule
            continue
        after = bodies.get(rule.identity)
        if after is not None and not _matches(provider, kept, after) and _matches(provider, rule, after):
            by_identity[rule.identity] = rule
            rule = kept
        extras.append(rule)
    return by_identity, extras


def _matches(provider: type[Provider], live: LiveRule, after: dict[str, Any]) -> bool:
    return not field_changes(comparable(provider, live.body, after), after)


def _scope_plan(provider: type[Provider], desired: DesiredScope, error: str | None = None) -> ScopePlan:
    """The scope's plan with no change yet, shown by the manifests' name for the scope if they give one."""
    ref = desired.ref
    label = desired.label or provider.scope_label(ref.scope)
    return ScopePlan(ref.target, provider.name, ref.scope, label, error=error, delete_verb=provider.delete_verb)


def plan_scope(provider: type[Provider], desired: DesiredScope, live: LiveScope, *, prune: bool) -> ScopePlan:
    scope_plan = _scope_plan(provider, desired)
    bodies = {rule.identity: provider.normalize(rule.body) for rule in desired.rules}  # each once: a third of planning
    by_identity, extras = _match_live(provider, bodies, live.rules)
    wanted = {rule.identity for rule in desired.rules}
    for rule in desired.rules:
        after = bodies[rule.identity]
        current = by_identity.get(rule.identity)
        source = str(rule.location)
        names = list(rule.names) or None  # values given by name, shown with their ids
        if current is None:
            shown = in_written_order(after, rule.body)  # shown with lists as the manifest orders them
            diff = field_changes({}, shown, order=(provider.identity_field, *rule.fields))
            scope_plan.changes.append(
                Change(
                    Action.CREATE,
                    rule.identity,
                    diff,
                    after=after,
                    body=rule.body,
                    source=source,
                    names=names,
                )
            )
            continue
        before = comparable(provider, current.body, after)
        diff = field_changes(before, after, unordered=provider.unordered_lists)
        if diff:
            scope_plan.changes.append(
                Change(
                    Action.UPDATE,
                    rule.identity,
                    diff,
                    before=before,
                    after=after,
                    body=rule.body,
                    ref=current.ref,
                    source=source,
                    names=names,
                )
            )
    extra_ids = {id(rule) for rule in extras}
    for rule in live.rules:
        if rule.tombstone or (rule.identity in wanted and id(rule) not in extra_ids):
            continue  # already in the deleted form, or the managed rule itself
        # A copy of a managed rule is in a manifest, so never "unmanaged": it differs from the desired state.
        duplicate = rule.identity in wanted
        if prune or duplicate:
            before = provider.normalize(rule.body)
            diff = field_changes(before, {}, order=(provider.identity_field,))
            scope_plan.changes.append(
                Change(
                    Action.DELETE,
                    rule.identity,
                    diff,
                    before=before,
                    body=rule.body,
                    ref=rule.ref,
                    duplicate=duplicate,
                )
            )
        else:
            scope_plan.unmanaged.append(rule.identity)
    if provider.ordered:
        reorder = _plan_reorder(desired, live, scope_plan.changes, by_identity)
        if reorder is not None:
            scope_plan.changes.append(reorder)
    return scope_plan


def _plan_reorder(
    desired: DesiredScope, live: LiveScope, changes: list[Change], kept: dict[str, LiveRule]
) -> Change | None:
    """Managed rules must stand in manifest order. Rules left alone keep their slots.

    The scope's order after this apply's deletes is predicted. If the managed live rules already
    stand in manifest order there, each create is placed at its slot (`Change.position`) and no sort
    is needed. Otherwise creates are appended and one sort puts the managed rules in the manifest's
    order while every unmanaged rule keeps its place. `kept` is the live rule matched to each
    managed identity.
    """
    deleted = {id(c.ref) for c in changes if c.action == "delete"}
    wanted = {r.identity for r in desired.rules}
    managed_live = [r for r in live.rules if r.identity in wanted and kept.get(r.identity) is r]
    managed_ids = {id(r) for r in managed_live}
    sequence: list[dict[str, Any]] = []
    for rule in live.rules:
        if id(rule.ref) in deleted:
            continue
        sequence.append({"identity": rule.identity} if id(rule) in managed_ids else {"ref": rule.ref})
    creates = [c for c in changes if c.action == "create"]
    target = [r.identity for r in desired.rules]
    current = [entry["identity"] for entry in sequence if "identity" in entry]
    created = {c.identity for c in creates}
    if current == [name for name in target if name not in created]:
        _place_creates(sequence, target, creates)
        return None
    sequence += [{"identity": c.identity} for c in creates]
    live_refs = {r.identity: r.ref for r in managed_live}
    slots = iter(target)
    new_sequence = []
    for entry in sequence:
        if "identity" in entry:
            name = next(slots)
            new_sequence.append({"identity": name, "ref": live_refs[name]} if name in live_refs else {"identity": name})
        else:
            new_sequence.append(entry)
    before = [r.identity for r in managed_live]
    return Change(Action.REORDER, "order", order_before=before, order_after=target, sequence=new_sequence)


def _place_creates(sequence: list[dict[str, Any]], target: list[str], creates: list[Change]) -> None:
    """Set each create's 1-based `position`: right after the rule before it in the manifest (before the
    first managed rule for the manifest's first), so creates made one by one in manifest order leave
    the scope in order without a sort. A rule that lands last keeps `position` None (appended).

    The scope's order once every create is made is built in one pass: managed rules already stand in
    manifest order, so a create's slot when it is made (the creates before it are made, none after it)
    is its slot in that order, and it lands last when only creates follow it there."""
    created = {change.identity for change in creates}
    following: dict[str | None, list[str]] = {}  # the creates right after each managed rule (None: before all)
    anchor: str | None = None
    for name in target:
        if name in created:
            following.setdefault(anchor, []).append(name)
        else:
            anchor = name
    leading = following.pop(None, [])
    order: list[str | None] = []  # identities, None for a rule left alone
    for entry in sequence:
        name = entry.get("identity")
        if name is not None:
            order += leading
            leading = []
        order.append(name)
        order += following.get(name, [])
    order += leading  # no managed rule stands: the manifest's first creates are appended
    last_kept = max((i for i, name in enumerate(order) if name not in created), default=-1)
    slots = {name: i + 1 for i, name in enumerate(order) if name in created and i < last_kept}
    for change in creates:
        change.position = slots.get(change.identity)


def plan_scope_or_error(
    provider: type[Provider], desired: DesiredScope, state: LiveScope | ApiError, prune: bool
) -> ScopePlan:
    """The plan of one scope; a scope whose live state failed to load gets an error and no changes.

    So does a scope with a live rule whose fields the provider cannot compare (a list where an object
    belongs, deep in a condition): it is reported as an answer of the wrong shape, in words, and
    nothing is planned for the scope, rather than the run ending in a Python error.
    """
    if not isinstance(state, ApiError):
        try:
            return plan_scope(provider, desired, state, prune=prune)
        except SHAPE_ERRORS as exc:
            state = ApiError(_unreadable(provider, state, exc), code="unexpected answer")
    return _scope_plan(provider, desired, error=str(state))


def _unreadable(provider: type[Provider], live: LiveScope, exc: Exception) -> str:
    """Which live rule the provider could not compare, and why (the error path only: the rules are
    put in comparable form once more to find it)."""
    for rule in live.rules:
        try:
            provider.normalize(rule.body)
        except SHAPE_ERRORS as found:
            return f"the live rule {rule.identity!r} is not of the shape expected: {shape_words(found)}"
    return f"a live rule is not of the shape expected: {shape_words(exc)}"
