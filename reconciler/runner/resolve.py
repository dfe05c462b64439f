"""Names -> ids, per target: the step between loading manifests and planning.

A manifest may name what differs between tenants by name (a OneLogin app, a role). Loading makes no
request, so the desired state holds those names; this step asks each target's provider for the ids
they stand for in that tenant, reading each catalogue at most once a run, and rewrites the desired
state with them. A name that resolves to nothing or to several things is a located problem, and the
run stops before any plan: nothing unresolved or ambiguous is ever sent.

A large project's reads are under way while this runs (runner/prefetch.py), so the work goes in turns
of SCOPES_PER_TURN scopes, with the event loop free in between to take in answers and send requests:
done in one go, resolving 10,000 scopes held it for a quarter of a second.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import replace
from typing import TypeVar

from reconciler.engine.model import DesiredScope, DesiredState, ScopeRef
from reconciler.engine.provider import Provider
from reconciler.errors import InputError, NameNotResolved, Problem
from reconciler.project.loader import scope_problems
from reconciler.runner.sessions import Sessions

T = TypeVar("T")
R = TypeVar("R")
SCOPES_PER_TURN = 200


async def _in_turns(items: Sequence[T]) -> AsyncIterator[Sequence[T]]:
    for start in range(0, len(items), SCOPES_PER_TURN):
        if start:
            await asyncio.sleep(0)
        yield items[start : start + SCOPES_PER_TURN]


async def gather_in_turns(items: Sequence[T], each: Callable[[T], Awaitable[R]]) -> list[R]:
    """`each` of every item, concurrently within a turn; the catalogues they read are read once anyway."""
    results: list[R] = []
    async for turn in _in_turns(items):
        results += await asyncio.gather(*(each(item) for item in turn))
    return results


def scope_name_key(ref: ScopeRef, provider: type[Provider]) -> str:
    """How the names a run resolved record a scope named by name (`onelogin-prod app 'Salesforce'`)."""
    return f"{ref.target} {provider.scope_label(ref.scope)}"


def resolved_ref(desired: DesiredState, ref: ScopeRef, provider: type[Provider]) -> ScopeRef:
    """The scope `ref` (as loaded, perhaps named by name) stands for once the run's names are resolved."""
    scope = (desired.names or {}).get(scope_name_key(ref, provider), ref.scope)
    return ScopeRef(ref.target, scope)


async def resolve_names(desired: DesiredState, sessions: Sessions) -> dict[str, str]:
    """Resolve every name of the desired state in its target's tenant (once; later calls return the
    same). Returns what each name resolved to; raises InputError with every name that did not."""
    if desired.names is not None:
        return desired.names
    names: dict[str, str] = {}
    scopes, problems = await _resolve_scopes(desired, sessions, names)
    if problems:
        raise InputError(problems)
    async for turn in _in_turns(list(scopes.values())):
        for scope in turn:
            problems += scope_problems(scope, type(sessions.provider(scope.ref.target)))
    found = await gather_in_turns(
        list(scopes.items()), lambda item: sessions.provider(item[0].target).resolve_rules(item[0].scope, item[1].rules)
    )
    for ref, scope_found in zip(scopes, found, strict=True):
        problems += [Problem(p.location, p.field, f"target {ref.target!r}: {p.message}") for p in scope_found]
    if problems:
        raise InputError(problems)
    for ref, scope in scopes.items():
        for rule in scope.rules:
            for entry in rule.names:
                names[f"{ref} {entry['field']} {entry['name']!r}"] = entry["id"]
    desired.scopes = scopes
    desired.names = names
    return names


async def _resolve_scopes(
    desired: DesiredState, sessions: Sessions, names: dict[str, str]
) -> tuple[dict[ScopeRef, DesiredScope], list[Problem]]:
    """The desired scopes keyed by what their names stand for; scopes that end up the same (one file
    names an app by id, another by name) are merged, rules in file order."""

    async def resolve(ref: ScopeRef) -> str | NameNotResolved:
        try:
            return await sessions.provider(ref.target).resolve_scope(ref.scope)
        except NameNotResolved as exc:
            return exc

    refs = list(desired.scopes)
    answers = await gather_in_turns(refs, resolve)
    scopes: dict[ScopeRef, DesiredScope] = {}
    problems: list[Problem] = []
    async for turn in _in_turns(list(zip(refs, answers, strict=True))):
        for ref, answer in turn:
            old = desired.scopes[ref]
            if isinstance(answer, NameNotResolved):
                problems += [Problem(where, field, f"target {ref.target!r} {answer}") for where, field in old.origins]
                continue
            new_ref = ScopeRef(ref.target, answer)
            provider = type(sessions.provider(ref.target))
            label = old.label
            if answer != ref.scope:
                names[scope_name_key(ref, provider)] = answer
                label = f"{provider.scope_label(ref.scope)} = {provider.scope_label(answer)}"
            merged = scopes.get(new_ref)
            if merged is None:
                scopes[new_ref] = replace(old, ref=new_ref, rules=list(old.rules), files=list(old.files), label=label)
            else:
                merged.rules = sorted([*merged.rules, *old.rules], key=lambda r: r.location.file)  # stable in a file
                merged.files += old.files
                merged.origins = [*merged.origins, *old.origins]
            for rule in scopes[new_ref].rules:
                rule.scope = new_ref
    return scopes, problems
