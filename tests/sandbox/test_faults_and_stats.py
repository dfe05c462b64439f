"""Fault injection (each kind, each provider's error shape, seeds, latency), request counters and the
admin routes a benchmark in another process uses."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from reconciler.sandbox import FaultConfig, SandboxServer
from tests.sandbox.helpers import http, onelogin_client, onelogin_token, primo_client, vault_client

PRIMO_RULE = {"type": "MDM_ONLINE", "nonCompliantStatus": ["OFFLINE"]}
VAULT_RULE = {
    "key": "k",
    "name": "n",
    "type": "data",
    "constraint": {"type": "tag", "operator": "any", "tags": ["a"]},
    "action": {"type": "block"},
}
ONELOGIN_RULE = {
    "name": "r",
    "match": "all",
    "enabled": True,
    "position": None,
    "conditions": [],
    "actions": [{"action": "set_status", "value": ["2"]}],
}


def write_primo(server: SandboxServer) -> tuple[httpx.Client, Callable[[], httpx.Response], Callable[[], int]]:
    client, tenant = primo_client(server)
    return client, lambda: client.post("/compliance/alert-rules", json=PRIMO_RULE), lambda: len(tenant.rules)


def write_vault(server: SandboxServer) -> tuple[httpx.Client, Callable[[], httpx.Response], Callable[[], int]]:
    client, tenant = vault_client(server)
    return client, lambda: client.post("/rules", json=VAULT_RULE), lambda: len(tenant.rules)


def write_onelogin(server: SandboxServer) -> tuple[httpx.Client, Callable[[], httpx.Response], Callable[[], int]]:
    client, tenant = onelogin_client(server)
    tenant.add_app(5, "App")
    return (
        client,
        lambda: client.post("/api/2/apps/5/rules", json=ONELOGIN_RULE),
        lambda: len(tenant.rules(5)),
    )


READS = {"primo": "/compliance/alert-rules", "vizivault": "/rules", "onelogin": "/api/2/apps/5/rules"}
WRITERS = {"primo": write_primo, "vizivault": write_vault, "onelogin": write_onelogin}
ERROR_500 = {
    "primo": {"message": "Internal Server Error", "statusCode": 500},
    "vizivault": {"status": 500, "message": "Internal Server Error"},
    "onelogin": {"message": "Internal Server Error", "statusCode": 500, "name": "InternalServerError"},
}


def only(server: SandboxServer, kind: str, **extra: Any) -> None:
    server.faults.update({"fault_rate": 1.0, "fault_kinds": [kind], **extra})


@pytest.mark.parametrize("provider", WRITERS)
def test_500_in_the_providers_shape_and_nothing_written(server: SandboxServer, provider: str) -> None:
    _, write, count = WRITERS[provider](server)
    only(server, "500")
    answer = write()
    assert (answer.status_code, answer.json()) == (500, ERROR_500[provider])
    assert count() == 0 and server.stats.faults_injected == 1


@pytest.mark.parametrize("provider", WRITERS)
def test_429_with_retry_after_and_nothing_written(server: SandboxServer, provider: str) -> None:
    _, write, count = WRITERS[provider](server)
    only(server, "429", retry_after_s=2)
    answer = write()
    assert answer.status_code == 429 and answer.headers["Retry-After"] == "2"
    assert count() == 0


@pytest.mark.parametrize("provider", WRITERS)
def test_502_after_write_really_wrote(server: SandboxServer, provider: str) -> None:
    client, write, count = WRITERS[provider](server)
    only(server, "502_after_write")
    answer = write()
    assert answer.status_code == 502 and answer.json()  # an error body in the provider's shape
    assert count() == 1  # the client cannot tell, but the write happened
    assert client.get(READS[provider]).status_code == 200  # reads never get 502_after_write


@pytest.mark.parametrize("provider", WRITERS)
def test_drop_is_a_transport_error(server: SandboxServer, provider: str) -> None:
    client, write, count = WRITERS[provider](server)
    only(server, "drop")
    with pytest.raises(httpx.TransportError):
        write()
    assert count() == 1  # handled, then the answer was lost on the wire
    with pytest.raises(httpx.TransportError):
        client.get(READS[provider])
    server.faults.fault_rate = 0
    assert write().status_code in (200, 201)  # the client recovers on a new connection


def test_token_endpoint_is_faulted_in_its_own_shape(server: SandboxServer) -> None:
    _, tenant = onelogin_client(server)
    only(server, "500")
    answer = onelogin_token(server, tenant)
    assert answer.status_code == 500 and answer.json()["status"]["code"] == 500


def test_admin_routes_are_never_faulted_or_counted(server: SandboxServer) -> None:
    only(server, "drop")
    for _ in range(5):
        assert http.get(server.base_url + "/_sandbox/stats").status_code == 200
    assert server.stats.total == 0


def test_faults_are_repeatable_for_a_seed(server: SandboxServer) -> None:
    client, _ = primo_client(server)
    runs = []
    for _ in range(2):
        server.faults.update({"fault_rate": 0.5, "fault_kinds": ["500", "429"], "seed": 7})
        runs.append([client.get("/compliance/alert-rules").status_code for _ in range(30)])
    assert runs[0] == runs[1] and {200, 500, 429} <= set(runs[0])
    assert server.stats.faults_injected == runs[0].count(500) * 2 + runs[0].count(429) * 2


def test_fault_picks_respect_kinds_writes_and_seeds() -> None:
    faults = FaultConfig(fault_rate=1.0, fault_kinds=("502_after_write",), seed=1)
    assert faults.pick(is_write=False) is None and faults.pick(is_write=True) == "502_after_write"
    mixed = FaultConfig(fault_rate=0.5, seed=3)
    first = [mixed.pick(is_write=True) for _ in range(40)]
    mixed.seed = 3  # assigning the seed restarts the stream too
    assert [mixed.pick(is_write=True) for _ in range(40)] == first
    assert None in first and set(first) - {None} <= {"500", "429", "drop", "502_after_write"}
    with pytest.raises(ValueError):
        FaultConfig(fault_kinds=("fire",))


def test_latency(server: SandboxServer) -> None:
    client, _ = vault_client(server)
    server.faults.latency_ms = 120
    started = time.monotonic()
    client.get("/rules")
    assert time.monotonic() - started >= 0.12


def test_stats_count_route_templates(server: SandboxServer) -> None:
    client, tenant = onelogin_client(server)  # the token POST changes no rules: counted as a read
    tenant.add_app(5, "App")
    rule_id = client.post("/api/2/apps/5/rules", json=ONELOGIN_RULE).json()["id"]
    client.get(f"/api/2/apps/5/rules/{rule_id}")
    client.get("/api/2/apps/5/rules")
    client.get("/api/2/apps/5/rules", params={"enabled": "false"})
    client.put("/api/2/apps/5/rules/sort", json=[rule_id])
    snapshot = server.stats.snapshot()
    assert snapshot["by_route"] == {
        "POST onelogin /auth/oauth2/v2/token": 1,
        "POST onelogin /api/2/apps/{app_id}/rules": 1,
        "GET onelogin /api/2/apps/{app_id}/rules/{rule_id}": 1,
        "GET onelogin /api/2/apps/{app_id}/rules": 2,
        "PUT onelogin /api/2/apps/{app_id}/rules/sort": 1,
    }
    assert (snapshot["total"], snapshot["reads"], snapshot["writes"], snapshot["faults_injected"]) == (6, 4, 2, 0)
    server.stats.reset()
    assert server.stats.snapshot() == {"total": 0, "reads": 0, "writes": 0, "faults_injected": 0, "by_route": {}}


def test_admin_routes(server: SandboxServer) -> None:
    client, _ = vault_client(server)
    client.get("/rules")
    stats = http.get(server.base_url + "/_sandbox/stats").json()
    assert stats["by_route"] == {"GET vizivault /rules": 1} and stats["reads"] == 1
    answer = http.post(server.base_url + "/_sandbox/faults", json={"latency_ms": 5, "rate_limit": 100, "seed": 1})
    assert answer.status_code == 200 and answer.json()["latency_ms"] == 5
    assert (server.faults.latency_ms, server.faults.rate_limit, server.faults.seed) == (5, 100, 1)
    assert http.get(server.base_url + "/_sandbox/faults").json()["rate_limit"] == 100
    for bad in ({"nope": 1}, {"fault_rate": 2}, {"fault_kinds": ["fire"]}, {"latency_ms": "slow"}):
        refused = http.post(server.base_url + "/_sandbox/faults", json=bad)
        assert refused.status_code == 400 and refused.json()["message"], bad
    assert server.faults.latency_ms == 5  # a refused update changes nothing
    assert http.post(server.base_url + "/_sandbox/stats/reset").json()["total"] == 0
    assert server.stats.total == 0


@pytest.mark.parametrize("provider", WRITERS)
def test_faults_on_writes_only_leave_reads_and_tokens_alone(server: SandboxServer, provider: str) -> None:
    client, write, count = WRITERS[provider](server)
    only(server, "500", writes_only=True)
    for _ in range(5):
        assert client.get(READS[provider]).status_code == 200
    assert write().status_code == 500 and count() == 0
    assert server.stats.faults_injected == 1


def test_writes_only_is_checked_and_shown(server: SandboxServer) -> None:
    with pytest.raises(ValueError, match="true or false"):
        server.faults.update({"writes_only": "yes"})
    server.faults.update({"writes_only": True})
    assert server.faults.to_json()["writes_only"] is True
