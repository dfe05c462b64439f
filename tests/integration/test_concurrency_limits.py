"""A real client against the sandbox's OneLogin: its rate-limit headers lower the requests in flight."""

from __future__ import annotations

import asyncio

from reconciler.apiclient import ApiClient
from reconciler.concurrency import REQUESTS_PER_SLOT
from reconciler.providers.onelogin import OneLoginProvider
from reconciler.sandbox import SandboxServer


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
