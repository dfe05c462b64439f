"""The loader names each scope as soon as a manifest declaring it has loaded, so its live rules can be
read while the rest loads; after the first problem it names none."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.engine.model import ScopeRef
from reconciler.errors import InputError
from reconciler.project.config import load_config
from reconciler.project.loader import load_desired
from tests.project.test_loader_gc import _project

APPS = ("app:700001", "app:700002", "app:700003")


def test_every_scope_is_named_once_in_file_order(tmp_path: Path) -> None:
    config = load_config(_project(tmp_path))
    named: list[ScopeRef] = []
    desired = load_desired(config, config.select(()), on_scope=named.append)
    assert named == list(desired.scopes)
    assert [ref.scope for ref in named[:3]] == list(APPS)  # rules/onelogin/ sorts first
    assert len(set(named)) == len(named) == 3 + 2


def test_nothing_is_named_after_the_first_problem(tmp_path: Path) -> None:
    config = load_config(_project(tmp_path))
    # Sorts after app-700001.yaml and before app-700002.yaml.
    (tmp_path / "rules/onelogin/app-7000015.yaml").write_text("target: bench-onelogin\napp: 9\nrules: 3\n")
    named: list[ScopeRef] = []
    with pytest.raises(InputError) as raised:
        load_desired(config, config.select(()), on_scope=named.append)
    assert [ref.scope for ref in named] == ["app:700001"]
    assert "rules/onelogin/app-7000015.yaml:3:1 rules: must be a list of rules" in str(raised.value)


def test_a_scope_whose_rules_clash_is_not_named(tmp_path: Path) -> None:
    """Checks across a scope's rules run before the scope is named, for the rules its first file gives."""
    config = load_config(_project(tmp_path))
    app = tmp_path / "rules/onelogin/app-700001.yaml"
    text = app.read_text(encoding="utf-8")
    app.write_text(text.replace("Rule 01 of app 700001", "Rule 00 of app 700001"), encoding="utf-8")
    named: list[ScopeRef] = []
    with pytest.raises(InputError, match="duplicate rule 'Rule 00 of app 700001'"):
        load_desired(config, config.select(()), on_scope=named.append)
    assert named == []
