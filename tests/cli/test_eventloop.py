"""The command line's event loop hands back what the main coroutine returns, without formatting it."""

from __future__ import annotations

from reconciler.cli import eventloop


class Workspace:
    """Stands for a large result: formatting it must not happen (it cost seconds at 100,000 rules)."""

    formatted = 0

    def __repr__(self) -> str:
        Workspace.formatted += 1
        return "Workspace()"


async def load() -> Workspace:
    return Workspace()


def test_result_comes_back_unformatted() -> None:
    Workspace.formatted = 0
    result = eventloop.run(load())
    assert isinstance(result, Workspace)
    assert Workspace.formatted == 0
