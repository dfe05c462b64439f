"""Loading pauses the cycle collector and must leave no reference cycles: the runner freezes the desired
state without a full collection, so any cycle made while loading would stay for the whole run."""

from __future__ import annotations

import gc
from pathlib import Path

from bench.estate import TARGETS, Shape, live_estate, manifests, write_manifests
from reconciler.engine.model import LiveRule, ScopeRef
from reconciler.project.config import load_config
from reconciler.project.loader import cycle_collection_paused, load_desired


def _project(root: Path) -> Path:
    write_manifests(manifests(live_estate(Shape(apps=3, rules_per_app=4, vault_rules=30))), root / "rules")
    lines = ["version: 1", "rules_dir: rules", "targets:"]
    for target, provider in TARGETS.items():
        lines += [f"  {target}:", f"    provider: {provider}", f"    url: http://127.0.0.1:9/{provider}"]
        names = ("client_id", "client_secret") if provider == "onelogin" else ("api_key",)
        lines += ["    credentials:", *(f"      {name}: {{env: UNSET_{name.upper()}}}" for name in names)]
    (root / "reconciler.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root / "reconciler.yaml"


def test_loading_leaves_no_reference_cycles(tmp_path: Path) -> None:
    config = load_config(_project(tmp_path))
    load_desired(config, config.select(()))  # first use fills caches that live on
    gc.collect()
    with cycle_collection_paused():
        desired = load_desired(config, config.select(()))
        assert gc.collect() == 0
    assert desired.rule_count() == 3 * 4 + 30 + 27


def test_the_outermost_pause_restores_the_collector() -> None:
    assert gc.isenabled()
    with cycle_collection_paused():
        with cycle_collection_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_the_desired_state_keeps_no_yaml_tree_yet_locates_fields(tmp_path: Path) -> None:
    """Trees with every node's position were half a large plan's memory: a loaded rule keeps none, and a
    field is found again in its file when a check made after loading asks for it."""
    from reconciler.project.yamlsource import YamlMap

    config = load_config(_project(tmp_path))
    desired = load_desired(config, config.select(()))
    gc.collect()
    assert not [o for o in gc.get_objects() if isinstance(o, YamlMap) and "target" in o]  # manifests' roots
    rule = next(r for s in desired.scopes.values() for r in s.rules if r.identity == "Rule 01 of app 700002")
    where = rule.field_location(("conditions", 1, "value"))
    lines = (tmp_path / where.file).read_text(encoding="utf-8").splitlines()
    assert where.line is not None and where.column is not None
    assert lines[where.line - 1][where.column - 1 :].startswith(rule.body["conditions"][1]["value"])


def test_rules_share_what_they_do_not_own(tmp_path: Path) -> None:
    """A large plan keeps every rule for the whole run: the rules of one file share its locator, their
    scope's ref, their path in the file and, given in the same order, their field names; none carries
    an attribute dictionary."""
    config = load_config(_project(tmp_path))
    desired = load_desired(config, config.select(()))
    scope = desired.scopes[ScopeRef("bench-onelogin", "app:700002")]
    first, second = scope.rules[:2]
    assert first.locate is second.locate is not None
    assert first.scope is second.scope is scope.ref
    assert first.fields is second.fields
    other = next(s for s in desired.scopes.values() if s is not scope and s.ref.target == "bench-onelogin")
    assert other.rules[1].manifest_path is second.manifest_path == ("rules", 1)
    assert other.rules[1].fields is second.fields  # across files too
    for kept in (first, first.location, LiveRule("r", {}, {})):
        assert not hasattr(kept, "__dict__")
    # Each rule is still located on its own line, and its fields within it.
    assert second.field_location(()) == second.location != first.location
    assert second.field_location(("name",)).line == second.location.line
