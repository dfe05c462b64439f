"""Emulator of Primo's compliance alert rules (`POST /compliance/alert-rules`, upsert per type).

The list endpoint is an assumption shared with the client (see the Primo provider): `GET
/compliance/alert-rules`, paged like Primo's other lists, items carrying their `type`. Primo's
error bodies are undocumented: `{"message", "statusCode"}` (401: `{"message"}`) and the wording
of the 400 messages below are ours.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable
from functools import partial
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from reconciler.sandbox.common import SandboxError, TenantBase, message_error, utc_now
from reconciler.sandbox.endpoints import Endpoint, check_bearer_key, read_json

TYPES = frozenset(
    {
        "MDM_CONTROL_MALWAREBYTES",
        "MDM_CONTROL_RECOVERY_OS",
        "MDM_CONTROL_ENCRYPTION",
        "MDM_CONTROL_OS_UPDATE",
        "MDM_CONTROL_SOFTWARE_UPDATE",
        "MDM_CONTROL_WIFI",
        "MDM_CONTROL_ADMIN_USER_MANAGEMENT",
        "MDM_CONTROL_ADMIN_USER_PASSWORD_ROTATION",
        "MDM_CONTROL_DEVICE_NAMING",
        "MDM_CONTROL_GOOGLE_CHROME",
        "MDM_CONTROL_FIREWALL",
        "MDM_CONTROL_USB_BLOCKING",
        "MDM_CONTROL_ENTRA_SSO",
        "MDM_CONTROL_OKTA_SSO",
        "MDM_CONTROL_CUSTOM_FILE",
        "MDM_CONTROL_PASSWORD_POLICY",
        "MDM_CONTROL_SENTINEL_ONE",
        "MDM_CONTROL_RUSTDESK",
        "MDM_CONTROL_APP_BLOCKING",
        "MDM_CONTROL_DISABLE_PROFILES_PANE",
        "MDM_CONTROL_DISABLE_AIRDROP",
        "MDM_CONTROL_SCREEN_CAPTURE",
        "MDM_CONTROL_AIR_PRINT",
        "MDM_ENROLLMENT",
        "MDM_ONLINE",
        "MDM_ICLOUD_LOCK_STATUS",
        "PRIMO_REQUIREMENT",
    }
)
STATUSES = frozenset(
    {
        "ACTIVE",
        "NOT_PROTECTED",
        "OFFLINE_7_DAYS",
        "PENDING",
        "PROTECTED",
        "FAILED",
        "NOT_ENCRYPTED",
        "MISSING_RECOVERY_KEY",
        "ENCRYPTED",
        "ACTION_REQUIRED",
        "GRACE_PERIOD",
        "UP_TO_DATE",
        "NOT_UP_TO_DATE",
        "ENFORCED",
        "ERROR",
        "CREATION_PENDING",
        "DEMOTION_PENDING",
        "CREATED",
        "CREATION_FAILED",
        "SUCCESS",
        "INSTALLED",
        "MDM_ON",
        "MDM_OFF",
        "MDM_ON_IN_ANOTHER_MDM",
        "READY_ZTD",
        "MISSING_AGENT",
        "ONLINE",
        "OFFLINE",
        "ENABLED",
        "DISABLED",
        "MISSING_BYPASS_CODE",
        "MEETS_REQUIREMENTS",
        "BELOW_MINIMUM_VERSION",
        "UNSUPPORTED_OS_EDITION",
    }
)
# Assumption: the reference names SUCCESS, ONLINE, ENCRYPTED, UP_TO_DATE "etc."; the rest by meaning.
COMPLIANT_STATUSES = frozenset(
    {
        "SUCCESS",
        "ONLINE",
        "ENCRYPTED",
        "UP_TO_DATE",
        "PROTECTED",
        "ENFORCED",
        "INSTALLED",
        "MDM_ON",
        "CREATED",
        "MEETS_REQUIREMENTS",
    }
)
MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 50

# Ours: Primo documents no error messages, so these are worded plainly, naming the field at fault.
MESSAGES = {
    "json": "Request body is not valid JSON",
    "body": "Request body must be a JSON object",
    "type_required": "type is required",
    "type_enum": "type must be one of the compliance rule types, got {value}",
    "status_required": "nonCompliantStatus is required",
    "status_array": "nonCompliantStatus must be an array",
    "status_enum": "each value in nonCompliantStatus must be a device status, got {value}",
    "compliant": "nonCompliantStatus must not contain compliant statuses: {values}",
    "page": "{name} must be an integer",
    "page_min": "{name} must not be less than 1",
    "per_page_max": "perPage must not be greater than {maximum}",
}


fail = partial(message_error, MESSAGES)


class PrimoTenant(TenantBase):
    provider = "primo"

    def __init__(
        self,
        name: str,
        lock: threading.RLock,
        on_write: Callable[[], None] | None = None,
        *,
        api_key: str | None = None,
    ) -> None:
        super().__init__(name, lock, on_write)
        self.api_key = api_key or f"primo-{name}-key"
        self.rules: dict[str, dict[str, Any]] = {}  # by type: one rule per (company, type)

    def upsert_rule(self, type: str, non_compliant_status: list[str]) -> dict[str, Any]:
        """Python's way to seed a rule: the same path as `POST /compliance/alert-rules`."""
        return self.upsert({"type": type, "nonCompliantStatus": non_compliant_status})

    def upsert(self, body: Any) -> dict[str, Any]:
        """The write path shared by HTTP and Python callers: validate, then store (id and createdAt kept)."""
        rule_type, statuses = validate(body)
        with self.lock:
            now = utc_now()
            current = self.rules.get(rule_type)
            rule = {
                "id": current["id"] if current else str(uuid.uuid4()),
                "type": rule_type,
                "nonCompliantStatus": list(dict.fromkeys(statuses)),  # stored de-duplicated, order kept
                "config": {},
                "createdAt": current["createdAt"] if current else now,
                "updatedAt": now,
            }
            self.rules[rule_type] = rule
            self.written()
            return dict(rule)

    def to_json(self) -> dict[str, Any]:
        with self.lock:
            return {"api_key": self.api_key, "rules": json.loads(json.dumps(self.rules))}

    def load_json(self, data: dict[str, Any]) -> None:
        with self.lock:
            self.api_key = data.get("api_key", self.api_key)
            self.rules = dict(data.get("rules", {}))


def _quoted(value: Any) -> str:
    return json.dumps(value)


def validate(body: Any) -> tuple[str, list[str]]:
    """The body's (type, statuses), or the first problem as a 400."""
    if not isinstance(body, dict):
        raise fail("body")
    rule_type = body.get("type")
    if rule_type is None:
        raise fail("type_required")
    if rule_type not in TYPES:
        raise fail("type_enum", value=_quoted(rule_type))
    statuses = body.get("nonCompliantStatus")
    if statuses is None:
        raise fail("status_required")
    if not isinstance(statuses, list):
        raise fail("status_array")
    for status in statuses:
        if not isinstance(status, str) or status not in STATUSES:
            raise fail("status_enum", value=_quoted(status))
    compliant = [s for s in dict.fromkeys(statuses) if s in COMPLIANT_STATUSES]
    if compliant:
        raise fail("compliant", values=", ".join(compliant))
    return rule_type, statuses


def error_response(error: SandboxError) -> Response:
    body: dict[str, Any] = {"message": error.message}
    if error.status != 401:  # the brief's 401 body is `{"message": "Unauthorized"}` alone
        body["statusCode"] = error.status
    return JSONResponse(body, error.status, headers=error.headers)


def authenticate(request: Request, tenant: PrimoTenant) -> None:
    check_bearer_key(request, tenant.api_key)


async def post_rule(request: Request, tenant: PrimoTenant) -> Response:
    rule = tenant.upsert(await read_json(request, MESSAGES["json"]))
    return JSONResponse({"rule": {k: v for k, v in rule.items() if k != "type"}})  # the reference omits `type`


def _int_param(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise fail("page", name=name) from None
    if value < 1:
        raise fail("page_min", name=name)
    return value


async def list_rules(request: Request, tenant: PrimoTenant) -> Response:
    page = _int_param(request, "page", 1)
    per_page = _int_param(request, "perPage", DEFAULT_PER_PAGE)
    if per_page > MAX_PER_PAGE:
        raise fail("per_page_max", maximum=MAX_PER_PAGE)
    with tenant.lock:
        rules = [dict(tenant.rules[t]) for t in sorted(tenant.rules)]  # ordered by type
    total = len(rules)
    start = (page - 1) * per_page
    return JSONResponse(
        {
            "data": rules[start : start + per_page],
            "pagination": {
                "totalElements": total,
                "totalPages": -(-total // per_page),
                "page": page,
                "perPage": per_page,
            },
        }
    )


ENDPOINTS = [
    Endpoint("POST", "/compliance/alert-rules", post_rule, is_write=True),
    Endpoint("GET", "/compliance/alert-rules", list_rules),
]
