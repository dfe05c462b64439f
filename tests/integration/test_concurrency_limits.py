"""Real clients against the sandbox: rate-limit headers lower the requests in flight; pooled connections."""

from __future__ import annotations

import asyncio

import httpx

from reconciler.http.client import ApiClient
from reconciler.http.limits import REQUESTS_PER_SLOT
from reconciler.http.pool import PooledTransport
from reconciler.providers.onelogin import OneLoginProvider
from reconciler.sandbox import SandboxServer


def test_rate_limit_headers_lower_concurrency(sandbox: SandboxServer) -> None:
    """Fewer requests in flight as the window's budget shrinks; at its end the throttle waits for the reset
    (no 429), and the limit goes back up with the new window's budget."""
    tenant = sandbox.state.tenant("onelogin", "limits")
    tenant.add_app(500100, "App")
    budget = 4 * REQUESTS_PER_SLOT + 20
    sandbox.faults.rate_limit = budget
    sandbox.faults.rate_limit_window_s = 2.0
    credentials = {"client_id": tenant.client_id, "client_secret": tenant.client_secret}
    statuses: list[int] = []

    async def record(response: httpx.Response) -> None:
        statuses.append(response.status_code)

    async def scenario() -> list[int]:
        client = ApiClient(
            sandbox.url("onelogin", "limits"), OneLoginProvider.authenticator(credentials, {}), concurrency=16
        )
        client.http.event_hooks["response"].append(record)
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
    assert 429 not in statuses


def test_pooled_transport_spreads_requests_and_frees_every_slot(sandbox: SandboxServer) -> None:
    tenant = sandbox.state.tenant("primo", "pools")
    transport = PooledTransport(5, per_pool=2)  # three pools of two connections

    async def scenario() -> list[int]:
        async with httpx.AsyncClient(base_url=sandbox.url("primo", "pools"), transport=transport) as http:
            headers = {"Authorization": f"Bearer {tenant.api_key}"}
            answers = await asyncio.gather(*(http.get("/compliance/alert-rules", headers=headers) for _ in range(30)))
            missing = await http.get("/compliance/alert-rules")  # a 401 frees its slot like any answer
        return [a.status_code for a in [*answers, missing]]

    statuses = asyncio.run(scenario())
    assert statuses == [200] * 30 + [401]
    assert len(transport._pools) == 3
    assert transport._busy == [0, 0, 0]
