"""Re-importing over files a user has commented: the plan is empty and every surviving rule keeps its comment.

No API here (the sandbox tests cover the whole path): live states are generated, imported once, the
files get hand-written comments, then a second, different live state is imported over them.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.engine.model import LiveRule
from reconciler.project.config import Config
from reconciler.project.finding import manifest_files
from reconciler.project.loader import load_desired
from reconciler.providers.registry import PROVIDERS
from tests.project.test_importing import assert_plan_is_empty, offline_project, run_import
from tests.strategies import onelogin_rules, primo_rules, vizivault_rules

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def live_rules(provider: str, bodies: list[dict[str, Any]]) -> list[LiveRule]:
    cls = PROVIDERS[provider]
    rules = []
    for index, body in enumerate(bodies, start=1):
        server = {"id": index, "position": index} if provider == "onelogin" else {}
        if provider == "vizivault":
            server = {"createdDate": "2024-01-01T00:00:00Z", "modifiedDate": "2024-01-02T00:00:00Z"}
        live_body = {**body, **server}
        tombstone = provider == "primo" and not body["nonCompliantStatus"]
        rules.append(LiveRule(cls.identity(body), live_body, {"id": index}, tombstone=tombstone))
    return rules


def comment_every_rule(config: Config) -> None:
    """What a user does after the first import: a comment above each rule and at the end of its line."""
    for path in manifest_files(config.rules_dir):
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        out = ["# a file comment\n"]
        count = 0
        for line in lines:
            if re.match(r"^  - ", line):
                count += 1
                out.append(f"  # note {count}\n")
                line = line.rstrip("\n") + f"  # eol {count}\n"
            out.append(line)
        path.write_text("".join(out), encoding="utf-8")


def notes_by_rule(config: Config, target: str) -> dict[str, set[str]]:
    """Comment texts found in each rule's block (from its `# note` line to the next one)."""
    found: dict[str, set[str]] = {}
    desired = load_desired(config, [config.targets[target]])
    for scope in desired.scopes.values():
        for rule in scope.rules:
            lines = Path(config.root_dir, rule.location.file).read_text(encoding="utf-8").splitlines()
            line = (rule.location.line or 1) - 1
            above = lines[line - 1] if line else ""
            found[rule.identity] = set(re.findall(r"# (?:note|eol) \d+", above + lines[line]))
    return found


def reimport(target: str, scope: str, first: list[dict[str, Any]], second: list[dict[str, Any]]) -> None:
    provider = PROVIDERS[target_provider(target)].name
    with tempfile.TemporaryDirectory() as tmp:
        config = offline_project(Path(tmp))
        run_import(config, target, {scope: live_rules(provider, first)})
        assert_plan_is_empty(config, target, {scope: live_rules(provider, first)})
        comment_every_rule(config)
        commented = manifest_files(config.rules_dir)
        before = notes_by_rule(config, target)
        live = live_rules(provider, second)
        run_import(config, target, {scope: live}, drop_missing=True)
        assert_plan_is_empty(config, target, {scope: live})
        after = notes_by_rule(config, target)
        for identity, notes in after.items():
            assert notes == before.get(identity, set()), identity
        for path in commented:
            assert path.read_text().startswith("# a file comment\n")


def target_provider(target: str) -> str:
    return {"ol": "onelogin", "primo-prod": "primo", "vault-prod": "vizivault"}[target]


IDENTITY_FIELD = {"onelogin": "name", "primo": "type", "vizivault": "key"}
# Fields besides the identity that the API keeps unique within a scope (ViziVault refuses a second rule name).
UNIQUE_FIELDS = {"vizivault": ("name",)}


def unique_by(rules: list[dict[str, Any]], fields: tuple[str, ...]) -> list[dict[str, Any]]:
    """The rules without those that repeat a value the API keeps unique."""
    seen: set[tuple[str, Any]] = set()
    kept = []
    for rule in rules:
        values = {(f, rule[f]) for f in fields}
        if not values & seen:
            kept.append(rule)
            seen |= values
    return kept


def reshuffled(
    provider: str, rules: st.SearchStrategy[list[dict[str, Any]]]
) -> st.SearchStrategy[tuple[list[Any], list[Any]]]:
    """A first live state, and a second one that keeps, changes or drops each of its rules, adds new
    ones and may put them in another order."""
    field = IDENTITY_FIELD[provider]

    @st.composite
    def pair(draw: st.DrawFn) -> tuple[list[Any], list[Any]]:
        first = draw(rules)
        fresh = draw(rules)
        second = []
        for rule in first:
            fate = draw(st.sampled_from(["keep", "change", "drop"]))
            if fate == "keep":
                second.append(rule)
            elif fate == "change" and fresh:
                second.append({**fresh.pop(), field: rule[field]})
        known = {r[field] for r in first}
        second += [r for r in fresh if r[field] not in known]
        second = unique_by(second, UNIQUE_FIELDS.get(provider, ()))
        return first, list(draw(st.permutations(second)))

    return pair()


@SETTINGS
@given(reshuffled("onelogin", onelogin_rules()))
def test_onelogin_reimport(states: tuple[list[Any], list[Any]]) -> None:
    reimport("ol", "app:500100", *states)


@SETTINGS
@given(reshuffled("primo", primo_rules()))
def test_primo_reimport(states: tuple[list[Any], list[Any]]) -> None:
    reimport("primo-prod", "primo", *states)


@SETTINGS
@given(reshuffled("vizivault", vizivault_rules()))
def test_vizivault_reimport(states: tuple[list[Any], list[Any]]) -> None:
    reimport("vault-prod", "vizivault", *states)
