"""API -> live state: one session per target, every scope fetched concurrently.

A scope whose read fails is recorded as an error, never as an empty scope: planning deletes from a
failed read would wipe a tenant.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from typing import Any

import httpx

from reconciler.apiclient import ApiClient
from reconciler.config import Target
from reconciler.errors import ApiError
from reconciler.models import LiveScope, ScopeRef
from reconciler.providers import PROVIDERS
from reconciler.providers.base import Provider


class TargetSession:
    """A provider bound to one target's API client, for the duration of one run."""

    def __init__(self, target: Target, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.target = target
        provider_cls = PROVIDERS[target.provider]
        credentials = target.resolve_credentials()
        self.client = ApiClient(
            target.resolve_url(),
            provider_cls.authenticator(credentials, target.spec.options),
            concurrency=target.spec.concurrency,
            timeout=target.spec.timeout,
            transport=transport,
            retry=target.retry_policy,
        )
        self.provider: Provider = provider_cls(self.client, target.spec.options)

    async def aclose(self) -> None:
        await self.client.aclose()


class Sessions:
    """Sessions by target name, opened together and always closed."""

    def __init__(self, targets: Iterable[Target], transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.by_target = {t.name: TargetSession(t, transport) for t in targets}

    async def __aenter__(self) -> Sessions:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await asyncio.gather(*(s.aclose() for s in self.by_target.values()))

    def provider(self, target: str) -> Provider:
        return self.by_target[target].provider

    def requests_sent(self) -> int:
        return sum(s.client.requests_sent for s in self.by_target.values())


async def fetch_scope(sessions: Sessions, ref: ScopeRef) -> LiveScope | ApiError:
    try:
        return LiveScope(ref, await sessions.provider(ref.target).fetch(ref.scope))
    except ApiError as exc:
        return exc
    except (KeyError, TypeError, ValueError) as exc:  # an answer of an unexpected shape
        return ApiError(f"unexpected answer while listing rules: {exc!r}")


async def fetch_live(
    sessions: Sessions,
    scopes: Iterable[ScopeRef],
    on_fetched: Callable[[ScopeRef, LiveScope | ApiError], None] | None = None,
) -> dict[ScopeRef, LiveScope | ApiError]:
    """Every scope read concurrently; `on_fetched` is handed each one as soon as it is read."""
    refs = list(scopes)

    async def fetch(ref: ScopeRef) -> LiveScope | ApiError:
        result = await fetch_scope(sessions, ref)
        if on_fetched is not None:
            on_fetched(ref, result)
        return result

    results = await asyncio.gather(*(fetch(ref) for ref in refs))
    return dict(zip(refs, results, strict=True))
