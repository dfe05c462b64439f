"""API -> live state: every scope fetched concurrently, each through its target's provider.

A scope whose read fails is recorded as an error, never as an empty scope: planning deletes from a
failed read would wipe a tenant.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping

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


async def fetch_live(
    providers: Mapping[str, Provider],
    scopes: Iterable[ScopeRef],
    on_fetched: Callable[[ScopeRef, LiveScope | ApiError], None] | None = None,
    started: Mapping[ScopeRef, Awaitable[LiveScope | ApiError]] | None = None,
) -> dict[ScopeRef, LiveScope | ApiError]:
    """Every scope read concurrently; `on_fetched` is handed each one as soon as it is read. Reads in
    `started` (begun while the manifests loaded) are awaited rather than sent again."""
    refs = list(scopes)
    started = started or {}

    async def fetch(ref: ScopeRef) -> LiveScope | ApiError:
        pending = started.get(ref)
        result = await (pending if pending is not None else fetch_scope(providers, ref))
        if on_fetched is not None:
            on_fetched(ref, result)
        return result

    results = await asyncio.gather(*(fetch(ref) for ref in refs))
    return dict(zip(refs, results, strict=True))
