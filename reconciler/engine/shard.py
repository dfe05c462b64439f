"""Which scopes a run covers: `--shard I/N` splits a project's scopes across N jobs.

A scope goes to the shard its stable hash names, so every scope lands in exactly one shard, the same
one on every machine and in every run, and adding a scope never moves the others. A OneLogin app is a
scope of its own, so one large OneLogin tenant spreads across jobs too.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from reconciler.engine.model import ScopeRef
from reconciler.errors import ReconcilerError

SHARD_PATTERN = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


def stable_hash(text: str) -> int:
    """The same number for the same text on every machine (Python's hash() is salted per process)."""
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")


@dataclass(frozen=True)
class Shard:
    """Shard `index` (1-based) of `count`."""

    index: int
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        match = SHARD_PATTERN.match(text)
        if not match:
            raise ReconcilerError(f"--shard {text!r}: expected I/N, e.g. 1/4")
        index, count = int(match[1]), int(match[2])
        if count < 1 or not 1 <= index <= count:
            raise ReconcilerError(f"--shard {text!r}: I must be between 1 and N, and N at least 1")
        return cls(index, count)

    def holds(self, key: str) -> bool:
        return stable_hash(key) % self.count == self.index - 1

    def holds_scope(self, ref: ScopeRef) -> bool:
        return self.holds(str(ref))

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def matrix(target_names: list[str], shards: int | None = None) -> dict[str, list[dict[str, str]]]:
    """A GitHub Actions matrix: one job per target, or with `shards`, one job per shard of the project."""
    if shards is None:
        return {"include": [{"target": name} for name in target_names]}
    return {"include": [{"shard": str(Shard(index, shards))} for index in range(1, shards + 1)]}
