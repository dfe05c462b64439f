"""The benchmark's sandbox floor: a bare client's list calls, counted by the sandbox, against the bound."""

from __future__ import annotations

import json
from pathlib import Path

from bench.baselines import sandbox_floor
from bench.estate import Shape, live_estate, seed_state
from reconciler.sandbox import SandboxServer
from reconciler.sandbox.common import FaultConfig


def test_the_floor_sends_the_sample_and_times_it_against_the_bound(tmp_path: Path) -> None:
    state = seed_state(live_estate(Shape(apps=3)))
    state_file = tmp_path / "state.json"
    state_file.write_text(json.dumps(state.to_json()), encoding="utf-8")
    with SandboxServer(state, save_state=False, faults=FaultConfig(latency_ms=5)) as server:
        ratio = sandbox_floor(server, state_file, concurrency=4, latency_s=0.005, sample=40)  # type: ignore[arg-type]
        lists = sum(n for route, n in server.stats.by_route.items() if route.startswith("GET onelogin"))
    assert lists == 40  # every sampled list call answered, and no other
    assert 0.9 < ratio < 20  # each connection's ten calls wait 5 ms each: about the bound, never far below
