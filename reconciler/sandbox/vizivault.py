"""Emulator of ViziVault's rules API: upsert by key, list, get and delete by name.

Every error message lives in MESSAGES: the ones marked REF are the reference's error table word
for word (bracketed parts filled in); the others cover cases the table lacks, in the same style.
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Callable
from datetime import date, datetime
from functools import partial
from typing import Any

import pycountry
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from reconciler.sandbox.common import SandboxError, TenantBase, message_error, utc_now
from reconciler.sandbox.endpoints import Endpoint, check_bearer_key

DEFAULT_ATTRIBUTES = ("NAME", "EMAIL", "PHONE", "SSN", "ADDRESS", "DOB", "CREDIT_CARD", "IP_ADDRESS")
DEFAULT_REGULATIONS = ("GDPR", "CCPA", "HIPAA", "PCI_DSS", "SOX")
DEFAULT_EXECUTION_ORDER = 1  # stored when a rule omits it, on purpose: clients must not see a perpetual diff

RULE_TYPES = ("data", "activity")
LIST_CONSTRAINTS = {  # constraint type: (label in messages, list field, list operators)
    "attribute": ("attribute", "attributes", ("any", "none")),
    "tag": ("tag", "tags", ("any", "all", "none")),
    "regulation": ("regulation", "regulations", ("any", "all", "none")),
    "geo": ("geolocation", None, ("any", "none")),  # two lists: countries and subdivisions
    "application": ("application", "applications", ("any", "none")),
}
DATA_ONLY = frozenset({"tag", "regulation", "sentiment"})
ACTIVITY_ONLY = frozenset({"application", "eventType"})
PREDICATES = frozenset({"eq", "neq", "gt", "lt", "geq", "leq", "before", "after", "in", "nin", "regex"})
EVENT_TYPES = ("STORE", "UPDATE", "READ", "DELETE")
ALERT_LEVELS = ("INFO", "WARNING", "DANGER", "SUCCESS", "NEUTRAL", "NORMAL")  # NORMAL: the reference's example
PROHIBITIONS = ("READ", "STORE", "UPDATE", "DELETE")
ACTION_TYPES = ("alert", "tag", "entityTag", "regulation", "block", "prohibition", "retention")
RULE_FIELDS = ("key", "name", "type", "constraint", "action", "executionOrder")  # what a POST may set

MESSAGES = {
    # REF: the reference's error table (POST /rules), brackets filled in.
    "key": "Rule key is required",
    "json": "Cannot parse JSON of rule",
    "constraint": "Rule constraint must be specified as an object",
    "action": "Rule action must be specified as an object",
    "constraint_type": "Constraint type must be specified as a string",
    "operator_type": "{Label} constraint operator must be specified as a string",
    "operator": "Unsupported {label} list operator",
    "list": "Constraint {label} list must be specified as an array",
    "geo_empty": "Neither countries nor subdivisions specified for geolocation constraint",
    "geo_list": "Geolocation constraint {which} list must be an array",
    "country": "Countries for geolocation constraint must be specified as ISO 3166-1 two-letter codes",
    "subdivision": "Subdivisions for geolocation constraint must be specified as ISO 3166-2 hyphenated codes",
    "user_attribute": "Entity value constraint attribute must be specified as a string",
    "no_attribute": "No such attribute",
    "no_regulation": "No such regulation",
    "user_value": "No value specified for entity value constraint",
    "predicate": "Entity-value attribute constraint predicate {predicate} is not supported.",
    "unknown_constraint": "Unrecognized constraint type",
    "license": "Your current subscription does not support custom rules",
    # REF: GET and DELETE /rules/{ruleName}.
    "not_found": "Rule not found",
    # Ours: cases the table does not cover, worded in the same style.
    "name": "Rule name is required",
    "rule_type": "Rule type must be either data or activity",
    "name_taken": "Rule name is already used by another rule",
    "nested": "Constraint list of {label} constraint must be specified as an array",
    "wrong_rule_type": "{Label} constraints are only supported on {allowed} rules",
    "entity_types": "Constraint entityType list must be specified as an array",
    "event_types": "Constraint eventType list must be specified as an array",
    "event_type": "Unsupported event type {value}",
    "threshold": "Sentiment constraint threshold must be a number between -1 and 1",
    "action_type_string": "Action type must be specified as a string",
    "action_type": "Unrecognized action type",
    "alert_level": "Unsupported alert level",
    "action_field": "{Label} action {field} must be specified as a string",
    "prohibitions": "Prohibition action prohibitions must be specified as an array",
    "prohibition": "Unsupported prohibition {value}",
    "retention": "Retention action requires expirationDate, daysSinceStore or daysSinceRead",
    "retention_date": "Retention action expirationDate must be an ISO 8601 date",
    "retention_days": "Retention action {field} must be a non-negative integer",
    "retention_auto_delete": "Retention action autoDelete must be a boolean",
    "execution_order": "Rule executionOrder must be an integer",
}


fail = partial(message_error, MESSAGES)


def _shown(value: Any) -> str:
    """A bad value inside a message: strings bare, anything else as JSON (null, 5, [...])."""
    return value if isinstance(value, str) else json.dumps(value)


def _capitalized(word: str) -> str:
    return word[:1].upper() + word[1:]


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_country(code: Any) -> bool:
    """ISO 3166-1 alpha-2, case-insensitive (pycountry's lookup ignores case)."""
    return isinstance(code, str) and len(code) == 2 and pycountry.countries.get(alpha_2=code) is not None


def _is_subdivision(code: Any) -> bool:
    """ISO 3166-2 hyphenated code such as US-NY, case-insensitive."""
    return isinstance(code, str) and "-" in code and pycountry.subdivisions.get(code=code.upper()) is not None


def _is_iso_date(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    for parse in (date.fromisoformat, datetime.fromisoformat):
        try:
            parse(value)
            return True
        except ValueError:
            continue
    return False


class ViziVaultTenant(TenantBase):
    provider = "vizivault"

    def __init__(
        self,
        name: str,
        lock: threading.RLock,
        on_write: Callable[[], None] | None = None,
        *,
        api_key: str | None = None,
    ) -> None:
        super().__init__(name, lock, on_write)
        self.api_key = api_key or f"vizivault-{name}-key"
        self.custom_rules_enabled = True  # False: the license tier without custom rules (402)
        self.attributes: set[str] = set(DEFAULT_ATTRIBUTES)  # attribute catalog, by key
        self.regulations: set[str] = set(DEFAULT_REGULATIONS)  # regulation catalog, by key
        self.rules: dict[str, dict[str, Any]] = {}  # by rule key, in creation order

    # ---- writes (HTTP and Python share these) -----------------------------------------------------
    def upsert_rule(self, rule: Any) -> dict[str, Any]:
        """Validate, then create or replace the rule with this key; returns the stored rule."""
        return self.upsert(rule)[0]

    def upsert(self, rule: Any) -> tuple[dict[str, Any], bool]:
        """The stored rule and whether it was created (`Rule created`) rather than updated."""
        with self.lock:
            self.validate(rule)
            for other in self.rules.values():
                if other["name"] == rule["name"] and other["key"] != rule["key"]:
                    raise fail("name_taken")  # names address rules in GET/DELETE: they must stay unique
            now = utc_now()
            current = self.rules.get(rule["key"])
            stored = {k: copy.deepcopy(rule[k]) for k in RULE_FIELDS if rule.get(k) is not None}
            stored.setdefault("executionOrder", DEFAULT_EXECUTION_ORDER)
            stored["createdDate"] = current["createdDate"] if current else now
            stored["modifiedDate"] = now
            self.rules[rule["key"]] = stored
            self.written()
            return copy.deepcopy(stored), current is None

    def delete_rule(self, name: str) -> dict[str, Any]:
        """Delete the rule with this name (as `DELETE /rules/{ruleName}` does); returns it."""
        with self.lock:
            rule = self.rule_by_name(name)
            del self.rules[rule["key"]]
            self.written()
            return rule

    # ---- reads --------------------------------------------------------------------------------------
    def rule_by_name(self, name: str) -> dict[str, Any]:
        with self.lock:
            for rule in self.rules.values():
                if rule["name"] == name:
                    return copy.deepcopy(rule)
        raise fail("not_found", 404)

    # ---- the rule language --------------------------------------------------------------------------
    def validate(self, rule: Any) -> None:
        """Raise the first problem, checking the reference's own cases before ours."""
        if not self.custom_rules_enabled:
            raise fail("license", 402)
        if not isinstance(rule, dict):
            raise fail("json")
        if not isinstance(rule.get("key"), str) or not rule["key"]:
            raise fail("key")
        if not isinstance(rule.get("constraint"), dict):
            raise fail("constraint")
        if not isinstance(rule.get("action"), dict):
            raise fail("action")
        if not isinstance(rule.get("name"), str) or not rule["name"]:
            raise fail("name")
        if rule.get("type") not in RULE_TYPES:
            raise fail("rule_type")
        self._constraint(rule["constraint"], rule["type"])
        self._action(rule["action"])
        order = rule.get("executionOrder")
        if order is not None and not _is_int(order):
            raise fail("execution_order")

    def _constraint(self, constraint: Any, rule_type: str) -> None:
        if not isinstance(constraint, dict):
            raise fail("constraint")
        kind = constraint.get("type")
        if not isinstance(kind, str):
            raise fail("constraint_type")
        if kind in DATA_ONLY and rule_type != "data":
            raise fail("wrong_rule_type", Label=_capitalized(kind), allowed="data")
        if kind in ACTIVITY_ONLY and rule_type != "activity":
            raise fail("wrong_rule_type", Label=_capitalized(kind), allowed="activity")
        if kind in ("all", "any"):
            children = constraint.get("constraints")
            if not isinstance(children, list):
                raise fail("nested", label=kind)
            for child in children:
                self._constraint(child, rule_type)
        elif kind in LIST_CONSTRAINTS:
            self._list_constraint(constraint, kind)
        elif kind == "user":
            self._user_constraint(constraint)
        elif kind == "entityType":
            if not isinstance(constraint.get("entityTypes"), list):
                raise fail("entity_types")
        elif kind == "eventType":
            events = constraint.get("eventTypes")
            if not isinstance(events, list):
                raise fail("event_types")
            for event in events:
                if event not in EVENT_TYPES:
                    raise fail("event_type", value=_shown(event))
        elif kind == "sentiment":
            threshold = constraint.get("threshold")
            if isinstance(threshold, bool) or not isinstance(threshold, int | float) or not -1 <= threshold <= 1:
                raise fail("threshold")
        else:
            raise fail("unknown_constraint")

    def _list_constraint(self, constraint: dict[str, Any], kind: str) -> None:
        label, list_field, operators = LIST_CONSTRAINTS[kind]
        operator = constraint.get("operator")
        if not isinstance(operator, str):
            raise fail("operator_type", Label=_capitalized(label))
        if operator not in operators:
            raise fail("operator", label=label)
        if list_field is None:
            self._geo(constraint)
            return
        values = constraint.get(list_field)
        if not isinstance(values, list):
            raise fail("list", label=label)
        if kind == "attribute" and any(v not in self.attributes for v in values):
            raise fail("no_attribute", 422)
        if kind == "regulation" and any(v not in self.regulations for v in values):
            raise fail("no_regulation", 422)

    def _geo(self, constraint: dict[str, Any]) -> None:
        countries = constraint.get("countries")
        subdivisions = constraint.get("subdivisions")
        if not countries and not subdivisions:
            raise fail("geo_empty")
        for which, values in (("country", countries), ("subdivision", subdivisions)):
            if values is not None and not isinstance(values, list):
                raise fail("geo_list", which=which)
        if not all(_is_country(c) for c in countries or []):
            raise fail("country")
        if not all(_is_subdivision(s) for s in subdivisions or []):
            raise fail("subdivision")

    def _user_constraint(self, constraint: dict[str, Any]) -> None:
        attribute = constraint.get("attribute")
        if not isinstance(attribute, str):
            raise fail("user_attribute")
        if attribute not in self.attributes:
            raise fail("no_attribute", 422)
        if constraint.get("value") is None:
            raise fail("user_value")
        predicate = constraint.get("predicate")
        if predicate not in PREDICATES:
            raise fail("predicate", predicate=_shown(predicate))

    def _action(self, action: dict[str, Any]) -> None:
        kind = action.get("type")
        if not isinstance(kind, str):
            raise fail("action_type_string")
        if kind == "alert":
            if action.get("alertLevel") not in ALERT_LEVELS:
                raise fail("alert_level")
            self._string_field(action, "message", "Alert")
        elif kind in ("tag", "entityTag"):
            self._string_field(action, "tag", "Tag" if kind == "tag" else "Entity tag")
        elif kind == "regulation":
            self._string_field(action, "regulation", "Regulation")
            if action["regulation"] not in self.regulations:
                raise fail("no_regulation", 422)
        elif kind == "block":
            if action.get("message") is not None:
                self._string_field(action, "message", "Block")
        elif kind == "prohibition":
            values = action.get("prohibitions")
            if not isinstance(values, list):
                raise fail("prohibitions")
            for value in values:
                if value not in PROHIBITIONS:
                    raise fail("prohibition", value=_shown(value))
        elif kind == "retention":
            self._retention(action)
        else:
            raise fail("action_type")

    @staticmethod
    def _retention(action: dict[str, Any]) -> None:
        if all(action.get(k) is None for k in ("expirationDate", "daysSinceStore", "daysSinceRead")):
            raise fail("retention")
        if action.get("expirationDate") is not None and not _is_iso_date(action["expirationDate"]):
            raise fail("retention_date")
        for name in ("daysSinceStore", "daysSinceRead"):
            days = action.get(name)
            if days is not None and (not _is_int(days) or days < 0):
                raise fail("retention_days", field=name)
        if action.get("autoDelete") is not None and not isinstance(action["autoDelete"], bool):
            raise fail("retention_auto_delete")

    @staticmethod
    def _string_field(action: dict[str, Any], name: str, label: str) -> None:
        if not isinstance(action.get(name), str):
            raise fail("action_field", Label=label, field=name)

    # ---- persistence --------------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        with self.lock:
            return {
                "api_key": self.api_key,
                "custom_rules_enabled": self.custom_rules_enabled,
                "attributes": sorted(self.attributes),
                "regulations": sorted(self.regulations),
                "rules": copy.deepcopy(self.rules),
            }

    def load_json(self, data: dict[str, Any]) -> None:
        with self.lock:
            self.api_key = data.get("api_key", self.api_key)
            self.custom_rules_enabled = data.get("custom_rules_enabled", True)
            self.attributes = set(data.get("attributes", DEFAULT_ATTRIBUTES))
            self.regulations = set(data.get("regulations", DEFAULT_REGULATIONS))
            self.rules = dict(data.get("rules", {}))


# ---- HTTP -----------------------------------------------------------------------------------------
def error_response(error: SandboxError) -> Response:
    return JSONResponse({"status": error.status, "message": error.message}, error.status, headers=error.headers)


def authenticate(request: Request, tenant: ViziVaultTenant) -> None:
    check_bearer_key(request, tenant.api_key)


async def post_rule(request: Request, tenant: ViziVaultTenant) -> Response:
    if not tenant.custom_rules_enabled:  # the license is checked before the body is read
        raise fail("license", 402)
    body = await request.body()
    try:
        rule = json.loads(body)
    except ValueError:
        raise fail("json") from None
    _, created = tenant.upsert(rule)
    return JSONResponse({"data": "Rule created" if created else "Rule updated"})


async def list_rules(request: Request, tenant: ViziVaultTenant) -> Response:
    with tenant.lock:
        return JSONResponse({"data": list(tenant.rules.values())})


async def get_rule(request: Request, tenant: ViziVaultTenant) -> Response:
    return JSONResponse({"data": tenant.rule_by_name(request.path_params["name"])})


async def delete_rule(request: Request, tenant: ViziVaultTenant) -> Response:
    tenant.delete_rule(request.path_params["name"])
    return JSONResponse({"data": "Rule deleted"})


ENDPOINTS = [
    Endpoint("POST", "/rules", post_rule, is_write=True),
    Endpoint("GET", "/rules", list_rules),
    # `:path` so that names holding an encoded slash still reach the rule (names are free text).
    Endpoint("GET", "/rules/{name:path}", get_rule),
    Endpoint("DELETE", "/rules/{name:path}", delete_rule, is_write=True),
]
