"""Exit 2 means only "changes" (`plan --detailed-exitcode`) or "drift" (`sync`): a usage error in any
command, at any depth, exits 1, so a mistyped option in a scheduled job never reads as drift."""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner

from reconciler.cli import main
from reconciler.cli.main import COMMANDS

# A usage error of each kind, in each command: unknown option, missing value, bad value, extra argument.
BAD_VALUES = [
    ("sync", "--targt", "x"),
    ("plan", "--target"),
    ("plan", "--shard", "abc"),
    ("sync", "--shard", "3/2"),
    ("targets", "--matrix", "--shards", "0"),
    ("targets", "extra"),
    ("show",),
    ("sandbox", "--port", "abc"),
    ("sandbox", "--fault-rate", "2"),
    ("policy", "test", "--bogus"),
    ("policy", "nosuch"),
    ("nosuch",),
    ("--bogus",),
]


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_an_unknown_option_exits_1_in_every_command(command: str) -> None:
    result = CliRunner().invoke(main, [command, "--bogus"])
    assert result.exit_code == 1, result.output
    assert "No such option '--bogus'" in result.output


@pytest.mark.parametrize("args", BAD_VALUES, ids=" ".join)
def test_every_kind_of_usage_error_exits_1(args: tuple[str, ...]) -> None:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 1, result.output
    assert "Error:" in result.output


def test_a_bad_log_level_from_the_environment_exits_1() -> None:
    result = CliRunner().invoke(main, ["targets"], env={"RECONCILER_LOG": "loud"})
    assert result.exit_code == 1, result.output
    assert "RECONCILER_LOG='loud' is not one of" in result.output


def test_the_installed_entry_point_exits_1_too() -> None:
    """Outside click's test runner: the real process, as a workflow step sees it."""
    result = subprocess.run(
        [sys.executable, "-m", "reconciler", "sync", "--targt", "x"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1, result.stderr
    assert "No such option '--targt'" in result.stderr


@pytest.mark.parametrize(("args", "meant"), [(("polcy", "test"), "policy"), (("aply",), "apply"), (("plna",), "plan")])
def test_a_mistyped_command_gets_did_you_mean(args: tuple[str, ...], meant: str) -> None:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 1, result.output
    assert f"No such command '{args[0]}' (did you mean '{meant}'?)" in result.output
