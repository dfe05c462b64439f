"""The OneLogin client's writes meet what OneLogin documents: an update never carries the rule's id in
its body, a sort always lists every rule of the app (the sandbox refuses both, as OneLogin does), and
creates land at their `position`, so an apply that only adds rules sends no sort."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from reconciler.engine.apply import ApplyReport, apply_scope
from reconciler.engine.model import DesiredRule, DesiredScope, LiveScope, ScopeRef
from reconciler.engine.planner import plan_scope
from reconciler.errors import Location
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


def test_creates_in_the_middle_land_at_their_position_without_a_sort(sandbox: SandboxServer) -> None:
    tenant = sandbox.state.tenant("onelogin", "writes-position")
    tenant.add_app(9, "App")
    for name in ("a", "x", "c"):  # x is unmanaged: it keeps its place
        tenant.add_rule(9, {**RULE, "name": name})
    ref = ScopeRef("onelogin-test", "app:9")
    wanted = DesiredScope(ref)
    for line, name in enumerate(("z", "a", "b", "c", "d"), start=1):
        wanted.rules.append(DesiredRule(ref, name, {**RULE, "name": name}, Location("rules/app.yaml", line, 3)))

    async def plan_and_apply(provider: OneLoginProvider) -> ApplyReport:
        live = LiveScope(ref, await provider.fetch(ref.scope))
        plan = plan_scope(OneLoginProvider, wanted, live, prune=False)
        assert [c.action for c in plan.changes] == ["create", "create", "create"]
        sandbox.stats.reset()
        report = ApplyReport()
        await apply_scope(provider, plan, report, None)
        return report

    report = with_provider(sandbox, tenant, plan_and_apply)
    assert [o.status for o in report.outcomes] == ["applied"] * 3
    assert [r["name"] for r in tenant.rules(9)] == ["z", "a", "b", "x", "c", "d"]
    stats = sandbox.stats.snapshot()
    assert stats["by_route"] == {"POST onelogin /api/2/apps/{app_id}/rules": 3}
    assert stats["writes"] == 3
