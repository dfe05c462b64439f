"""Soak: random manifest sets applied through a 20% fault rate until convergence, for every provider.

Each case is bounded (rounds, applies per round) and seeded. After every round, with faults off, the
live state must equal the manifests exactly: managed rules as written (and, for OneLogin, in manifest
order), no identity twice, and rules no manifest names exactly as they were.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from dataclasses import dataclass
from typing import Any

import pytest

from reconciler.engine.provider import Provider
from reconciler.providers.onelogin import OneLoginProvider
from reconciler.providers.primo import PrimoProvider
from reconciler.providers.vizivault import ViziVaultProvider
from reconciler.sandbox import FAULT_KINDS
from tests.conftest import Project
from tests.integration.settings import FAST_RETRIES, configure

ROUNDS = 8
MAX_APPLIES = 6  # applies per round before the soak gives up on convergence
FAULTS = {"fault_rate": 0.2, "fault_kinds": list(FAULT_KINDS), "retry_after_s": 0.01, "writes_only": False}
APP = 11
OTHER_APP = 12  # has rules but no manifest: never read, never written

PRIMO_TYPES = ["MDM_ONLINE", "MDM_ENROLLMENT", "MDM_CONTROL_WIFI", "MDM_CONTROL_FIREWALL", "MDM_CONTROL_ENCRYPTION"]
PRIMO_STATUSES = ["OFFLINE", "PENDING", "FAILED", "ERROR", "NOT_ENCRYPTED", "MISSING_AGENT"]
WORDS = ["alpha", "beta", "gamma", "delta"]


def random_primo(rng: random.Random) -> list[dict[str, Any]]:
    types = rng.sample(PRIMO_TYPES, rng.randint(1, len(PRIMO_TYPES)))
    return [{"type": t, "nonCompliantStatus": rng.sample(PRIMO_STATUSES, rng.randint(1, 3))} for t in types]


def random_vault(rng: random.Random) -> list[dict[str, Any]]:
    keys = rng.sample([f"k{i}" for i in range(7)], rng.randint(1, 6))
    return [
        {
            "key": key,
            "name": f"Rule {key}",
            "type": "data",
            "constraint": {"type": "tag", "operator": rng.choice(["any", "all"]), "tags": rng.sample(WORDS, 2)},
            "action": {"type": "block", "message": rng.choice(WORDS)},
            "executionOrder": rng.randint(1, 3),
        }
        for key in keys
    ]


def random_onelogin(rng: random.Random) -> list[dict[str, Any]]:
    names = rng.sample([f"r{i}" for i in range(10)], rng.randint(1, 8))  # a random order, too
    return [
        {
            "name": name,
            "match": rng.choice(["all", "any"]),
            "enabled": rng.random() < 0.8,
            "conditions": [{"source": "title", "operator": "~", "value": rng.choice(WORDS)}],
            "actions": [{"action": "set_status", "value": [rng.choice(["1", "2", "3"])]}],
        }
        for name in names
    ]


@dataclass
class Case:
    target: str
    provider: type[Provider]

    def manifest(self, rules: list[dict[str, Any]]) -> str:
        header: dict[str, Any] = {"target": self.target}
        if self.provider is OneLoginProvider:
            header["app"] = APP
        return json.dumps({**header, "rules": rules}, indent=1)  # JSON is YAML too

    def generate(self, rng: random.Random) -> list[dict[str, Any]]:
        return {PrimoProvider: random_primo, ViziVaultProvider: random_vault, OneLoginProvider: random_onelogin}[
            self.provider
        ](rng)

    def live(self, project: Project) -> list[dict[str, Any]]:
        """Live rules in the API's order (what counts: Primo rules with alerts on, all others)."""
        tenant = project.tenant(self.target)
        if self.provider is PrimoProvider:
            return [r for r in tenant.rules.values() if r["nonCompliantStatus"]]
        if self.provider is ViziVaultProvider:
            return list(tenant.rules.values())
        return list(tenant.rules(APP))

    def seed_unmanaged(self, project: Project) -> None:
        tenant = project.tenant(self.target)
        if self.provider is PrimoProvider:
            tenant.upsert_rule("MDM_CONTROL_USB_BLOCKING", ["FAILED"])
        elif self.provider is ViziVaultProvider:
            tenant.upsert_rule({**random_vault(random.Random(0))[0], "key": "manual", "name": "Manual"})
        else:
            tenant.add_app(APP, "App")
            tenant.add_app(OTHER_APP, "Other")
            for app, name in [(APP, "manual"), (OTHER_APP, "elsewhere")]:
                tenant.add_rule(app, {**random_onelogin(random.Random(0))[0], "name": name})


CASES = {
    "primo": Case("primo-test", PrimoProvider),
    "vizivault": Case("vault-test", ViziVaultProvider),
    "onelogin": Case("onelogin-test", OneLoginProvider),
}


def duplicates(case: Case, project: Project) -> list[str]:
    return [i for i, n in Counter(case.provider.identity(r) for r in case.live(project)).items() if n > 1]


def converge(project: Project, prune: list[str], case: Case) -> int:
    """Apply until a plan shows nothing left to do; returns the number of applies it took.

    No apply may leave a rule twice, even one a later apply would prune.
    """
    for applies in range(1, MAX_APPLIES + 1):
        result = project.run("apply", "--auto-approve", "--force", *prune)
        assert duplicates(case, project) == [], result.output
        if result.exit_code == 0 and project.run("plan", "--detailed-exitcode", *prune).exit_code == 0:
            return applies
    raise AssertionError(f"no convergence after {MAX_APPLIES} applies:\n{result.output}")


@pytest.mark.parametrize("prune", [False, True], ids=["keep-unmanaged", "prune"])
@pytest.mark.parametrize("name", list(CASES))
def test_random_manifests_converge_through_faults(project: Project, name: str, prune: bool) -> None:
    case = CASES[name]
    rng = random.Random(f"{name}-{prune}")  # a fixed seed per case
    configure(project, [case.target], retry_for=10, **FAST_RETRIES)
    case.seed_unmanaged(project)
    before = {case.provider.identity(r): case.provider.normalize(r) for r in case.live(project)}
    unmanaged = {} if prune else dict(before)
    other_app = project.tenant(case.target).rules(OTHER_APP) if case.provider is OneLoginProvider else []
    prune_args = ["--prune"] if prune else ["--no-prune"]
    expected = {} if prune else dict(before)  # what each identity should look like live

    for round_number in range(ROUNDS):
        rules = case.generate(rng)
        project.write(f"rules/{name}.yaml", case.manifest(rules))
        project.sandbox.faults.update({**FAULTS, "seed": rng.randrange(2**32)})
        converge(project, prune_args, case)
        project.sandbox.faults.update({"fault_rate": 0.0})

        wanted = {case.provider.identity(r): case.provider.normalize(r) for r in rules}
        expected = {**({} if prune else expected), **wanted}
        live = case.live(project)
        identities = [case.provider.identity(r) for r in live]
        assert duplicates(case, project) == [], f"duplicates in round {round_number}"
        assert {case.provider.identity(r): case.provider.normalize(r) for r in live} == expected
        for identity, body in unmanaged.items():
            assert expected[identity] == body  # never in a manifest, so never touched
        if case.provider.ordered:
            assert [i for i in identities if i in wanted] == [case.provider.identity(r) for r in rules]
            assert project.tenant(case.target).rules(OTHER_APP) == other_app
        assert project.run("plan", "--detailed-exitcode", *prune_args).exit_code == 0
    assert project.sandbox.stats.faults_injected > 0
