"""Start-up of the command line: `reconciler --help` and `reconciler validate` of the example project.

Run from anywhere: `python -m bench.startup [--runs R]`. Each figure is the median wall time of R
whole processes (interpreter start included), measured in this run beside a bare `python -c pass`,
so the ratios hold on any machine. `startup_figures()` returns the same figures for other benchmarks.
"""

from __future__ import annotations

import argparse
import compileall
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HELP_GOAL_S = 0.120
VALIDATE_GOAL_S = 0.400
RUNS = 5


def reconciler_command() -> list[str]:
    """The console script installed beside this interpreter (what users run), else `python -m reconciler`."""
    script = Path(sys.executable).with_name("reconciler")
    if script.exists():
        return [str(script)]
    found = shutil.which("reconciler")
    return [found] if found else [sys.executable, "-m", "reconciler"]


def example_config() -> Path:
    """The example project shipped with reconciler (what `reconciler demo` runs on)."""
    from reconciler.cli.demo import example_config as shipped

    return shipped()


def compile_package() -> None:
    """Byte-compile reconciler's own modules, as installing a package does. A checkout installed in
    editable mode under PYTHONDONTWRITEBYTECODE has no bytecode: every measured process would compile
    every module from source again (a third of `validate`), which no installed copy does."""
    import reconciler

    compileall.compile_dir(Path(reconciler.__file__).parent, quiet=1)


def median_seconds(command: list[str], runs: int = RUNS) -> float:
    """Median wall time of `runs` runs of `command` as a whole process; it must succeed."""
    times = []
    env = {**os.environ, "NO_COLOR": "1"}
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, env=env)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def startup_figures(runs: int = RUNS) -> dict[str, float]:
    """Seconds (median of `runs`): a bare interpreter, `reconciler --help`, `reconciler validate`."""
    compile_package()
    cli = reconciler_command()
    validate = [*cli, "validate", "--no-credentials", "--config", str(example_config())]
    return {
        "python": median_seconds([sys.executable, "-c", "pass"], runs),
        "help": median_seconds([*cli, "--help"], runs),
        "validate": median_seconds(validate, runs),
    }


def report(figures: dict[str, float]) -> list[str]:
    base = figures["python"]
    lines = [f"python -c pass           {base * 1000:6.0f} ms   1.0x"]
    for name, label, goal in (
        ("help", "reconciler --help", HELP_GOAL_S),
        ("validate", "reconciler validate", VALIDATE_GOAL_S),
    ):
        seconds = figures[name]
        verdict = "PASS" if seconds < goal else "FAIL"
        lines.append(
            f"{label:<24} {seconds * 1000:6.0f} ms {seconds / base:5.1f}x   goal < {goal * 1000:.0f} ms: {verdict}"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=RUNS, help="processes per figure (the median is shown)")
    args = parser.parse_args()
    print(f"Start-up, whole process, median of {args.runs} (validate: the example project, no credentials)")
    for line in report(startup_figures(args.runs)):
        print(line)


if __name__ == "__main__":
    main()
