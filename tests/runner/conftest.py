"""A project whose manifests hold a Primo rule that the live tenant lacks, credentials in the environment."""

from __future__ import annotations

import pytest

from tests.conftest import Project

PRIMO = "target: primo-test\nrules:\n  - {type: MDM_ONLINE, nonCompliantStatus: [OFFLINE]}\n"


@pytest.fixture
def drifted(project: Project, monkeypatch: pytest.MonkeyPatch) -> Project:
    """A Primo rule in the manifests that the live tenant lacks."""
    project.write("rules/primo.yaml", PRIMO)
    for name, value in project.env.items():
        monkeypatch.setenv(name, value)
    return project
