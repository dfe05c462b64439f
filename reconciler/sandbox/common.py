"""What every emulated API shares: fault injection, request counters, vendor errors, clocks."""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from reconciler.sandbox.server import SandboxServer

# Faults injected by default: transient failures a client must retry or reconcile.
PROVIDERS = ("primo", "vizivault", "onelogin")
# What `demo` and `sandbox` need beyond the product: the extra `reconciler[sandbox]`.
WEB_STACK = ("starlette", "uvicorn", "httptools")
INSTALL_WEB_STACK = "pip install 'reconciler[sandbox]'"


def web_stack_missing(command: str, error: ModuleNotFoundError) -> str | None:
    """The one line to show when `command` cannot import the web stack, or None for another missing module."""
    if (error.name or "").split(".")[0] not in WEB_STACK:
        return None
    return f"`reconciler {command}` needs the sandbox's web stack ({error.name} is not installed): {INSTALL_WEB_STACK}"


def server_class(command: str) -> type[SandboxServer]:
    """The sandbox's server, imported only now (`demo` and `sandbox` alone load the web stack); without
    the extra, a one-line error that says what to install."""
    import click

    try:
        from reconciler.sandbox.server import SandboxServer
    except ModuleNotFoundError as exc:
        message = web_stack_missing(command, exc)
        if message is None:
            raise
        raise click.ClickException(message) from None
    return SandboxServer


FAULT_KINDS = ("500", "429", "drop", "502_after_write")
# Also known, only when asked for: a write answered with success that the API did not store (a buggy or
# eventually consistent API, or a concurrent writer undoing it), which only reading back can catch.
KNOWN_FAULT_KINDS = (*FAULT_KINDS, "lost_write")
WRITE_ONLY_FAULTS = ("502_after_write", "lost_write")


class SandboxError(Exception):
    """A vendor error answer: each provider renders it in its own documented body shape."""

    def __init__(
        self,
        status: int,
        message: str,
        details: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = details or []  # OneLogin's 422 `errors` list
        self.headers = headers or {}


def message_error(messages: Mapping[str, str], message_id: str, status: int = 400, /, **values: Any) -> SandboxError:
    """The error whose text is `messages[message_id]` filled with `values` (each API keeps its own table)."""
    return SandboxError(status, messages[message_id].format(**values))


class TenantBase:
    """What every provider's tenant has: a name, the state's shared lock, and a hook run after each write.

    The hook is how the server persists `--state` after every write, whether it came over HTTP or from
    Python (tests and the demo seed tenants directly, through the same write methods).
    """

    provider: ClassVar[str]

    def __init__(self, name: str, lock: threading.RLock, on_write: Callable[[], None] | None = None) -> None:
        self.name = name
        self.lock = lock
        self._on_write = on_write

    def written(self) -> None:
        """Call with the lock held, after a successful mutation."""
        if self._on_write is not None:
            self._on_write()


def utc_now() -> str:
    """Timestamps as the references print them: second precision, `Z` suffix."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _optional_int(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or int(value) != value:
        raise ValueError(f"expected an integer or null, got {value!r}")
    return int(value)


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"expected a number, got {value!r}")
    return float(value)


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, got {value!r}")
    return value


def _kinds(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [k for k in value.split(",") if k]
    if not isinstance(value, list | tuple) or not all(isinstance(k, str) for k in value):
        raise ValueError(f"expected a list of fault kinds, got {value!r}")
    unknown = sorted(set(value) - set(KNOWN_FAULT_KINDS))
    if unknown:
        raise ValueError(f"unknown fault kinds: {', '.join(unknown)} (known: {', '.join(KNOWN_FAULT_KINDS)})")
    return tuple(value)


# How each public setting is checked when it arrives as JSON (`POST /_sandbox/faults`) or from the CLI.
_SETTINGS: dict[str, Callable[[Any], Any]] = {
    "latency_ms": _number,
    "fault_rate": _number,
    "fault_kinds": _kinds,
    "writes_only": _flag,
    "seed": _optional_int,
    "retry_after_s": _number,
    "rate_limit": _optional_int,
    "rate_limit_window_s": _number,
}


@dataclass
class FaultConfig:
    """Failures and slowness to inject; mutable while the server runs (tests and benchmarks tune it).

    Setting `seed` (in the constructor, by assignment or through `update`) restarts the seeded random
    stream, so a run with the same seed and the same requests injects the same faults.
    """

    latency_ms: float = 0.0
    fault_rate: float = 0.0
    fault_kinds: tuple[str, ...] = FAULT_KINDS
    writes_only: bool = False  # fault only requests that change rules (reads and tokens always succeed)
    seed: int | None = None
    retry_after_s: float = 1.0
    rate_limit: int | None = None  # OneLogin requests per window and tenant; None = a large default budget
    rate_limit_window_s: float = 60.0
    _rng: random.Random = field(default_factory=random.Random, init=False, repr=False, compare=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.fault_kinds = _kinds(self.fault_kinds)
        self._check()
        self.reseed(self.seed)

    def __setattr__(self, name: str, value: Any) -> None:
        super().__setattr__(name, value)
        if name == "seed" and "_lock" in self.__dict__:
            self.reseed(value)

    def reseed(self, seed: int | None) -> None:
        with self._lock:
            self.__dict__["seed"] = seed
            self._rng = random.Random(seed)

    def pick(self, is_write: bool) -> str | None:
        """The fault to inject into this request, if any (repeatable for a given seed)."""
        with self._lock:
            if self.fault_rate <= 0 or (self.writes_only and not is_write) or self._rng.random() >= self.fault_rate:
                return None
            kinds = [k for k in self.fault_kinds if is_write or k not in WRITE_ONLY_FAULTS]
            return self._rng.choice(kinds) if kinds else None

    def update(self, values: dict[str, Any]) -> None:
        """Set several settings at once, checked first so a bad value changes nothing."""
        if not isinstance(values, dict):
            raise ValueError("expected a JSON object of fault settings")
        unknown = sorted(set(values) - set(_SETTINGS))
        if unknown:
            raise ValueError(f"unknown fault settings: {', '.join(unknown)} (known: {', '.join(_SETTINGS)})")
        checked = {name: _SETTINGS[name](value) for name, value in values.items()}
        previous = {name: getattr(self, name) for name in checked}
        for name, value in checked.items():
            if name != "seed":
                setattr(self, name, value)
        try:
            self._check()
        except ValueError:
            for name, value in previous.items():
                if name != "seed":
                    setattr(self, name, value)
            raise
        if "seed" in checked:
            self.reseed(checked["seed"])

    def _check(self) -> None:
        if not 0 <= self.fault_rate <= 1:
            raise ValueError("fault_rate must be between 0 and 1")
        if self.latency_ms < 0 or self.retry_after_s < 0:
            raise ValueError("latency_ms and retry_after_s must not be negative")
        if self.rate_limit is not None and self.rate_limit < 0:
            raise ValueError("rate_limit must not be negative")
        if self.rate_limit_window_s <= 0:
            raise ValueError("rate_limit_window_s must be positive")

    def to_json(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in fields(self) if not f.name.startswith("_")}
        out["fault_kinds"] = list(self.fault_kinds)
        return out


class RequestStats:
    """Counters of what clients sent, by route template (`GET onelogin /api/2/apps/{app_id}/rules`)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.total = 0
        self.reads = 0
        self.writes = 0
        self.faults_injected = 0
        self.by_route: dict[str, int] = Counter()

    def reset(self) -> None:
        with self._lock:
            self.total = self.reads = self.writes = self.faults_injected = 0
            self.by_route = Counter()

    def count(self, route: str, is_write: bool) -> None:
        with self._lock:
            self.total += 1
            self.by_route[route] = self.by_route.get(route, 0) + 1
            if is_write:
                self.writes += 1
            else:
                self.reads += 1

    def count_fault(self) -> None:
        with self._lock:
            self.faults_injected += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "total": self.total,
                "reads": self.reads,
                "writes": self.writes,
                "faults_injected": self.faults_injected,
                "by_route": dict(self.by_route),
            }
