"""One `run:` step of a workflow run as GitHub runs it (`bash -e -o pipefail`), in a folder of its own,
with a fake `gh` on PATH and a fake `reconciler` (or the real one, against the sandbox)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

WORKFLOWS = Path(__file__).resolve().parents[3] / ".github" / "workflows"
FAKES = Path(__file__).resolve().parent
RUN_URL = "https://github.test/o/r/actions/runs/7"

NEEDS_JQ = pytest.mark.skipif(shutil.which("jq") is None, reason="the workflows' scripts use jq, as on GitHub")


def digest_line(target: str, digest: str) -> str:
    return f"<!-- reconciler:changes {target} sha256:{digest} -->"


def plan_markdown(target: str = "vault", digest: str = "aa") -> str:
    return f"<!-- reconciler:plan -->\n{digest_line(target, digest)}\n### reconciler plan\n\n**Plan: 1 to create**\n"


def bot(comment_id: int, body: str) -> dict[str, Any]:
    url = f"https://github.test/comment/{comment_id}"
    return {"id": comment_id, "user": {"login": "github-actions[bot]"}, "body": body, "html_url": url}


@dataclass
class Step:
    """One `run:` step of a workflow, run in a folder of its own with fake tools."""

    workflow: str
    job: str
    name: str
    root: Path
    gh_state: dict[str, Any] = field(default_factory=dict)
    reconciler: dict[str, Any] = field(default_factory=dict)
    # The real command line instead of the fake: a workflow step run end to end against the sandbox.
    real_reconciler: bool = False

    def script(self) -> tuple[str, dict[str, str]]:
        loaded = YAML(typ="safe").load((WORKFLOWS / self.workflow).read_text(encoding="utf-8"))
        step = next(s for s in loaded["jobs"][self.job]["steps"] if s.get("name") == self.name)
        return step["run"], {key: "" for key in step.get("env", {})}

    def run(self, **env: str) -> subprocess.CompletedProcess[str]:
        script, declared = self.script()
        unknown = set(env) - set(declared)
        assert not unknown, f"the step declares no {unknown}"
        bin_dir = self.root / "bin"
        bin_dir.mkdir(exist_ok=True)
        for tool in ("gh", "reconciler"):
            wrapper = bin_dir / tool
            run = "-m reconciler" if tool == "reconciler" and self.real_reconciler else f'"{FAKES / tool}.py"'
            wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" {run} "$@"\n', encoding="utf-8")
            wrapper.chmod(0o755)
        self.state_file.write_text(json.dumps(self.gh_state), encoding="utf-8")
        for name in ("output", "summary"):
            (self.root / name).touch()
        environment = {
            "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
            "HOME": str(self.root),
            "GITHUB_OUTPUT": str(self.root / "output"),
            "GITHUB_STEP_SUMMARY": str(self.root / "summary"),
            "RUNNER_TEMP": str(self.root),
            "GH_FAKE_STATE": str(self.state_file),
            "RECONCILER_FAKE": json.dumps(self.reconciler),
            "RECONCILER_FAKE_LOG": str(self.root / "reconciler.log"),
            **declared,
            **env,
        }
        work = self.root / "work"
        work.mkdir(exist_ok=True)
        return subprocess.run(
            ["bash", "--noprofile", "--norc", "-e", "-o", "pipefail", "-c", script],
            cwd=work,
            env=environment,
            capture_output=True,
            text=True,
            timeout=60,
        )

    @property
    def state_file(self) -> Path:
        return self.root / "gh.json"

    def gh(self) -> dict[str, Any]:
        return json.loads(self.state_file.read_text(encoding="utf-8"))

    def reconciler_calls(self) -> list[list[str]]:
        log = self.root / "reconciler.log"
        return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []

    def outputs(self) -> dict[str, str]:
        lines = (self.root / "output").read_text(encoding="utf-8").splitlines()
        return dict(line.split("=", 1) for line in lines if "=" in line)

    def summary(self) -> str:
        return (self.root / "summary").read_text(encoding="utf-8")

    def file(self, relative: str) -> str:
        return (self.root / "work" / relative).read_text(encoding="utf-8")

    def write(self, relative: str, text: str) -> None:
        path = self.root / "work" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
