"""Fingerprints of what a plan is made from: manifest files as read, and each scope's live rules.

Kept apart from the plan file format so the loader can fingerprint files as it reads them without
loading the planner.
"""

from __future__ import annotations

import hashlib
import json

from reconciler.engine.model import LiveScope, LiveSummary


def content_digest(data: bytes) -> str:
    """A file's fingerprint, from the bytes the loader read (so no file is read twice)."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def live_digest(scope: LiveScope) -> str:
    """Every field of every live rule, in the API's order: any edit, reorder or new rule changes it."""
    rules = [
        {"identity": r.identity, "body": r.body, "ref": r.ref, "tombstone": r.tombstone, "modified": r.modified}
        for r in scope.rules
    ]
    text = json.dumps(rules, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def live_fingerprint(state: LiveScope | LiveSummary) -> str:
    """The fingerprint of a scope's live rules, whether they are still held or were let go after planning
    (then taken before, see `runner.flows.read_and_plan`)."""
    if isinstance(state, LiveScope):
        return live_digest(state)
    if state.digest is None:
        raise ValueError(f"the live rules of {state.ref} were let go without their fingerprint")
    return state.digest
