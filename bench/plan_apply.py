"""Plan and apply a large estate against the sandbox with real latency; print figures and targets.

    python -m bench.plan_apply [--latency-ms 20] [--apps 1000] [--profile plan.html]

The sandbox runs in its own process (its own core and GIL, like a remote API) on loopback with an
injected per-request latency; it counts every request. The engine runs in this process, through
the same functions the CLI calls, so its CPU time and peak memory are measured here.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.estate import TARGETS, Shape, write_changes, write_project
from reconciler.cli import eventloop
from reconciler.engine.plan import Plan, json_text
from reconciler.project import loader
from reconciler.providers.onelogin import APPS_PAGE_SIZE  # noqa: F401 - documents that apps are not listed
from reconciler.providers.primo import PAGE_SIZE as PRIMO_PAGE_SIZE
from reconciler.render.text import render_plan
from reconciler.runner import workspace as runner
from reconciler.runner.flows import make_plan, run_apply
from reconciler.runner.sessions import open_sessions
from reconciler.runner.workspace import Workspace, open_workspace

TARGET_SPEEDUP = 10.0
TARGET_BOUND_RATIO = 1.5
TARGET_ENGINE_CPU_S = 3.0
TARGET_RSS_MB = 400.0
CREDENTIAL_ATTRIBUTES = {"api_key": "api_key", "client_id": "client_id", "client_secret": "client_secret"}


# ---- the sandbox, in its own process -----------------------------------------------------------------
class SandboxProcess:
    """`reconciler sandbox` serving a saved state on a free loopback port, never writing it back."""

    def __init__(self, state_file: Path, latency_ms: float) -> None:
        self.state_file = state_file
        self.latency_ms = latency_ms
        self.process: subprocess.Popen[str] | None = None
        self.base_url = ""

    def __enter__(self) -> SandboxProcess:
        command = [sys.executable, "-m", "reconciler", "sandbox", "--port", "0", "--no-save"]
        command += ["--state", str(self.state_file), "--latency-ms", f"{self.latency_ms:g}"]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        first = self.process.stdout.readline()
        found = re.search(r"http://[\d.]+:\d+", first)
        if not found:
            self.__exit__()
            raise RuntimeError(f"sandbox did not start: {first!r}")
        self.base_url = found.group(0)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def url(self, provider: str, tenant: str) -> str:
        return f"{self.base_url}/{provider}/{tenant}"

    def reset(self) -> None:
        httpx.post(f"{self.base_url}/_sandbox/stats/reset").raise_for_status()

    def stats(self) -> dict[str, Any]:
        answer = httpx.get(f"{self.base_url}/_sandbox/stats")
        answer.raise_for_status()
        return answer.json()

    def peak_rss_mb(self) -> float:
        assert self.process is not None
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        found = re.search(r"VmHWM:\s+(\d+) kB", status)
        return int(found.group(1)) / 1024 if found else math.nan


def by_provider(stats: dict[str, Any]) -> Counter[str]:
    """Requests per provider: routes are named `METHOD provider /path`."""
    counts: Counter[str] = Counter()
    for route, count in stats["by_route"].items():
        counts[route.split(" ")[1]] += count
    return counts


# ---- the project -------------------------------------------------------------------------------------
def write_config(root: Path, sandbox: SandboxProcess, concurrency: int | None) -> dict[str, str]:
    """reconciler.yaml pointing every target at its sandbox tenant; returns the credentials' environment."""
    state = json.loads((root / "state.json").read_text(encoding="utf-8"))
    env: dict[str, str] = {}
    lines = ["version: 1", "rules_dir: rules", "targets:"]
    for target, provider in TARGETS.items():
        lines += [f"  {target}:", f"    provider: {provider}", f"    url: {sandbox.url(provider, target)}"]
        if concurrency is not None:
            lines.append(f"    concurrency: {concurrency}")
        lines.append("    credentials:")
        tenant = state[provider][target]
        for name, attribute in CREDENTIAL_ATTRIBUTES.items():
            if attribute in tenant:
                var = f"{target.upper().replace('-', '_')}_{name.upper()}"
                env[var] = tenant[attribute]
                lines.append(f"      {name}: {{env: {var}}}")
    (root / "reconciler.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return env


def expected_plan_requests(shape: Shape) -> tuple[int, int, int]:
    """(scopes, extra lists and pages, token exchanges) one plan of the estate must send, no more.

    Primo pages its list by 100; ViziVault answers every rule at once; OneLogin's rule list answers
    enabled rules only, so each app is read as two lists (enabled, disabled), after one token.
    """
    scopes = 1 + 1 + shape.apps
    primo_pages = max(1, math.ceil(27 / PRIMO_PAGE_SIZE))
    return scopes, (primo_pages - 1) + shape.apps, 1


# ---- measuring ---------------------------------------------------------------------------------------
@dataclass
class Cpu:
    """Process CPU seconds spent inside wrapped functions, by name."""

    seconds: Counter[str] = field(default_factory=Counter)

    @contextmanager
    def wrapped(self, module: Any, name: str, label: str) -> Iterator[None]:
        original: Callable[..., Any] = getattr(module, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.process_time()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds[label] += time.process_time() - start

        setattr(module, name, timed)
        try:
            yield
        finally:
            setattr(module, name, original)


@dataclass
class Phase:
    name: str
    wall_s: float
    requests: int
    bound_s: float
    cpu_s: float = math.nan
    note: str = ""

    @property
    def ratio(self) -> float:
        return self.wall_s / self.bound_s if self.bound_s else math.nan


def lower_bound(counts: Counter[str], workspace: Workspace, latency_s: float) -> float:
    """Targets run side by side, each with `concurrency` requests in flight: the slowest target's
    requests x latency / concurrency is the least time the phase can take."""
    concurrency = {t.provider: t.spec.concurrency for t in workspace.targets}
    return max((n * latency_s / concurrency[p] for p, n in counts.items() if p in concurrency), default=0.0)


def load(config: Path, cpu: Cpu) -> tuple[Workspace, float]:
    start = time.perf_counter()
    before = time.process_time()
    with cpu.wrapped(loader, "load_yaml", "parse YAML"):
        workspace = open_workspace(config)
    cpu.seconds["load + validate"] += time.process_time() - before
    return workspace, time.perf_counter() - start


async def timed_plan(workspace: Workspace, sandbox: SandboxProcess, cpu: Cpu) -> tuple[Plan, float, dict[str, Any]]:
    sandbox.reset()
    async with open_sessions(workspace) as sessions:
        with cpu.wrapped(runner, "plan_scope_or_error", "diff (plan scopes)"):
            start = time.perf_counter()
            plan = await make_plan(workspace, sessions)
            wall = time.perf_counter() - start
    return plan, wall, sandbox.stats()


def render_cpu(plan: Plan) -> float:
    start = time.process_time()
    render_plan(plan)
    json_text(plan.to_json())
    return time.process_time() - start


def set_concurrency(workspace: Workspace, value: int) -> dict[str, int]:
    previous = {t.name: t.spec.concurrency for t in workspace.targets}
    for target in workspace.targets:
        target.spec.concurrency = value
    return previous


def run_child(function: Callable[..., Any], *args: Any) -> Any:
    """Run in a forked child, so the estate's construction never counts in this process's memory."""
    context = multiprocessing.get_context("fork")
    with context.Pool(1) as pool:
        return pool.apply(function, args)


# ---- the run ----------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.plan_apply", description=__doc__.split("\n")[0])
    parser.add_argument("--latency-ms", type=float, default=20.0, help="added by the sandbox to every request")
    parser.add_argument("--apps", type=int, default=1000, help="OneLogin apps (scopes)")
    parser.add_argument("--rules-per-app", type=int, default=10)
    parser.add_argument("--vault-rules", type=int, default=2000)
    parser.add_argument("--change-share", type=float, default=0.10, help="share of rules changed in the manifests")
    parser.add_argument("--concurrency", type=int, default=None, help="per target (default: the config default)")
    parser.add_argument("--profile", type=Path, default=None, help="write a pyinstrument HTML profile of the plan")
    args = parser.parse_args(argv)
    shape = Shape(args.apps, args.rules_per_app, args.vault_rules, args.change_share)
    latency_s = args.latency_ms / 1000
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="reconciler-bench-") as tmp:
        root = Path(tmp)
        run_child(write_project, root, shape)
        setup_s = time.perf_counter() - started
        with SandboxProcess(root / "state.json", args.latency_ms) as sandbox:
            os.environ.update(write_config(root, sandbox, args.concurrency))
            return eventloop.run(measure(root, sandbox, shape, latency_s, args.profile, setup_s, started))


async def measure(
    root: Path, sandbox: SandboxProcess, shape: Shape, latency_s: float, profile: Path | None, setup_s: float, t0: float
) -> int:
    config = root / "reconciler.yaml"
    phases: list[Phase] = []
    checks: list[tuple[bool, str]] = []
    scopes, extra, tokens = expected_plan_requests(shape)
    expected_requests = scopes + extra + tokens

    def check(ok: bool, text: str) -> None:
        checks.append((ok, text))

    # 1. plan, nothing changed
    cpu_same = Cpu()
    workspace, load_same_s = load(config, cpu_same)
    rules = workspace.desired.rule_count()
    plan, wall, stats = await timed_plan(workspace, sandbox, cpu_same)
    counts = by_provider(stats)
    phases.append(Phase("plan, no changes", wall, stats["total"], lower_bound(counts, workspace, latency_s)))
    check(not plan.has_changes and not plan.has_errors, f"no-change plan shows no change ({plan.counts()})")
    check(
        stats["total"] == expected_requests,
        f"plan requests {stats['total']} == scopes {scopes} + extra lists/pages {extra} + token {tokens}"
        f" = {expected_requests} (by provider: {dict(counts)})",
    )

    # 2. plan, 10% changed
    expected_writes = run_child(write_changes, root, shape)
    cpu = Cpu()
    profiler = _start_profiler(profile)
    workspace, load_s = load(config, cpu)
    plan, wall, stats = await timed_plan(workspace, sandbox, cpu)
    cpu.seconds["render (text + JSON)"] += render_cpu(plan)
    _stop_profiler(profiler, profile)
    counts = by_provider(stats)
    changed = Phase("plan, 10% changed", wall, stats["total"], lower_bound(counts, workspace, latency_s))
    phases.append(changed)
    planned = plan.counts()
    check(
        all(planned[a] == n for a, n in expected_writes.items()) and not planned["delete"],
        f"changed plan has the expected changes: {planned} vs {expected_writes}",
    )
    check(stats["total"] == expected_requests, f"plan requests {stats['total']} == {expected_requests} (10% changed)")

    # 3. the same plan, one request at a time
    previous = set_concurrency(workspace, 1)
    _, seq_wall, seq_stats = await timed_plan(workspace, sandbox, Cpu())
    sequential = Phase(
        "plan, concurrency 1", seq_wall, seq_stats["total"], lower_bound(by_provider(seq_stats), workspace, latency_s)
    )
    phases.append(sequential)
    for target in workspace.targets:
        target.spec.concurrency = previous[target.name]

    # 4. apply the changes
    async with open_sessions(workspace) as sessions:
        plan = await make_plan(workspace, sessions)
        sandbox.reset()
        start = time.perf_counter()
        report = await run_apply(plan, sessions)
        apply_wall = time.perf_counter() - start
    stats = sandbox.stats()
    phases.append(
        Phase(
            "apply",
            apply_wall,
            stats["total"],
            lower_bound(by_provider(stats), workspace, latency_s),
            note="a scope's updates, then creates in order, then its sort",
        )
    )
    sorts = sum(n for route, n in stats["by_route"].items() if route.endswith("/rules/sort"))
    want = sum(expected_writes.values())
    check(report.ok, f"every change applied ({report.count('applied')} applied, {report.count('failed')} failed)")
    check(
        stats["writes"] == want and sorts == expected_writes["reorder"],
        f"apply writes {stats['writes']} == one per changed rule {want - expected_writes['reorder']}"
        f" + one sort per reordered app {expected_writes['reorder']} (sorts sent: {sorts})",
    )
    async with open_sessions(workspace) as sessions:
        after = await make_plan(workspace, sessions)
    check(not after.has_changes, f"plan after apply shows no change ({after.counts()})")

    # figures
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    engine_cpu = sum(cpu.seconds[k] for k in ("load + validate", "diff (plan scopes)", "render (text + JSON)"))
    speedup = sequential.wall_s / changed.wall_s
    check(speedup >= TARGET_SPEEDUP, f"plan {speedup:.1f}x faster than sequential (target >= {TARGET_SPEEDUP:g}x)")
    for phase in phases[:2]:
        check(
            phase.ratio <= TARGET_BOUND_RATIO,
            f"{phase.name}: {phase.ratio:.2f}x the lower bound (target <= {TARGET_BOUND_RATIO:g}x)",
        )
    check(
        engine_cpu < TARGET_ENGINE_CPU_S,
        f"engine CPU {engine_cpu:.2f} s for {rules} rules: load+validate {cpu.seconds['load + validate']:.2f}"
        f" (of which YAML parsing {cpu.seconds['parse YAML']:.2f}), diff {cpu.seconds['diff (plan scopes)']:.2f},"
        f" render {cpu.seconds['render (text + JSON)']:.2f} (target < {TARGET_ENGINE_CPU_S:g} s)",
    )
    check(rss_mb < TARGET_RSS_MB, f"peak RSS {rss_mb:.0f} MB (target < {TARGET_RSS_MB:g} MB)")

    print(
        f"estate: {rules} rules in {scopes} scopes ({shape.apps} OneLogin apps x {shape.rules_per_app}, "
        f"{shape.vault_rules} ViziVault rules, 27 Primo types); latency {latency_s * 1000:g} ms per request; "
        f"concurrency per target: {', '.join(f'{t.name} {t.spec.concurrency}' for t in workspace.targets)}"
    )
    print(
        f"setup (estate, manifests, sandbox state): {setup_s:.1f} s; manifests loaded in {load_same_s:.1f} s "
        f"(unchanged) and {load_s:.1f} s (changed), outside the plan times below\n"
    )
    print(f"{'phase':<22} {'wall s':>8} {'requests':>9} {'bound s':>8} {'x bound':>8}")
    for phase in phases:
        print(
            f"{phase.name:<22} {phase.wall_s:>8.2f} {phase.requests:>9} {phase.bound_s:>8.2f} {phase.ratio:>8.2f}"
            + (f"  ({phase.note})" if phase.note else "")
        )
    print(f"\nspeed-up over sequential: {speedup:.1f}x")
    print("engine CPU, plan of the changed estate:")
    for label, seconds in sorted(cpu.seconds.items()):
        print(f"  {label:<22} {seconds:>6.2f} s")
    print(
        f"  {'engine CPU':<22} {engine_cpu:>6.2f} s"
        f" ({engine_cpu - cpu.seconds['parse YAML']:.2f} s without YAML parsing)"
    )
    print(f"peak RSS: engine {rss_mb:.0f} MB, sandbox process {sandbox.peak_rss_mb():.0f} MB")
    print(f"bench total: {time.perf_counter() - t0:.0f} s\n")
    for ok, text in checks:
        print(f"{'PASS' if ok else 'FAIL'}  {text}")
    return 0 if all(ok for ok, _ in checks) else 1


def _start_profiler(path: Path | None) -> Any:
    if path is None:
        return None
    from pyinstrument import Profiler  # the bench extra

    profiler = Profiler(async_mode="disabled")
    profiler.start()
    return profiler


def _stop_profiler(profiler: Any, path: Path | None) -> None:
    if profiler is None or path is None:
        return
    profiler.stop()
    path.write_text(profiler.output_html(), encoding="utf-8")
    print(profiler.output_text(unicode=False, color=False, show_all=False))


if __name__ == "__main__":
    sys.exit(main())
