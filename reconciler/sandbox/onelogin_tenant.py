"""One emulated OneLogin tenant: its apps, each with its catalog and its rules in position order,
validated as OneLogin documents; tokens and the rate-limit window."""

from __future__ import annotations

import copy
import secrets
import threading
import time
import zlib
from collections.abc import Callable
from typing import Any

from reconciler.sandbox.common import SandboxError, TenantBase, utc_now
from reconciler.sandbox.onelogin_catalog import (
    ACTION_EXTRAS,
    DEFAULT_CATALOG,
    DEFAULT_RATE_LIMIT,
    DEFAULT_TOKEN_TTL,
    FIRST_ROLE_ID,
    REQUIRED_FIELDS,
    allowed_values,
    default_catalog,
    rendered_rule,
)


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
    def validate(self, body: Any, *, not_allowed: tuple[str, ...] = ()) -> dict[str, Any]:
        """All problems of a rule body at once, as the API's 422 lists them; returns the stored form.

        `not_allowed`: fields the endpoint refuses in the body (an update's `id`: the id is in the path)."""
        if not isinstance(body, dict):
            raise SandboxError(400, "Bad Request")
        errors: dict[str, list[str]] = {}  # field -> messages, in the order found

        def problem(field: str, message: str) -> None:
            errors.setdefault(field, []).append(message)

        for name in not_allowed:
            if name in body:
                problem(name, "Field is not allowed")

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
        allowed = allowed_values(entry)
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
        allowed = allowed_values(entry)
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
        self.first_role_id = FIRST_ROLE_ID  # the role ids of apps created from now on
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
                app = self.apps[app_id] = App(app_id, name, catalog or default_catalog(self.first_role_id))
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
            return rendered_rule(stored)

    def update_rule(self, app_id: int, rule_id: int, rule: dict[str, Any]) -> dict[str, Any]:
        """What PUT does: replace every field; an integer `position` also moves the rule there. The id is
        the path's: one in the body is refused, as OneLogin documents."""
        with self.lock:
            app = self.app(app_id)
            current = app.find(rule_id)
            stored = app.validate(rule, not_allowed=("id",))
            current.update(stored)
            if rule.get("position") is not None:
                app.rules.remove(current)
                app.place(current, rule["position"])
            self.written()
            return rendered_rule(current)

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
                    [{"field": "default", "message": ["Sorting list must contain all mapping IDs"]}],
                )
            app.rules = [current[i] for i in rule_ids]
            app.renumber()
            self.written()
            return list(rule_ids)

    # ---- reads --------------------------------------------------------------------------------------
    def rules(self, app_id: int) -> list[dict[str, Any]]:
        """Every rule of the app, enabled and disabled, in position order."""
        with self.lock:
            return [rendered_rule(r) for r in self.app(app_id).rules]

    def rule(self, app_id: int, rule_id: int) -> dict[str, Any]:
        with self.lock:
            return rendered_rule(self.app(app_id).find(rule_id))

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
                "first_role_id": self.first_role_id,
                "apps": [
                    {
                        "id": a.id,
                        "name": a.name,
                        "connector_id": a.connector_id,
                        "created_at": a.created_at,
                        "catalog": copy.deepcopy(a.catalog),
                        "rules": [rendered_rule(r) for r in a.rules],
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
            self.first_role_id = data.get("first_role_id", self.first_role_id)
            for item in data.get("apps", []):
                app = App(item["id"], item["name"], item.get("catalog"))
                app.connector_id = item.get("connector_id", app.connector_id)
                app.created_at = item.get("created_at", app.created_at)
                app.rules = [dict(r) for r in item.get("rules", [])]
                app.renumber()
                self.apps[app.id] = app
                self.next_rule_id = max([self.next_rule_id, *(r["id"] + 1 for r in app.rules)])
