"""Emulator of OneLogin's API v2 app rules: client-credentials tokens, paged apps, ordered rules
per app with an enabled filter, sort, per-app catalogs of conditions and actions, rate limits."""

from __future__ import annotations

import base64
import binascii
import copy
import fnmatch
import secrets
import threading
import time
import zlib
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from reconciler.sandbox.common import SandboxError, TenantBase, utc_now
from reconciler.sandbox.endpoints import Endpoint, read_json

# Budget per window when no limit is configured: OneLogin always sends the headers, and a client must
# be able to read them, but the sandbox should not throttle tests or benchmarks that did not ask for it.
DEFAULT_RATE_LIMIT = 100_000
DEFAULT_TOKEN_TTL = 36000  # seconds, OneLogin's `expires_in`
APPS_DEFAULT_LIMIT = 50
APPS_MAX_LIMIT = 1000
FILTER_TYPES = ("builtin", "custom", "none")  # has_condition_type / has_action_type values (SDK docs)

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
# Per app: condition sources (their operators and, when closed, their values) and actions (and their
# values when closed). `values: None` means free text. `custom: True` marks custom-attribute entries,
# which is what the `has_condition_type` / `has_action_type` filters tell apart from built-in ones.
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
        "status": {"name": "Status", "values": USER_STATUSES, "operators": TEXT_OPERATORS[:2]},
        "custom_attribute_cost_center": {
            "name": "Cost center",
            "values": None,
            "operators": TEXT_OPERATORS,
            "custom": True,
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
        "set_custom_attribute_cost_center": {"name": "Set cost center", "values": None, "custom": True},
    },
}
RULE_KEYS = ("id", "name", "match", "enabled", "position", "conditions", "actions")  # answer order
REQUIRED_FIELDS = ("name", "enabled", "match", "conditions", "actions")
ACTION_EXTRAS = ("expression", "macro", "scriplet")
ERROR_NAMES = {
    400: "BadRequestError",
    401: "UnauthorizedError",
    403: "ForbiddenError",
    404: "NotFoundError",
    429: "TooManyRequestsError",
    500: "InternalServerError",
    502: "BadGatewayError",
}


def _entries(mapping: dict[str, Any]) -> list[dict[str, str]]:
    """A catalog section as the API lists it: `[{"name": ..., "value": ...}]`."""
    return [{"name": v["name"], "value": k} for k, v in mapping.items()]


def _allowed(entry: dict[str, Any]) -> set[str] | None:
    values = entry.get("values")
    return None if values is None else {v["value"] for v in values}


def _render(rule: dict[str, Any]) -> dict[str, Any]:
    """A stored rule as the API answers it, keys in the documented order."""
    return {k: copy.deepcopy(rule[k]) for k in RULE_KEYS}


class App:
    """One OneLogin app: its summary fields, its rule catalog and its rules in position order."""

    def __init__(self, app_id: int, name: str, catalog: dict[str, Any] | None = None) -> None:
        self.id = app_id
        self.name = name
        self.catalog: dict[str, Any] = copy.deepcopy(catalog or DEFAULT_CATALOG)
        self.connector_id = 108419
        self.created_at = utc_now()
        self.rules: list[dict[str, Any]] = []  # in position order

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "connector_id": self.connector_id,
            "name": self.name,
            "description": "",
            "notes": "",
            "visible": True,
            "auth_method": 2,
            "policy_id": None,
            "brand_id": None,
            "allow_assumed_signin": False,
            "tab_id": None,
            "icon_url": None,
            "created_at": self.created_at,
            "updated_at": self.created_at,
        }

    def renumber(self) -> None:
        for index, rule in enumerate(self.rules, start=1):
            rule["position"] = index

    def place(self, rule: dict[str, Any], position: int | None) -> None:
        """Insert at 1-based `position` (None: last; out of range: clamped), then renumber 1..n."""
        index = len(self.rules) if position is None else max(0, min(len(self.rules), position - 1))
        self.rules.insert(index, rule)
        self.renumber()

    def find(self, rule_id: int) -> dict[str, Any]:
        for rule in self.rules:
            if rule["id"] == rule_id:
                return rule
        raise SandboxError(404, "Not Found")

    def is_custom(self, kind: str, name: str) -> bool:
        return bool(self.catalog[kind].get(name, {}).get("custom", False))

    # ---- validation -------------------------------------------------------------------------------
    def validate(self, body: Any) -> dict[str, Any]:
        """All problems of a rule body at once, as the API's 422 lists them; returns the stored form."""
        if not isinstance(body, dict):
            raise SandboxError(400, "Bad Request")
        errors: dict[str, list[str]] = {}  # field -> messages, in the order found

        def problem(field: str, message: str) -> None:
            errors.setdefault(field, []).append(message)

        for name in REQUIRED_FIELDS:
            if body.get(name) is None:
                problem(name, "Required field is missing")
        if body.get("name") is not None and (not isinstance(body["name"], str) or not body["name"].strip()):
            problem("name", "Must be a non-empty string")
        if body.get("enabled") is not None and not isinstance(body["enabled"], bool):
            problem("enabled", "Must be a boolean")
        if body.get("match") is not None and body["match"] not in ("all", "any"):
            problem("match", f"Invalid match value: {body['match']}")
        position = body.get("position")
        if position is not None and (isinstance(position, bool) or not isinstance(position, int)):
            problem("position", "Must be an integer or null")
        conditions = body.get("conditions")
        if conditions is not None and not isinstance(conditions, list):
            problem("conditions", "Must be an array")
            conditions = None
        actions = body.get("actions")
        if actions is not None and not isinstance(actions, list):
            problem("actions", "Must be an array")
            actions = None
        stored_conditions = [self._condition(i, c, problem) for i, c in enumerate(conditions or [])]
        stored_actions = [self._action(i, a, problem) for i, a in enumerate(actions or [])]
        if errors:
            raise SandboxError(
                422, "Validation Failed", [{"field": field, "message": messages} for field, messages in errors.items()]
            )
        return {
            "name": body["name"],
            "match": body["match"],
            "enabled": body["enabled"],
            "conditions": stored_conditions,
            "actions": stored_actions,
        }

    def _condition(self, index: int, condition: Any, problem: Callable[[str, str], None]) -> dict[str, Any]:
        where = f"conditions.[{index}]"
        if not isinstance(condition, dict):
            problem(where, "Must be an object")
            return {}
        source = condition.get("source")
        entry = self.catalog["conditions"].get(source) if isinstance(source, str) else None
        if entry is None:
            problem(f"{where}.source", f"Invalid condition source: {source}")
            return {}
        operator = condition.get("operator")
        if operator not in {o["value"] for o in entry["operators"]}:
            problem(f"{where}.operator", f"Invalid condition operator: {operator}")
        value = condition.get("value")
        allowed = _allowed(entry)
        if not isinstance(value, str) or (allowed is not None and value not in allowed):
            problem(f"{where}.value", f"Invalid condition value: {value}")
        return {"source": source, "operator": operator, "value": value}

    def _action(self, index: int, action: Any, problem: Callable[[str, str], None]) -> dict[str, Any]:
        where = f"actions.[{index}]"
        if not isinstance(action, dict):
            problem(where, "Must be an object")
            return {}
        name = action.get("action")
        entry = self.catalog["actions"].get(name) if isinstance(name, str) else None
        if entry is None:
            problem(f"{where}.action", f"Invalid action: {name}")
            return {}
        values = action.get("value")
        if isinstance(values, str):
            values = [values]  # the reference's own curl example sends a bare string: kept as a one-item list
        if values is not None and (not isinstance(values, list) or not all(isinstance(v, str) for v in values)):
            problem(f"{where}.value", "Must be an array of strings")
            values = []
        allowed = _allowed(entry)
        for value in values or []:
            if allowed is not None and value not in allowed:
                problem(f"{where}.value", f"Invalid action value: {value}")
        stored: dict[str, Any] = {"action": name, "value": list(values or [])}
        for extra in ACTION_EXTRAS:
            if action.get(extra) is not None:
                if not isinstance(action[extra], str):
                    problem(f"{where}.{extra}", "Must be a string")
                stored[extra] = action[extra]
        return stored


class OneLoginTenant(TenantBase):
    provider = "onelogin"

    def __init__(
        self,
        name: str,
        lock: threading.RLock,
        on_write: Callable[[], None] | None = None,
        *,
        client_id: str | None = None,
        client_secret: str | None = None,
    ) -> None:
        super().__init__(name, lock, on_write)
        self.client_id = client_id or f"onelogin-{name}-id"
        self.client_secret = client_secret or f"onelogin-{name}-secret"
        self.token_ttl = DEFAULT_TOKEN_TTL
        self.account_id = 100000 + zlib.crc32(name.encode()) % 900000  # stable per tenant name
        self.apps: dict[int, App] = {}
        self.tokens: dict[str, float] = {}  # access token -> monotonic expiry (not persisted: restarts revoke)
        self.tokens_issued = 0
        self.next_rule_id = 1000  # ids are unique across the tenant's apps
        self.window_start = time.monotonic()
        self.window_count = 0

    # ---- apps ---------------------------------------------------------------------------------------
    def add_app(self, app_id: int, name: str, catalog: dict[str, Any] | None = None) -> App:
        """Create the app, or rename it (and replace its catalog when given) keeping its rules."""
        with self.lock:
            app = self.apps.get(app_id)
            if app is None:
                app = self.apps[app_id] = App(app_id, name, catalog)
            else:
                app.name = name
                if catalog is not None:
                    app.catalog = copy.deepcopy(catalog)
            self.written()
            return app

    def app(self, app_id: int) -> App:
        with self.lock:
            app = self.apps.get(app_id)
        if app is None:
            raise SandboxError(404, "Not Found")
        return app

    # ---- rule writes (HTTP and Python share these) --------------------------------------------------
    def add_rule(self, app_id: int, rule: dict[str, Any]) -> dict[str, Any]:
        """What POST does: validate, assign an id, insert at `position` (null or absent: last)."""
        with self.lock:
            app = self.app(app_id)
            stored = app.validate(rule)
            stored["id"] = self.next_rule_id
            self.next_rule_id += 1
            app.place(stored, rule.get("position"))
            self.written()
            return _render(stored)

    def update_rule(self, app_id: int, rule_id: int, rule: dict[str, Any]) -> dict[str, Any]:
        """What PUT does: replace every field; an integer `position` also moves the rule there."""
        with self.lock:
            app = self.app(app_id)
            current = app.find(rule_id)
            stored = app.validate(rule)
            current.update(stored)
            if rule.get("position") is not None:
                app.rules.remove(current)
                app.place(current, rule["position"])
            self.written()
            return _render(current)

    def delete_rule(self, app_id: int, rule_id: int) -> None:
        with self.lock:
            app = self.app(app_id)
            app.rules.remove(app.find(rule_id))
            app.renumber()
            self.written()

    def sort_rules(self, app_id: int, rule_ids: Any) -> list[int]:
        """What `PUT .../rules/sort` does: exactly the app's rule ids (enabled and disabled), in order."""
        with self.lock:
            app = self.app(app_id)
            current = {r["id"]: r for r in app.rules}
            valid = (
                isinstance(rule_ids, list)
                and all(isinstance(i, int) and not isinstance(i, bool) for i in rule_ids)
                and len(rule_ids) == len(set(rule_ids))
                and set(rule_ids) == set(current)
            )
            if not valid:
                raise SandboxError(
                    422,
                    "Validation Failed",
                    [{"field": "rule_ids", "message": ["Must list every rule id of the app exactly once"]}],
                )
            app.rules = [current[i] for i in rule_ids]
            app.renumber()
            self.written()
            return list(rule_ids)

    # ---- reads --------------------------------------------------------------------------------------
    def rules(self, app_id: int) -> list[dict[str, Any]]:
        """Every rule of the app, enabled and disabled, in position order."""
        with self.lock:
            return [_render(r) for r in self.app(app_id).rules]

    def rule(self, app_id: int, rule_id: int) -> dict[str, Any]:
        with self.lock:
            return _render(self.app(app_id).find(rule_id))

    # ---- tokens and rate limits ---------------------------------------------------------------------
    def issue_token(self) -> dict[str, Any]:
        with self.lock:
            token = secrets.token_hex(32)
            self.tokens[token] = time.monotonic() + self.token_ttl
            self.tokens_issued += 1
        return {
            "access_token": token,
            "created_at": utc_now(),
            "expires_in": self.token_ttl,
            "refresh_token": "",
            "token_type": "bearer",
            "account_id": self.account_id,
        }

    def token_valid(self, token: str) -> bool:
        with self.lock:
            expiry = self.tokens.get(token)
            return expiry is not None and time.monotonic() < expiry

    def count_request(self, limit: int | None, window_s: float) -> tuple[dict[str, str], bool]:
        """Count one request against this tenant's window: the rate-limit headers, and whether it is over."""
        budget = limit if limit is not None else DEFAULT_RATE_LIMIT
        with self.lock:
            now = time.monotonic()
            if now - self.window_start >= window_s:
                self.window_start, self.window_count = now, 0
            self.window_count += 1
            over = self.window_count > budget
            remaining = max(0, budget - self.window_count)
            reset = max(0.0, window_s - (now - self.window_start))
        headers = {
            "X-RateLimit-Limit": str(budget),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": str(max(1, int(reset + 0.999))),  # whole seconds until the window resets
        }
        return headers, over

    # ---- persistence --------------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        with self.lock:
            return {
                "client_id": self.client_id,
                "client_secret": self.client_secret,
                "token_ttl": self.token_ttl,
                "next_rule_id": self.next_rule_id,
                "apps": [
                    {
                        "id": a.id,
                        "name": a.name,
                        "connector_id": a.connector_id,
                        "created_at": a.created_at,
                        "catalog": copy.deepcopy(a.catalog),
                        "rules": [_render(r) for r in a.rules],
                    }
                    for a in self.apps.values()
                ],
            }

    def load_json(self, data: dict[str, Any]) -> None:
        with self.lock:
            self.client_id = data.get("client_id", self.client_id)
            self.client_secret = data.get("client_secret", self.client_secret)
            self.token_ttl = data.get("token_ttl", self.token_ttl)
            self.next_rule_id = data.get("next_rule_id", self.next_rule_id)
            for item in data.get("apps", []):
                app = App(item["id"], item["name"], item.get("catalog"))
                app.connector_id = item.get("connector_id", app.connector_id)
                app.created_at = item.get("created_at", app.created_at)
                app.rules = [dict(r) for r in item.get("rules", [])]
                app.renumber()
                self.apps[app.id] = app
                self.next_rule_id = max([self.next_rule_id, *(r["id"] + 1 for r in app.rules)])


# ---- HTTP -----------------------------------------------------------------------------------------
def error_response(error: SandboxError) -> Response:
    """The API's error shapes: 422 `{code, message, errors}`, others `{message, statusCode, name}`."""
    if error.status == 422:
        body: dict[str, Any] = {"code": 422, "message": error.message, "errors": error.details}
    else:
        name = ERROR_NAMES.get(error.status, "Error" if error.status < 500 else "InternalServerError")
        body = {"message": error.message, "statusCode": error.status, "name": name}
    return JSONResponse(body, error.status, headers=error.headers)


def token_error_response(error: SandboxError) -> Response:
    """The token endpoint answers errors in its own `{"status": {...}}` shape."""
    kind = {400: "bad request", 401: "Unauthorized", 404: "not found", 429: "Too Many Requests"}.get(
        error.status, "Internal Server Error" if error.status >= 500 else "error"
    )
    body = {"status": {"error": True, "code": error.status, "type": kind, "message": error.message}}
    return JSONResponse(body, error.status, headers=error.headers)


def authenticate(request: Request, tenant: OneLoginTenant) -> None:
    """`Authorization: bearer <token>`, scheme case-insensitive; unknown or expired tokens are 401."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not tenant.token_valid(token.strip()):
        raise SandboxError(401, "Unauthorized")


async def token(request: Request, tenant: OneLoginTenant) -> Response:
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    try:
        client_id, _, client_secret = base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
    except (ValueError, binascii.Error):
        client_id = client_secret = ""
    if scheme.lower() != "basic" or (client_id, client_secret) != (tenant.client_id, tenant.client_secret):
        raise SandboxError(401, "Authentication Failure")
    body = await read_json(request, "Request body is not valid JSON")
    if not isinstance(body, dict) or body.get("grant_type") != "client_credentials":
        raise SandboxError(400, "grant_type is incorrect/absent")
    return JSONResponse(tenant.issue_token())


def _int_param(request: Request, name: str, default: int, maximum: int | None = None) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SandboxError(400, f"{name} must be an integer") from None
    if value < 1 or (maximum is not None and value > maximum):
        bound = f"between 1 and {maximum}" if maximum is not None else "at least 1"
        raise SandboxError(400, f"{name} must be {bound}")
    return value


async def list_apps(request: Request, tenant: OneLoginTenant) -> Response:
    limit = _int_param(request, "limit", APPS_DEFAULT_LIMIT, APPS_MAX_LIMIT)
    page = _int_param(request, "page", 1)
    with tenant.lock:
        apps = [tenant.apps[k].summary() for k in sorted(tenant.apps)]
    pages = -(-len(apps) // limit)
    items = apps[(page - 1) * limit : page * limit]
    base = str(request.url.replace(query=""))
    links = []
    if page < pages:
        links.append(f'<{base}?limit={limit}&page={page + 1}>; rel="next"')
    if page > 1:
        links.append(f'<{base}?limit={limit}&page={min(page - 1, max(pages, 1))}>; rel="prev"')
    headers = {
        "Total-Pages": str(pages),
        "Total-Count": str(len(apps)),
        "Current-Page": str(page),
        "Page-Items": str(len(items)),
    }
    if links:
        headers["Link"] = ", ".join(links)
    return JSONResponse(items, headers=headers)


def _app_id(request: Request) -> int:
    return int(request.path_params["app_id"])


async def get_app(request: Request, tenant: OneLoginTenant) -> Response:
    with tenant.lock:
        return JSONResponse(tenant.app(_app_id(request)).summary())


def _pairs_match(filters: str, pairs: list[tuple[str, str | None]]) -> bool:
    """`name:value,name:value` with `*` wildcards (SDK docs): true when any pair matches any filter.

    A pair's value None stands for an action without values, which only a `*` value matches.
    """
    for item in filters.split(","):
        name_pattern, _, value_pattern = item.strip().partition(":")
        value_pattern = value_pattern or "*"
        for name, value in pairs:
            if not fnmatch.fnmatchcase(name, name_pattern or "*"):
                continue
            if value_pattern == "*" or (value is not None and fnmatch.fnmatchcase(value, value_pattern)):
                return True
    return False


def _kind_matches(kind: str, names: list[str], is_custom: Callable[[str], bool]) -> bool:
    if kind == "none":
        return not names
    return any(is_custom(n) == (kind == "custom") for n in names)


def _rule_filter(request: Request, app: App) -> Callable[[dict[str, Any]], bool]:
    """The list filters: `enabled` (default true: only enabled rules; false: only disabled ones) and
    `has_condition`, `has_condition_type`, `has_action`, `has_action_type`, all of which must hold."""
    params = request.query_params
    enabled = params.get("enabled", "true").strip().lower() not in ("false", "0")
    for name in ("has_condition_type", "has_action_type"):
        if name in params and params[name] not in FILTER_TYPES:
            raise SandboxError(400, f"{name} must be one of {', '.join(FILTER_TYPES)}")

    def keep(rule: dict[str, Any]) -> bool:
        if rule["enabled"] != enabled:
            return False
        conditions = [(c["source"], c["value"]) for c in rule["conditions"]]
        actions: list[tuple[str, str | None]] = []
        for action in rule["actions"]:
            actions += [(action["action"], v) for v in action["value"]] or [(action["action"], None)]
        if "has_condition" in params and not _pairs_match(params["has_condition"], conditions):
            return False
        if "has_action" in params and not _pairs_match(params["has_action"], actions):
            return False
        if "has_condition_type" in params and not _kind_matches(
            params["has_condition_type"], [c[0] for c in conditions], lambda n: app.is_custom("conditions", n)
        ):
            return False
        return "has_action_type" not in params or _kind_matches(
            params["has_action_type"], [a["action"] for a in rule["actions"]], lambda n: app.is_custom("actions", n)
        )

    return keep


async def list_rules(request: Request, tenant: OneLoginTenant) -> Response:
    with tenant.lock:
        app = tenant.app(_app_id(request))
        keep = _rule_filter(request, app)
        return JSONResponse([_render(r) for r in app.rules if keep(r)])


async def _rule_body(request: Request) -> dict[str, Any]:
    body = await read_json(request, "Bad Request")
    if not isinstance(body, dict):
        raise SandboxError(400, "Bad Request")
    return body


async def create_rule(request: Request, tenant: OneLoginTenant) -> Response:
    app_id = _app_id(request)
    tenant.app(app_id)  # an unknown app is a 404 before the body is looked at
    rule = tenant.add_rule(app_id, await _rule_body(request))
    return JSONResponse({"id": rule["id"]}, 201)


async def get_rule(request: Request, tenant: OneLoginTenant) -> Response:
    return JSONResponse(tenant.rule(_app_id(request), int(request.path_params["rule_id"])))


async def update_rule(request: Request, tenant: OneLoginTenant) -> Response:
    app_id, rule_id = _app_id(request), int(request.path_params["rule_id"])
    tenant.rule(app_id, rule_id)  # unknown app or rule: 404 before validation
    rule = tenant.update_rule(app_id, rule_id, await _rule_body(request))
    return JSONResponse({"id": rule["id"]})


async def delete_rule(request: Request, tenant: OneLoginTenant) -> Response:
    tenant.delete_rule(_app_id(request), int(request.path_params["rule_id"]))
    return Response(status_code=204)


async def sort_rules(request: Request, tenant: OneLoginTenant) -> Response:
    app_id = _app_id(request)
    tenant.app(app_id)
    return JSONResponse(tenant.sort_rules(app_id, await read_json(request, "Bad Request")))


def _catalog_entry(request: Request, tenant: OneLoginTenant, kind: str) -> dict[str, Any]:
    entry = tenant.app(_app_id(request)).catalog[kind].get(request.path_params["value"])
    if entry is None:
        raise SandboxError(404, "Not Found")
    return entry


async def list_conditions(request: Request, tenant: OneLoginTenant) -> Response:
    with tenant.lock:
        return JSONResponse(_entries(tenant.app(_app_id(request)).catalog["conditions"]))


async def list_operators(request: Request, tenant: OneLoginTenant) -> Response:
    with tenant.lock:
        return JSONResponse(copy.deepcopy(_catalog_entry(request, tenant, "conditions")["operators"]))


async def list_condition_values(request: Request, tenant: OneLoginTenant) -> Response:
    with tenant.lock:
        return JSONResponse(copy.deepcopy(_catalog_entry(request, tenant, "conditions").get("values") or []))


async def list_actions(request: Request, tenant: OneLoginTenant) -> Response:
    with tenant.lock:
        return JSONResponse(_entries(tenant.app(_app_id(request)).catalog["actions"]))


async def list_action_values(request: Request, tenant: OneLoginTenant) -> Response:
    with tenant.lock:
        return JSONResponse(copy.deepcopy(_catalog_entry(request, tenant, "actions").get("values") or []))


RULES = "/api/2/apps/{app_id:int}/rules"
ENDPOINTS = [
    # Not a write: it changes no rules, so `stats.writes` stays a count of rule changes (idempotency checks).
    Endpoint("POST", "/auth/oauth2/v2/token", token, needs_auth=False, errors=token_error_response),
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
