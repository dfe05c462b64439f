"""Every tenant of every emulated provider, behind one lock, with a JSON form for persistence."""

from __future__ import annotations

import json
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

from reconciler.sandbox.onelogin import OneLoginTenant
from reconciler.sandbox.primo import PrimoTenant
from reconciler.sandbox.vizivault import ViziVaultTenant

Tenant = PrimoTenant | ViziVaultTenant | OneLoginTenant
TENANT_CLASSES: dict[str, type[PrimoTenant] | type[ViziVaultTenant] | type[OneLoginTenant]] = {
    "primo": PrimoTenant,
    "vizivault": ViziVaultTenant,
    "onelogin": OneLoginTenant,
}


class SandboxState:
    def __init__(self) -> None:
        # One re-entrant lock for all tenants: the server thread and test threads both mutate state.
        self.lock = threading.RLock()
        self._tenants: dict[tuple[str, str], Tenant] = {}

    def tenant(self, provider: str, name: str) -> Any:
        """The tenant, created (with default credentials) on first use."""
        if provider not in TENANT_CLASSES:
            raise ValueError(f"unknown provider {provider!r}; one of {', '.join(TENANT_CLASSES)}")
        with self.lock:
            key = (provider, name)
            if key not in self._tenants:
                self._tenants[key] = TENANT_CLASSES[provider](name, self.lock)
            return self._tenants[key]

    def find(self, provider: str, name: str) -> Tenant | None:
        with self.lock:
            return self._tenants.get((provider, name))

    def tenants(self) -> list[Tenant]:
        with self.lock:
            return list(self._tenants.values())

    def to_json(self) -> dict[str, Any]:
        with self.lock:
            out: dict[str, Any] = {provider: {} for provider in TENANT_CLASSES}
            for (provider, name), tenant in self._tenants.items():
                out[provider][name] = tenant.to_json()
            return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SandboxState:
        state = cls()
        for provider, tenants in data.items():
            for name, tenant_data in tenants.items():
                state.tenant(provider, name).load_json(tenant_data)
        return state

    def save(self, path: Path) -> None:
        """Atomic: a reader never sees half a file, and a crash leaves the previous state."""
        text = json.dumps(self.to_json(), indent=1)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path) -> SandboxState:
        return cls.from_json(json.loads(path.read_text(encoding="utf-8")))
