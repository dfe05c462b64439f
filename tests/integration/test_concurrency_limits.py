"""Real clients against the sandbox: rate-limit headers lower the requests in flight; pooled connections."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from reconciler.errors import ApiError
from reconciler.http.client import ApiClient, BearerKey
from reconciler.http.limits import REQUESTS_PER_SLOT
from reconciler.http.pool import PooledTransport
from reconciler.providers.onelogin import OneLoginProvider
from reconciler.sandbox import SandboxServer


class RecordingTransport(httpx.AsyncBaseTransport):
    """Counts what passes through another transport: statuses, and the most connections it held."""

    def __init__(self, inner: PooledTransport) -> None:
        self.inner = inner
        self.statuses: list[int] = []
        self.most_connections = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        self.statuses.append(response.status_code)
        self.most_connections = max(self.most_connections, self.inner.connections)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


def test_rate_limit_headers_lower_concurrency(sandbox: SandboxServer) -> None:
    """Fewer requests in flight as the window's budget shrinks; at its end the throttle waits for the reset
    (no 429), and the limit goes back up with the new window's budget."""
    tenant = sandbox.state.tenant("onelogin", "limits")
    tenant.add_app(500100, "App")
    budget = 4 * REQUESTS_PER_SLOT + 20
    sandbox.faults.rate_limit = budget
    sandbox.faults.rate_limit_window_s = 2.0
    credentials = {"client_id": tenant.client_id, "client_secret": tenant.client_secret}
    transport = RecordingTransport(PooledTransport(16))

    async def scenario() -> list[int]:
        client = ApiClient(
            sandbox.url("onelogin", "limits"),
            OneLoginProvider.authenticator(credentials, {}),
            concurrency=16,
            transport=transport,
        )
        limits = []
        try:
            for _ in range(3):  # 20 requests per round: the budget left shrinks by 20 each time
                await asyncio.gather(*(client.get_json("/api/2/apps/500100/rules") for _ in range(20)))
                limits.append(client.in_flight.limit)
        finally:
            await client.aclose()
        return limits

    first, second, after_reset = asyncio.run(scenario())
    assert (first, second) == (4, 2)
    assert after_reset > second
    assert 429 not in transport.statuses


def test_connections_are_bounded_kept_alive_and_reused(sandbox: SandboxServer) -> None:
    """However many requests, no more connections than the limit; answers of any status leave them
    reusable, so a second burst opens none."""
    tenant = sandbox.state.tenant("primo", "pools")
    transport = RecordingTransport(PooledTransport(5))
    client = ApiClient(sandbox.url("primo", "pools"), BearerKey(tenant.api_key), concurrency=64, transport=transport)

    async def scenario() -> tuple[int, int]:
        try:
            await asyncio.gather(*(client.get_json("/compliance/alert-rules") for _ in range(30)))
            opened = transport.inner.connections
            await asyncio.gather(*(client.get_json("/compliance/alert-rules") for _ in range(30)))
            missing = ApiClient(sandbox.url("primo", "pools"), BearerKey("wrong"), transport=transport)
            with pytest.raises(ApiError):  # a 401; what matters is the connection after it
                await missing.get_json("/compliance/alert-rules")
            await client.get_json("/compliance/alert-rules")
            return opened, transport.inner.connections
        finally:
            await client.aclose()

    opened, after = asyncio.run(scenario())
    assert transport.statuses == [200] * 60 + [401, 200]
    assert transport.most_connections == 5
    assert opened == after == 5
