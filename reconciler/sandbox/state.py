"""Every tenant of every emulated provider, behind one lock, with a JSON form for persistence."""

from __future__ import annotations

import json
import os
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, overload

from reconciler.sandbox.common import PROVIDERS
from reconciler.sandbox.onelogin_tenant import OneLoginTenant
from reconciler.sandbox.primo import PrimoTenant
from reconciler.sandbox.vizivault import ViziVaultTenant

Tenant = PrimoTenant | ViziVaultTenant | OneLoginTenant
TENANT_CLASSES: dict[str, type[PrimoTenant] | type[ViziVaultTenant] | type[OneLoginTenant]] = dict(
    zip(PROVIDERS, (PrimoTenant, ViziVaultTenant, OneLoginTenant), strict=True)
)


class SandboxState:
    """All tenants. Thread-safe: the server thread and test threads both read and mutate it."""

    def __init__(self) -> None:
        # One re-entrant lock for every tenant: writes may nest (a write calls the persistence hook).
        self.lock = threading.RLock()
        self._tenants: dict[tuple[str, str], Tenant] = {}
        # Run (lock held) after every successful write from HTTP or Python; the server saves --state here.
        self.on_write: Callable[[], None] | None = None

    @overload
    def tenant(self, provider: Literal["primo"], name: str) -> PrimoTenant: ...
    @overload
    def tenant(self, provider: Literal["vizivault"], name: str) -> ViziVaultTenant: ...
    @overload
    def tenant(self, provider: Literal["onelogin"], name: str) -> OneLoginTenant: ...
    @overload
    def tenant(self, provider: str, name: str) -> Any: ...

    def tenant(self, provider: str, name: str) -> Any:
        """The tenant, created (with default credentials) on first use."""
        if provider not in TENANT_CLASSES:
            raise ValueError(f"unknown provider {provider!r}; one of {', '.join(TENANT_CLASSES)}")
        if not name or "/" in name:
            raise ValueError(f"tenant name {name!r} must be non-empty and hold no '/' (it is a URL segment)")
        with self.lock:
            key = (provider, name)
            if key not in self._tenants:
                self._tenants[key] = TENANT_CLASSES[provider](name, self.lock, self._written)
                self._written()
            return self._tenants[key]

    def find(self, provider: str, name: str) -> Tenant | None:
        """The tenant if it exists: HTTP requests never create tenants (unknown tenant: 404)."""
        with self.lock:
            return self._tenants.get((provider, name))

    def tenants(self) -> list[Tenant]:
        with self.lock:
            return list(self._tenants.values())

    def _written(self) -> None:
        if self.on_write is not None:
            self.on_write()

    # ---- persistence ------------------------------------------------------------------------------
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
        path = Path(path)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)  # no fsync: atomic for readers is what matters here, not crash-durable
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    @classmethod
    def load(cls, path: Path) -> SandboxState:
        return cls.from_json(json.loads(Path(path).read_text(encoding="utf-8")))
