"""Emulator of OneLogin's API v2 app rules: client-credentials tokens, paged apps, ordered rules
per app with an enabled filter, sort, per-app catalogs of conditions and actions, rate limits."""

from __future__ import annotations

import base64
import binascii
import copy
import fnmatch
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from reconciler.sandbox.common import SandboxError
from reconciler.sandbox.endpoints import Endpoint, read_json
from reconciler.sandbox.onelogin_catalog import (
    APPS_DEFAULT_LIMIT,
    APPS_MAX_LIMIT,
    ERROR_NAMES,
    FILTER_TYPES,
    catalog_entries,
    rendered_rule,
)
from reconciler.sandbox.onelogin_tenant import App, OneLoginTenant


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
        return JSONResponse([rendered_rule(r) for r in app.rules if keep(r)])


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
        return JSONResponse(catalog_entries(tenant.app(_app_id(request)).catalog["conditions"]))


async def list_operators(request: Request, tenant: OneLoginTenant) -> Response:
    with tenant.lock:
        return JSONResponse(copy.deepcopy(_catalog_entry(request, tenant, "conditions")["operators"]))


async def list_condition_values(request: Request, tenant: OneLoginTenant) -> Response:
    with tenant.lock:
        return JSONResponse(copy.deepcopy(_catalog_entry(request, tenant, "conditions").get("values") or []))


async def list_actions(request: Request, tenant: OneLoginTenant) -> Response:
    with tenant.lock:
        return JSONResponse(catalog_entries(tenant.app(_app_id(request)).catalog["actions"]))


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
