"""Start-up: each command loads what it runs. `--help` and `validate` load no HTTP client, no diff
library and no sandbox web stack; `demo` and `sandbox` without that stack (an extra) say in one line
what to install. Times are the benchmark's (`python -m bench.startup`), never a test's."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench import startup
from reconciler.cli.demo import example_config

REPO = Path(__file__).resolve().parents[2]
# Runs the command in a fresh interpreter (optionally with some libraries made uninstallable), then
# prints the top-level libraries it loaded.
PROBE = """
import importlib.abc, json, sys
BLOCKED = set(json.loads(sys.argv[1]))

class Uninstalled(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, Uninstalled())
from reconciler.cli import main
try:
    main(sys.argv[2:], standalone_mode=False)
except SystemExit:
    pass
except Exception as exc:
    print(f"{type(exc).__name__}: {exc}")
print("\\n" + json.dumps(sorted({m.split(".")[0] for m in sys.modules})))
"""
HEAVY = {"httpx", "httpcore", "deepdiff", "starlette", "uvicorn", "rich", "stamina"}


def run(*args: str, blocked: tuple[str, ...] = ()) -> tuple[set[str], str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(blocked), *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    *_, modules = done.stdout.strip().splitlines()
    return set(json.loads(modules)), done.stdout + done.stderr


def test_help_loads_no_library_beyond_click() -> None:
    loaded, output = run("--help")
    assert "validate" in output and "sandbox" in output
    assert not loaded & (HEAVY | {"pydantic", "ruamel", "regopy", "pycountry", "asyncio"})


def test_validate_loads_no_http_client_diff_library_event_loop_or_web_stack() -> None:
    loaded, output = run("validate", "--no-credentials", "--config", str(example_config()))
    assert "Valid: " in output
    assert not loaded & (HEAVY | {"asyncio"})  # nothing is requested: no event loop


@pytest.mark.parametrize("command", ["demo", "sandbox"])
def test_without_the_sandbox_extra_demo_and_sandbox_say_what_to_install(command: str) -> None:
    _, output = run(command, blocked=("starlette", "uvicorn"))
    assert "needs the sandbox's web stack" in output and "pip install 'reconciler[sandbox]'" in output
    assert "Traceback" not in output


def test_the_startup_benchmark_reports_ratios_against_a_bare_interpreter() -> None:
    lines = startup.report({"python": 0.02, "help": 0.08, "validate": 0.5})
    assert lines[0].split()[-1] == "1.0x"
    assert "4.0x" in lines[1] and lines[1].endswith("PASS")
    assert "25.0x" in lines[2] and lines[2].endswith("FAIL")
