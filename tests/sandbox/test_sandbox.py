"""The emulators over real loopback HTTP: auth, paging, filters, ordering, tokens, rate limits,
fault injection, counters and persistence."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.sandbox import FaultConfig, SandboxServer, SandboxState


@pytest.fixture
def server() -> Iterator[SandboxServer]:
    with SandboxServer() as running:
        yield running


def primo(server: SandboxServer, name: str = "t") -> tuple[httpx.Client, Any]:
    tenant = server.state.tenant("primo", name)
    client = httpx.Client(base_url=server.url("primo", name), headers={"Authorization": f"Bearer {tenant.api_key}"})
    return client, tenant


def vault(server: SandboxServer, name: str = "t") -> tuple[httpx.Client, Any]:
    tenant = server.state.tenant("vizivault", name)
    client = httpx.Client(base_url=server.url("vizivault", name), headers={"Authorization": f"Bearer {tenant.api_key}"})
    return client, tenant


def onelogin(server: SandboxServer, name: str = "t") -> tuple[httpx.Client, Any]:
    tenant = server.state.tenant("onelogin", name)
    client = httpx.Client(base_url=server.url("onelogin", name))
    answer = client.post(
        "/auth/oauth2/v2/token",
        json={"grant_type": "client_credentials"},
        auth=(tenant.client_id, tenant.client_secret),
    )
    assert answer.status_code == 200, answer.text
    client.headers["Authorization"] = f"bearer {answer.json()['access_token']}"
    return client, tenant


RULE = {
    "name": "r",
    "match": "all",
    "enabled": True,
    "conditions": [{"source": "has_role", "operator": "ri", "value": "340475"}],
    "actions": [{"action": "set_role", "value": ["340476"]}],
}


def test_unknown_tenant_and_bad_keys(server: SandboxServer) -> None:
    primo(server)
    assert httpx.get(server.url("primo", "nobody") + "/compliance/alert-rules").status_code == 404
    bad = httpx.get(server.url("primo", "t") + "/compliance/alert-rules", headers={"Authorization": "Bearer no"})
    assert bad.status_code == 401 and bad.json()["message"] == "Unauthorized"
    vault(server)
    bad = httpx.get(server.url("vizivault", "t") + "/rules")
    assert bad.status_code == 401 and bad.json() == {"status": 401, "message": "Unauthorized"}
    bad = httpx.get(server.url("onelogin", "t") + "/api/2/apps") if onelogin(server) else None
    assert bad is not None and bad.json() == {"message": "Unauthorized", "statusCode": 401, "name": "UnauthorizedError"}


def test_primo_upsert_validation_and_paging(server: SandboxServer) -> None:
    client, tenant = primo(server)
    answer = client.post("/compliance/alert-rules", json={"type": "MDM_ONLINE", "nonCompliantStatus": ["OFFLINE"]})
    assert answer.status_code == 200 and "type" not in answer.json()["rule"]
    rule_id = answer.json()["rule"]["id"]
    again = client.post("/compliance/alert-rules", json={"type": "MDM_ONLINE", "nonCompliantStatus": []})
    assert again.json()["rule"]["id"] == rule_id and again.json()["rule"]["nonCompliantStatus"] == []
    for body, status in [
        ({"type": "NOPE", "nonCompliantStatus": []}, 400),
        ({"type": "MDM_ONLINE", "nonCompliantStatus": ["ONLINE"]}, 400),  # compliant
        ({"type": "MDM_ONLINE"}, 400),
    ]:
        assert client.post("/compliance/alert-rules", json=body).status_code == status
    for index, rule_type in enumerate(["MDM_ENROLLMENT", "MDM_CONTROL_WIFI", "MDM_CONTROL_FIREWALL"]):
        tenant.upsert_rule(rule_type, ["FAILED"] if index else ["PENDING"])
    page = client.get("/compliance/alert-rules", params={"page": 2, "perPage": 3}).json()
    assert page["pagination"] == {"totalElements": 4, "totalPages": 2, "page": 2, "perPage": 3}
    assert [r["type"] for r in page["data"]] == ["MDM_ONLINE"]
    assert client.get("/compliance/alert-rules", params={"perPage": 101}).status_code == 400


def test_vizivault_upsert_by_key_get_and_delete_by_name(server: SandboxServer) -> None:
    client, tenant = vault(server)
    rule = {
        "key": "k",
        "name": "n",
        "type": "data",
        "constraint": {"type": "tag", "operator": "all", "tags": ["a"]},
        "action": {"type": "block"},
    }
    assert client.post("/rules", json=rule).json() == {"data": "Rule created"}
    assert client.post("/rules", json={**rule, "name": "renamed"}).json() == {"data": "Rule updated"}
    stored = client.get("/rules/renamed").json()["data"]
    assert stored["executionOrder"] == 1 and stored["createdDate"] and stored["modifiedDate"]
    assert client.get("/rules/n").json() == {"status": 404, "message": "Rule not found"}
    assert client.delete("/rules/renamed").json() == {"data": "Rule deleted"}
    assert client.delete("/rules/renamed").status_code == 404
    assert client.get("/rules").json() == {"data": []}
    tenant.custom_rules_enabled = False
    denied = client.post("/rules", json=rule)
    assert denied.status_code == 402
    assert denied.json()["message"] == "Your current subscription does not support custom rules"


def _vault_rule(constraint: Any = None, **overrides: Any) -> dict[str, Any]:
    rule = {
        "key": "k",
        "name": "n",
        "type": "data",
        "constraint": constraint or {"type": "attribute", "operator": "any", "attributes": ["NAME"]},
        "action": {"type": "alert", "alertLevel": "INFO", "message": "m"},
    }
    rule.update(overrides)
    return rule


# Every row of the reference's error table, triggered by one bad rule each.
VAULT_TABLE = [
    (_vault_rule(key=None), 400, "Rule key is required"),
    ("{not json", 400, "Cannot parse JSON of rule"),
    (_vault_rule(constraint=None) | {"constraint": "x"}, 400, "Rule constraint must be specified as an object"),
    (_vault_rule(action=[]), 400, "Rule action must be specified as an object"),
    (_vault_rule({"type": 5}), 400, "Constraint type must be specified as a string"),
    (
        _vault_rule({"type": "attribute", "attributes": ["NAME"]}),
        400,
        "Attribute constraint operator must be specified as a string",
    ),
    (
        _vault_rule({"type": "tag", "operator": 1, "tags": []}),
        400,
        "Tag constraint operator must be specified as a string",
    ),
    (
        _vault_rule({"type": "regulation", "operator": None, "regulations": []}),
        400,
        "Regulation constraint operator must be specified as a string",
    ),
    (
        _vault_rule({"type": "geo", "countries": ["DE"]}),
        400,
        "Geolocation constraint operator must be specified as a string",
    ),
    (
        _vault_rule({"type": "attribute", "operator": "all", "attributes": ["NAME"]}),
        400,
        "Unsupported attribute list operator",
    ),
    (_vault_rule({"type": "tag", "operator": "some", "tags": []}), 400, "Unsupported tag list operator"),
    (
        _vault_rule({"type": "regulation", "operator": "x", "regulations": []}),
        400,
        "Unsupported regulation list operator",
    ),
    (
        _vault_rule({"type": "geo", "operator": "all", "countries": ["DE"]}),
        400,
        "Unsupported geolocation list operator",
    ),
    (
        _vault_rule({"type": "attribute", "operator": "any", "attributes": "NAME"}),
        400,
        "Constraint attribute list must be specified as an array",
    ),
    (_vault_rule({"type": "tag", "operator": "any"}), 400, "Constraint tag list must be specified as an array"),
    (
        _vault_rule({"type": "regulation", "operator": "any", "regulations": {}}),
        400,
        "Constraint regulation list must be specified as an array",
    ),
    (
        _vault_rule({"type": "geo", "operator": "any"}),
        400,
        "Neither countries nor subdivisions specified for geolocation constraint",
    ),
    (
        _vault_rule({"type": "geo", "operator": "any", "countries": "DE"}),
        400,
        "Geolocation constraint country list must be an array",
    ),
    (
        _vault_rule({"type": "geo", "operator": "any", "subdivisions": "US-NY"}),
        400,
        "Geolocation constraint subdivision list must be an array",
    ),
    (
        _vault_rule({"type": "geo", "operator": "any", "countries": ["UK"]}),
        400,
        "Countries for geolocation constraint must be specified as ISO 3166-1 two-letter codes",
    ),
    (
        _vault_rule({"type": "geo", "operator": "any", "subdivisions": ["US-XX"]}),
        400,
        "Subdivisions for geolocation constraint must be specified as ISO 3166-2 hyphenated codes",
    ),
    (
        _vault_rule({"type": "user", "predicate": "eq", "value": 1}),
        400,
        "Entity value constraint attribute must be specified as a string",
    ),
    (_vault_rule({"type": "user", "attribute": "SHOE_SIZE", "predicate": "eq", "value": 1}), 422, "No such attribute"),
    (_vault_rule({"type": "attribute", "operator": "any", "attributes": ["SHOE_SIZE"]}), 422, "No such attribute"),
    (_vault_rule({"type": "regulation", "operator": "any", "regulations": ["FERPA"]}), 422, "No such regulation"),
    (
        _vault_rule({"type": "user", "attribute": "DOB", "predicate": "eq"}),
        400,
        "No value specified for entity value constraint",
    ),
    (
        _vault_rule({"type": "user", "attribute": "DOB", "predicate": "like", "value": "x"}),
        400,
        "Entity-value attribute constraint predicate like is not supported.",
    ),
    (_vault_rule({"type": "colour"}), 400, "Unrecognized constraint type"),
]


@pytest.mark.parametrize(("body", "status", "message"), VAULT_TABLE, ids=[m for _, _, m in VAULT_TABLE])
def test_vizivault_error_table(server: SandboxServer, body: Any, status: int, message: str) -> None:
    client, _ = vault(server)
    content = body if isinstance(body, str) else json.dumps(body)
    answer = client.post("/rules", content=content, headers={"Content-Type": "application/json"})
    assert (answer.status_code, answer.json()) == (status, {"status": status, "message": message})


def test_onelogin_rules_enabled_filter_order_and_sort(server: SandboxServer) -> None:
    client, tenant = onelogin(server)
    tenant.add_app(5, "App")
    path = "/api/2/apps/5/rules"
    first = client.post(path, json={**RULE, "position": None}).json()["id"]
    second = client.post(path, json={**RULE, "name": "off", "enabled": False}).json()["id"]
    third = client.post(path, json={**RULE, "name": "top", "position": 1})
    assert third.status_code == 201
    assert [r["name"] for r in client.get(path).json()] == ["top", "r"]  # only enabled by default
    assert [r["id"] for r in client.get(path, params={"enabled": "false"}).json()] == [second]
    assert client.put(f"{path}/sort", json=[first, second]).status_code == 422  # not every id
    ids = [second, first, third.json()["id"]]
    assert client.put(f"{path}/sort", json=ids).json() == ids
    assert [(r["id"], r["position"]) for r in tenant.rules(5)] == [(ids[0], 1), (ids[1], 2), (ids[2], 3)]
    assert client.put(f"{path}/{first}", json={**RULE, "name": "renamed", "position": None}).status_code == 200
    assert client.get(f"{path}/{first}").json()["name"] == "renamed"
    assert client.delete(f"{path}/{first}").status_code == 204
    assert client.get(f"{path}/{first}").status_code == 404
    assert client.get("/api/2/apps/6/rules").json()["name"] == "NotFoundError"


def test_onelogin_validation_lists_every_error(server: SandboxServer) -> None:
    client, tenant = onelogin(server)
    tenant.add_app(5, "App")
    bad = {
        "name": "x",
        "match": "some",
        "conditions": [{"source": "has_role", "operator": "ri", "value": "12345"}],
        "actions": [{"action": "set_role", "value": [1]}],
    }
    answer = client.post("/api/2/apps/5/rules", json=bad)
    assert answer.status_code == 422
    body = answer.json()
    assert body["code"] == 422 and body["message"] == "Validation Failed"
    assert {e["field"]: e["message"] for e in body["errors"]} == {
        "enabled": ["Required field is missing"],
        "match": ["Invalid match value: some"],
        "conditions.[0].value": ["Invalid condition value: 12345"],
        "actions.[0].value": ["Must be an array of strings"],
    }
    scalar = client.post("/api/2/apps/5/rules", json={**RULE, "actions": [{"action": "set_status", "value": "2"}]})
    assert scalar.status_code == 201
    assert tenant.rules(5)[0]["actions"][0]["value"] == ["2"]


def test_onelogin_catalog_and_apps_paging(server: SandboxServer) -> None:
    client, tenant = onelogin(server)
    for app_id in range(1, 6):
        tenant.add_app(app_id, f"App {app_id}")
    page = client.get("/api/2/apps", params={"limit": 2, "page": 2})
    assert [a["id"] for a in page.json()] == [3, 4]
    assert page.headers["Total-Pages"] == "3" and page.headers["Total-Count"] == "5"
    assert 'rel="next"' in page.headers["Link"] and 'rel="prev"' in page.headers["Link"]
    conditions = {c["value"] for c in client.get("/api/2/apps/1/rules/conditions").json()}
    assert {"has_role", "last_login"} <= conditions
    operators = {o["value"] for o in client.get("/api/2/apps/1/rules/conditions/has_role/operators").json()}
    assert operators == {"ri", "!ri"}
    assert client.get("/api/2/apps/1/rules/conditions/nope/operators").status_code == 404
    assert "set_role" in {a["value"] for a in client.get("/api/2/apps/1/rules/actions").json()}
    assert client.get("/api/2/apps/1/rules/actions/set_role/values").json()[0]["value"] == "340475"


def test_onelogin_tokens_expire_and_bad_credentials_fail(server: SandboxServer) -> None:
    client, tenant = onelogin(server)
    assert client.get("/api/2/apps").status_code == 200
    tenant.token_ttl = 0
    expired, _ = onelogin(server)
    assert expired.get("/api/2/apps").status_code == 401
    wrong = httpx.post(
        server.url("onelogin", "t") + "/auth/oauth2/v2/token",
        json={"grant_type": "client_credentials"},
        auth=(tenant.client_id, "nope"),
    )
    assert wrong.status_code == 401 and wrong.json()["status"]["message"] == "Authentication Failure"


def test_onelogin_rate_limit_headers_and_429(server: SandboxServer) -> None:
    client, _ = onelogin(server)
    server.faults.rate_limit = 3
    answers = [client.get("/api/2/apps") for _ in range(4)]
    assert [a.headers["X-RateLimit-Remaining"] for a in answers[:3]] == ["2", "1", "0"]
    assert answers[3].status_code == 429 and answers[3].json()["name"] == "TooManyRequestsError"
    assert int(answers[3].headers["X-RateLimit-Reset"]) > 0 and "Retry-After" in answers[3].headers


@pytest.mark.parametrize("kind", ["500", "429", "drop", "502_after_write"])
def test_fault_kinds(server: SandboxServer, kind: str) -> None:
    client, tenant = primo(server)
    server.faults.update({"fault_rate": 1.0, "fault_kinds": [kind], "seed": 1, "retry_after_s": 0.25})
    body = {"type": "MDM_ONLINE", "nonCompliantStatus": ["OFFLINE"]}
    if kind == "drop":
        with pytest.raises(httpx.TransportError):
            client.post("/compliance/alert-rules", json=body)
        assert "MDM_ONLINE" in tenant.rules  # the write happened; only the answer was lost
        return
    answer = client.post("/compliance/alert-rules", json=body)
    expected = {"500": 500, "429": 429, "502_after_write": 502}[kind]
    assert answer.status_code == expected
    assert ("MDM_ONLINE" in tenant.rules) == (kind == "502_after_write")
    if kind == "429":
        assert answer.headers["Retry-After"] == "0.25"
    assert server.stats.faults_injected == 1


def test_faults_are_repeatable_for_a_seed() -> None:
    picks = []
    for _ in range(2):
        faults = FaultConfig(fault_rate=0.5, seed=42)
        picks.append([faults.pick(is_write=True) for _ in range(50)])
    assert picks[0] == picks[1] and any(picks[0]) and not all(picks[0])


def test_latency_and_stats(server: SandboxServer) -> None:
    client, _ = vault(server)
    server.faults.latency_ms = 50
    started = time.monotonic()
    client.get("/rules")
    assert time.monotonic() - started >= 0.05
    snapshot = httpx.get(server.base_url + "/_sandbox/stats").json()
    assert snapshot["by_route"] == {"GET vizivault /rules": 1} and snapshot["reads"] == 1
    httpx.post(server.base_url + "/_sandbox/faults", json={"latency_ms": 0})
    assert server.faults.latency_ms == 0
    httpx.post(server.base_url + "/_sandbox/stats/reset")
    assert server.stats.total == 0


def test_state_persists_to_json(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    with SandboxServer(state_file=path) as server:
        onelogin_client, onelogin_tenant = onelogin(server)
        onelogin_tenant.add_app(9, "App")  # Python-side setup is not a write: saved with the next HTTP write
        client, _ = vault(server)
        client.post("/rules", json=_vault_rule())
        onelogin_client.post("/api/2/apps/9/rules", json=RULE)
    restored = SandboxState.load(path)
    assert list(restored.tenant("vizivault", "t").rules) == ["k"]
    assert [r["name"] for r in restored.tenant("onelogin", "t").rules(9)] == ["r"]
    assert SandboxState.from_json(restored.to_json()).to_json() == restored.to_json()
