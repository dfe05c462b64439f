"""OneLogin API v2 over loopback HTTP: tokens, apps paging, ordered rules with the enabled filter,
sort, validation in the reference's 422 shape, list filters, catalogs, rate limits."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from reconciler.sandbox import SandboxError, SandboxServer
from reconciler.sandbox.onelogin_catalog import DEFAULT_CATALOG
from tests.sandbox.helpers import http, onelogin_client, onelogin_token

RULES = "/api/2/apps/5/rules"
UNAUTHORIZED = {"message": "Unauthorized", "statusCode": 401, "name": "UnauthorizedError"}
NOT_FOUND = {"message": "Not Found", "statusCode": 404, "name": "NotFoundError"}


def rule(name: str = "r", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": name,
        "match": "all",
        "enabled": True,
        "position": None,
        "conditions": [{"source": "has_role", "operator": "ri", "value": "340475"}],
        "actions": [{"action": "set_role", "value": ["340476"]}],
    }
    body.update(overrides)
    return body


def with_app(server: SandboxServer) -> tuple[httpx.Client, Any]:
    client, tenant = onelogin_client(server)
    tenant.add_app(5, "App")
    return client, tenant


# ---- tokens and auth -------------------------------------------------------------------------------
def test_token_grant(server: SandboxServer) -> None:
    _, tenant = onelogin_client(server)
    answer = onelogin_token(server, tenant)
    body = answer.json()
    assert answer.status_code == 200
    assert set(body) == {"access_token", "created_at", "expires_in", "refresh_token", "token_type", "account_id"}
    assert body["expires_in"] == 36000 and body["token_type"] == "bearer" and body["refresh_token"] == ""


def test_token_errors(server: SandboxServer) -> None:
    _, tenant = onelogin_client(server)
    url = server.url("onelogin", tenant.name) + "/auth/oauth2/v2/token"
    failure = {"status": {"error": True, "code": 401, "type": "Unauthorized", "message": "Authentication Failure"}}
    for auth in [(tenant.client_id, "nope"), ("nobody", tenant.client_secret)]:
        wrong = http.post(url, json={"grant_type": "client_credentials"}, auth=auth)
        assert (wrong.status_code, wrong.json()) == (401, failure)
    assert http.post(url, json={"grant_type": "client_credentials"}).status_code == 401
    bad_grant = http.post(url, json={"grant_type": "password"}, auth=(tenant.client_id, tenant.client_secret))
    status = bad_grant.json()["status"]
    assert bad_grant.status_code == 400 and (status["error"], status["code"]) == (True, 400) and status["message"]


def test_api_auth_and_token_expiry(server: SandboxServer) -> None:
    client, tenant = onelogin_client(server)
    assert client.get("/api/2/apps").status_code == 200
    token = client.headers["Authorization"].split()[1]
    assert client.get("/api/2/apps", headers={"Authorization": f"Bearer {token}"}).status_code == 200  # any case
    for headers in ({"Authorization": "bearer nope"}, {"Authorization": f"Basic {token}"}):
        answer = client.get("/api/2/apps", headers=headers)
        assert (answer.status_code, answer.json()) == (401, UNAUTHORIZED)
    assert http.get(server.url("onelogin", tenant.name) + "/api/2/apps").json() == UNAUTHORIZED
    tenant.token_ttl = 0.2  # type: ignore[assignment]
    short, _ = onelogin_client(server, tenant.name)
    assert short.get("/api/2/apps").status_code == 200
    time.sleep(0.25)
    expired = short.get("/api/2/apps")
    assert (expired.status_code, expired.json()) == (401, UNAUTHORIZED)
    assert client.get("/api/2/apps").status_code == 200  # the long-lived token still works


# ---- apps -------------------------------------------------------------------------------------------
def test_apps_paging_and_get(server: SandboxServer) -> None:
    client, tenant = onelogin_client(server)
    for app_id in range(1, 6):
        tenant.add_app(app_id, f"App {app_id}")
    page = client.get("/api/2/apps", params={"limit": 2, "page": 2})
    assert [a["id"] for a in page.json()] == [3, 4]
    assert {k: page.headers[k] for k in ("Total-Pages", "Total-Count", "Current-Page", "Page-Items")} == {
        "Total-Pages": "3",
        "Total-Count": "5",
        "Current-Page": "2",
        "Page-Items": "2",
    }
    links = httpx.Response(200, headers={"Link": page.headers["Link"]}).links
    assert links["next"]["url"].endswith("/api/2/apps?limit=2&page=3")
    assert links["prev"]["url"].endswith("/api/2/apps?limit=2&page=1")
    last = client.get(links["next"]["url"])
    assert [a["id"] for a in last.json()] == [5] and "next" not in last.links
    everything = client.get("/api/2/apps")
    assert len(everything.json()) == 5 and "Link" not in everything.headers
    assert {"id", "name", "connector_id", "visible"} <= set(everything.json()[0])
    assert client.get("/api/2/apps", params={"limit": 1001}).status_code == 400
    assert client.get("/api/2/apps/3").json()["name"] == "App 3"
    missing = client.get("/api/2/apps/99")
    assert (missing.status_code, missing.json()) == (404, NOT_FOUND)
    assert client.get("/api/2/apps/abc").json() == NOT_FOUND  # unknown paths answer in the API's shape


# ---- rules ------------------------------------------------------------------------------------------
def test_create_positions_and_enabled_filter(server: SandboxServer) -> None:
    client, tenant = with_app(server)
    first = client.post(RULES, json=rule("first"))
    assert first.status_code == 201 and set(first.json()) == {"id"}
    off = client.post(RULES, json=rule("off", enabled=False)).json()["id"]
    top = client.post(RULES, json=rule("top", position=1)).json()["id"]
    client.post(RULES, json={k: v for k, v in rule("no position").items() if k != "position"})
    listed = client.get(RULES).json()  # enabled=true by default
    assert [(r["name"], r["position"]) for r in listed] == [("top", 1), ("first", 2), ("no position", 4)]
    assert list(listed[0]) == ["id", "name", "match", "enabled", "position", "conditions", "actions"]
    assert [r["id"] for r in client.get(RULES, params={"enabled": "false"}).json()] == [off]
    assert [r["id"] for r in client.get(RULES, params={"enabled": "true"}).json()] == [top, first.json()["id"], off + 2]
    assert [r["name"] for r in tenant.rules(5)] == ["top", "first", "off", "no position"]  # Python sees both


def test_get_put_delete(server: SandboxServer) -> None:
    client, tenant = with_app(server)
    ids = [client.post(RULES, json=rule(f"r{i}")).json()["id"] for i in range(3)]
    one = client.get(f"{RULES}/{ids[0]}").json()
    assert one == {
        "id": ids[0],
        "name": "r0",
        "match": "all",
        "enabled": True,
        "position": 1,
        "conditions": [{"source": "has_role", "operator": "ri", "value": "340475"}],
        "actions": [{"action": "set_role", "value": ["340476"]}],
    }
    replaced = rule("renamed", match="any", conditions=[], actions=[{"action": "set_groups", "value": "Sales"}])
    answer = client.put(f"{RULES}/{ids[0]}", json=replaced)
    assert (answer.status_code, answer.json()) == (200, {"id": ids[0]})
    stored = client.get(f"{RULES}/{ids[0]}").json()
    assert (stored["name"], stored["match"], stored["conditions"], stored["position"]) == ("renamed", "any", [], 1)
    assert stored["actions"] == [{"action": "set_groups", "value": ["Sales"]}]
    client.put(f"{RULES}/{ids[0]}", json=rule("moved", position=3))
    assert [r["id"] for r in tenant.rules(5)] == [ids[1], ids[2], ids[0]]
    deleted = client.delete(f"{RULES}/{ids[1]}")
    assert (deleted.status_code, deleted.content) == (204, b"")
    assert [(r["id"], r["position"]) for r in tenant.rules(5)] == [(ids[2], 1), (ids[0], 2)]
    for method in ("GET", "PUT", "DELETE"):
        missing = client.request(method, f"{RULES}/{ids[1]}", json=rule())
        assert (missing.status_code, missing.json()) == (404, NOT_FOUND)
    assert client.get("/api/2/apps/6/rules").json() == NOT_FOUND


def test_put_refuses_an_id_in_the_body(server: SandboxServer) -> None:
    client, tenant = with_app(server)
    rule_id = client.post(RULES, json=rule("kept")).json()["id"]
    refused = client.put(f"{RULES}/{rule_id}", json={**rule("renamed"), "id": rule_id})
    assert (refused.status_code, refused.json()) == (
        422,
        {"code": 422, "message": "Validation Failed", "errors": [{"field": "id", "message": ["Field is not allowed"]}]},
    )
    assert [r["name"] for r in tenant.rules(5)] == ["kept"]  # nothing of the refused body was stored


def test_sort(server: SandboxServer) -> None:
    client, tenant = with_app(server)
    a = client.post(RULES, json=rule("a")).json()["id"]
    b = client.post(RULES, json=rule("b", enabled=False)).json()["id"]
    c = client.post(RULES, json=rule("c")).json()["id"]
    answer = client.put(f"{RULES}/sort", json=[c, b, a])
    assert (answer.status_code, answer.json()) == (200, [c, b, a])
    assert [(r["id"], r["position"]) for r in tenant.rules(5)] == [(c, 1), (b, 2), (a, 3)]
    incomplete = {
        "code": 422,
        "message": "Validation Failed",
        "errors": [{"field": "default", "message": ["Sorting list must contain all mapping IDs"]}],
    }
    for bad in ([a, c], [a, b, c, 99], [a, a, b, c], [str(a), str(b), str(c)], {"ids": [a, b, c]}):
        refused = client.put(f"{RULES}/sort", json=bad)
        assert (refused.status_code, refused.json()) == (422, incomplete), bad
    assert [r["id"] for r in tenant.rules(5)] == [c, b, a]


def test_validation_in_the_reference_shape(server: SandboxServer) -> None:
    client, tenant = with_app(server)
    missing_enabled = client.post(RULES, json={k: v for k, v in rule().items() if k != "enabled"})
    assert (missing_enabled.status_code, missing_enabled.json()) == (
        422,
        {
            "code": 422,
            "message": "Validation Failed",
            "errors": [{"field": "enabled", "message": ["Required field is missing"]}],
        },
    )
    bad_value = client.post(RULES, json=rule(conditions=[{"source": "has_role", "operator": "ri", "value": "12345"}]))
    assert bad_value.json() == {
        "code": 422,
        "message": "Validation Failed",
        "errors": [{"field": "conditions.[0].value", "message": ["Invalid condition value: 12345"]}],
    }
    everything_wrong = {
        "match": "some",
        "conditions": [
            {"source": "shoe_size", "operator": "=", "value": "9"},
            {"source": "last_login", "operator": "ri", "value": 90},
        ],
        "actions": [
            {"action": "set_role", "value": ["1", "2"]},
            {"action": "set_status", "value": [2]},
            {"action": "launch_rockets", "value": []},
        ],
    }
    errors = {e["field"]: e["message"] for e in client.post(RULES, json=everything_wrong).json()["errors"]}
    assert errors == {
        "name": ["Required field is missing"],
        "enabled": ["Required field is missing"],
        "match": ["Invalid match value: some"],
        "conditions.[0].source": ["Invalid condition source: shoe_size"],
        "conditions.[1].operator": ["Invalid condition operator: ri"],
        "conditions.[1].value": ["Invalid condition value: 90"],
        "actions.[0].value": ["Invalid action value: 1", "Invalid action value: 2"],
        "actions.[1].value": ["Must be an array of strings"],
        "actions.[2].action": ["Invalid action: launch_rockets"],
    }
    put = client.put(f"{RULES}/{tenant.add_rule(5, rule())['id']}", json=rule(match=None))
    assert put.status_code == 422 and put.json()["errors"] == [
        {"field": "match", "message": ["Required field is missing"]}
    ]
    assert len(tenant.rules(5)) == 1


def test_bare_string_action_value_and_extras(server: SandboxServer) -> None:
    client, tenant = with_app(server)
    curl_example = rule(
        conditions=[{"source": "last_login", "operator": ">", "value": "90"}],
        actions=[{"action": "set_status", "value": "2"}],
    )
    assert client.post(RULES, json=curl_example).status_code == 201
    scriplet = rule("s", actions=[{"action": "set_filteredgroups", "scriplet": "4a77bdeb87652d78db"}])
    expression = rule("e", actions=[{"action": "set_groups", "value": ["member_of"], "expression": "/.*/"}])
    assert (
        client.post(RULES, json=scriplet).status_code == 201 and client.post(RULES, json=expression).status_code == 201
    )
    actions = [r["actions"][0] for r in tenant.rules(5)]
    assert actions == [
        {"action": "set_status", "value": ["2"]},
        {"action": "set_filteredgroups", "value": [], "scriplet": "4a77bdeb87652d78db"},
        {"action": "set_groups", "value": ["member_of"], "expression": "/.*/"},
    ]


def test_python_add_rule_shares_the_validation(server: SandboxServer) -> None:
    _, tenant = with_app(server)
    with pytest.raises(SandboxError) as caught:
        tenant.add_rule(5, rule(match="some"))
    assert caught.value.status == 422
    with pytest.raises(SandboxError):
        tenant.add_rule(404, rule())
    stored = tenant.add_rule(5, rule())
    assert stored["position"] == 1 and tenant.rule(5, stored["id"])["name"] == "r"


def test_list_filters(server: SandboxServer) -> None:
    client, tenant = with_app(server)
    tenant.add_rule(5, rule("admins"))
    tenant.add_rule(
        5,
        rule(
            "stale",
            conditions=[{"source": "last_login", "operator": ">", "value": "90"}],
            actions=[{"action": "set_status", "value": ["2"]}],
        ),
    )
    tenant.add_rule(
        5,
        rule(
            "custom",
            conditions=[{"source": "custom_attribute_cost_center", "operator": "=", "value": "42"}],
            actions=[{"action": "set_custom_attribute_cost_center", "value": ["42"]}],
        ),
    )
    tenant.add_rule(5, rule("nothing", conditions=[], actions=[]))

    def names(**params: str) -> list[str]:
        answer = client.get(RULES, params=params)
        assert answer.status_code == 200, answer.text
        return [r["name"] for r in answer.json()]

    assert names(has_condition="has_role:340475") == ["admins"]
    assert names(has_condition="*:90") == ["stale"]
    assert names(has_condition="has_role:*,last_login:9*") == ["admins", "stale"]
    assert names(has_condition="has_role:1") == []
    assert names(has_action="set_status:2") == ["stale"]
    assert names(has_action="set_*:*") == ["admins", "stale", "custom"]
    assert names(has_condition_type="custom") == ["custom"]
    assert names(has_condition_type="builtin") == ["admins", "stale"]
    assert names(has_condition_type="none") == ["nothing"]
    assert names(has_action_type="none") == ["nothing"]
    assert names(has_action_type="custom", has_condition="*:42") == ["custom"]
    assert names(has_action="set_role:*", enabled="false") == []
    assert client.get(RULES, params={"has_action_type": "weird"}).status_code == 400


def test_catalog_endpoints_and_per_app_catalogs(server: SandboxServer) -> None:
    client, tenant = onelogin_client(server)
    tenant.add_app(1, "Default catalog")
    conditions = client.get("/api/2/apps/1/rules/conditions").json()
    assert {"name": "Has role", "value": "has_role"} in conditions
    assert {c["value"] for c in conditions} == set(DEFAULT_CATALOG["conditions"])
    operators = client.get("/api/2/apps/1/rules/conditions/has_role/operators").json()
    assert {o["value"] for o in operators} == {"ri", "!ri"}
    assert {"name": "Admin", "value": 340475} in client.get("/api/2/apps/1/rules/conditions/has_role/values").json()
    assert client.get("/api/2/apps/1/rules/conditions/email/values").json() == []
    assert "set_role" in {a["value"] for a in client.get("/api/2/apps/1/rules/actions").json()}
    assert client.get("/api/2/apps/1/rules/actions/set_role/values").json()[0] == {"name": "Admin", "value": 340475}
    for path in ("conditions/nope/operators", "conditions/nope/values", "actions/nope/values"):
        assert client.get(f"/api/2/apps/1/rules/{path}").json() == NOT_FOUND
    small = {
        "conditions": {"email": {"name": "Email", "values": None, "operators": [{"name": "is", "value": "="}]}},
        "actions": {"set_email": {"name": "Set email", "values": None}},
    }
    tenant.add_app(2, "Small catalog", catalog=small)
    assert client.get("/api/2/apps/2/rules/actions").json() == [{"name": "Set email", "value": "set_email"}]
    refused = client.post("/api/2/apps/2/rules", json=rule())
    assert {e["field"] for e in refused.json()["errors"]} == {"conditions.[0].source", "actions.[0].action"}
    accepted = rule(
        conditions=[{"source": "email", "operator": "=", "value": "a@b.c"}],
        actions=[{"action": "set_email", "value": ["x@y.z"]}],
    )
    assert client.post("/api/2/apps/2/rules", json=accepted).status_code == 201


# ---- rate limits ------------------------------------------------------------------------------------
def test_rate_limit_headers_always_sent(server: SandboxServer) -> None:
    client, _ = onelogin_client(server)
    answers = [client.get("/api/2/apps") for _ in range(3)]
    remaining = [int(a.headers["X-RateLimit-Remaining"]) for a in answers]
    assert remaining[0] - remaining[2] == 2 and int(answers[0].headers["X-RateLimit-Limit"]) >= 5000
    assert int(answers[0].headers["X-RateLimit-Reset"]) > 0


def test_rate_limit_exhaustion_and_reset(server: SandboxServer) -> None:
    client, tenant = onelogin_client(server)
    server.faults.update({"rate_limit": 3, "rate_limit_window_s": 0.5})
    answers = [client.get("/api/2/apps") for _ in range(4)]
    assert [a.headers["X-RateLimit-Remaining"] for a in answers[:3]] == ["2", "1", "0"]
    assert [a.headers["X-RateLimit-Limit"] for a in answers] == ["3"] * 4
    over = answers[3]
    assert over.status_code == 429
    assert over.json() == {"message": "Too Many Requests", "statusCode": 429, "name": "TooManyRequestsError"}
    assert int(over.headers["X-RateLimit-Reset"]) >= 1 and "Retry-After" in over.headers
    assert onelogin_token(server, tenant).status_code == 200  # the token endpoint is not budgeted
    time.sleep(0.55)
    assert client.get("/api/2/apps").status_code == 200
