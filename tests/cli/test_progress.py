"""Progress goes to a terminal's stderr only: never without a TTY, never with JSON output."""

from __future__ import annotations

import io

from reconciler.cli.progress import ProgressDisplay, wanted


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def run_steps(display: ProgressDisplay, total: int = 5) -> None:
    with display:
        step = display.counter("Reading live rules (scopes)", total)
        for _ in range(total - 1):
            step("scope")


def test_silent_when_stderr_is_not_a_terminal() -> None:
    stream = io.StringIO()
    assert not wanted(as_json=False, stream=stream)
    run_steps(ProgressDisplay(wanted(as_json=False, stream=stream), stream, delay_s=0))
    assert stream.getvalue() == ""


def test_silent_with_json_output_even_on_a_terminal() -> None:
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
