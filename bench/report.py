"""The benchmark's report: whole-process figures first, then baselines, start-up and memory, then the
engine alone, the machine's load, and one PASS/FAIL line per goal (exit 1 if any fails)."""

from __future__ import annotations

import math
import os
import platform
import sys
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bench.estate import Shape
from bench.harness import TREE_SAMPLE_S, Others, Run, children_cpu_s, load1, machine_busy_s

if TYPE_CHECKING:
    from bench.baselines import Baseline
    from bench.engine import EngineFigures
    from bench.plan_apply import Phase

# Goals: whole processes against the latency bound, memory per 1,000 rules above the base, start-up.
PLAN_RATIO = 1.3
PLAN_RATIO_LARGE = 1.2
APPLY_RATIO = 1.3
MB_PER_1000_RULES = 4.0
SPEEDUP_OVER_SEQUENTIAL = 10.0
HELP_S, VALIDATE_S = 0.120, 0.400
ENGINE_CPU_S = 3.0  # the engine alone, 12,027 rules
BUSY_CORES = 0.3  # other processes using more than this during a phase: the machine was busy
STARTUP_RUNS = 5


@dataclass
class Gate:
    ok: bool
    text: str
    busy: float = 0.0  # cores other processes used while it was measured

    def line(self) -> str:
        note = f"  (machine busy: other processes used {self.busy:.1f} cores)" if self.busy > BUSY_CORES else ""
        return f"{'PASS' if self.ok else 'FAIL'}  {self.text}{note}"


def startup_figures() -> tuple[dict[str, float], str, float]:
    """`reconciler --help` and `validate` of the example project shipped with reconciler, median of 5
    whole processes each (bench/startup.py), beside a bare interpreter; where they come from; and the
    cores other processes kept busy meanwhile (machine CPU minus these processes' own)."""
    from bench import startup

    machine, children, started = machine_busy_s(), children_cpu_s(), time.perf_counter()
    figures = startup.startup_figures(STARTUP_RUNS)
    others = Others()
    others.add(machine_busy_s() - machine, children_cpu_s() - children, time.perf_counter() - started)
    named = {"python -c pass": figures["python"], "--help": figures["help"], "validate (examples)": figures["validate"]}
    return named, f"bench/startup.py, median of {STARTUP_RUNS}", others.cores


@dataclass
class Report:
    shape: Shape
    latency_ms: float
    concurrency: int
    large: bool = False
    setup_s: float = 0.0
    cpu_probe_s: tuple[float, float] = (math.nan, math.nan)  # at the start and at the end of the measures
    total_s: float = 0.0
    base_rss_mb: float = 0.0
    startup: dict[str, float] = field(default_factory=dict)
    startup_source: str = ""
    startup_others: float = 0.0  # cores other processes used while start-up was measured
    phases: list[Phase] = field(default_factory=list)
    baselines: list[Baseline] = field(default_factory=list)
    sandbox_floor: float | None = None  # a bare client's time, as a multiple of the bound (baselines.py)
    engine: EngineFigures | None = None
    expected: dict[str, int] = field(default_factory=dict)
    gates: list[Gate] = field(default_factory=list)
    others: Others = field(default_factory=Others)

    def check_apply(self, phase: Phase, writes: int, sorts: int) -> None:
        sent = sum(n for route, n in phase.stats["by_route"].items() if route.endswith("/rules/sort"))
        self.gates.append(Gate(phase.run.code == 0, f"{phase.name}: every change applied (exit {phase.run.code})"))
        self.gates.append(
            Gate(
                phase.stats["writes"] == writes and sent == sorts,
                f"{phase.name}: {phase.stats['writes']} writes == one per changed rule {writes - sorts}"
                f" + one sort per reordered app {sorts} (sorts sent: {sent})",
            )
        )

    def converged(self, name: str, measured: tuple[Run, dict[str, Any], float]) -> None:
        run, stats, _ = measured
        text = f"plan {name} shows no change (exit {run.code}, {stats['total']} requests)"
        self.gates.append(Gate(run.code == 0, text))

    def print(self) -> int:
        shape = self.shape
        print(
            f"estate: {shape.rules} rules in {shape.apps + 2} scopes ({shape.apps} OneLogin apps x "
            f"{shape.rules_per_app}, {shape.vault_rules} ViziVault rules, 27 Primo types); latency "
            f"{self.latency_ms:g} ms per request; {self.concurrency} requests in flight per target"
        )
        print(
            f"machine: {os.cpu_count()} cores, {platform.system()} {platform.machine()}, Python "
            f"{platform.python_version()}; load average {load1():.2f} at the end; other processes used "
            f"{self.others.cores:.2f} cores on average while whole processes ran"
        )
        print(
            f"CPU speed: a fixed Python loop took {self.cpu_probe_s[0]:.3f} s before the measures and "
            f"{self.cpu_probe_s[1]:.3f} s after (best of 3 each; a slower CPU lengthens every CPU-bound figure)"
        )
        print(f"setup (estate, manifests, sandbox states): {self.setup_s:.1f} s\n")
        self._print_whole()
        self._print_engine()
        print(f"\nbench total: {self.total_s:.0f} s\n")
        for gate in self.gates:
            print(gate.line())
        return 0 if all(g.ok for g in self.gates) else 1

    def _print_whole(self) -> None:
        print("whole processes (`reconciler` commands, start-up and loading included):")
        columns = ("wall s", 7), ("CPU s", 6), ("RSS MB", 7), ("tree MB", 8), ("requests", 9), ("bound s", 8)
        columns += (("x bound", 8),)
        print(f"  {'command':<26} " + " ".join(f"{name:>{width}}" for name, width in columns))
        ratio = PLAN_RATIO_LARGE if self.large else PLAN_RATIO
        for phase in self.phases:
            run = phase.run
            print(
                f"  {phase.name:<26} {run.wall_s:>7.2f} {run.cpu_s:>6.2f} {run.rss_mb:>7.0f} {run.tree_rss_mb:>8.0f}"
                f" {phase.requests:>9} {phase.bound_s:>8.2f} {phase.ratio:>8.2f}   others {phase.others:.2f} cores"
            )
            goal = APPLY_RATIO if phase.name.startswith("apply") else ratio
            text = f"{phase.name}: {phase.ratio:.2f}x the lower bound (goal <= {goal:g}x)"
            self.gates.append(Gate(phase.ratio <= goal, text, phase.others))
        if self.sandbox_floor is not None:
            print(
                f"  the sandbox's own floor: a bare client (raw HTTP, {self.concurrency} connections, answers unread) "
                f"takes {self.sandbox_floor:.2f}x the bound for the same list calls"
            )
        plans = [p for p in self.phases if p.name.startswith("plan")]
        fastest = min(p.run.wall_s for p in plans)
        print("\nwhat a user would write instead (timed on a sample, scaled by requests to the whole estate):")
        for baseline in self.baselines:
            print(
                f"  {baseline.name:<40} {baseline.full_s:>7.1f} s for {baseline.full_requests} requests"
                f" ({baseline.sampled_requests} timed in {baseline.sampled_s:.2f} s): reconciler plan is"
                f" {baseline.full_s / fastest:.1f}x faster"
            )
        if self.baselines:
            speedup = self.baselines[0].full_s / max(p.run.wall_s for p in plans)
            self.gates.append(
                Gate(
                    speedup >= SPEEDUP_OVER_SEQUENTIAL,
                    f"plan {speedup:.1f}x faster than a sequential script (goal >= {SPEEDUP_OVER_SEQUENTIAL:g}x)",
                )
            )
        peak = max(p.run.peak_mb for p in plans)
        per_1000 = (peak - self.base_rss_mb) / self.shape.rules * 1000
        print(
            "\nmemory (RSS MB: the peak of the largest single process, wait4; tree MB: the RSS of the process and "
            f"those it starts, added up every {TREE_SAMPLE_S * 1000:.0f} ms; the larger counts):\n"
            f"  peak of a plan {peak:.0f} MB (RSS {max(p.run.rss_mb for p in plans):.0f}, tree "
            f"{max(p.run.tree_rss_mb for p in plans):.0f}), base (every module loaded, no rule) "
            f"{self.base_rss_mb:.0f} MB: {per_1000:.1f} MB per 1,000 rules"
        )
        text = f"memory {per_1000:.1f} MB per 1,000 rules above the base (goal <= {MB_PER_1000_RULES:g})"
        self.gates.append(Gate(per_1000 <= MB_PER_1000_RULES, text))
        if self.startup:
            figures = ", ".join(f"{name} {seconds * 1000:.0f} ms" for name, seconds in self.startup.items())
            print(f"start-up ({self.startup_source}): {figures}; others {self.startup_others:.2f} cores")
        for name, goal in (("--help", HELP_S), ("validate (examples)", VALIDATE_S)):
            if name in self.startup:
                value = self.startup[name]
                text = f"start-up: {name} {value * 1000:.0f} ms (goal < {goal * 1000:.0f} ms)"
                self.gates.append(Gate(value < goal, text, self.startup_others))

    def _print_engine(self) -> None:
        figures = self.engine
        if figures is None:
            return
        cpu = figures.cpu.seconds
        print("\nthe engine alone, in the benchmark's process (plan of the changed estate):")
        print(f"  plan wall {figures.plan_wall_s:.2f} s for {figures.stats['total']} requests")
        for label, seconds in sorted(cpu.items()):
            print(f"  {label:<22} {seconds:>6.2f} s CPU")
        total = figures.total_cpu_s
        print(f"  {'engine CPU':<22} {total:>6.2f} s ({total - cpu['parse YAML']:.2f} s without YAML parsing)")
        planned = {str(getattr(kind, "value", kind)): n for kind, n in figures.plan.counts().items()}
        self.gates.append(
            Gate(
                all(planned[a] == n for a, n in self.expected.items()) and not planned["delete"],
                f"changed plan has the expected changes: {planned} vs {self.expected}",
            )
        )
        if not self.large:
            self.gates.append(Gate(total < ENGINE_CPU_S, f"engine CPU {total:.2f} s (goal < {ENGINE_CPU_S:g} s)"))
        sys.stdout.flush()
