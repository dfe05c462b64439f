"""Saved plans of the wrong shape for `apply FILE`: each is refused in one line, before any request.

(Plans of the right shape whose content was edited are refused after planning again: see
tests/integration/test_saved_plan_edits.py.)
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from reconciler.engine.plan import Action, Change, Plan, ScopePlan
from reconciler.engine.saved import Fingerprints, ReviewedPlan
from tests.corpus.harness import REFUSED, Case

PLAN_FILE = "plan.json"


def good_plan() -> dict[str, Any]:
    change = Change(Action.UPDATE, "MDM_ENROLLMENT", body={"type": "MDM_ENROLLMENT", "nonCompliantStatus": []})
    scope = ScopePlan("primo-test", "primo", "primo", "compliance alert rules", [change])
    fingerprints = Fingerprints({"reconciler.yaml": "sha256:0"}, {"primo-test/primo": "sha256:1"})
    return ReviewedPlan(Plan([scope]), ["primo-test"], fingerprints).to_json()


def _change(data: dict[str, Any]) -> dict[str, Any]:
    return data["scopes"][0]["changes"][0]


EDITS: list[tuple[str, Callable[[dict[str, Any]], Any], str]] = [
    ("fingerprints-list", lambda d: d.update(fingerprints=[]), "fingerprints must be an object"),
    ("fingerprints-null", lambda d: d.update(fingerprints=None), "fingerprints must be an object"),
    ("fingerprints-missing", lambda d: d.pop("fingerprints"), "a plan without fingerprints"),
    ("fingerprints-live-list", lambda d: d["fingerprints"].update(live=[]), "fingerprints.live must be an object"),
    ("fingerprints-live-null", lambda d: d["fingerprints"].update(live=None), "fingerprints.live must be an object"),
    (
        "fingerprints-live-number",
        lambda d: d["fingerprints"].update(live={"primo-test/primo": 1}),
        "fingerprints.live must be an object of texts",
    ),
    ("fingerprints-manifests-text", lambda d: d["fingerprints"].update(manifests="x"), "fingerprints.manifests"),
    ("action-unknown", lambda d: _change(d).update(action="explode"), "'explode' is not a valid Action"),
    ("action-missing", lambda d: _change(d).pop("action"), "not a plan file this version can read"),
    ("change-text", lambda d: d["scopes"][0].update(changes=["update"]), "not a plan file this version can read"),
    ("change-unknown-key", lambda d: _change(d).update(explode=1), "not a plan file this version can read"),
    ("fields-numbers", lambda d: _change(d).update(fields=[1]), "not a plan file this version can read"),
    ("scopes-null", lambda d: d.update(scopes=None), "not a plan file this version can read"),
    ("scopes-object", lambda d: d.update(scopes={"primo": {}}), "not a plan file this version can read"),
    ("scope-without-target", lambda d: d["scopes"][0].pop("target"), "not a plan file this version can read"),
    ("scope-of-other-target", lambda d: d.update(targets=["vault-test"]), "is of a target not in `targets`"),
    (
        "scope-twice",
        lambda d: d["scopes"].append(json.loads(json.dumps(d["scopes"][0]))),
        "scope primo-test/primo is in the plan more than once",
    ),
    ("targets-null", lambda d: d.update(targets=None), "targets must be a list of target names"),
    ("targets-text", lambda d: d.update(targets="primo-test"), "targets must be a list of target names"),
    ("targets-unknown", lambda d: d.update(targets=["primo-test", "nope"]), "unknown target 'nope'"),
    ("refusals-object", lambda d: d.update(refusals={"guard": "protect"}), "not a plan file this version can read"),
    ("refusal-empty", lambda d: d.update(refusals=[{}]), "not a plan file this version can read"),
    ("prune-text", lambda d: d.update(prune="yes"), "prune must be true, false or null"),
    ("shard-nonsense", lambda d: d.update(shard="3/2"), "3/2"),
    ("format-version-missing", lambda d: d.pop("format_version"), "format_version None is not 2"),
    ("format-version-text", lambda d: d.update(format_version="2"), "format_version '2' is not 2"),
]
WHOLE_FILES: list[tuple[str, bytes, str]] = [
    ("empty", b"", "not a plan file"),
    ("list", b"[]", "not a plan file (expected a JSON object)"),
    ("text", b'"plan"', "not a plan file (expected a JSON object)"),
    ("truncated", json.dumps(good_plan()).encode()[:200], "not a plan file"),
    ("latin-1", b'{"format_version": 2, "x": "caf\xe9"}', "not a plan file"),
    ("nan", json.dumps(good_plan()).replace('"sha256:1"', "NaN").encode(), "not a plan file: NaN is not JSON"),
    ("infinity-in-body", json.dumps(good_plan()).replace("[]", "[-Infinity]").encode(), "-Infinity is not JSON"),
]


def _edited(edit: Callable[[dict[str, Any]], Any]) -> bytes:
    data = good_plan()
    edit(data)
    return json.dumps(data).encode()


def plan_cases() -> list[Case]:
    command = ("apply", PLAN_FILE, "--auto-approve")
    files = [(name, _edited(edit), message) for name, edit, message in EDITS] + WHOLE_FILES
    return [
        Case(f"plan/{name}", "plan", REFUSED, message, {PLAN_FILE: content}, command=command)
        for name, content, message in files
    ]
