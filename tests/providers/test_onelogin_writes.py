"""The OneLogin client's writes meet what OneLogin documents: an update never carries the rule's id in
its body, and a sort always lists every rule of the app (the sandbox refuses both, as OneLogin does)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from reconciler.http.client import ApiClient
from reconciler.http.retry import RetryPolicy
from reconciler.providers.onelogin import OneLoginProvider, OneLoginToken
from reconciler.sandbox import SandboxServer

RULE = {
    "name": "r",
    "match": "all",
    "enabled": True,
    "conditions": [{"source": "has_role", "operator": "ri", "value": "340475"}],
    "actions": [{"action": "set_role", "value": ["340476"]}],
}


def with_provider(server: SandboxServer, tenant: Any, step: Callable[[OneLoginProvider], Awaitable[Any]]) -> Any:
    async def go() -> Any:
        client = ApiClient(
            server.url("onelogin", tenant.name),
            OneLoginToken(tenant.client_id, tenant.client_secret),
            retry=RetryPolicy(retry_for=0),
        )
        try:
            return await step(OneLoginProvider(client, {}))
        finally:
            await client.aclose()

    return asyncio.run(go())


def test_an_update_sends_the_id_in_the_path_only(sandbox: SandboxServer) -> None:
    tenant = sandbox.state.tenant("onelogin", "writes-update")
    tenant.add_app(9, "App")
    live = tenant.add_rule(9, RULE)
    # A body as the API lists it (id and position included) is still sent without its id.
    body = {**RULE, "id": live["id"], "position": 1, "match": "any"}
    with_provider(sandbox, tenant, lambda p: p.update("app:9", {"id": live["id"], "position": 1}, body))
    assert [(r["id"], r["match"]) for r in tenant.rules(9)] == [(live["id"], "any")]


def test_a_reorder_of_fetched_rules_lists_every_rule_disabled_ones_included(sandbox: SandboxServer) -> None:
    tenant = sandbox.state.tenant("onelogin", "writes-sort")
    tenant.add_app(9, "App")
    ids = [tenant.add_rule(9, {**RULE, "name": f"r{i}", "enabled": i != 1})["id"] for i in range(3)]

    async def reverse(provider: OneLoginProvider) -> None:
        rules = await provider.fetch("app:9")
        await provider.reorder("app:9", [rule.ref for rule in reversed(rules)])

    with_provider(sandbox, tenant, reverse)
    assert [r["id"] for r in tenant.rules(9)] == ids[::-1]
