"""ViziVault's rules API over loopback HTTP: upsert by key, get and delete by name, the rule language,
and every row of the reference's error table."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from reconciler.sandbox import SandboxError, SandboxServer
from tests.sandbox.helpers import http, vault_client


def rule(constraint: Any = None, **overrides: Any) -> dict[str, Any]:
    """A valid data rule, changed by `overrides` (a None value removes the field)."""
    body: dict[str, Any] = {
        "key": "k",
        "name": "n",
        "type": "data",
        "constraint": constraint or {"type": "attribute", "operator": "any", "attributes": ["NAME"]},
        "action": {"type": "alert", "alertLevel": "INFO", "message": "m"},
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def activity(constraint: Any) -> dict[str, Any]:
    return rule(constraint, type="activity")


def post(client: httpx.Client, body: Any) -> httpx.Response:
    content = body if isinstance(body, str) else json.dumps(body)
    return client.post("/rules", content=content, headers={"Content-Type": "application/json"})


def test_auth(server: SandboxServer) -> None:
    _, tenant = vault_client(server)
    url = server.url("vizivault", tenant.name) + "/rules"
    for headers in ({}, {"Authorization": "Bearer nope"}):
        answer = http.get(url, headers=headers)
        assert (answer.status_code, answer.json()) == (401, {"status": 401, "message": "Unauthorized"})
    assert http.get(server.url("vizivault", "nobody") + "/rules").json() == {"status": 404, "message": "Not Found"}


def test_upsert_by_key_get_and_delete_by_name(server: SandboxServer) -> None:
    client, tenant = vault_client(server)
    body = rule({"type": "tag", "operator": "all", "tags": ["a"]}, action={"type": "block"})
    assert post(client, body).json() == {"data": "Rule created"}
    created = client.get("/rules/n").json()["data"]
    assert created["executionOrder"] == 1  # the server default when omitted
    assert created["createdDate"].endswith("Z") and created["modifiedDate"].endswith("Z")
    assert post(client, {**body, "name": "Renamed / rule", "executionOrder": 3}).json() == {"data": "Rule updated"}
    renamed = client.get("/rules/Renamed%20%2F%20rule")
    assert renamed.status_code == 200, renamed.text
    stored = renamed.json()["data"]
    assert stored["key"] == "k" and stored["executionOrder"] == 3 and stored["createdDate"] == created["createdDate"]
    assert client.get("/rules/n").json() == {"status": 404, "message": "Rule not found"}
    listed = client.get("/rules").json()
    assert list(listed) == ["data"] and [r["key"] for r in listed["data"]] == ["k"]
    assert client.delete("/rules/Renamed%20%2F%20rule").json() == {"data": "Rule deleted"}
    gone = client.delete("/rules/Renamed%20%2F%20rule")
    assert (gone.status_code, gone.json()) == (404, {"status": 404, "message": "Rule not found"})
    assert client.get("/rules").json() == {"data": []} and tenant.rules == {}


def test_names_stay_unique_across_keys(server: SandboxServer) -> None:
    client, _ = vault_client(server)
    assert post(client, rule(key="a", name="same")).status_code == 200
    clash = post(client, rule(key="b", name="same"))
    assert (clash.status_code, clash.json()["message"]) == (400, "Rule name is already used by another rule")


def test_the_stored_rule_is_the_posted_rule_plus_server_fields(server: SandboxServer) -> None:
    client, _ = vault_client(server)
    body = rule(executionOrder=None, createdDate="1999-01-01T00:00:00Z", extra="dropped")
    post(client, body)
    stored = client.get("/rules/n").json()["data"]
    assert set(stored) == {
        "key",
        "name",
        "type",
        "constraint",
        "action",
        "executionOrder",
        "createdDate",
        "modifiedDate",
    }
    assert stored["createdDate"] != "1999-01-01T00:00:00Z" and stored["constraint"] == body["constraint"]


VALID_RULES = [
    rule({"type": "geo", "operator": "any", "countries": ["de", "FR"], "subdivisions": ["us-ny", "FR-75C"]}),
    rule({"type": "geo", "operator": "none", "subdivisions": ["JP-13"]}),
    rule({"type": "regulation", "operator": "all", "regulations": ["GDPR", "HIPAA"]}),
    rule({"type": "sentiment", "threshold": -0.5}),
    rule({"type": "entityType", "entityTypes": ["customer"]}),
    rule({"type": "user", "attribute": "DOB", "predicate": "before", "value": "2000-01-01"}),
    activity({"type": "eventType", "eventTypes": ["READ", "DELETE"]}),
    activity({"type": "application", "operator": "none", "applications": ["crm"]}),
    rule(
        {
            "type": "all",
            "constraints": [
                {"type": "attribute", "operator": "none", "attributes": ["SSN"]},
                {"type": "any", "constraints": [{"type": "tag", "operator": "any", "tags": ["vip"]}]},
            ],
        }
    ),
    rule(action={"type": "alert", "alertLevel": "NORMAL", "message": "m"}),
    rule(action={"type": "tag", "tag": "pii", "status": True}),
    rule(action={"type": "entityTag", "tag": "watched"}),
    rule(action={"type": "regulation", "regulation": "CCPA"}),
    rule(action={"type": "block", "message": "no"}),
    rule(action={"type": "prohibition", "status": True, "prohibitions": ["READ", "UPDATE"]}),
    rule(action={"type": "retention", "daysSinceStore": 30, "autoDelete": True}),
    rule(action={"type": "retention", "expirationDate": "2030-01-01T00:00:00Z"}),
]


@pytest.mark.parametrize("body", VALID_RULES, ids=lambda b: f"{b['constraint']['type']}-{b['action']['type']}")
def test_valid_rules_are_accepted(server: SandboxServer, body: dict[str, Any]) -> None:
    client, tenant = vault_client(server)
    answer = post(client, body)
    assert (answer.status_code, answer.json()) == (200, {"data": "Rule created"})
    assert tenant.rules["k"]["constraint"] == body["constraint"]


# Every row of the reference's error table (bracketed rows once per bracketed word), one bad rule each.
REFERENCE_TABLE: list[tuple[Any, int, str]] = [
    (rule(key=None), 400, "Rule key is required"),
    ("{not json", 400, "Cannot parse JSON of rule"),
    (rule("x"), 400, "Rule constraint must be specified as an object"),
    (rule(action=None), 400, "Rule action must be specified as an object"),
    (rule({"type": 5}), 400, "Constraint type must be specified as a string"),
    (
        rule({"type": "attribute", "attributes": ["NAME"]}),
        400,
        "Attribute constraint operator must be specified as a string",
    ),
    (rule({"type": "tag", "operator": 1, "tags": []}), 400, "Tag constraint operator must be specified as a string"),
    (
        rule({"type": "regulation", "operator": None, "regulations": []}),
        400,
        "Regulation constraint operator must be specified as a string",
    ),
    (rule({"type": "geo", "countries": ["DE"]}), 400, "Geolocation constraint operator must be specified as a string"),
    (
        rule({"type": "attribute", "operator": "all", "attributes": ["NAME"]}),
        400,
        "Unsupported attribute list operator",
    ),
    (rule({"type": "tag", "operator": "some", "tags": []}), 400, "Unsupported tag list operator"),
    (rule({"type": "regulation", "operator": "x", "regulations": []}), 400, "Unsupported regulation list operator"),
    (rule({"type": "geo", "operator": "all", "countries": ["DE"]}), 400, "Unsupported geolocation list operator"),
    (
        rule({"type": "attribute", "operator": "any", "attributes": "NAME"}),
        400,
        "Constraint attribute list must be specified as an array",
    ),
    (rule({"type": "tag", "operator": "any"}), 400, "Constraint tag list must be specified as an array"),
    (
        rule({"type": "regulation", "operator": "any", "regulations": {}}),
        400,
        "Constraint regulation list must be specified as an array",
    ),
    (
        rule({"type": "geo", "operator": "any"}),
        400,
        "Neither countries nor subdivisions specified for geolocation constraint",
    ),
    (
        rule({"type": "geo", "operator": "any", "countries": "DE"}),
        400,
        "Geolocation constraint country list must be an array",
    ),
    (
        rule({"type": "geo", "operator": "any", "subdivisions": "US-NY"}),
        400,
        "Geolocation constraint subdivision list must be an array",
    ),
    (
        rule({"type": "geo", "operator": "any", "countries": ["UK"]}),
        400,
        "Countries for geolocation constraint must be specified as ISO 3166-1 two-letter codes",
    ),
    (
        rule({"type": "geo", "operator": "any", "subdivisions": ["US-XX"]}),
        400,
        "Subdivisions for geolocation constraint must be specified as ISO 3166-2 hyphenated codes",
    ),
    (
        rule({"type": "user", "predicate": "eq", "value": 1}),
        400,
        "Entity value constraint attribute must be specified as a string",
    ),
    (rule({"type": "user", "attribute": "SHOE_SIZE", "predicate": "eq", "value": 1}), 422, "No such attribute"),
    (rule({"type": "attribute", "operator": "any", "attributes": ["SHOE_SIZE"]}), 422, "No such attribute"),
    (rule({"type": "regulation", "operator": "any", "regulations": ["FERPA"]}), 422, "No such regulation"),
    (
        rule({"type": "user", "attribute": "DOB", "predicate": "eq"}),
        400,
        "No value specified for entity value constraint",
    ),
    (
        rule({"type": "user", "attribute": "DOB", "predicate": "like", "value": "x"}),
        400,
        "Entity-value attribute constraint predicate like is not supported.",
    ),
    (rule({"type": "colour"}), 400, "Unrecognized constraint type"),
    # Nested constraints are validated recursively, with the same messages.
    (
        rule({"type": "any", "constraints": [{"type": "all", "constraints": [{"type": "geo", "operator": "any"}]}]}),
        400,
        "Neither countries nor subdivisions specified for geolocation constraint",
    ),
]


@pytest.mark.parametrize(("body", "status", "message"), REFERENCE_TABLE, ids=[m for _, _, m in REFERENCE_TABLE])
def test_reference_error_table(server: SandboxServer, body: Any, status: int, message: str) -> None:
    client, tenant = vault_client(server)
    answer = post(client, body)
    assert (answer.status_code, answer.json()) == (status, {"status": status, "message": message})
    assert tenant.rules == {}


def test_reference_error_table_license_row(server: SandboxServer) -> None:
    client, tenant = vault_client(server)
    tenant.custom_rules_enabled = False
    for body in (rule(), "{not json"):  # the license is checked first, whatever the body
        answer = post(client, body)
        expected = {"status": 402, "message": "Your current subscription does not support custom rules"}
        assert (answer.status_code, answer.json()) == (402, expected)
    tenant.custom_rules_enabled = True
    assert post(client, rule()).status_code == 200


# Cases the table lacks: our messages, in the table's style (see MESSAGES in the emulator).
OUR_ERRORS: list[tuple[Any, int, str]] = [
    (rule(name=None), 400, "Rule name is required"),
    (rule(type="both"), 400, "Rule type must be either data or activity"),
    (activity({"type": "tag", "operator": "any", "tags": []}), 400, "Tag constraints are only supported on data rules"),
    (
        activity({"type": "sentiment", "threshold": 0}),
        400,
        "Sentiment constraints are only supported on data rules",
    ),
    (
        rule({"type": "eventType", "eventTypes": ["READ"]}),
        400,
        "EventType constraints are only supported on activity rules",
    ),
    (
        rule({"type": "application", "operator": "any", "applications": []}),
        400,
        "Application constraints are only supported on activity rules",
    ),
    (activity({"type": "eventType", "eventTypes": ["WRITE"]}), 400, "Unsupported event type WRITE"),
    (
        rule({"type": "sentiment", "threshold": 1.5}),
        400,
        "Sentiment constraint threshold must be a number between -1 and 1",
    ),
    (rule({"type": "all", "constraints": {}}), 400, "Constraint list of all constraint must be specified as an array"),
    (rule(action={"message": "m"}), 400, "Action type must be specified as a string"),
    (rule(action={"type": "explode"}), 400, "Unrecognized action type"),
    (rule(action={"type": "alert", "alertLevel": "LOUD", "message": "m"}), 400, "Unsupported alert level"),
    (rule(action={"type": "alert", "alertLevel": "INFO"}), 400, "Alert action message must be specified as a string"),
    (rule(action={"type": "regulation", "regulation": "FERPA"}), 422, "No such regulation"),
    (rule(action={"type": "prohibition", "prohibitions": ["WRITE"]}), 400, "Unsupported prohibition WRITE"),
    (
        rule(action={"type": "retention"}),
        400,
        "Retention action requires expirationDate, daysSinceStore or daysSinceRead",
    ),
    (
        rule(action={"type": "retention", "daysSinceRead": -1}),
        400,
        "Retention action daysSinceRead must be a non-negative integer",
    ),
    (rule(executionOrder="1"), 400, "Rule executionOrder must be an integer"),
]


@pytest.mark.parametrize(("body", "status", "message"), OUR_ERRORS, ids=[m for _, _, m in OUR_ERRORS])
def test_errors_beyond_the_table(server: SandboxServer, body: Any, status: int, message: str) -> None:
    client, _ = vault_client(server)
    answer = post(client, body)
    assert (answer.status_code, answer.json()) == (status, {"status": status, "message": message})


def test_catalogs_and_python_writes(server: SandboxServer) -> None:
    client, tenant = vault_client(server)
    body = rule({"type": "attribute", "operator": "any", "attributes": ["SHOE_SIZE"]})
    with pytest.raises(SandboxError) as caught:
        tenant.upsert_rule(body)
    assert (caught.value.status, caught.value.message) == (422, "No such attribute")
    tenant.attributes.add("SHOE_SIZE")
    stored = tenant.upsert_rule(body)
    assert stored["executionOrder"] == 1
    assert client.get("/rules/n").json()["data"]["constraint"]["attributes"] == ["SHOE_SIZE"]
    assert tenant.delete_rule("n")["key"] == "k" and tenant.rules == {}
