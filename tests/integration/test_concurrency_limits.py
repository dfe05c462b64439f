"""Real clients against the sandbox: rate-limit headers lower the requests in flight; pooled connections."""

from __future__ import annotations

import asyncio

import httpx

from reconciler.apiclient import ApiClient
from reconciler.concurrency import REQUESTS_PER_SLOT
from reconciler.providers.onelogin import OneLoginProvider
from reconciler.sandbox import SandboxServer
from reconciler.transport import PooledTransport


def test_rate_limit_headers_lower_concurrency(sandbox: SandboxServer) -> None:
    tenant = sandbox.state.tenant("onelogin", "limits")
    tenant.add_app(500100, "App")
    budget = 4 * REQUESTS_PER_SLOT + 20
    sandbox.faults.rate_limit = budget
    credentials = {"client_id": tenant.client_id, "client_secret": tenant.client_secret}

    async def scenario() -> list[int]:
        client = ApiClient(
            sandbox.url("onelogin", "limits"), OneLoginProvider.authenticator(credentials, {}), concurrency=16
        )
        limits = []
        try:
            for _ in range(3):  # 20 requests per round: the budget left shrinks by 20 each time
                await asyncio.gather(*(client.get_json("/api/2/apps/500100/rules") for _ in range(20)))
                limits.append(client.in_flight.limit)
        finally:
            await client.aclose()
        return limits

    assert asyncio.run(scenario()) == [4, 2, 1]


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
