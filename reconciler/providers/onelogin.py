"""OneLogin app rules (API v2): ordered rules per app, matched by name, OAuth2 client-credentials tokens.

Facts beyond the API reference (from the vendor's other docs and SDKs) this module relies on:
- a plain list answers only enabled rules: live state is the `enabled=true` and `enabled=false` lists;
- `PUT .../rules/sort` takes every rule id of the app in the new order;
- condition and action values are strings; an action's `value` is a list of strings;
- `position` counts from 1, as listed rules' positions do: a rule created at `position` p stands
  p-th, the rules from there on one further (the reference says only that null means last). An
  apply reads its apps back, so a tenant that placed rules otherwise shows a reorder, not silence.
"""

from __future__ import annotations

# asyncio is imported by the functions that make requests: loading manifests (validate) needs no event loop.
import base64
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field, field_validator

from reconciler.engine.model import DesiredRule, LiveRule
from reconciler.engine.provider import Provider
from reconciler.errors import ApiError, Problem, suggest
from reconciler.providers import onelogin_answers as answers
from reconciler.providers.onelogin_names import (
    NAMED_APP_PREFIX,
    AppIdOrName,
    ByName,
    Catalogues,
    IdOrName,
    name_uses,
    name_values,
    named_app,
    refuse_unresolved,
    resolve_values,
)

if TYPE_CHECKING:
    from reconciler.http.client import ApiClient, Authenticator

TOKEN_PATH = "/auth/oauth2/v2/token"
TOKEN_REFRESH_MARGIN_S = 60.0  # refresh this long before expiry, so no request carries a dying token
SCOPE_PREFIX = "app:"
CREATE_ROUNDS = 3  # a create whose answer is lost is looked for, then sent again, at most this often


def _as_string(value: Any) -> Any:
    # The API models values as strings; numbers written bare in YAML (role ids) mean the same thing.
    if type(value) is str:  # nearly always: answer before the isinstance checks
        return value
    if isinstance(value, bool):
        return value
    return str(value) if isinstance(value, int | float) else value


def _as_written(value: Any) -> Any:
    """A manifest value as text, exactly as written: a number YAML reads otherwise (`007` is 7) is refused."""
    if (text := getattr(value, "source_text", None)) is not None:
        raise ValueError(f"{text} is read by YAML as the number {value!r}, not as the text {text!r}: quote it")
    return _as_string(value)


class Condition(BaseModel):
    model_config = ConfigDict(extra="forbid")
    source: str = Field(min_length=1)
    operator: str = Field(min_length=1)
    value: IdOrName  # the API refuses a condition without one ("Invalid condition value: None")

    _value_is_string = field_validator("value", mode="before")(classmethod(lambda cls, v: _as_written(v)))


class Action(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: str = Field(min_length=1)
    value: list[IdOrName] = Field(default_factory=list)
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
        return [_as_written(v) for v in value]


class OneLoginRule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, pattern=r"\S")  # the API refuses a blank name
    match: Literal["all", "any"] = "all"
    enabled: bool = Field(default=True, strict=True)  # the API refuses "yes" or 1
    conditions: list[Condition] = Field(default_factory=list)
    actions: list[Action] = Field(min_length=1)


class OneLoginScope(BaseModel):
    """A OneLogin manifest names the app its rules belong to, by numeric id or `{name: ...}`."""

    model_config = ConfigDict(extra="forbid")
    app: AppIdOrName


class OneLoginToken:
    """Client-credentials token: fetched once per run, refreshed before expiry, refetched after a 401."""

    def __init__(self, client_id: str, client_secret: str) -> None:
        pair = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode("ascii")
        self._basic = {"Authorization": f"Basic {pair}"}  # HTTP Basic, as OneLogin's token endpoint wants
        self._token: str | None = None
        self._expires_at = 0.0
        import asyncio

        self._lock = asyncio.Lock()
        self.fetches = 0

    def __repr__(self) -> str:
        return "OneLoginToken(<redacted>)"

    async def headers(self, client: ApiClient) -> dict[str, str]:
        if self._token is None or time.monotonic() >= self._expires_at - TOKEN_REFRESH_MARGIN_S:
            async with self._lock:
                if self._token is None or time.monotonic() >= self._expires_at - TOKEN_REFRESH_MARGIN_S:
                    await self._fetch(client)
        return {"Authorization": f"bearer {self._token}"}

    async def _fetch(self, client: ApiClient) -> None:
        self.fetches += 1
        # Through the client like any request: counted, errors mapped once; a transient failure is
        # retried by the request that needed the token.
        self._token, lifetime = await client.exchange_credentials(
            "POST", TOKEN_PATH, answers.token, json={"grant_type": "client_credentials"}, headers=self._basic
        )
        self._expires_at = time.monotonic() + lifetime

    def invalidate(self, used: Mapping[str, str]) -> bool:
        # Of several requests refused with the same stale token, only the first drops it: one refetch.
        if used.get("Authorization") == f"bearer {self._token}":
            self._token = None
        return True


@dataclass
class AppCatalog:
    """What one app accepts in rules, as its `/rules/conditions` and `/rules/actions` endpoints list it."""

    app: str
    sources: set[str]
    actions: set[str]
    operators: dict[str, list[dict[str, Any]]]  # by source
    condition_values: dict[str, list[dict[str, Any]]]  # by source; empty: free text
    action_values: dict[str, list[dict[str, Any]]]  # by action; empty: free text

    def problems(self, rule: DesiredRule) -> list[Problem]:
        found: list[Problem] = []
        for index, condition in enumerate(rule.body["conditions"]):
            at = ("conditions", index)
            source = condition["source"]
            if source not in self.sources:
                message = f"{self.app} has no condition {source!r}{suggest(source, self.sources)}"
                found.append(rule.problem((*at, "source"), message))
                continue
            allowed = [str(o["value"]) for o in self.operators[source]]
            if condition["operator"] not in allowed:
                message = f"{condition['operator']!r} is not an operator of condition {source!r}; expected one of"
                found.append(rule.problem((*at, "operator"), f"{message} {', '.join(map(repr, allowed))}"))
            wrong = _closed_value_problem(condition["value"], self.condition_values[source], f"condition {source!r}")
            if wrong:
                found.append(rule.problem((*at, "value"), wrong))
        for index, action in enumerate(rule.body["actions"]):
            at = ("actions", index)
            name = action["action"]
            if name not in self.actions:
                message = f"{self.app} has no action {name!r}{suggest(name, self.actions)}"
                found.append(rule.problem((*at, "action"), message))
                continue
            for position, value in enumerate(action.get("value") or []):
                wrong = _closed_value_problem(value, self.action_values[name], f"action {name!r}")
                if wrong:
                    found.append(rule.problem((*at, "value", position), wrong))
        return found


def _closed_value_problem(value: str, entries: list[dict[str, Any]], what: str) -> str | None:
    """Why `value` is not one of a closed list of values (an empty list means free text), or None."""
    values = {str(e["value"]): str(e.get("name", "")) for e in entries}
    if not values or value in values:
        return None
    by_name = {name.lower(): v for v, name in values.items()}
    if value.lower() in by_name:  # the label people see in the admin UI, not the value the API wants
        return f"{value!r} is not a value of {what} (did you mean {by_name[value.lower()]!r}, which is {value!r}?)"
    return f"{value!r} is not a value of {what}{suggest(value, values)}"


def app_id(scope: str) -> int:
    return int(scope.removeprefix(SCOPE_PREFIX))


class OneLoginProvider(Provider):
    name = "onelogin"
    rule_model = OneLoginRule
    scope_model = OneLoginScope
    credential_names = ("client_id", "client_secret")
    ordered: ClassVar[bool] = True
    identity_field = "name"

    def __init__(self, client: ApiClient, options: dict[str, Any]) -> None:
        super().__init__(client, options)
        self.catalogues = Catalogues(client)

    @classmethod
    def scope_of(cls, header: BaseModel) -> str:
        assert isinstance(header, OneLoginScope)
        if isinstance(header.app, ByName):
            return f"{NAMED_APP_PREFIX}{header.app.name}"
        return f"{SCOPE_PREFIX}{header.app}"

    @classmethod
    def scope_label(cls, scope: str) -> str:
        name = named_app(scope)
        return f"app {name!r}" if name is not None else f"app {app_id(scope)}"

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
    def is_disabled(cls, body: dict[str, Any]) -> bool:
        return body.get("enabled", True) is False

    @classmethod
    def to_manifest(cls, live_body: dict[str, Any]) -> dict[str, Any]:
        manifest = super().to_manifest(live_body)
        for action in manifest.get("actions", []):
            for key in [k for k, v in action.items() if v == "" and k != "action"]:
                del action[key]  # the API answers "" for an unset expression, macro or scriplet
        return manifest

    @classmethod
    def scope_header(cls, scope: str) -> dict[str, Any]:
        name = named_app(scope)
        return {"app": {"name": name} if name is not None else app_id(scope)}

    @classmethod
    def authenticator(cls, credentials: dict[str, str], options: dict[str, Any]) -> Authenticator:
        return OneLoginToken(credentials["client_id"], credentials["client_secret"])

    async def resolve_scope(self, scope: str) -> str:
        name = named_app(scope)
        return scope if name is None else f"{SCOPE_PREFIX}{await self.catalogues.app_id(name)}"

    async def resolve_rules(self, scope: str, rules: list[DesiredRule]) -> list[Problem]:
        if not any(True for _ in name_uses(rules)):
            return []
        return await resolve_values(self.catalogues, app_id(scope), self.scope_label(scope), rules)

    async def portable_form(self, scope: str, rules: list[dict[str, Any]]) -> str:
        title = await name_values(self.catalogues, app_id(scope), rules)
        return scope if title is None else f"{NAMED_APP_PREFIX}{title}"

    async def _catalog(self, path: str, names: set[str]) -> dict[str, list[dict[str, Any]]]:
        """`{name: entries}` of `GET {path}/{name}/...` for each name, fetched concurrently (and once a run)."""
        ordered = sorted(names)
        import asyncio

        answers = await asyncio.gather(*(self.catalogues.get(path.format(quote(n, safe=""))) for n in ordered))
        return dict(zip(ordered, answers, strict=True))

    async def remote_problems(self, scope: str, rules: list[DesiredRule]) -> list[Problem]:
        """Sources, operators, actions and closed-list values each rule uses, against the app's own lists."""
        base = self._rules_path(scope)
        import asyncio

        sources_list, actions_list = await asyncio.gather(
            self.catalogues.get(f"{base}/conditions"), self.catalogues.get(f"{base}/actions")
        )
        sources = {str(e["value"]) for e in sources_list}
        actions = {str(e["value"]) for e in actions_list}
        used_sources = {c["source"] for r in rules for c in r.body["conditions"]} & sources
        used_actions = {a["action"] for r in rules for a in r.body["actions"]} & actions
        operators, condition_values, action_values = await asyncio.gather(
            self._catalog(f"{base}/conditions/{{}}/operators", used_sources),
            self._catalog(f"{base}/conditions/{{}}/values", used_sources),
            self._catalog(f"{base}/actions/{{}}/values", used_actions),
        )
        catalog = AppCatalog(self.scope_label(scope), sources, actions, operators, condition_values, action_values)
        return [problem for rule in rules for problem in catalog.problems(rule)]

    async def list_scopes(self) -> dict[str, str]:
        """Every app of the tenant (paged `GET /api/2/apps`), by id."""
        return {f"{SCOPE_PREFIX}{app}": name for app, name in (await self.catalogues.apps()).items()}

    async def scope_title(self, scope: str) -> str:
        app = await self.client.read_json(f"/api/2/apps/{app_id(scope)}", answers.app)
        return str(app.get("name") or "")

    def _rules_path(self, scope: str) -> str:
        return f"/api/2/apps/{app_id(scope)}/rules"

    async def fetch(self, scope: str) -> list[LiveRule]:
        path = self._rules_path(scope)
        import asyncio

        enabled, disabled = await asyncio.gather(
            self.client.read_json(path, answers.live_rules, params={"enabled": "true"}, may_wait=True),
            self.client.read_json(path, answers.live_rules, params={"enabled": "false"}, may_wait=True),
        )
        by_id = {rule["id"]: rule for rule in [*enabled, *disabled]}
        ordered = sorted(by_id.values(), key=lambda r: (r.get("position") is None, r.get("position") or 0, r["id"]))
        return [
            LiveRule(identity=str(rule["name"]), body=rule, ref={"id": rule["id"], "position": rule.get("position")})
            for rule in ordered
        ]

    async def create(self, scope: str, body: dict[str, Any], position: int | None = None) -> dict[str, Any]:
        """POST at `position` (null: last). POST is not idempotent: after an answer is lost, look for the
        rule before creating it again."""
        refuse_unresolved(body, "POST", self._rules_path(scope))
        from reconciler.http.retry import AmbiguousWriteError

        lost: AmbiguousWriteError | None = None
        for _ in range(CREATE_ROUNDS):
            try:
                response = await self.client.request(
                    "POST", self._rules_path(scope), json={**body, "position": position}, idempotent=False
                )
            except AmbiguousWriteError as exc:
                lost = exc
            else:
                return {"id": self.client.answer(response, "POST", self._rules_path(scope), answers.created_id)}
            adopted = await self._created_after_lost_answer(scope, body)
            if adopted is not None:
                return adopted
        assert lost is not None
        raise lost

    async def _created_after_lost_answer(self, scope: str, body: dict[str, Any]) -> dict[str, Any] | None:
        """The ref of the rule a lost create made, or None when it made none.

        The plan creates a rule only when no rule of that name was live, so a rule of that name and
        body now is ours. One of that name with another body is someone else's: never add a second.
        """
        wanted = self.normalize(body)
        for rule in await self.fetch(scope):
            if rule.identity != self.identity(body):
                continue
            if self.normalize(rule.body) == wanted:
                return {"id": rule.ref["id"]}
            raise ApiError(
                f"a rule named {rule.identity!r} with other content appeared while the create's answer was lost; "
                "not creating a second one (the next plan shows the difference)",
                method="POST",
                path=self._rules_path(scope),
            )
        return None

    async def update(self, scope: str, ref: dict[str, Any], body: dict[str, Any]) -> None:
        # PUT replaces the rule: sending its current position keeps it where it is. The id goes in the
        # path only: OneLogin refuses a body that carries one (422 "Field is not allowed").
        refuse_unresolved(body, "PUT", self._rules_path(scope))
        sent = {key: value for key, value in body.items() if key != "id"}
        await self.client.request(
            "PUT", f"{self._rules_path(scope)}/{ref['id']}", json={**sent, "position": ref.get("position")}
        )

    async def delete(self, scope: str, ref: dict[str, Any], body: dict[str, Any]) -> None:
        await self.client.request("DELETE", f"{self._rules_path(scope)}/{ref['id']}")

    async def reorder(self, scope: str, refs: list[dict[str, Any]]) -> None:
        # `refs` is the app's whole new order (enabled, disabled and unmanaged rules): OneLogin refuses a
        # sort that leaves any rule out (422 "Sorting list must contain all mapping IDs").
        await self.client.request("PUT", f"{self._rules_path(scope)}/sort", json=[r["id"] for r in refs])
