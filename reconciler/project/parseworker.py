"""The manifest parser's child process (see `parsing`), and the one way a manifest is read.

Run as `python -m reconciler.project.parseworker`: it takes the project root and the manifests' paths
as one pickle on stdin, then writes one answer per path, in order, to stdout, each a pickle preceded by
its length (8 bytes, big-endian). It imports the YAML reader and nothing of the command line, models or
HTTP, so that it is ready in a tenth of a second, and is as small as an interpreter reading YAML can be:
its memory counts beside the loader's while both run.
"""

from __future__ import annotations

import gc
import pickle
import signal
import struct
import sys
from pathlib import Path
from typing import Any

from reconciler.errors import InputError

LENGTH = struct.Struct(">Q")
PARSED, REFUSED, UNREAD = "parsed", "refused", "unread"  # an answer's kinds; UNREAD: read it yourself


def read_manifest(
    path: Path, root: Path | None, digests: dict[str, str], *, round_trip: bool = True
) -> tuple[str, Any]:
    """A manifest's name as shown (relative to the project root) and its YAML with positions; the
    digest of its bytes goes into `digests`. InputError, located, when it cannot be read."""
    from reconciler.project.yamlsource import display_path, load_yaml  # imported first by the child's main

    file = display_path(path, root)
    return file, load_yaml(path, file, digests, round_trip=round_trip)


def answer(path: Path, root: Path | None) -> tuple[str, tuple[Any, ...]]:
    """What the loader would get from `read_manifest`, as a picklable answer tagged with the path."""
    digests: dict[str, str] = {}
    try:
        # A text libyaml refuses is left to the loader: ruamel's values and errors are its own to make.
        file, tree = read_manifest(path, root, digests, round_trip=False)
    except InputError as exc:
        return str(path), (REFUSED, "", digests, exc.problems)
    except Exception:  # NeedsRoundTrip, or anything unexpected: the loader meets it as it would alone
        return str(path), (UNREAD,)
    return str(path), (PARSED, file, digests, tree)


def main() -> None:
    # Ctrl-C reaches the whole process group: the loader decides what happens, and ends this process.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    gc.disable()  # trees hold no cycles, and each is dropped once sent (as in the loader, which pauses it too)
    # File digests by Python's own SHA-256 (hashlib's fallback, the same digests), not OpenSSL's: its
    # library was 3.5 MB of this process's 20 MB, and the digests are a small part of its time.
    sys.modules["_hashlib"] = None  # type: ignore[assignment]
    import reconciler.project.yamlsource  # noqa: F401 - the YAML reader, imported while the list of files comes

    root, paths = pickle.load(sys.stdin.buffer)
    out = sys.stdout.buffer
    for path in paths:
        data = pickle.dumps(answer(path, root), pickle.HIGHEST_PROTOCOL)
        out.write(LENGTH.pack(len(data)))
        out.write(data)
        out.flush()


if __name__ == "__main__":
    try:
        main()
    except (BrokenPipeError, EOFError):  # the loader stopped listening, or never spoke
        sys.exit(1)
