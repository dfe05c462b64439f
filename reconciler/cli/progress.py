"""Progress of long plans and applies: scopes read, changes applied.

On a terminal (and without JSON output) a rich progress bar on stderr, shown once an operation has
lasted `delay_s`, so quick runs print nothing extra. Elsewhere (CI logs, JSON output) one plain line
on stderr every `every_s` while the operation lasts, so a long run never looks hung. What a run
waits for (a host that keeps failing, a rate limit) is said by the HTTP layer's notices beside it.
The engine reports through plain callbacks (`on_fetched`, `on_outcome`) and knows nothing of this
module.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any, TextIO

import click

from reconciler.safetext import SafeStream

DELAY_S = 0.5
EVERY_S = 10.0


def wanted(as_json: bool, stream: TextIO | None = None) -> bool:
    """The bar is for people: a terminal on stderr, and never alongside JSON output."""
    stream = sys.stderr if stream is None else stream
    return not as_json and stream.isatty()


class ProgressDisplay:
    """One operation at a time, as a bar (`bar=True`) or as periodic lines. A context manager."""

    def __init__(
        self, bar: bool, stream: TextIO | None = None, delay_s: float = DELAY_S, every_s: float = EVERY_S
    ) -> None:
        self.bar = bar
        self.stream = sys.stderr if stream is None else stream
        self.delay_s = delay_s
        self.every_s = every_s
        self._progress: Any = None
        self._task: Any = None
        self._started = 0.0
        self._done = 0
        self._total = 0
        self._description = ""
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    def __enter__(self) -> ProgressDisplay:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
            self._ticker = None
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def counter(self, description: str, total: int) -> Callable[..., None]:
        """A callback that counts one step (of `total`) each time it is called, whatever its arguments."""
        self._description, self._total, self._done = description, total, 0
        self._started = time.monotonic()
        if not self.bar and self._ticker is None:
            self._ticker = threading.Thread(target=self._tick, name="progress-lines", daemon=True)
            self._ticker.start()

        def step(*_: Any) -> None:
            self._done += 1
            if self.bar:
                self._show_bar()

        return step

    def line(self) -> str:
        elapsed = time.monotonic() - self._started
        return f"{self._description}: {self._done}/{self._total} after {elapsed:.0f} s"

    def _tick(self) -> None:
        while not self._stop.wait(self.every_s):
            if self._done < self._total:
                click.echo(self.line(), file=self.stream)

    def _show_bar(self) -> None:
        if self._progress is None:
            if time.monotonic() - self._started < self.delay_s or self._done >= self._total:
                return
            from rich.console import Console  # only a terminal that shows a bar pays for rich
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            colour = click.get_current_context(silent=True)
            # The bar draws with cursor controls, which the output stream would escape: rich gets the stream
            # under it, through a filter that still redacts secrets.
            stream = SafeStream(getattr(self.stream, "stream", self.stream), escape=False)
            console = Console(file=stream, stderr=True, no_color=colour is not None and colour.color is False)
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
