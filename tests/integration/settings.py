"""Per-target settings in a test project's reconciler.yaml."""

from __future__ import annotations

from typing import Any

from ruamel.yaml import YAML

from tests.conftest import Project


def configure(project: Project, targets: list[str] | None = None, **settings: Any) -> None:
    """Set these settings on the named targets (all when none are named)."""
    path = project.root / "reconciler.yaml"
    yaml = YAML()
    data = yaml.load(path.read_text(encoding="utf-8"))
    for name in targets or list(data["targets"]):
        data["targets"][name].update(settings)
    with path.open("w", encoding="utf-8") as out:
        yaml.dump(data, out)


FAST_RETRIES = {"retry_wait_initial": 0.01, "retry_wait_max": 0.05}
