"""Emulators of the three vendor APIs, served over loopback HTTP.

Kept apart from the product: nothing here imports the reconciler, and the reconciler imports this
package only for the `sandbox` and `demo` commands.
"""

from reconciler.sandbox.common import FAULT_KINDS, FaultConfig, RequestStats, SandboxError
from reconciler.sandbox.onelogin import OneLoginTenant
from reconciler.sandbox.primo import PrimoTenant
from reconciler.sandbox.server import SandboxServer
from reconciler.sandbox.state import SandboxState
from reconciler.sandbox.vizivault import ViziVaultTenant

__all__ = [
    "FAULT_KINDS",
    "FaultConfig",
    "OneLoginTenant",
    "PrimoTenant",
    "RequestStats",
    "SandboxError",
    "SandboxServer",
    "SandboxState",
    "ViziVaultTenant",
]
