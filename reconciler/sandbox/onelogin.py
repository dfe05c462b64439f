"""Emulator of OneLogin's API v2 app rules: client-credentials tokens, paged apps, ordered rules
per app with an enabled filter, sort, per-app catalogs of conditions and actions, rate limits."""

from __future__ import annotations

import base64
import copy
import secrets
import threading
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from reconciler.sandbox.common import SandboxError, utc_now
from reconciler.sandbox.endpoints import Endpoint, read_json

DEFAULT_RATE_LIMIT = 100_000  # per window when no limit is configured: large, but still counted down
ROLES = [
    {"name": "Admin", "value": "340475"},
    {"name": "Employee", "value": "340476"},
    {"name": "Contractor", "value": "340477"},
    {"name": "Sales", "value": "340478"},
]
USER_STATUSES = [
    {"name": "Unactivated", "value": "0"},
    {"name": "Active", "value": "1"},
    {"name": "Suspended", "value": "2"},
    {"name": "Locked", "value": "3"},
    {"name": "Password expired", "value": "4"},
    {"name": "Awaiting password reset", "value": "5"},
]
TEXT_OPERATORS = [
    {"name": "is", "value": "="},
    {"name": "is not", "value": "!="},
    {"name": "contains", "value": "~"},
    {"name": "does not contain", "value": "!~"},
]
DEFAULT_CATALOG: dict[str, Any] = {
    "conditions": {
        "has_role": {
            "name": "Has role",
            "values": ROLES,
            "operators": [{"name": "includes", "value": "ri"}, {"name": "does not include", "value": "!ri"}],
        },
        "last_login": {
            "name": "Last login (days ago)",
            "values": None,
            "operators": [
                {"name": "more than", "value": ">"},
                {"name": "less than", "value": "<"},
                {"name": "is", "value": "="},
            ],
        },
        "email": {"name": "Email", "values": None, "operators": TEXT_OPERATORS},
        "member_of": {"name": "MemberOf", "values": None, "operators": TEXT_OPERATORS},
        "department": {"name": "Department", "values": None, "operators": TEXT_OPERATORS},
        "title": {"name": "Title", "values": None, "operators": TEXT_OPERATORS},
        "has_directory": {
            "name": "Directory",
            "operators": TEXT_OPERATORS[:2],
            "values": [{"name": "Active Directory", "value": "1001"}, {"name": "Google Workspace", "value": "1002"}],
        },
    },
    "actions": {
        "set_role": {"name": "Set role", "values": ROLES},
        "set_groups": {"name": "Set groups", "values": None},
        "set_status": {"name": "Set status", "values": USER_STATUSES},
        "set_email": {"name": "Set email", "values": None},
        "set_department": {"name": "Set department", "values": None},
        "set_usertype": {"name": "Set user type", "values": None},
        "set_amazonroles": {"name": "Set Amazon roles", "values": None},
        "set_filteredgroups": {"name": "Set filtered groups", "values": None},
    },
}
RULE_FIELDS = ("name", "match", "enabled", "conditions", "actions")
ACTION_FIELDS = ("expression", "macro", "scriplet")


def _entries(mapping: dict[str, Any]) -> list[dict[str, str]]:
    return [{"name": v["name"], "value": k} for k, v in mapping.items()]


class App:
    def __init__(self, app_id: int, name: str, catalog: dict[str, Any] | None = None) -> None:
        self.id = app_id
        self.name = name
        self.catalog = copy.deepcopy(catalog or DEFAULT_CATALOG)
        self.rules: list[dict[str, Any]] = []  # in position order

    def summary(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "connector_id": 108419, "visible": True, "description": ""}

    def renumber(self) -> None:
        for index, rule in enumerate(self.rules, start=1):
            rule["position"] = index

    def find(self, rule_id: int) -> dict[str, Any]:
        for rule in self.rules:
            if rule["id"] == rule_id:
                return rule
        raise SandboxError(404, "Not Found")

    def validate(self, body: Any) -> dict[str, Any]:
        """All problems of a rule body at once, as the API's 422 lists them; returns the stored form."""
        if not isinstance(body, dict):
            raise SandboxError(400, "Bad Request")
        errors: list[dict[str, Any]] = []

        def problem(field: str, message: str) -> None:
            errors.append({"field": field, "message": [message]})

        for name in RULE_FIELDS:
            if body.get(name) is None:
                problem(name, "Required field is missing")
        if body.get("name") is not None and (not isinstance(body["name"], str) or not body["name"]):
            problem("name", "Must be a non-empty string")
        if body.get("enabled") is not None and not isinstance(body["enabled"], bool):
            problem("enabled", "Must be a boolean")
        if body.get("match") is not None and body["match"] not in ("all", "any"):
            problem("match", f"Invalid match value: {body['match']}")
        conditions = body.get("conditions")
        if conditions is not None and not isinstance(conditions, list):
            problem("conditions", "Must be an array")
            conditions = []
        actions = body.get("actions")
        if actions is not None and not isinstance(actions, list):
            problem("actions", "Must be an array")
            actions = []
        for index, condition in enumerate(conditions or []):
            self._check_condition(index, condition, problem)
        stored_actions = [self._check_action(i, a, problem) for i, a in enumerate(actions or [])]
        position = body.get("position")
        if position is not None and (isinstance(position, bool) or not isinstance(position, int)):
            problem("position", "Must be an integer or null")
        if errors:
            raise SandboxError(422, "Validation Failed", errors)
        return {
            "name": body["name"],
            "match": body["match"],
            "enabled": body["enabled"],
            "conditions": [{k: c[k] for k in ("source", "operator", "value")} for c in conditions or []],
            "actions": stored_actions,
        }

    def _check_condition(self, index: int, condition: Any, problem: Any) -> None:
        where = f"conditions.[{index}]"
        if not isinstance(condition, dict):
            problem(where, "Must be an object")
            return
        source = self.catalog["conditions"].get(condition.get("source"))
        if source is None:
            problem(f"{where}.source", f"Invalid condition source: {condition.get('source')}")
            return
        operators = {o["value"] for o in source["operators"]}
        if condition.get("operator") not in operators:
            problem(f"{where}.operator", f"Invalid condition operator: {condition.get('operator')}")
        value = condition.get("value")
        if not isinstance(value, str) or (
            source["values"] is not None and value not in {v["value"] for v in source["values"]}
        ):
            problem(f"{where}.value", f"Invalid condition value: {value}")

    def _check_action(self, index: int, action: Any, problem: Any) -> dict[str, Any]:
        where = f"actions.[{index}]"
        if not isinstance(action, dict):
            problem(where, "Must be an object")
            return {}
        spec = self.catalog["actions"].get(action.get("action"))
        if spec is None:
            problem(f"{where}.action", f"Invalid action: {action.get('action')}")
            return {}
        values = action.get("value")
        if isinstance(values, str):
            values = [values]  # the reference's own curl example sends a bare string
        if values is not None and (not isinstance(values, list) or not all(isinstance(v, str) for v in values)):
            problem(f"{where}.value", "Must be an array of strings")
            values = []
        allowed = spec["values"]
        for value in values or []:
            if allowed is not None and value not in {v["value"] for v in allowed}:
                problem(f"{where}.value", f"Invalid action value: {value}")
        stored: dict[str, Any] = {"action": action["action"], "value": values or []}
        for name in ACTION_FIELDS:
            if action.get(name) is not None:
                stored[name] = action[name]
        return stored


class OneLoginTenant:
    provider = "onelogin"

    def __init__(
        self, name: str, lock: threading.RLock, client_id: str | None = None, client_secret: str | None = None
    ) -> None:
        self.name = name
        self.lock = lock
        self.client_id = client_id or f"onelogin-{name}-id"
        self.client_secret = client_secret or f"onelogin-{name}-secret"
        self.token_ttl = 36000
        self.apps: dict[int, App] = {}
        self.tokens: dict[str, float] = {}  # token -> monotonic expiry
        self.tokens_issued = 0
        self.next_rule_id = 1000
        self.window_start = time.monotonic()
        self.window_count = 0

    def add_app(self, app_id: int, name: str, catalog: dict[str, Any] | None = None) -> App:
        with self.lock:
            self.apps[app_id] = App(app_id, name, catalog)
            return self.apps[app_id]

    def app(self, app_id: int) -> App:
        app = self.apps.get(app_id)
        if app is None:
            raise SandboxError(404, "Not Found")
        return app

    def add_rule(self, app_id: int, rule: dict[str, Any]) -> dict[str, Any]:
        """The write path of POST: validate, assign an id, insert at `position` (null = last)."""
        with self.lock:
            app = self.app(app_id)
            stored = app.validate({"position": None, **rule})
            stored["id"] = self.next_rule_id
            self.next_rule_id += 1
            position = rule.get("position")
            index = len(app.rules) if position is None else max(0, min(len(app.rules), position - 1))
            app.rules.insert(index, stored)
            app.renumber()
            return dict(stored)

    def rules(self, app_id: int) -> list[dict[str, Any]]:
        with self.lock:
            return [copy.deepcopy(r) for r in self.app(app_id).rules]

    def issue_token(self) -> dict[str, Any]:
        with self.lock:
            token = secrets.token_hex(20)
            self.tokens[token] = time.monotonic() + self.token_ttl
            self.tokens_issued += 1
        return {
            "access_token": token,
            "created_at": utc_now(),
            "expires_in": self.token_ttl,
            "refresh_token": "",
            "token_type": "bearer",
            "account_id": 100000 + len(self.name),
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "token_ttl": self.token_ttl,
            "next_rule_id": self.next_rule_id,
            "apps": [{"id": a.id, "name": a.name, "catalog": a.catalog, "rules": a.rules} for a in self.apps.values()],
        }

    def load_json(self, data: dict[str, Any]) -> None:
        self.client_id = data.get("client_id", self.client_id)
        self.client_secret = data.get("client_secret", self.client_secret)
        self.token_ttl = data.get("token_ttl", self.token_ttl)
        self.next_rule_id = data.get("next_rule_id", self.next_rule_id)
        for item in data.get("apps", []):
            app = App(item["id"], item["name"], item.get("catalog"))
            app.rules = list(item.get("rules", []))
            self.apps[app.id] = app


def error_response(error: SandboxError, headers: dict[str, str] | None = None) -> Response:
    if error.status == 422:
        body: dict[str, Any] = {"code": 422, "message": error.message, "errors": error.details}
    else:
        names = {401: "UnauthorizedError", 404: "NotFoundError", 429: "TooManyRequestsError"}
        body = {
            "message": error.message,
            "statusCode": error.status,
            "name": names.get(error.status, "Error" if error.status < 500 else "InternalServerError"),
        }
    return JSONResponse(body, error.status, headers=headers)


def authenticate(request: Request, tenant: OneLoginTenant) -> None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    with tenant.lock:
        expiry = tenant.tokens.get(token)
    if scheme.lower() != "bearer" or expiry is None or expiry <= time.monotonic():
        raise SandboxError(401, "Unauthorized")


def rate_limit_headers(tenant: OneLoginTenant, limit: int | None, window_s: float) -> tuple[dict[str, str], bool]:
    """Count this request against the tenant's window; returns the headers and whether it is over."""
    budget = limit if limit is not None else DEFAULT_RATE_LIMIT
    with tenant.lock:
        now = time.monotonic()
        if now - tenant.window_start >= window_s:
            tenant.window_start, tenant.window_count = now, 0
        tenant.window_count += 1
        over = tenant.window_count > budget
        remaining = max(0, budget - tenant.window_count)
        reset = max(0.0, window_s - (now - tenant.window_start))
    headers = {
        "X-RateLimit-Limit": str(budget),
        "X-RateLimit-Remaining": str(remaining),
        "X-RateLimit-Reset": str(int(reset + 0.999)),
    }
    return headers, over


async def token(request: Request, tenant: OneLoginTenant) -> Response:
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    try:
        client_id, _, client_secret = base64.b64decode(encoded).decode().partition(":")
    except ValueError:
        client_id = client_secret = ""
    if scheme.lower() != "basic" or (client_id, client_secret) != (tenant.client_id, tenant.client_secret):
        return JSONResponse(
            {"status": {"error": True, "code": 401, "type": "Unauthorized", "message": "Authentication Failure"}}, 401
        )
    body = await read_json(request)
    if not isinstance(body, dict) or body.get("grant_type") != "client_credentials":
        return JSONResponse(
            {
                "status": {
                    "error": True,
                    "code": 400,
                    "type": "bad request",
                    "message": "grant_type must be client_credentials",
                }
            },
            400,
        )
    return JSONResponse(tenant.issue_token())


def _int_param(request: Request, name: str, default: int, maximum: int | None = None) -> int:
    try:
        value = int(request.query_params.get(name, default))
    except ValueError:
        raise SandboxError(400, f"{name} must be an integer") from None
    if value < 1 or (maximum is not None and value > maximum):
        raise SandboxError(400, f"{name} is out of range")
    return value


async def list_apps(request: Request, tenant: OneLoginTenant) -> Response:
    limit = _int_param(request, "limit", 50, 1000)
    page = _int_param(request, "page", 1)
    with tenant.lock:
        apps = [tenant.apps[k].summary() for k in sorted(tenant.apps)]
    pages = max(1, -(-len(apps) // limit))
    items = apps[(page - 1) * limit : page * limit]
    base = str(request.url.replace(query=""))
    links = []
    if page < pages:
        links.append(f'<{base}?limit={limit}&page={page + 1}>; rel="next"')
    if page > 1:
        links.append(f'<{base}?limit={limit}&page={page - 1}>; rel="prev"')
    headers = {
        "Total-Pages": str(pages),
        "Total-Count": str(len(apps)),
        "Current-Page": str(page),
        "Page-Items": str(len(items)),
    }
    if links:
        headers["Link"] = ", ".join(links)
    return JSONResponse(items, headers=headers)


def _app(request: Request, tenant: OneLoginTenant) -> App:
    return tenant.app(int(request.path_params["app_id"]))


async def get_app(request: Request, tenant: OneLoginTenant) -> Response:
    with tenant.lock:
        return JSONResponse(_app(request, tenant).summary())


def _matches_filters(rule: dict[str, Any], request: Request) -> bool:
    params = request.query_params
    enabled = params.get("enabled", "true").lower() != "false"
    if rule["enabled"] != enabled:
        return False
    if "has_condition" in params and not any(
        f"{c['source']}:{c['value']}" == params["has_condition"] or c["source"] == params["has_condition"]
        for c in rule["conditions"]
    ):
        return False
    if "has_condition_type" in params and not any(
        c["source"] == params["has_condition_type"] for c in rule["conditions"]
    ):
        return False
    if "has_action" in params and not any(
        a["action"] == params["has_action"] or params["has_action"] in a["value"] for a in rule["actions"]
    ):
        return False
    return "has_action_type" not in params or any(a["action"] == params["has_action_type"] for a in rule["actions"])


async def list_rules(request: Request, tenant: OneLoginTenant) -> Response:
    with tenant.lock:
        rules = [copy.deepcopy(r) for r in _app(request, tenant).rules if _matches_filters(r, request)]
    return JSONResponse(rules)


async def create_rule(request: Request, tenant: OneLoginTenant) -> Response:
    body = await read_json(request, "Bad Request")
    if not isinstance(body, dict):
        raise SandboxError(400, "Bad Request")
    rule = tenant.add_rule(int(request.path_params["app_id"]), body)
    return JSONResponse({"id": rule["id"]}, 201)


async def get_rule(request: Request, tenant: OneLoginTenant) -> Response:
    with tenant.lock:
        return JSONResponse(copy.deepcopy(_app(request, tenant).find(int(request.path_params["rule_id"]))))


async def update_rule(request: Request, tenant: OneLoginTenant) -> Response:
    body = await read_json(request, "Bad Request")
    with tenant.lock:
        app = _app(request, tenant)
        rule = app.find(int(request.path_params["rule_id"]))
        stored = app.validate(body)
        rule.update(stored)
        position = body.get("position")
        if position is not None:  # a PUT with a position moves the rule there
            app.rules.remove(rule)
            app.rules.insert(max(0, min(len(app.rules), position - 1)), rule)
            app.renumber()
        return JSONResponse({"id": rule["id"]})


async def delete_rule(request: Request, tenant: OneLoginTenant) -> Response:
    with tenant.lock:
        app = _app(request, tenant)
        app.rules.remove(app.find(int(request.path_params["rule_id"])))
        app.renumber()
    return Response(status_code=204)


async def sort_rules(request: Request, tenant: OneLoginTenant) -> Response:
    ids = await read_json(request, "Bad Request")
    with tenant.lock:
        app = _app(request, tenant)
        current = {r["id"]: r for r in app.rules}
        if not isinstance(ids, list) or sorted(map(str, ids)) != sorted(map(str, current)) or len(set(ids)) != len(ids):
            raise SandboxError(
                422,
                "Validation Failed",
                [{"field": "ids", "message": ["Must list every rule id of the app exactly once"]}],
            )
        app.rules = [current[i] for i in ids]
        app.renumber()
    return JSONResponse(ids)


async def list_conditions(request: Request, tenant: OneLoginTenant) -> Response:
    with tenant.lock:
        return JSONResponse(_entries(_app(request, tenant).catalog["conditions"]))


def _catalog_entry(request: Request, tenant: OneLoginTenant, kind: str) -> dict[str, Any]:
    entry = _app(request, tenant).catalog[kind].get(request.path_params["value"])
    if entry is None:
        raise SandboxError(404, "Not Found")
    return entry


async def list_operators(request: Request, tenant: OneLoginTenant) -> Response:
    with tenant.lock:
        return JSONResponse(_catalog_entry(request, tenant, "conditions")["operators"])


async def list_condition_values(request: Request, tenant: OneLoginTenant) -> Response:
    with tenant.lock:
        return JSONResponse(_catalog_entry(request, tenant, "conditions")["values"] or [])


async def list_actions(request: Request, tenant: OneLoginTenant) -> Response:
    with tenant.lock:
        return JSONResponse(_entries(_app(request, tenant).catalog["actions"]))


async def list_action_values(request: Request, tenant: OneLoginTenant) -> Response:
    with tenant.lock:
        return JSONResponse(_catalog_entry(request, tenant, "actions")["values"] or [])


RULES = "/api/2/apps/{app_id:int}/rules"
ENDPOINTS = [
    Endpoint("POST", "/auth/oauth2/v2/token", token, needs_auth=False),
    Endpoint("GET", "/api/2/apps", list_apps),
    Endpoint("GET", "/api/2/apps/{app_id:int}", get_app),
    Endpoint("GET", f"{RULES}/conditions", list_conditions),
    Endpoint("GET", f"{RULES}/conditions/{{value}}/operators", list_operators),
    Endpoint("GET", f"{RULES}/conditions/{{value}}/values", list_condition_values),
    Endpoint("GET", f"{RULES}/actions", list_actions),
    Endpoint("GET", f"{RULES}/actions/{{value}}/values", list_action_values),
    Endpoint("PUT", f"{RULES}/sort", sort_rules, is_write=True),
    Endpoint("GET", RULES, list_rules),
    Endpoint("POST", RULES, create_rule, is_write=True),
    Endpoint("GET", f"{RULES}/{{rule_id:int}}", get_rule),
    Endpoint("PUT", f"{RULES}/{{rule_id:int}}", update_rule, is_write=True),
    Endpoint("DELETE", f"{RULES}/{{rule_id:int}}", delete_rule, is_write=True),
]
