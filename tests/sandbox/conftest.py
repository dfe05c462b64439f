"""One sandbox server for the sandbox tests (fast), each test on tenants of its own, with faults and
counters reset before each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from reconciler.sandbox import FaultConfig, SandboxServer


@pytest.fixture(scope="session")
def shared_server() -> Iterator[SandboxServer]:
    with SandboxServer() as running:
        yield running


@pytest.fixture
def server(shared_server: SandboxServer) -> SandboxServer:
    """The shared server with default faults and zeroed counters (tenants differ per test)."""
    shared_server.faults.update(FaultConfig().to_json())
    shared_server.stats.reset()
    return shared_server
