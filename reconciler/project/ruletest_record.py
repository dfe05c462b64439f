"""`reconciler test --record`: current outcomes written into test files as expectations, marked as
recorded. Files are edited in place (ruamel round trip): comments, layout and hand-written
expectations stay as they are."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from reconciler.project.importing.yamlstyle import dump_yaml, guess_style, load_text, to_node


def record_expectations(path: Path, outcomes: Mapping[int, dict[str, Any]]) -> bool:
    """Writes each `cases[i].expect` of `outcomes` with `recorded: true`; True when the file changed."""
    text = path.read_text(encoding="utf-8")
    style = guess_style(text)
    root = load_text(text, style)
    for index, expect in sorted(outcomes.items()):
        case = root["cases"][index]
        case["expect"] = to_node(expect)
        case["recorded"] = True  # the mark `test --record` refreshes, and reviewers look for
    updated = dump_yaml(root, style)
    if updated == text:
        return False
    path.write_text(updated, encoding="utf-8")
    return True
