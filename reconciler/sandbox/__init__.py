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

from reconciler.sandbox.common import FAULT_KINDS, KNOWN_FAULT_KINDS, FaultConfig, RequestStats, SandboxError
from reconciler.sandbox.onelogin_tenant import App, OneLoginTenant
from reconciler.sandbox.primo import PrimoTenant
from reconciler.sandbox.server import SandboxServer
from reconciler.sandbox.state import SandboxState, Tenant
from reconciler.sandbox.vizivault import ViziVaultTenant

__all__ = [
    "FAULT_KINDS",
    "KNOWN_FAULT_KINDS",
    "App",
    "FaultConfig",
    "OneLoginTenant",
    "PrimoTenant",
    "RequestStats",
    "SandboxError",
    "SandboxServer",
    "SandboxState",
    "Tenant",
    "ViziVaultTenant",
]
