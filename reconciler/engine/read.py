"""API -> live state: every scope fetched concurrently, each through its target's provider.

A scope whose read fails is recorded as an error, never as an empty scope: planning deletes from a
failed read would wipe a tenant.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping, MutableMapping

from reconciler.engine.model import LiveScope, ScopeRef
from reconciler.engine.provider import Provider
from reconciler.errors import ApiError
from reconciler.http.answers import SHAPE_ERRORS, shape_words


async def fetch_scope(providers: Mapping[str, Provider], ref: ScopeRef) -> LiveScope | ApiError:
    """A scope's live rules, or the error that kept them from being read (an answer of a shape the
    provider's reader did not expect included, in words: never a Python error as the message)."""
    provider = providers[ref.target]
    try:
        return LiveScope(ref, await provider.fetch(ref.scope))
    except ApiError as exc:
        return exc
    except SHAPE_ERRORS as exc:
        return ApiError(
            f"the list of live rules is not of the shape expected: {shape_words(exc)}",
            method="GET",
            path=provider.client.host,
            code="unexpected answer",
        )


class HeldReads(dict[ScopeRef, Awaitable[LiveScope | ApiError]]):
    """Reads begun before planning whose answers wait unparsed until `release` is called (see
    runner/prefetch.py): `read_each` calls it as it starts taking them, so that each answer is planned
    soon after it is parsed, rather than all of them parsed, and held whole, before planning begins."""

    def __init__(self, release: Callable[[], None]) -> None:
        super().__init__()
        self.release = release


async def read_each(
    providers: Mapping[str, Provider],
    refs: Iterable[ScopeRef],
    take: Callable[[ScopeRef, LiveScope | ApiError], None],
    started: MutableMapping[ScopeRef, Awaitable[LiveScope | ApiError]] | None = None,
) -> None:
    """Every scope read concurrently, each handed to `take` as soon as it is read; nothing is kept here,
    so a scope's live rules live no longer than `take` keeps them. Reads in `started` (begun while the
    manifests loaded) are awaited rather than sent again, and taken out of it once read, for the same
    reason."""
    started = {} if started is None else started
    if isinstance(started, HeldReads):
        started.release()

    async def read(ref: ScopeRef) -> None:
        pending = started.get(ref)
        state = await (pending if pending is not None else fetch_scope(providers, ref))
        if pending is not None:
            del started[ref]
        take(ref, state)

    await asyncio.gather(*(read(ref) for ref in refs))


async def fetch_live(
    providers: Mapping[str, Provider], scopes: Iterable[ScopeRef]
) -> dict[ScopeRef, LiveScope | ApiError]:
    """Every scope's live rules (see `read_each`), in the order given."""
    refs = list(scopes)
    live: dict[ScopeRef, LiveScope | ApiError] = {}
    await read_each(providers, refs, live.__setitem__)
    return {ref: live[ref] for ref in refs}
