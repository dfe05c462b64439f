"""Primo's compliance alert rules over loopback HTTP: auth, upsert per type, validation, paging."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.sandbox import SandboxError, SandboxServer
from reconciler.sandbox.primo import COMPLIANT_STATUSES, STATUSES, TYPES
from tests.sandbox.helpers import http, primo_client

PATH = "/compliance/alert-rules"


def test_enums_match_the_reference() -> None:
    assert len(TYPES) == 27 and len(STATUSES) == 34 and COMPLIANT_STATUSES <= STATUSES


def test_auth_and_unknown_tenant(server: SandboxServer) -> None:
    _, tenant = primo_client(server)
    url = server.url("primo", tenant.name) + PATH
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": tenant.api_key}):
        answer = http.get(url, headers=headers)
        assert (answer.status_code, answer.json()) == (401, {"message": "Unauthorized"})
    missing = http.get(server.url("primo", "nobody") + PATH, headers={"Authorization": f"Bearer {tenant.api_key}"})
    assert (missing.status_code, missing.json()) == (404, {"message": "Not Found", "statusCode": 404})


def test_upsert_is_one_rule_per_type(server: SandboxServer) -> None:
    client, tenant = primo_client(server)
    first = client.post(PATH, json={"type": "MDM_ONLINE", "nonCompliantStatus": ["OFFLINE", "OFFLINE_7_DAYS"]})
    assert first.status_code == 200
    rule = first.json()["rule"]
    assert set(rule) == {"id", "nonCompliantStatus", "config", "createdAt", "updatedAt"}  # no `type`, per reference
    assert rule["nonCompliantStatus"] == ["OFFLINE", "OFFLINE_7_DAYS"] and rule["config"] == {}
    assert rule["createdAt"].endswith("Z")
    again = client.post(PATH, json={"type": "MDM_ONLINE", "nonCompliantStatus": ["OFFLINE", "OFFLINE"]})
    assert again.json()["rule"]["id"] == rule["id"] and again.json()["rule"]["createdAt"] == rule["createdAt"]
    assert again.json()["rule"]["nonCompliantStatus"] == ["OFFLINE"]  # stored de-duplicated
    disabled = client.post(PATH, json={"type": "MDM_ONLINE", "nonCompliantStatus": []})
    assert disabled.json()["rule"]["nonCompliantStatus"] == []
    listed = client.get(PATH).json()["data"]
    assert [(r["type"], r["nonCompliantStatus"], r["id"]) for r in listed] == [("MDM_ONLINE", [], rule["id"])]
    assert list(tenant.rules) == ["MDM_ONLINE"] and tenant.rules["MDM_ONLINE"]["type"] == "MDM_ONLINE"


BAD_BODIES: list[tuple[Any, str]] = [
    ({"nonCompliantStatus": []}, "type is required"),
    ({"type": "NOPE", "nonCompliantStatus": []}, 'type must be one of the compliance rule types, got "NOPE"'),
    ({"type": "MDM_ONLINE"}, "nonCompliantStatus is required"),
    ({"type": "MDM_ONLINE", "nonCompliantStatus": "OFFLINE"}, "nonCompliantStatus must be an array"),
    (
        {"type": "MDM_ONLINE", "nonCompliantStatus": ["OFFLINE", "BROKEN"]},
        'each value in nonCompliantStatus must be a device status, got "BROKEN"',
    ),
    (
        {"type": "MDM_ONLINE", "nonCompliantStatus": ["OFFLINE", "ONLINE", "SUCCESS"]},
        "nonCompliantStatus must not contain compliant statuses: ONLINE, SUCCESS",
    ),
    ([{"type": "MDM_ONLINE"}], "Request body must be a JSON object"),
    ("{nope", "Request body is not valid JSON"),
]


@pytest.mark.parametrize(("body", "message"), BAD_BODIES, ids=[m for _, m in BAD_BODIES])
def test_validation_errors(server: SandboxServer, body: Any, message: str) -> None:
    client, tenant = primo_client(server)
    answer = (
        client.post(PATH, content=body, headers={"Content-Type": "application/json"})
        if isinstance(body, str)
        else client.post(PATH, json=body)
    )
    assert (answer.status_code, answer.json()) == (400, {"message": message, "statusCode": 400})
    assert tenant.rules == {}


@pytest.mark.parametrize("status", sorted(COMPLIANT_STATUSES))
def test_every_compliant_status_is_rejected(server: SandboxServer, status: str) -> None:
    client, _ = primo_client(server)
    answer = client.post(PATH, json={"type": "MDM_CONTROL_FIREWALL", "nonCompliantStatus": [status]})
    assert answer.status_code == 400 and status in answer.json()["message"]


def test_python_writes_share_the_validation(server: SandboxServer) -> None:
    _, tenant = primo_client(server)
    with pytest.raises(SandboxError) as caught:
        tenant.upsert_rule("MDM_ONLINE", ["ONLINE"])
    assert caught.value.status == 400
    stored = tenant.upsert_rule("MDM_ONLINE", ["OFFLINE"])
    assert stored["type"] == "MDM_ONLINE" and tenant.rules["MDM_ONLINE"]["id"] == stored["id"]


def test_paging_is_ordered_by_type(server: SandboxServer) -> None:
    client, tenant = primo_client(server)
    types = sorted(TYPES)[:5]
    for rule_type in reversed(types):
        tenant.upsert_rule(rule_type, ["FAILED"])
    default = client.get(PATH).json()
    assert default["pagination"] == {"totalElements": 5, "totalPages": 1, "page": 1, "perPage": 50}
    assert [r["type"] for r in default["data"]] == types
    pages = [client.get(PATH, params={"page": p, "perPage": 2}).json() for p in (1, 2, 3, 4)]
    assert [[r["type"] for r in p["data"]] for p in pages] == [types[0:2], types[2:4], types[4:5], []]
    assert pages[1]["pagination"] == {"totalElements": 5, "totalPages": 3, "page": 2, "perPage": 2}
    assert client.get(PATH, params={"perPage": 100}).status_code == 200
    for params, message in [
        ({"perPage": 101}, "perPage must not be greater than 100"),
        ({"perPage": 0}, "perPage must not be less than 1"),
        ({"page": 0}, "page must not be less than 1"),
        ({"page": "x"}, "page must be an integer"),
    ]:
        answer = client.get(PATH, params=params)
        assert (answer.status_code, answer.json()) == (400, {"message": message, "statusCode": 400})


def test_unknown_routes_answer_in_primo_shape(server: SandboxServer) -> None:
    client, _ = primo_client(server)
    assert client.get("/compliance/nothing").json() == {"message": "Not Found", "statusCode": 404}
    deleted = client.delete(PATH)
    assert (deleted.status_code, deleted.json()["statusCode"]) == (405, 405)
