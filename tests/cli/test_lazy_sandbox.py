"""`plan`, `apply` and the other everyday commands never load the sandbox's web stack (starlette,
uvicorn): only `demo` and `sandbox` do, when they are asked for."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# Runs the command in a fresh interpreter, then prints which sandbox modules got loaded.
PROBE = """
import json, sys
from reconciler.cli import main
try:
    main(sys.argv[1:], standalone_mode=False)
except (SystemExit, Exception):  # a usage error too: what got loaded by then is the question
    pass
web = sorted(m for m in sys.modules if m.split(".")[0] in ("starlette", "uvicorn") or "sandbox" in m)
print("\\n" + json.dumps(web))
"""


def loaded_sandbox_modules(*args: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args], cwd=REPO, capture_output=True, text=True, timeout=60, check=False
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    "args",
    [
        ("validate", "--no-credentials"),
        ("plan", "--help"),
        ("apply", "--help"),
        ("sync", "--help"),
        ("import", "--help"),
        ("demo", "--help"),  # the demo imports the sandbox inside its callback, when it runs
    ],
)
def test_everyday_commands_do_not_load_the_sandbox(args: tuple[str, ...]) -> None:
    assert loaded_sandbox_modules(*args) == []


def test_the_sandbox_command_loads_it_when_it_runs() -> None:
    """The probe does see the web stack once a command needs it (not for its help)."""
    assert not {"starlette", "uvicorn"} & set(loaded_sandbox_modules("sandbox", "--help"))
    loaded = loaded_sandbox_modules("sandbox", "--tenant", "nope")
    assert "starlette" in loaded and "uvicorn" in loaded
