"""Progress of long plans and applies on a terminal: scopes read, changes applied.

Shown on stderr with rich, only when stderr is a terminal and the output is not JSON, and only once
an operation has lasted `delay_s`, so quick runs print nothing extra. The engine reports through
plain callbacks (`on_fetched`, `on_outcome`) and knows nothing of this module.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any, TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

DELAY_S = 0.5


def wanted(as_json: bool, stream: TextIO | None = None) -> bool:
    """Progress only for people: a terminal on stderr, and never alongside JSON output."""
    stream = sys.stderr if stream is None else stream
    return not as_json and stream.isatty()


class ProgressDisplay:
    """One progress bar at a time; a no-op unless enabled. Use as a context manager around an operation."""

    def __init__(self, enabled: bool, stream: TextIO | None = None, delay_s: float = DELAY_S) -> None:
        self.enabled = enabled
        self.stream = sys.stderr if stream is None else stream
        self.delay_s = delay_s
        self._progress: Progress | None = None
        self._task: Any = None
        self._started = 0.0
        self._done = 0
        self._total = 0
        self._description = ""

    def __enter__(self) -> ProgressDisplay:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def counter(self, description: str, total: int) -> Callable[..., None]:
        """A callback that counts one step (of `total`) each time it is called, whatever its arguments."""
        self._description, self._total, self._done = description, total, 0
        self._started = time.monotonic()

        def step(*_: Any) -> None:
            self._done += 1
            self._show()

        return step

    def _show(self) -> None:
        if not self.enabled:
            return
        if self._progress is None:
            if time.monotonic() - self._started < self.delay_s or self._done >= self._total:
                return
            console = Console(file=self.stream, stderr=True)
            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=console,
                transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task(self._description, total=self._total)
        self._progress.update(self._task, completed=self._done)
