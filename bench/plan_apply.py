"""Plan and apply a large estate as a user does, against the sandbox with real latency; print figures
and one PASS/FAIL line per goal.

    python -m bench.plan_apply [--large] [--latency-ms 20] [--runs 3] [--profile plan.html]

Whole `reconciler` processes come first (start-up and loading included: what a user waits for),
each against its lower bound, requests x latency / concurrency, measured in the same run; then what
a user would write instead (a sequential script, a Terraform-like refresh); then the engine alone,
in this process. The sandbox runs in its own process and counts every request. `--large` is the
100,000-rule estate (10,000 OneLogin apps of 10 rules), without start-up, the engine alone and the
plan after the first apply, to stay within 10 minutes.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import baselines, engine
from bench.estate import Shape, write_changes, write_empty_state, write_project
from bench.harness import (
    Others,
    Run,
    SandboxProcess,
    by_provider,
    cpu_probe_s,
    measured,
    median_run,
    run_command,
    write_config,
)
from bench.report import Gate, Report, startup_figures
from bench.startup import compile_package
from reconciler.providers.primo import PAGE_SIZE as PRIMO_PAGE_SIZE

DEFAULT_CONCURRENCY = 16  # the config's default `concurrency`
LARGE = Shape(apps=10_000)
SEQUENTIAL_SAMPLE_APPS = 100
TERRAFORM_SAMPLE_RULES = 1_000
FLOOR_SAMPLE_REQUESTS = 1_600  # 100 rounds of 16: two seconds


@dataclass
class Phase:
    name: str
    run: Run
    stats: dict[str, Any]  # what the sandbox counted
    bound_s: float
    others: float  # cores other processes used during it

    @property
    def requests(self) -> int:
        return int(self.stats["total"])

    @property
    def ratio(self) -> float:
        return self.run.wall_s / self.bound_s if self.bound_s else math.nan


def lower_bound(stats: dict[str, Any], concurrency: int, latency_s: float) -> float:
    """Targets run side by side, each with `concurrency` requests in flight: the busiest target's
    requests x latency / concurrency is the least time the command can take."""
    return max((n * latency_s / concurrency for n in by_provider(stats).values()), default=0.0)


def expected_plan_requests(shape: Shape) -> int:
    """Scopes (one list each), extra pages and lists, and the OneLogin token: never one read per rule.

    Primo pages its list by 100; ViziVault answers every rule at once; OneLogin's rule list answers
    enabled rules only, so each app is read as two lists (enabled, disabled), after one token.
    """
    primo_pages = max(1, math.ceil(27 / PRIMO_PAGE_SIZE))
    return primo_pages + 1 + 2 * shape.apps + 1


def run_child(function: Callable[..., Any], *args: Any) -> Any:
    """Run in a forked child, so building the estate never counts in this process's memory."""
    with multiprocessing.get_context("fork").Pool(1) as pool:
        return pool.apply(function, args)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.plan_apply", description=__doc__.split("\n")[0])
    parser.add_argument("--large", action="store_true", help="the 100,000-rule estate (10,000 OneLogin apps)")
    parser.add_argument("--latency-ms", type=float, default=20.0, help="added by the sandbox to every request")
    parser.add_argument("--apps", type=int, default=None, help="OneLogin apps of 10 rules (default 1,000)")
    parser.add_argument("--runs", type=int, default=None, help="runs of each plan; the median counts (3; 1 large)")
    parser.add_argument("--concurrency", type=int, default=None, help="per target (default: the config default)")
    parser.add_argument("--profile", type=Path, default=None, help="pyinstrument HTML profile of the engine's plan")
    args = parser.parse_args(argv)
    shape = LARGE if args.large else Shape()
    if args.apps is not None:
        shape = Shape(apps=args.apps)
    runs = args.runs or (1 if args.large else 3)
    compile_package()
    report = Report(shape, args.latency_ms, args.concurrency or DEFAULT_CONCURRENCY, large=args.large)
    with tempfile.TemporaryDirectory(prefix="reconciler-bench-") as tmp:
        root, empty_root = Path(tmp) / "estate", Path(tmp) / "empty"
        root.mkdir()
        started = time.perf_counter()
        run_child(write_project, root, shape)
        run_child(write_empty_state, empty_root, root, shape)
        report.setup_s = time.perf_counter() - started
        probe_start = cpu_probe_s()
        measure(root, empty_root, shape, args, runs, report)
        report.cpu_probe_s = (probe_start, cpu_probe_s())
        report.total_s = time.perf_counter() - started
    return report.print()


def measure(root: Path, empty_root: Path, shape: Shape, args: Any, runs: int, report: Report) -> None:
    latency_s, concurrency = args.latency_ms / 1000, args.concurrency or DEFAULT_CONCURRENCY
    others = Others()
    report.others = others
    want = expected_plan_requests(shape)
    with SandboxProcess(root / "state.json", args.latency_ms) as sandbox:
        env = write_config(root, sandbox, args.concurrency)

        def plan_phase(name: str, count: int) -> Phase:
            tries = [measured(["plan"], root, env, sandbox, others) for _ in range(count)]
            run = median_run([t[0] for t in tries])
            run_stats, busy = next((s, b) for r, s, b in tries if r is run)
            for _, stats, _ in tries:
                report.gates.append(Gate(stats["total"] == want, f"{name}: {stats['total']} requests == {want}"))
            return Phase(name, run, run_stats, lower_bound(run_stats, concurrency, latency_s), busy)

        report.base_rss_mb = base_rss(root, env)
        # --large keeps within 10 minutes: start-up, the engine alone and the plan after the first apply
        # are the 12,027-rule run's (the apply still reads back and verifies every scope it wrote).
        if not args.large:
            report.startup, report.startup_source, report.startup_others = startup_figures()
        report.phases.append(plan_phase("plan, no changes", runs))
        report.baselines = [
            baselines.sequential_script(sandbox, root / "state.json", SEQUENTIAL_SAMPLE_APPS, want),
            baselines.terraform_refresh(sandbox, root / "state.json", TERRAFORM_SAMPLE_RULES, shape.rules),
        ]
        report.sandbox_floor = baselines.sandbox_floor(
            sandbox, root / "state.json", concurrency, latency_s, FLOOR_SAMPLE_REQUESTS
        )
        expected = run_child(write_changes, root, shape)
        report.expected = expected
        report.phases.append(plan_phase("plan, 10% changed", runs))
        if not args.large or args.profile:
            os.environ.update(env)  # the engine runs in this process
            report.engine = engine.engine_figures(root / "reconciler.yaml", sandbox, args.profile)
        report.phases.append(apply_phase("apply, 10% changed", root, env, sandbox, others, concurrency, latency_s))
        writes = sum(expected.values())
        report.check_apply(report.phases[-1], writes, expected["reorder"])
        if not args.large:
            after = measured(["plan", "--detailed-exitcode"], root, env, sandbox, others)
            report.converged("after apply, 10% changed", after)
    with SandboxProcess(empty_root / "state.json", args.latency_ms) as empty:
        env = write_config(empty_root, empty, args.concurrency)
        report.phases.append(apply_phase("apply, from empty", empty_root, env, empty, others, concurrency, latency_s))
        report.check_apply(report.phases[-1], shape.rules, 0)
        after = measured(["plan", "--detailed-exitcode"], empty_root, env, empty, others)
        report.converged("after apply from empty", after)


def apply_phase(
    name: str,
    root: Path,
    env: dict[str, str],
    sandbox: SandboxProcess,
    others: Others,
    concurrency: int,
    latency: float,
) -> Phase:
    """`apply --auto-approve`: its reads, then its writes; the bound counts both."""
    run, stats, busy = measured(["apply", "--auto-approve"], root, env, sandbox, others, root / "apply.out")
    return Phase(name, run, stats, lower_bound(stats, concurrency, latency), busy)


def base_rss(root: Path, env: dict[str, str]) -> float:
    """Peak RSS of `reconciler plan` with every module loaded and no rule: the interpreter's base."""
    bare = root.parent / "bare"
    (bare / "rules").mkdir(parents=True, exist_ok=True)
    (bare / "reconciler.yaml").write_text((root / "reconciler.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    return run_command(["plan"], bare, env).peak_mb


if __name__ == "__main__":
    sys.exit(main())
