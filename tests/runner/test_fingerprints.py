"""Saved plans fingerprint the files as the loaders read them: nothing reads the rules folder twice."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from reconciler.errors import InputError
from reconciler.runner.flows import manifest_digests
from reconciler.runner.workspace import open_workspace

CONFIG = "targets:\n  p: {provider: primo, url: https://x, credentials: {api_key: {env: K}}}\n"
MANIFEST = b"target: p\r\nrules:\r\n  - {type: MDM_ONLINE, nonCompliantStatus: [OFFLINE]}\r\n"


def sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def project(tmp_path: Path, manifest: bytes) -> Path:
    (tmp_path / "reconciler.yaml").write_text(CONFIG, encoding="utf-8")
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "p.yaml").write_bytes(manifest)
    return tmp_path / "reconciler.yaml"


def test_digests_are_of_the_bytes_loaded_and_the_folder_is_not_read_again(tmp_path: Path) -> None:
    workspace = open_workspace(project(tmp_path, MANIFEST), check_env=False)
    (tmp_path / "rules" / "p.yaml").unlink()  # gone from disk: the fingerprint is of what was loaded
    (tmp_path / "reconciler.yaml").write_text(CONFIG + "# edited\n", encoding="utf-8")
    assert manifest_digests(workspace) == {"reconciler.yaml": sha(CONFIG.encode()), "rules/p.yaml": sha(MANIFEST)}
    assert workspace.desired.rule_count() == 1  # CRLF line ends parse as before


def test_a_manifest_that_is_not_utf8_is_one_located_problem(tmp_path: Path) -> None:
    with pytest.raises(InputError) as raised:
        open_workspace(
            project(tmp_path, b"target: p\nrules:\n  - {type: MDM_ONLINE, note: caf\xe9}\n"), check_env=False
        )
    assert [str(p) for p in raised.value.problems] == [
        "rules/p.yaml:3:33 not UTF-8 text: byte 0xE9 here is not UTF-8 (Latin-1?); save the file as UTF-8"
    ]
