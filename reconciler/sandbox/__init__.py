"""Emulators of the three vendor rule APIs, served over loopback HTTP on one port.

Layout: `/{provider}/{tenant}/<the vendor's own paths>` with provider in primo, vizivault, onelogin;
admin routes under `/_sandbox/` (stats, faults). Kept apart from the product: nothing here imports
the rest of `reconciler`; the product imports only the names below.

Choices a client author should know (each kept in one named place in its module):
- Primo: `GET /compliance/alert-rules` pages like Primo's other lists (an assumption);
  totalPages is 0 when there are no rules; errors are `{"message", "statusCode"}`, 401 `{"message"}`.
- ViziVault: rule names must be unique across keys (GET/DELETE address rules by name); a rule
  posted without executionOrder is stored with 1; unknown top-level fields are not stored.
- OneLogin: a list without `enabled` answers enabled rules only; an action's `value` is always
  answered as a list (absent: `[]`); rule ids are unique per tenant; the token endpoint is not
  counted as a write and is not rate-limited; without `faults.rate_limit` the budget is large.
- Faults: "drop" happens after the request was handled (a valid write took effect); "lost_write"
  (only when asked for) answers a write as usual and stores nothing.
"""

import importlib
from typing import Any

# name -> the module defining it. Names load on first use, so that `reconciler sandbox --help` (and
# the command list of `reconciler --help`) needs no web stack: starlette and uvicorn are an extra,
# `pip install 'reconciler[sandbox]'`.
_EXPORTS = {
    "FAULT_KINDS": "common",
    "App": "onelogin_tenant",
    "FaultConfig": "common",
    "OneLoginTenant": "onelogin_tenant",
    "PrimoTenant": "primo",
    "RequestStats": "common",
    "SandboxError": "common",
    "SandboxServer": "server",
    "SandboxState": "state",
    "Tenant": "state",
    "ViziVaultTenant": "vizivault",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
