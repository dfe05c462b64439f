"""The local lock: a second writer to the same tenant on this machine is warned, never blocked, and a
lock is released with its holder (even one that dies)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler.errors import Location
from reconciler.project.config import Target, TargetConfig
from reconciler.runner.lock import LOCK_DIR_VARIABLE, hold_target_locks, lock_path


def target(name: str, url: str = "https://vault.example.com/") -> Target:
    spec = {"provider": "vizivault", "url": url, "credentials": {"api_key": {"env": "K"}}}
    return Target(name, TargetConfig.model_validate(spec), Location("reconciler.yaml"))


@pytest.fixture(autouse=True)
def lock_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(LOCK_DIR_VARIABLE, str(tmp_path))
    return tmp_path


def test_a_second_writer_is_warned_with_who_holds_the_lock() -> None:
    with hold_target_locks([target("vault")], "apply") as first:
        assert first == []
        with hold_target_locks([target("vault"), target("other", "https://other.example/")], "sync --repair") as second:
            assert len(second) == 1
            assert (
                f"target 'vault' is being written by another reconciler run on this machine (pid {os.getpid()}, `apply`"
                in second[0]
            )
    with hold_target_locks([target("vault")], "apply") as again:
        assert again == []  # released when the first run ended


def test_the_lock_names_the_tenant_not_only_the_target() -> None:
    assert lock_path(target("vault")) != lock_path(target("vault", "https://vault-eu.example.com/"))
    assert lock_path(target("vault")) == lock_path(target("vault"))


def test_a_lock_dies_with_its_holder(lock_folder: Path) -> None:
    path = lock_path(target("vault"))
    path.parent.mkdir(parents=True, exist_ok=True)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import fcntl, time; f = open({str(path)!r}, 'a'); fcntl.flock(f, fcntl.LOCK_EX); "
            "print(1, flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline()
        with hold_target_locks([target("vault")], "apply") as warnings:
            assert "has not said who it is yet" in warnings[0]
    finally:
        holder.kill()
        holder.wait()
    with hold_target_locks([target("vault")], "apply") as warnings:
        assert warnings == []
