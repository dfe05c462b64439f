"""A large, deterministic estate: live state for the sandbox and manifests that match it.

The same seed always yields the same rules, so the bench can write the matching manifests, then
rewrite the ones its changes touch, and know exactly which writes an apply must make.
"""

from __future__ import annotations

import json
import random
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from reconciler.providers.primo import PRIMO_TYPES
from reconciler.sandbox import SandboxState

PRIMO_TARGET, VAULT_TARGET, ONELOGIN_TARGET = "bench-primo", "bench-vault", "bench-onelogin"
TARGETS = {PRIMO_TARGET: "primo", VAULT_TARGET: "vizivault", ONELOGIN_TARGET: "onelogin"}
FIRST_APP_ID = 700001
VAULT_RULES_PER_FILE = 200
ATTRIBUTES = ("NAME", "EMAIL", "PHONE", "SSN", "ADDRESS", "DOB", "CREDIT_CARD", "IP_ADDRESS")
PRIMO_STATUSES = ("PENDING", "FAILED", "NOT_PROTECTED", "OFFLINE_7_DAYS", "ERROR", "ACTION_REQUIRED")


@dataclass(frozen=True)
class Shape:
    apps: int = 1000
    rules_per_app: int = 10
    vault_rules: int = 2000
    change_share: float = 0.10
    seed: int = 7

    @property
    def rules(self) -> int:
        return self.apps * self.rules_per_app + self.vault_rules + len(PRIMO_TYPES)


@dataclass
class Estate:
    """Rules in manifest form, per scope; the planned changes and the writes an apply must make."""

    primo: list[dict[str, Any]]
    vault: list[dict[str, Any]]
    apps: dict[int, list[dict[str, Any]]]
    expected: dict[str, int] = field(default_factory=dict)


def onelogin_rule(app: int, index: int) -> dict[str, Any]:
    return {
        "name": f"Rule {index:02d} of app {app}",
        "match": "all" if index % 3 else "any",
        "enabled": index % 10 != 9,  # a disabled rule per app: it is only in the `enabled=false` list
        "conditions": [
            {"source": "last_login", "operator": ">", "value": str(30 + index)},
            {"source": "department", "operator": "=", "value": f"Dept {app % 97}"},
        ],
        "actions": [{"action": "set_groups", "value": [f"group-{app}-{index}"]}],
    }


def vault_rule(index: int) -> dict[str, Any]:
    rule: dict[str, Any] = {
        "key": f"rule{index:05d}",
        "name": f"Rule {index:05d}",
        "type": "data" if index % 2 else "activity",
        "constraint": {
            "type": "all",
            "constraints": [
                {"type": "attribute", "operator": "any", "attributes": [ATTRIBUTES[index % 8], "SSN"]},
                {"type": "geo", "operator": "any", "countries": ["FR", "DE", "IE"][: 1 + index % 3]},
            ],
        },
        "action": {"type": "alert", "alertLevel": "WARNING", "message": f"Rule {index} matched"},
    }
    if index % 4 == 0:
        rule["executionOrder"] = 1 + index % 7
    return rule


def primo_rule(index: int, rule_type: str) -> dict[str, Any]:
    return {"type": rule_type, "nonCompliantStatus": [PRIMO_STATUSES[index % 6], PRIMO_STATUSES[(index + 2) % 6]]}


def live_estate(shape: Shape) -> Estate:
    apps = {
        FIRST_APP_ID + a: [onelogin_rule(FIRST_APP_ID + a, i) for i in range(shape.rules_per_app)]
        for a in range(shape.apps)
    }
    return Estate(
        primo=[primo_rule(i, t) for i, t in enumerate(PRIMO_TYPES)],
        vault=[vault_rule(i) for i in range(shape.vault_rules)],
        apps=apps,
    )


def changed_estate(shape: Shape) -> Estate:
    """The live estate with `change_share` of its rules changed in the manifests.

    Most changes edit a field (updates); a few add a rule (creates, appended in manifest order) and
    a few swap two rules of an app (one sort each). `expected` counts the writes an apply makes.
    """
    estate = live_estate(shape)
    rng = random.Random(shape.seed)
    total = len(estate.primo) + len(estate.vault) + sum(len(r) for r in estate.apps.values())
    budget = round(total * shape.change_share)
    updates = creates = reorders = 0
    slots = [("primo", i) for i in range(len(estate.primo))]
    slots += [("vault", i) for i in range(len(estate.vault))]
    slots += [("app", (app, i)) for app, rules in estate.apps.items() for i in range(len(rules))]
    for kind, where in rng.sample(slots, budget):
        if kind == "primo":
            rule = estate.primo[where]
            rule["nonCompliantStatus"] = [s for s in PRIMO_STATUSES if s not in rule["nonCompliantStatus"]][:2]
        elif kind == "vault":
            estate.vault[where]["action"]["alertLevel"] = "DANGER"
        else:
            app, index = where
            estate.apps[app][index]["conditions"][0]["value"] = str(90 + index)
        updates += 1
    app_ids = sorted(estate.apps)
    for app in rng.sample(app_ids, max(1, shape.apps // 100)):
        rules = estate.apps[app]
        rules[0], rules[1] = rules[1], rules[0]
        reorders += 1
    for app in rng.sample(app_ids, max(1, shape.apps // 100)):
        new = onelogin_rule(app, shape.rules_per_app)
        new["name"] = f"New rule of app {app}"
        estate.apps[app].append(new)
        creates += 1
    for n in range(max(1, shape.vault_rules // 200)):
        estate.vault.append(vault_rule(shape.vault_rules + n))
        creates += 1
    # A reordered app whose rule also changed is still one write per rule plus one sort.
    estate.expected = {"update": updates, "create": creates, "reorder": reorders}
    return estate


def seed_state(estate: Estate) -> SandboxState:
    state = SandboxState()
    primo = state.tenant("primo", PRIMO_TARGET)
    for rule in estate.primo:
        primo.upsert_rule(rule["type"], rule["nonCompliantStatus"])
    vault = state.tenant("vizivault", VAULT_TARGET)
    for rule in estate.vault:
        vault.upsert_rule(rule)
    onelogin = state.tenant("onelogin", ONELOGIN_TARGET)
    for app, rules in estate.apps.items():
        onelogin.add_app(app, f"App {app}")
        for rule in rules:
            onelogin.add_rule(app, rule)
    return state


def manifests(estate: Estate) -> dict[str, dict[str, Any]]:
    """Manifest documents by path under the rules folder: one per app, the vault in files of 200."""
    files: dict[str, dict[str, Any]] = {"primo/compliance.yaml": {"target": PRIMO_TARGET, "rules": estate.primo}}
    for start in range(0, len(estate.vault), VAULT_RULES_PER_FILE):
        chunk = estate.vault[start : start + VAULT_RULES_PER_FILE]
        files[f"vizivault/rules-{start // VAULT_RULES_PER_FILE:03d}.yaml"] = {"target": VAULT_TARGET, "rules": chunk}
    for app, rules in estate.apps.items():
        files[f"onelogin/app-{app}.yaml"] = {"target": ONELOGIN_TARGET, "app": app, "rules": rules}
    return files


def write_manifests(documents: dict[str, dict[str, Any]], rules_dir: Path) -> None:
    yaml = YAML(typ="safe")  # libyaml's emitter when ruamel.yaml.clib is installed (the bench extra)
    yaml.default_flow_style = False
    yaml.sort_base_mapping_type_on_output = False  # type: ignore[assignment]  # keep the API's field order
    for relative, document in documents.items():
        path = rules_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8") as handle:
            yaml.dump(document, handle)


def write_project(root: Path, shape: Shape) -> None:
    """Sandbox state (root/state.json) and manifests matching it under root/rules."""
    estate = live_estate(shape)
    (root / "state.json").write_text(json.dumps(seed_state(estate).to_json()), encoding="utf-8")
    write_manifests(manifests(estate), root / "rules")


def write_empty_state(root: Path, manifests_of: Path, shape: Shape) -> None:
    """A project whose tenants hold no rule yet (the OneLogin apps exist), with the manifests of
    `manifests_of`: what an apply from empty starts from."""
    apps = {FIRST_APP_ID + a: [] for a in range(shape.apps)}
    root.mkdir(parents=True, exist_ok=True)
    empty = seed_state(Estate(primo=[], vault=[], apps=apps))
    (root / "state.json").write_text(json.dumps(empty.to_json()), encoding="utf-8")
    shutil.copytree(manifests_of / "rules", root / "rules")


def write_changes(root: Path, shape: Shape) -> dict[str, int]:
    """Rewrite the manifests the changes touch; returns the writes an apply must make, by action."""
    before, after = manifests(live_estate(shape)), manifests(changed := changed_estate(shape))
    write_manifests({path: doc for path, doc in after.items() if before.get(path) != doc}, root / "rules")
    return changed.expected
