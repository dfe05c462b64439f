"""Signals: an apply's writes stop on SIGINT or SIGTERM and say so; Ctrl-C elsewhere exits 130, located."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest

from reconciler.cli.interrupt import exit_status, until_interrupted
from reconciler.cli.options import reports_errors


@pytest.mark.parametrize(("sent", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_cancels_the_work_and_names_itself(sent: signal.Signals, status: int) -> None:
    finished: list[str] = []

    async def work() -> str:
        await asyncio.sleep(5)
        finished.append("yes")
        return "done"

    async def main() -> tuple[str | None, int | None]:
        asyncio.get_running_loop().call_later(0.05, os.kill, os.getpid(), sent)
        return await until_interrupted(work())

    result, signum = asyncio.run(main())
    assert (result, signum, finished) == (None, sent, [])
    assert exit_status(sent) == status
    assert signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None)  # handlers are removed afterwards


def test_work_that_ends_keeps_its_result() -> None:
    async def work() -> str:
        return "done"

    assert asyncio.run(until_interrupted(work())) == ("done", None)


def test_ctrl_c_outside_an_apply_exits_130_without_a_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    @reports_errors
    def command() -> None:
        raise KeyboardInterrupt

    with pytest.raises(SystemExit) as exited:
        command()
    assert exited.value.code == 130
    assert capsys.readouterr().err == "Interrupted; nothing was changed in any tenant.\n"
