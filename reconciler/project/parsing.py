"""Manifests parsed in a child process beside the loading, when the project is large.

Parsing YAML is half of a large project's loading (0.8 s of CPU for 12,000 rules), and a process runs
its Python on one core at a time: a plan that loads while it reads live rules spends that time in the
process that also sends the requests. So the manifests of a project holding at least
PARSE_APART_MIN_BYTES are parsed by a child process, a fresh interpreter that imports only the YAML
reader (`parseworker`), which sends back each file's tree with its positions, in order, as a pickle:
taking one in costs a fifth of parsing it. The loader takes the files one by one as they come, so
whatever a loaded file allows (the live reads of its scopes) starts as soon as before. A smaller project
is read in this process: it would spend more starting the child than it saves.

The child is a help, never the judge of a file: one it does not read as the loader would (a text only
ruamel reads, an unexpected error) is read here again, and if it cannot start, dies or answers what it
should not, the files left are read here. It is killed and reaped when the loading ends, however it ends.
"""

from __future__ import annotations

import pickle
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from reconciler.errors import InputError, Problem
from reconciler.project.parseworker import LENGTH, PARSED, REFUSED, UNREAD, read_manifest

PARSE_APART_MIN_BYTES = 1 << 20  # below this, starting the child costs more than it saves (docs/performance.md)
# `-P`: the working folder stays off the child's module path (a `yaml.py` there is not imported).
WORKER_COMMAND = [sys.executable, "-P", "-m", "reconciler.project.parseworker"]
MAX_ANSWER_BYTES = 1 << 31  # a longer answer is garbage: a tree is a few times its file, and files stop at 16 MiB


def manifest_bytes_reach(paths: Sequence[Path], limit: int) -> bool:
    """Whether the files hold at least `limit` bytes together (stops counting once they do)."""
    total = 0
    for path in paths:
        try:
            total += path.stat().st_size
        except OSError:
            continue  # the loading reports it
        if total >= limit:
            return True
    return False


class ManifestReader:
    """Reads manifests in the given order, through the child process when the project is large."""

    def __init__(self, paths: Sequence[Path], root: Path | None) -> None:
        self.root = root
        self._worker: subprocess.Popen[bytes] | None = None
        if manifest_bytes_reach(paths, PARSE_APART_MIN_BYTES):
            self._worker = _start([*paths], root)

    @property
    def apart(self) -> bool:
        """Whether a child process is parsing (it stops being one if it fails)."""
        return self._worker is not None

    def read(self, path: Path, digests: dict[str, str]) -> tuple[str, Any]:
        """As `read_manifest`: the manifest's name as shown and its YAML, or InputError."""
        answer = self._answer(path)
        if answer is None:
            return read_manifest(path, self.root, digests)
        kind, file, found, value = answer
        digests.update(found)
        if kind == REFUSED:
            raise InputError(value)
        return file, value

    def _answer(self, path: Path) -> tuple[Any, ...] | None:
        """The child's answer for `path`, or None when this process must read the file itself."""
        worker = self._worker
        if worker is None or worker.stdout is None:
            return None
        try:
            (size,) = LENGTH.unpack(_read_exactly(worker.stdout, LENGTH.size))
            if size > MAX_ANSWER_BYTES:
                raise ValueError("answer too long")
            shown, answer = pickle.loads(_read_exactly(worker.stdout, size))
            if shown != str(path):
                raise ValueError("answer for another file")
            if answer == (UNREAD,):
                return None
            if not _well_formed(answer):
                raise ValueError("malformed answer")
            return tuple(answer)
        except Exception:  # a dead child (EOF), garbage, or closed meanwhile: read the rest here
            self.close()
            return None

    def close(self) -> None:
        """Kill and reap the child, if any (safe to call again, and from another thread)."""
        worker, self._worker = self._worker, None
        if worker is None:
            return
        worker.kill()  # it may still be parsing files nobody will take
        worker.wait()
        if worker.stdout is not None:
            worker.stdout.close()

    def __enter__(self) -> ManifestReader:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()


def _start(paths: list[Path], root: Path | None) -> subprocess.Popen[bytes] | None:
    """The child process, told what to parse; None when it cannot be started.

    A fresh interpreter, not a fork: this process may already run threads and an event loop, and a
    fork would copy its memory (and, on Linux, its peak RSS) for nothing.
    """
    if not sys.executable:
        return None
    try:
        worker = subprocess.Popen(
            WORKER_COMMAND,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # never a traceback of its own: failures fall back to this process
        )
    except (OSError, ValueError, subprocess.SubprocessError):
        return None
    # Sent from a thread: a long list fills the pipe until the child, still importing, reads it.
    message = pickle.dumps((root, paths), pickle.HIGHEST_PROTOCOL)
    threading.Thread(target=_send, args=(worker.stdin, message), name="manifest-list", daemon=True).start()
    return worker


def _send(stream: IO[bytes] | None, message: bytes) -> None:
    assert stream is not None
    try:
        with stream:
            stream.write(message)
    except OSError:
        pass  # it died: the loader meets the end of its answers, and reads the files itself


def _read_exactly(stream: IO[bytes], size: int) -> bytes:
    data = stream.read(size)
    if len(data) != size:
        raise EOFError("the parser process ended")
    return data


def _well_formed(answer: Any) -> bool:
    if not isinstance(answer, tuple) or len(answer) != 4:
        return False
    kind, file, digests, value = answer
    if not isinstance(digests, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in digests.items()):
        return False
    if kind == REFUSED:
        return isinstance(value, list) and bool(value) and all(isinstance(p, Problem) for p in value)
    return kind == PARSED and isinstance(file, str)
