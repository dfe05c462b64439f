"""Emulator of Primo's compliance alert rules (`POST /compliance/alert-rules`, upsert per type).

The list endpoint is an assumption shared with the client (api-notes §1): `GET
/compliance/alert-rules`, paged like Primo's other lists, items carrying their `type`.
"""

from __future__ import annotations

import threading
import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from reconciler.sandbox.common import SandboxError, utc_now
from reconciler.sandbox.endpoints import Endpoint, read_json

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


class PrimoTenant:
    provider = "primo"

    def __init__(self, name: str, lock: threading.RLock, api_key: str | None = None) -> None:
        self.name = name
        self.lock = lock
        self.api_key = api_key or f"primo-{name}-key"
        self.rules: dict[str, dict[str, Any]] = {}

    def upsert_rule(self, type: str, non_compliant_status: list[str]) -> dict[str, Any]:
        return self.upsert({"type": type, "nonCompliantStatus": non_compliant_status})

    def upsert(self, body: Any) -> dict[str, Any]:
        """The write path shared by HTTP and Python callers: validate, then store."""
        rule_type, statuses = validate(body)
        with self.lock:
            now = utc_now()
            current = self.rules.get(rule_type)
            rule = {
                "id": current["id"] if current else str(uuid.uuid4()),
                "type": rule_type,
                "nonCompliantStatus": list(dict.fromkeys(statuses)),
                "config": {},
                "createdAt": current["createdAt"] if current else now,
                "updatedAt": now,
            }
            self.rules[rule_type] = rule
            return dict(rule)

    def to_json(self) -> dict[str, Any]:
        return {"api_key": self.api_key, "rules": self.rules}

    def load_json(self, data: dict[str, Any]) -> None:
        self.api_key = data.get("api_key", self.api_key)
        self.rules = dict(data.get("rules", {}))


def validate(body: Any) -> tuple[str, list[str]]:
    if not isinstance(body, dict):
        raise SandboxError(400, "Request body must be a JSON object")
    rule_type = body.get("type")
    if rule_type is None:
        raise SandboxError(400, "type is required")
    if rule_type not in TYPES:
        raise SandboxError(400, f"type must be one of the compliance rule types, got {rule_type!r}")
    statuses = body.get("nonCompliantStatus")
    if statuses is None:
        raise SandboxError(400, "nonCompliantStatus is required")
    if not isinstance(statuses, list):
        raise SandboxError(400, "nonCompliantStatus must be an array")
    for status in statuses:
        if status not in STATUSES:
            raise SandboxError(400, f"nonCompliantStatus contains an invalid status: {status!r}")
        if status in COMPLIANT_STATUSES:
            raise SandboxError(400, f"nonCompliantStatus cannot contain the compliant status {status}")
    return rule_type, statuses


def error_response(error: SandboxError, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse({"message": error.message, "statusCode": error.status}, error.status, headers=headers)


def authenticate(request: Request, tenant: PrimoTenant) -> None:
    if request.headers.get("authorization", "") != f"Bearer {tenant.api_key}":
        raise SandboxError(401, "Unauthorized")


async def post_rule(request: Request, tenant: PrimoTenant) -> Response:
    rule = tenant.upsert(await read_json(request))
    return JSONResponse({"rule": {k: v for k, v in rule.items() if k != "type"}})


def _positive_int(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SandboxError(400, f"{name} must be an integer") from None
    if value < 1:
        raise SandboxError(400, f"{name} must be at least 1")
    return value


async def list_rules(request: Request, tenant: PrimoTenant) -> Response:
    page = _positive_int(request, "page", 1)
    per_page = _positive_int(request, "perPage", DEFAULT_PER_PAGE)
    if per_page > MAX_PER_PAGE:
        raise SandboxError(400, f"perPage must be at most {MAX_PER_PAGE}")
    with tenant.lock:
        rules = [dict(tenant.rules[t]) for t in sorted(tenant.rules)]
    total = len(rules)
    start = (page - 1) * per_page
    return JSONResponse(
        {
            "data": rules[start : start + per_page],
            "pagination": {
                "totalElements": total,
                "totalPages": max(1, -(-total // per_page)),
                "page": page,
                "perPage": per_page,
            },
        }
    )


ENDPOINTS = [
    Endpoint("POST", "/compliance/alert-rules", post_rule, is_write=True),
    Endpoint("GET", "/compliance/alert-rules", list_rules),
]
