"""What every emulated API shares: fault injection, request counters, vendor errors, clocks."""

from __future__ import annotations

import random
import threading
from collections import Counter
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Any

FAULT_KINDS = ("500", "429", "drop", "502_after_write")


class SandboxError(Exception):
    """A vendor error answer: each provider renders it in its own documented body shape."""

    def __init__(self, status: int, message: str, details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = details or []


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class FaultConfig:
    """Failures and slowness to inject; mutable while the server runs (tests and benchmarks tune it)."""

    latency_ms: float = 0.0
    fault_rate: float = 0.0
    fault_kinds: tuple[str, ...] = FAULT_KINDS
    seed: int | None = None
    retry_after_s: float = 1.0
    rate_limit: int | None = None  # OneLogin requests per window; None = a large default budget
    rate_limit_window_s: float = 60.0
    _rng: random.Random = field(default_factory=random.Random, repr=False, compare=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.reseed(self.seed)

    def reseed(self, seed: int | None) -> None:
        self.seed = seed
        self._rng = random.Random(seed)

    def pick(self, is_write: bool) -> str | None:
        """The fault to inject into this request, if any (repeatable for a given seed)."""
        with self._lock:
            if self.fault_rate <= 0 or self._rng.random() >= self.fault_rate:
                return None
            kinds = [k for k in self.fault_kinds if is_write or k != "502_after_write"]
            return self._rng.choice(kinds) if kinds else None

    def update(self, values: dict[str, Any]) -> None:
        public = {f.name for f in fields(self) if not f.name.startswith("_")}
        unknown = set(values) - public
        if unknown:
            raise ValueError(f"unknown fault settings: {', '.join(sorted(unknown))}")
        for name, value in values.items():
            if name == "seed":
                self.reseed(value)
            elif name == "fault_kinds":
                bad = set(value) - set(FAULT_KINDS)
                if bad:
                    raise ValueError(f"unknown fault kinds: {', '.join(sorted(bad))}")
                self.fault_kinds = tuple(value)
            else:
                setattr(self, name, value)

    def to_json(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self) if not f.name.startswith("_")}


class RequestStats:
    """Counters of what clients sent, by route template (`GET onelogin /api/2/apps/{app_id}/rules`)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.total = 0
            self.reads = 0
            self.writes = 0
            self.faults_injected = 0
            self.by_route: Counter[str] = Counter()

    def count(self, route: str, is_write: bool) -> None:
        with self._lock:
            self.total += 1
            self.by_route[route] += 1
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
