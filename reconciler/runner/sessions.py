"""One session per target: its provider bound to an API client, opened together and always closed."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

import httpx

from reconciler.engine.provider import Provider
from reconciler.http.client import ApiClient
from reconciler.project.config import Target
from reconciler.runner.workspace import Workspace, written_targets


async def cancel_all(tasks: Iterable[asyncio.Task[Any]]) -> None:
    """Cancel the tasks still running, and wait for them to end."""
    pending = [task for task in tasks if not task.done()]
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)


class TargetSession:
    """A provider bound to one target's API client, for the duration of one run."""

    def __init__(self, target: Target, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.target = target
        provider_cls = target.provider_class
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
        self._reads: set[asyncio.Task[Any]] = set()

    def track(self, read: asyncio.Task[Any]) -> None:
        """A task that reads on these sessions by itself (begun early, runner/prefetch.py): closing them
        ends it first."""
        self._reads.add(read)
        read.add_done_callback(self._reads.discard)

    async def __aenter__(self) -> Sessions:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        # A read begun early that the run never took (it stopped at a name that did not resolve, say) is
        # cancelled before its connection closes: left running, it would be retried against a closed
        # pool, and said to be failing, after the run's own error.
        await cancel_all(self._reads)
        await asyncio.gather(*(s.aclose() for s in self.by_target.values()))

    def provider(self, target: str) -> Provider:
        return self.by_target[target].provider

    @property
    def providers(self) -> dict[str, Provider]:
        """Each target's provider by target name: what the engine reads and applies through."""
        return {name: session.provider for name, session in self.by_target.items()}

    def requests_sent(self) -> int:
        return sum(s.client.requests_sent for s in self.by_target.values())


def open_sessions(workspace: Workspace, transport: httpx.AsyncBaseTransport | None = None) -> Sessions:
    return Sessions(written_targets(workspace), transport)
