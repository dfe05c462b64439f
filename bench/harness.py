"""What the benchmarks run and how they measure it: the sandbox in its own process, whole `reconciler`
commands as subprocesses (wall time, CPU and peak memory of the command and the processes it starts),
the machine's load.
"""

from __future__ import annotations

import ast
import json
import math
import os
import re
import resource
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench.estate import TARGETS

CREDENTIAL_NAMES = ("api_key", "client_id", "client_secret")


class SandboxProcess:
    """`reconciler sandbox` serving a saved state on a free loopback port, never writing it back.

    Its own process: its own core and GIL, like a remote API. It counts every request it answers.
    """

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
            self.process.wait(timeout=30)

    def url(self, provider: str, tenant: str) -> str:
        return f"{self.base_url}/{provider}/{tenant}"

    def reset(self) -> None:
        httpx.post(f"{self.base_url}/_sandbox/stats/reset").raise_for_status()

    def stats(self) -> dict[str, Any]:
        answer = httpx.get(f"{self.base_url}/_sandbox/stats")
        answer.raise_for_status()
        return answer.json()

    def cpu_s(self) -> float:
        assert self.process is not None
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def by_provider(stats: dict[str, Any]) -> Counter[str]:
    """Requests per provider: routes are named `METHOD provider /path`."""
    counts: Counter[str] = Counter()
    for route, count in stats["by_route"].items():
        counts[route.split(" ")[1]] += count
    return counts


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
        for name in CREDENTIAL_NAMES:
            if name in tenant:
                var = f"{target.upper().replace('-', '_')}_{name.upper()}"
                env[var] = tenant[name]
                lines.append(f"      {name}: {{env: {var}}}")
    (root / "reconciler.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return env


def load1() -> float:
    return os.getloadavg()[0]


def cpu_probe_s(rounds: int = 3) -> float:
    """CPU seconds of a fixed pure-Python loop, the best of `rounds`: a virtual machine's CPU speed can
    change during a run (its host's other work), which the load average does not show but every
    figure made of CPU time follows."""
    best = math.inf
    for _ in range(rounds):
        start = time.process_time()
        total = 0
        for number in range(2_000_000):
            total += number
        best = min(best, time.process_time() - start)
    return best


@dataclass
class Run:
    """One whole process: wall seconds, CPU seconds, peak memory, its exit code.

    Memory is measured two ways. `rss_mb`: the kernel's peak RSS (wait4), exact, but the largest of the
    process and its descendants, never their sum. `tree_rss_mb`: the RSS of the process and all its
    descendants added up, sampled every TREE_SAMPLE_S (a short peak between samples is missed; a page a
    forked child still shares with its parent counts twice). The larger of the two is what counts.
    """

    wall_s: float
    cpu_s: float
    rss_mb: float
    code: int
    load: float  # the machine's 1-minute load average as it started
    tree_rss_mb: float = 0.0

    @property
    def peak_mb(self) -> float:
        return max(self.rss_mb, self.tree_rss_mb)


TREE_SAMPLE_S = 0.015

# Starts the command and measures it through wait4, from a small process of its own: a process forked
# from the benchmark (hundreds of MB at 100,000 rules) keeps that size as its peak RSS across exec
# (Linux records the old memory's high-water mark), so the benchmark's own memory would be counted.
# While it waits, the launcher adds up the RSS of the command's process tree (/proc, the children of
# each thread, recursively) every TREE_SAMPLE_S; the command's exit wakes it at once (a pidfd), so the
# wall time is not rounded up to a sample. Where /proc or pidfds are missing, only wait4 measures.
_LAUNCHER = """
import os, select, sys, time
out = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
report, every = int(sys.argv[2]), float(sys.argv[3])

def tree_rss_kb(root):
    total, todo, seen = 0, [root], set()
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            with open(f"/proc/{pid}/status", "rb") as status:
                total += next((int(line.split()[1]) for line in status if line.startswith(b"VmRSS:")), 0)
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children", "rb") as children:
                    todo += [int(child) for child in children.read().split()]
        except (OSError, ValueError):
            continue  # gone meanwhile
    return total

start = time.perf_counter()
pid = os.fork()
if pid == 0:
    os.dup2(out, 1)
    os.execvp(sys.argv[4], sys.argv[4:])
tree_peak = 0
try:
    exited = os.pidfd_open(pid)
except (AttributeError, OSError):
    exited = None
while exited is not None:
    tree_peak = max(tree_peak, tree_rss_kb(pid))
    if select.select([exited], [], [], every)[0]:
        break
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - start
cpu = usage.ru_utime + usage.ru_stime
figures = (wall, cpu, usage.ru_maxrss, tree_peak, os.waitstatus_to_exitcode(status))
os.write(report, repr(figures).encode())
"""


def run_command(args: list[str], cwd: Path, env: dict[str, str], stdout: Path | None = None) -> Run:
    """`reconciler ARGS` as a user runs it (the installed command): wall time from its start to its
    exit, its CPU, its own peak RSS through wait4 and its process tree's sampled RSS, from a small
    launcher process."""
    script = Path(sys.executable).with_name("reconciler")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "reconciler"]
    load = load1()
    read, write = os.pipe()
    launcher = [sys.executable, "-S", "-c", _LAUNCHER, str(stdout or os.devnull), str(write), str(TREE_SAMPLE_S)]
    process = subprocess.Popen([*launcher, *command, *args], cwd=cwd, env={**os.environ, **env}, pass_fds=(write,))
    os.close(write)
    with os.fdopen(read, "rb") as answer:
        figures = answer.read()
    process.wait()
    wall, cpu, maxrss_kb, tree_kb, code = ast.literal_eval(figures.decode())
    return Run(wall, cpu, maxrss_kb / 1024, code, load, tree_kb / 1024)


def median_run(runs: list[Run]) -> Run:
    """The run of median wall time (its own CPU and memory), so one disturbed run does not decide."""
    ordered = sorted(runs, key=lambda r: r.wall_s)
    return ordered[(len(ordered) - 1) // 2]


def machine_busy_s() -> float:
    """CPU seconds every process on the machine has used since boot (all cores)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle and iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def children_cpu_s() -> float:
    """CPU seconds of this process's waited-for children so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@dataclass
class Others:
    """Cores that processes other than the benchmark's own kept busy while it measured."""

    busy_s: float = 0.0
    wall_s: float = 0.0

    def add(self, machine_s: float, ours_s: float, wall_s: float) -> None:
        self.busy_s += max(0.0, machine_s - ours_s)
        self.wall_s += wall_s

    @property
    def cores(self) -> float:
        return self.busy_s / self.wall_s if self.wall_s else 0.0


def measured(
    args: list[str], cwd: Path, env: dict[str, str], sandbox: SandboxProcess, others: Others, stdout: Path | None = None
) -> tuple[Run, dict[str, Any], float]:
    """A whole command against the sandbox: the run, the requests the sandbox answered for it, and the
    cores other processes used meanwhile (machine CPU minus this command's and the sandbox's)."""
    sandbox.reset()
    machine, sandbox_cpu = machine_busy_s(), sandbox.cpu_s()
    run = run_command(args, cwd, env, stdout)
    machine, sandbox_cpu = machine_busy_s() - machine, sandbox.cpu_s() - sandbox_cpu
    busy = max(0.0, machine - run.cpu_s - sandbox_cpu)
    others.add(machine, run.cpu_s + sandbox_cpu, run.wall_s)
    return run, sandbox.stats(), busy / run.wall_s if run.wall_s else 0.0
