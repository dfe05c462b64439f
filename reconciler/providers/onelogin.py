"""OneLogin app rules (API v2): ordered rules per app, matched by name, OAuth2 client-credentials tokens.

Facts from api-notes §3 this module relies on:
- a plain list answers only enabled rules: live state is the `enabled=true` and `enabled=false` lists;
- `PUT .../rules/sort` takes every rule id of the app in the new order;
- condition and action values are strings; an action's `value` is a list of strings.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, ClassVar, Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field, field_validator

from reconciler.apiclient import Authenticator, error_message
from reconciler.errors import ApiError
from reconciler.models import LiveRule
from reconciler.providers.base import Provider

TOKEN_PATH = "/auth/oauth2/v2/token"
TOKEN_REFRESH_MARGIN_S = 60.0  # refresh this long before expiry, so no request carries a dying token
SCOPE_PREFIX = "app:"
APPS_PAGE_SIZE = 100  # the documented maximum `limit` of list endpoints
MAX_APP_PAGES = 1000  # a bound on paging, far above any tenant


def _as_string(value: Any) -> Any:
    # The API models values as strings; numbers written bare in YAML (role ids) mean the same thing.
    if isinstance(value, bool):
        return value
    return str(value) if isinstance(value, int | float) else value


class Condition(BaseModel):
    model_config = ConfigDict(extra="forbid")
    source: str = Field(min_length=1)
    operator: str = Field(min_length=1)
    value: str  # the API refuses a condition without one ("Invalid condition value: None")

    _value_is_string = field_validator("value", mode="before")(classmethod(lambda cls, v: _as_string(v)))


class Action(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: str = Field(min_length=1)
    value: list[str] = Field(default_factory=list)
    expression: str | None = None
    macro: str | None = None
    scriplet: str | None = None

    @field_validator("value", mode="before")
    @classmethod
    def _value_is_list_of_strings(cls, value: Any) -> Any:
        if value is None:
            return []
        if not isinstance(value, list):
            value = [value]  # a scalar is the one-item list the API treats it as
        return [_as_string(v) for v in value]


class OneLoginRule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1)
    match: Literal["all", "any"] = "all"
    enabled: bool = True
    conditions: list[Condition] = Field(default_factory=list)
    actions: list[Action] = Field(min_length=1)


class OneLoginScope(BaseModel):
    """A OneLogin manifest names the app its rules belong to, by numeric id."""

    model_config = ConfigDict(extra="forbid")
    app: int = Field(gt=0)


class OneLoginToken:
    """Client-credentials token: fetched once per run, refreshed before expiry, refetched after a 401."""

    def __init__(self, client_id: str, client_secret: str) -> None:
        self._basic = httpx.BasicAuth(client_id, client_secret)
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = asyncio.Lock()
        self.fetches = 0

    def __repr__(self) -> str:
        return "OneLoginToken(<redacted>)"

    async def headers(self, client: httpx.AsyncClient) -> dict[str, str]:
        if self._token is None or time.monotonic() >= self._expires_at - TOKEN_REFRESH_MARGIN_S:
            async with self._lock:
                if self._token is None or time.monotonic() >= self._expires_at - TOKEN_REFRESH_MARGIN_S:
                    await self._fetch(client)
        return {"Authorization": f"bearer {self._token}"}

    async def _fetch(self, client: httpx.AsyncClient) -> None:
        self.fetches += 1
        try:
            response = await client.post(TOKEN_PATH, json={"grant_type": "client_credentials"}, auth=self._basic)
        except httpx.TransportError as exc:
            raise ApiError(f"token request failed ({type(exc).__name__})", method="POST", path=TOKEN_PATH) from exc
        if not response.is_success:
            raise ApiError(error_message(response), status=response.status_code, method="POST", path=TOKEN_PATH)
        answer = response.json()
        self._token = answer["access_token"]
        self._expires_at = time.monotonic() + float(answer.get("expires_in", 3600))

    def invalidate(self) -> bool:
        self._token = None
        return True


def app_id(scope: str) -> int:
    return int(scope.removeprefix(SCOPE_PREFIX))


class OneLoginProvider(Provider):
    name = "onelogin"
    rule_model = OneLoginRule
    scope_model = OneLoginScope
    credential_names = ("client_id", "client_secret")
    ordered: ClassVar[bool] = True

    @classmethod
    def scope_of(cls, header: BaseModel) -> str:
        assert isinstance(header, OneLoginScope)
        return f"{SCOPE_PREFIX}{header.app}"

    @classmethod
    def scope_label(cls, scope: str) -> str:
        return f"app {app_id(scope)}"

    @classmethod
    def identity(cls, body: dict[str, Any]) -> str:
        return str(body["name"])

    @classmethod
    def normalize(cls, body: dict[str, Any]) -> dict[str, Any]:
        conditions = [{k: _as_string(v) for k, v in c.items() if v is not None} for c in body.get("conditions") or []]
        actions = []
        for action in body.get("actions") or []:
            clean = {k: v for k, v in action.items() if v not in (None, "")}
            values = clean.get("value")
            if values is not None and not isinstance(values, list):
                values = [values]
            if values:
                clean["value"] = [_as_string(v) for v in values]
            else:
                clean.pop("value", None)
            actions.append(clean)
        return {
            "name": body["name"],
            "match": body.get("match", "all"),
            "enabled": bool(body.get("enabled", True)),
            "conditions": conditions,
            "actions": actions,
        }

    @classmethod
    def to_manifest(cls, live_body: dict[str, Any]) -> dict[str, Any]:
        manifest = super().to_manifest(live_body)
        for action in manifest.get("actions", []):
            for key in [k for k, v in action.items() if v == "" and k != "action"]:
                del action[key]  # the API answers "" for an unset expression, macro or scriplet
        return manifest

    @classmethod
    def scope_header(cls, scope: str) -> dict[str, Any]:
        return {"app": app_id(scope)}

    @classmethod
    def authenticator(cls, credentials: dict[str, str], options: dict[str, Any]) -> Authenticator:
        return OneLoginToken(credentials["client_id"], credentials["client_secret"])

    async def list_scopes(self) -> dict[str, str]:
        """Every app of the tenant (paged `GET /api/2/apps`), by id."""
        apps: dict[int, str] = {}
        for page in range(1, MAX_APP_PAGES + 1):
            response = await self.client.request("GET", "/api/2/apps", params={"limit": APPS_PAGE_SIZE, "page": page})
            items = response.json()
            for app in items:
                apps[int(app["id"])] = str(app.get("name") or "")
            total_pages = response.headers.get("Total-Pages")
            last = int(total_pages) <= page if total_pages else len(items) < APPS_PAGE_SIZE
            if last or not items:
                break
        return {f"{SCOPE_PREFIX}{app}": apps[app] for app in sorted(apps)}

    async def scope_title(self, scope: str) -> str:
        app = await self.client.get_json(f"/api/2/apps/{app_id(scope)}")
        return str(app.get("name") or "")

    def _rules_path(self, scope: str) -> str:
        return f"/api/2/apps/{app_id(scope)}/rules"

    async def fetch(self, scope: str) -> list[LiveRule]:
        path = self._rules_path(scope)
        enabled, disabled = await asyncio.gather(
            self.client.get_json(path, params={"enabled": "true"}),
            self.client.get_json(path, params={"enabled": "false"}),
        )
        by_id = {rule["id"]: rule for rule in [*enabled, *disabled]}
        ordered = sorted(by_id.values(), key=lambda r: (r.get("position") is None, r.get("position") or 0, r["id"]))
        return [
            LiveRule(identity=str(rule["name"]), body=rule, ref={"id": rule["id"], "position": rule.get("position")})
            for rule in ordered
        ]

    async def create(self, scope: str, body: dict[str, Any]) -> dict[str, Any]:
        response = await self.client.request(
            "POST", self._rules_path(scope), json={**body, "position": None}, idempotent=False
        )
        return {"id": response.json()["id"]}

    async def update(self, scope: str, ref: dict[str, Any], body: dict[str, Any]) -> None:
        # PUT replaces the rule: sending its current position keeps it where it is.
        await self.client.request(
            "PUT", f"{self._rules_path(scope)}/{ref['id']}", json={**body, "position": ref.get("position")}
        )

    async def delete(self, scope: str, ref: dict[str, Any], body: dict[str, Any]) -> None:
        await self.client.request("DELETE", f"{self._rules_path(scope)}/{ref['id']}")

    async def reorder(self, scope: str, refs: list[dict[str, Any]]) -> None:
        await self.client.request("PUT", f"{self._rules_path(scope)}/sort", json=[r["id"] for r in refs])
