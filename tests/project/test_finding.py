"""Manifests are found in the order of Path's own comparisons, whatever their names."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.project.finding import find_manifests

NAMES = st.text(alphabet="aAbB-_.0 é", min_size=1, max_size=4).filter(lambda n: n not in (".", ".."))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(NAMES, min_size=1, max_size=3), min_size=1, max_size=12))
def test_manifests_come_in_path_order(tmp_path_factory: pytest.TempPathFactory, layout: list[list[str]]) -> None:
    root = tmp_path_factory.mktemp("rules")
    for parts in layout:
        folder = root.joinpath(*parts[:-1])
        if folder.is_file():
            continue
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{parts[-1]}.yaml"
        if not target.is_dir():
            target.write_text("rules: []\n", encoding="utf-8")
    found, problems = find_manifests(root)
    assert problems == []
    assert found == sorted(found)
    assert set(found) == {p for p in root.rglob("*") if p.suffix == ".yaml" and p.is_file()}
