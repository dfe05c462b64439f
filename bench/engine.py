"""Engine-only figures: the functions the CLI calls, run in this process, with CPU time by stage.

Start-up and process creation are left out here; the whole-process figures (bench/plan_apply.py)
come first in the report because they are what a user waits for.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.harness import SandboxProcess
from reconciler.cli import eventloop
from reconciler.engine.plan import Plan, json_text
from reconciler.project import parsing
from reconciler.render.text import render_plan
from reconciler.runner import flows
from reconciler.runner.sessions import open_sessions
from reconciler.runner.workspace import Workspace, open_workspace


@dataclass
class Cpu:
    """Process CPU seconds spent inside wrapped functions, by label."""

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
class EngineFigures:
    cpu: Cpu
    plan: Plan
    plan_wall_s: float
    stats: dict[str, Any]
    workspace: Workspace

    @property
    def total_cpu_s(self) -> float:
        return sum(self.cpu.seconds[k] for k in ("load + validate", "diff (plan scopes)", "render (text + JSON)"))


def engine_figures(config: Path, sandbox: SandboxProcess, profile: Path | None = None) -> EngineFigures:
    """Load, plan against the sandbox and render, in this process; CPU by stage."""
    cpu = Cpu()
    profiler = _start_profiler(profile)
    before = time.process_time()
    # All of the loading's work in this process, the parsing too: a large project's command parses its
    # YAML in a child process (project/parsing.py), whose CPU this process would not see.
    apart_from = parsing.PARSE_APART_MIN_BYTES
    parsing.PARSE_APART_MIN_BYTES = 1 << 62
    try:
        with cpu.wrapped(parsing, "read_manifest", "parse YAML"):
            workspace = open_workspace(config)
    finally:
        parsing.PARSE_APART_MIN_BYTES = apart_from
    cpu.seconds["load + validate"] += time.process_time() - before

    async def timed_plan() -> tuple[Plan, float]:
        async with open_sessions(workspace) as sessions:
            with cpu.wrapped(flows, "plan_scope_or_error", "diff (plan scopes)"):
                start = time.perf_counter()
                plan = await flows.make_plan(workspace, sessions)
                return plan, time.perf_counter() - start

    sandbox.reset()
    plan, wall = eventloop.run(timed_plan())
    stats = sandbox.stats()
    start = time.process_time()
    render_plan(plan)
    json_text(plan.to_json())
    cpu.seconds["render (text + JSON)"] += time.process_time() - start
    _stop_profiler(profiler, profile)
    return EngineFigures(cpu, plan, wall, stats, workspace)


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
