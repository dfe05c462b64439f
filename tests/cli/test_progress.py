"""Progress on stderr: a bar on a terminal (never with JSON output), elsewhere a line now and then."""

from __future__ import annotations

import io
import time

from reconciler.cli.progress import ProgressDisplay, wanted


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def run_steps(display: ProgressDisplay, total: int = 5) -> None:
    with display:
        step = display.counter("Reading live rules (scopes)", total)
        for _ in range(total - 1):
            step("scope")


def test_no_bar_when_stderr_is_not_a_terminal_and_quick_runs_print_no_line() -> None:
    stream = io.StringIO()
    assert not wanted(as_json=False, stream=stream)
    run_steps(ProgressDisplay(wanted(as_json=False, stream=stream), stream, delay_s=0))
    assert stream.getvalue() == ""


def test_long_runs_without_a_terminal_print_a_line_now_and_then() -> None:
    stream = io.StringIO()
    with ProgressDisplay(False, stream, every_s=0.02) as display:
        step = display.counter("Reading live rules (scopes)", 3)
        step("scope")
        time.sleep(0.2)
    lines = stream.getvalue().splitlines()
    assert len(lines) >= 2 and set(lines) <= {f"Reading live rules (scopes): 1/3 after {s} s" for s in range(3)}
    settled = stream.getvalue()
    time.sleep(0.05)
    assert stream.getvalue() == settled  # the lines stop with the operation


def test_no_bar_with_json_output_even_on_a_terminal() -> None:
    stream = Terminal()
    assert not wanted(as_json=True, stream=stream)
    run_steps(ProgressDisplay(wanted(as_json=True, stream=stream), stream, delay_s=0))
    assert stream.getvalue() == ""


def test_shown_on_a_terminal() -> None:
    stream = Terminal()
    assert wanted(as_json=False, stream=stream)
    run_steps(ProgressDisplay(True, stream, delay_s=0))
    assert "Reading live rules" in stream.getvalue()


def test_quick_operations_print_nothing() -> None:
    stream = Terminal()
    run_steps(ProgressDisplay(True, stream, delay_s=60))
    assert stream.getvalue() == ""
