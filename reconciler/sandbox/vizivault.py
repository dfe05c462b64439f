"""Emulator of ViziVault's rules API: upsert by key, list, get and delete by name.

Messages marked REF are the reference's error table word for word (brackets filled in); the
others cover cases the table lacks, in the same style.
"""

from __future__ import annotations

import threading
from typing import Any

import pycountry
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from reconciler.sandbox.common import SandboxError, utc_now
from reconciler.sandbox.endpoints import Endpoint, read_json

DEFAULT_ATTRIBUTES = ("NAME", "EMAIL", "PHONE", "SSN", "ADDRESS", "DOB", "CREDIT_CARD", "IP_ADDRESS")
DEFAULT_REGULATIONS = ("GDPR", "CCPA", "HIPAA", "PCI_DSS", "SOX")
DEFAULT_EXECUTION_ORDER = 1  # stored when a rule omits it: clients must not see a perpetual diff

LIST_CONSTRAINTS = {  # type: (label, list field, operators)
    "attribute": ("attribute", "attributes", ("any", "none")),
    "tag": ("tag", "tags", ("any", "all", "none")),
    "regulation": ("regulation", "regulations", ("any", "all", "none")),
    "geo": ("geolocation", None, ("any", "none")),
    "application": ("application", "applications", ("any", "none")),
}
DATA_ONLY = frozenset({"tag", "regulation", "sentiment"})
ACTIVITY_ONLY = frozenset({"application", "eventType"})
PREDICATES = frozenset({"eq", "neq", "gt", "lt", "geq", "leq", "before", "after", "in", "nin", "regex"})
EVENT_TYPES = frozenset({"STORE", "UPDATE", "READ", "DELETE"})
ALERT_LEVELS = frozenset({"INFO", "WARNING", "DANGER", "SUCCESS", "NEUTRAL", "NORMAL"})
PROHIBITIONS = frozenset({"READ", "STORE", "UPDATE", "DELETE"})
RULE_FIELDS = ("key", "name", "type", "constraint", "action", "executionOrder")

MESSAGES = {
    # REF: from the reference's error table
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
    # Ours: cases the table does not cover
    "name": "Rule name is required",
    "rule_type": "Rule type must be either data or activity",
    "name_taken": "A rule with this name already exists",
    "nested": "Constraint list of {label} constraint must be specified as an array",
    "wrong_rule_type": "{Label} constraints are only supported on {allowed} rules",
    "entity_types": "Constraint entity type list must be specified as an array",
    "event_types": "Event types must be a subset of STORE, UPDATE, READ, DELETE",
    "threshold": "Sentiment threshold must be a number between -1 and 1",
    "action_type": "Unrecognized action type",
    "alert_level": "Alert level must be one of INFO, WARNING, DANGER, SUCCESS, NEUTRAL, NORMAL",
    "action_field": "{Label} action {field} must be specified as a string",
    "prohibitions": "Prohibitions must be a subset of READ, STORE, UPDATE, DELETE",
    "retention": "Retention action needs an expirationDate, daysSinceStore or daysSinceRead",
    "retention_days": "Retention action {field} must be a non-negative integer",
    "execution_order": "Rule executionOrder must be an integer",
}


def fail(name: str, status: int = 400, **values: str) -> SandboxError:
    return SandboxError(status, MESSAGES[name].format(**values))


def _is_country(code: Any) -> bool:
    return isinstance(code, str) and len(code) == 2 and pycountry.countries.get(alpha_2=code.upper()) is not None


def _is_subdivision(code: Any) -> bool:
    return isinstance(code, str) and pycountry.subdivisions.get(code=code.upper()) is not None


class ViziVaultTenant:
    provider = "vizivault"

    def __init__(self, name: str, lock: threading.RLock, api_key: str | None = None) -> None:
        self.name = name
        self.lock = lock
        self.api_key = api_key or f"vizivault-{name}-key"
        self.custom_rules_enabled = True
        self.attributes: set[str] = set(DEFAULT_ATTRIBUTES)
        self.regulations: set[str] = set(DEFAULT_REGULATIONS)
        self.rules: dict[str, dict[str, Any]] = {}

    def upsert_rule(self, rule: Any) -> dict[str, Any]:
        """The write path shared by HTTP and Python callers: validate, then store by key."""
        self.validate(rule)
        with self.lock:
            for other in self.rules.values():
                if other["name"] == rule["name"] and other["key"] != rule["key"]:
                    raise fail("name_taken")
            now = utc_now()
            current = self.rules.get(rule["key"])
            stored = {k: rule[k] for k in RULE_FIELDS if k in rule}
            stored.setdefault("executionOrder", DEFAULT_EXECUTION_ORDER)
            stored["createdDate"] = current["createdDate"] if current else now
            stored["modifiedDate"] = now
            self.rules[rule["key"]] = stored
            return dict(stored)

    def by_name(self, name: str) -> dict[str, Any]:
        for rule in self.rules.values():
            if rule["name"] == name:
                return rule
        raise SandboxError(404, "Rule not found")

    # ---- the rule language ------------------------------------------------------------------------
    def validate(self, rule: Any) -> None:
        if not isinstance(rule, dict):
            raise fail("json")
        if not self.custom_rules_enabled:
            raise fail("license", 402)
        if not isinstance(rule.get("key"), str) or not rule["key"]:
            raise fail("key")
        if not isinstance(rule.get("name"), str) or not rule["name"]:
            raise fail("name")
        if rule.get("type") not in ("data", "activity"):
            raise fail("rule_type")
        if not isinstance(rule.get("constraint"), dict):
            raise fail("constraint")
        if not isinstance(rule.get("action"), dict):
            raise fail("action")
        self._constraint(rule["constraint"], rule["type"])
        self._action(rule["action"])
        order = rule.get("executionOrder")
        if order is not None and (not isinstance(order, int) or isinstance(order, bool)):
            raise fail("execution_order")

    def _constraint(self, constraint: Any, rule_type: str) -> None:
        if not isinstance(constraint, dict):
            raise fail("constraint")
        kind = constraint.get("type")
        if not isinstance(kind, str):
            raise fail("constraint_type")
        if kind in DATA_ONLY and rule_type != "data":
            raise fail("wrong_rule_type", Label=kind.capitalize(), allowed="data")
        if kind in ACTIVITY_ONLY and rule_type != "activity":
            raise fail("wrong_rule_type", Label=kind[0].upper() + kind[1:], allowed="activity")
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
            if not isinstance(events, list) or not set(events) <= EVENT_TYPES:
                raise fail("event_types")
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
            raise fail("operator_type", Label=label.capitalize())
        if operator not in operators:
            raise fail("operator", label=label)
        if kind == "geo":
            self._geo(constraint)
            return
        values = constraint.get(list_field or "")
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
            raise fail("predicate", predicate=str(predicate))

    def _action(self, action: dict[str, Any]) -> None:
        kind = action.get("type")
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
            if "message" in action:
                self._string_field(action, "message", "Block")
        elif kind == "prohibition":
            values = action.get("prohibitions")
            if not isinstance(values, list) or not set(values) <= PROHIBITIONS:
                raise fail("prohibitions")
        elif kind == "retention":
            if not any(action.get(k) is not None for k in ("expirationDate", "daysSinceStore", "daysSinceRead")):
                raise fail("retention")
            for name in ("daysSinceStore", "daysSinceRead"):
                days = action.get(name)
                if days is not None and (isinstance(days, bool) or not isinstance(days, int) or days < 0):
                    raise fail("retention_days", field=name)
        else:
            raise fail("action_type")

    @staticmethod
    def _string_field(action: dict[str, Any], name: str, label: str) -> None:
        if not isinstance(action.get(name), str):
            raise fail("action_field", Label=label, field=name)

    def to_json(self) -> dict[str, Any]:
        return {
            "api_key": self.api_key,
            "custom_rules_enabled": self.custom_rules_enabled,
            "attributes": sorted(self.attributes),
            "regulations": sorted(self.regulations),
            "rules": self.rules,
        }

    def load_json(self, data: dict[str, Any]) -> None:
        self.api_key = data.get("api_key", self.api_key)
        self.custom_rules_enabled = data.get("custom_rules_enabled", True)
        self.attributes = set(data.get("attributes", DEFAULT_ATTRIBUTES))
        self.regulations = set(data.get("regulations", DEFAULT_REGULATIONS))
        self.rules = dict(data.get("rules", {}))


def error_response(error: SandboxError, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse({"status": error.status, "message": error.message}, error.status, headers=headers)


def authenticate(request: Request, tenant: ViziVaultTenant) -> None:
    if request.headers.get("authorization", "") != f"Bearer {tenant.api_key}":
        raise SandboxError(401, "Unauthorized")


async def post_rule(request: Request, tenant: ViziVaultTenant) -> Response:
    rule = await read_json(request, MESSAGES["json"])
    existed = isinstance(rule, dict) and rule.get("key") in tenant.rules
    tenant.upsert_rule(rule)
    return JSONResponse({"data": "Rule updated" if existed else "Rule created"})


async def list_rules(request: Request, tenant: ViziVaultTenant) -> Response:
    with tenant.lock:
        return JSONResponse({"data": [dict(r) for r in tenant.rules.values()]})


async def get_rule(request: Request, tenant: ViziVaultTenant) -> Response:
    with tenant.lock:
        return JSONResponse({"data": dict(tenant.by_name(request.path_params["name"]))})


async def delete_rule(request: Request, tenant: ViziVaultTenant) -> Response:
    with tenant.lock:
        rule = tenant.by_name(request.path_params["name"])
        del tenant.rules[rule["key"]]
    return JSONResponse({"data": "Rule deleted"})


ENDPOINTS = [
    Endpoint("POST", "/rules", post_rule, is_write=True),
    Endpoint("GET", "/rules", list_rules),
    Endpoint("GET", "/rules/{name}", get_rule),
    Endpoint("DELETE", "/rules/{name}", delete_rule, is_write=True),
]
