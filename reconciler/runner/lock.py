"""One writer per target on this machine: `apply` and `sync --repair` hold a lock file per target.

Two writers at once against one tenant are how rules get created twice. In CI the workflows share
one concurrency group per target; on a laptop, two terminals share this folder of lock files. A lock
is an `flock` on `<target>-<digest>.lock` (the digest names the tenant: provider, url and options,
so two checkouts of one project, or two names for one tenant, meet on the same file). The kernel
releases it when the process ends, however it ends, so a crashed run leaves no stale lock. A run
that finds a lock held says who holds it and goes on: its verify reports what the other writer did.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from reconciler.project.config import Target

LOCK_DIR_VARIABLE = "RECONCILER_LOCK_DIR"


def lock_dir() -> Path:
    """Where the lock files are: $RECONCILER_LOCK_DIR, else a folder of this user's in the temp folder."""
    chosen = os.environ.get(LOCK_DIR_VARIABLE)
    return Path(chosen) if chosen else Path(tempfile.gettempdir()) / f"reconciler-locks-{os.getuid()}"


def lock_path(target: Target) -> Path:
    tenant = json.dumps([target.provider, target.resolve_url(), target.spec.options], sort_keys=True, default=str)
    return lock_dir() / f"{target.name}-{hashlib.sha256(tenant.encode()).hexdigest()[:16]}.lock"


def _holder(path: Path) -> str:
    """Who holds the lock, as the holder wrote it into the file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        since = time.strftime("%H:%M:%S", time.localtime(data["since"]))
        return f"pid {data['pid']}, `{data['command']}`, since {since}"
    except (OSError, ValueError, KeyError, TypeError):
        return "a process that has not said who it is yet"


@contextlib.contextmanager
def hold_target_locks(targets: list[Target], command: str) -> Iterator[list[str]]:
    """Hold each target's lock while the block runs; yields a warning for each lock another run holds."""
    warnings: list[str] = []
    held: list[IO[str]] = []
    try:
        folder = lock_dir()
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        for target in targets:
            path = lock_path(target)
            handle = path.open("a+", encoding="utf-8")
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                warnings.append(
                    f"target {target.name!r} is being written by another reconciler run on this machine "
                    f"({_holder(path)}; lock file {path}): two writers at once can create the same rules twice. "
                    "This run goes on; its verify reports what the other run changed"
                )
                continue
            handle.truncate(0)
            handle.write(json.dumps({"pid": os.getpid(), "command": command, "since": time.time()}))
            handle.flush()
            held.append(handle)
    except OSError as exc:  # a read-only temp folder must not stop an apply: say so and go on
        warnings.append(f"cannot take the local lock of the targets ({exc}): other runs on this machine are not warned")
    try:
        yield warnings
    finally:
        for handle in held:
            handle.close()  # closing releases the flock
