"""A stand-in for `reconciler` in dry runs of the workflows' shell steps: it logs its arguments and
acts out what a test scripted for the command (and target), writing the files the real one would."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path


def value(args: list[str], name: str) -> str | None:
    return args[args.index(name) + 1] if name in args else None


def main(args: list[str]) -> int:
    log = Path(os.environ["RECONCILER_FAKE_LOG"])
    with log.open("a", encoding="utf-8") as out:
        out.write(json.dumps(args) + "\n")
    script = json.loads(os.environ["RECONCILER_FAKE"])
    target = value(args, "--target")
    act = script.get(f"{args[0]} {target}") or script.get(args[0]) or {}
    markdown = act.get("markdown")
    if markdown is not None:
        for option, name in (("--markdown-parts", "part-001.md"), ("--markdown", None)):
            where = value(args, option)
            if where is not None:
                path = Path(where) / name if name else Path(where)
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(markdown, encoding="utf-8")
        if value(args, "--out"):
            Path(value(args, "--out") or "").write_text("{}", encoding="utf-8")
    sys.stdout.write(act.get("stdout", ""))
    sys.stderr.write(act.get("stderr", ""))
    return int(act.get("exit", 0))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
