"""How an emulator declares its routes, so the server can wrap each with auth, faults and counters."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from reconciler.sandbox.common import SandboxError

Handler = Callable[[Request, Any], Awaitable[Response]]
ErrorRenderer = Callable[[SandboxError], Response]


@dataclass(frozen=True)
class Endpoint:
    method: str
    template: str  # path under the tenant prefix, Starlette syntax: /rules/{name}
    handler: Handler
    is_write: bool = False
    needs_auth: bool = True
    errors: ErrorRenderer | None = None  # an endpoint whose errors differ from the provider's (OneLogin tokens)


def check_bearer_key(request: Request, api_key: str) -> None:
    """`Authorization: Bearer <api_key>` or the vendor's 401 (Primo and ViziVault word it alike)."""
    scheme, _, key = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or key.strip() != api_key:
        raise SandboxError(401, "Unauthorized")


async def read_json(request: Request, message: str = "Request body is not valid JSON") -> Any:
    """The parsed body, or the vendor's 400 with `message` (each API words it its own way)."""
    body = await request.body()
    try:
        return json.loads(body) if body else None
    except ValueError:
        raise SandboxError(400, message) from None
