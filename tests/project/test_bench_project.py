"""The validate benchmark's generated project is valid, with its own environment: a benchmark that
cannot run measures nothing (its credentials once became too short for the credential checks)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.validate import ENV, write_project
from reconciler.runner.workspace import open_workspace


def test_the_validate_benchmark_project_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    write_project(tmp_path, 60)
    assert open_workspace(tmp_path / "reconciler.yaml").desired.rule_count() == 60
