"""Manifests parsed in the child process load exactly as when parsed in this one, and the child never
costs a rule, leaves a process behind, or starts for a small project."""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bench.estate import Shape, live_estate, manifests, write_manifests
from reconciler.engine.model import DesiredState
from reconciler.errors import InputError
from reconciler.project import parsing
from reconciler.project.config import load_config
from reconciler.project.finding import find_manifests
from reconciler.project.loader import load_desired
from reconciler.project.parseworker import read_manifest
from reconciler.project.yamlnodes import YamlMap, YamlSeq
from tests.corpus.yaml_cases import BOMS, CONTROL_CODES, DATA, PRIMO_HEAD, PRIMO_RULE, YAML_TEXTS
from tests.project.test_loader_gc import _project

# Texts the child reads as the loader does, and some it leaves to the loader (ruamel's YAML 1.2 and its errors).
READABLE = {
    "typed.yaml": b"a: 0x1F\nb: 1e3\nc: 007\nd: 2024-01-02\ne: 2024-01-02T10:00:00Z\nf: !!float 1\ng: ~\nh: yes\n",
    "aliases.yaml": b"base: &b {x: 1, y: [1, 2]}\nm: {<<: *b, z: 3}\nagain: *b\n",
    "yaml-1-2-only.yaml": b"n: [:0]\n",
    "duplicate-key.yaml": b"a: 1\na: 2\n",
    "empty.yaml": b"",
    "list-root.yml": b"- 1\n- 2\n",
    "UPPER.YAML": PRIMO_HEAD + PRIMO_RULE,
}


def _mixed_project(root: Path) -> Path:
    """The bench estate's manifests with every bad YAML text of the corpus among them, and a few oddities."""
    config = _project(root)
    rules = root / "rules" / "mixed"
    rules.mkdir()
    texts = {f"{name}.yaml": PRIMO_HEAD + PRIMO_RULE + text for name, text, _ in YAML_TEXTS}
    texts |= {f"control-{code:02x}.yaml": PRIMO_HEAD + b"# a" + bytes([code]) + b"b\n" for code in CONTROL_CODES}
    texts |= {f"{name}.yaml": bom + PRIMO_HEAD.decode().encode(encoding) for name, bom, encoding, _ in BOMS}
    texts |= {path.name: path.read_bytes() for path in DATA.glob("*.yaml")}
    for name, text in (texts | READABLE).items():
        (rules / name).write_bytes(text)
    os.symlink(rules / "UPPER.YAML", rules / "linked.yaml")
    os.symlink(rules / "missing.yaml", rules / "dangling.yaml")
    return config


def _shape(node: Any) -> Any:
    """A tree as comparable data: types, values, and every position."""
    if isinstance(node, YamlMap):
        entries = [(_shape(k), _shape(v), node.lc.data[k]) for k, v in node.items()]
        return ("map", node.lc.line, node.lc.col, entries, list(node.lc.data))
    if isinstance(node, YamlSeq):
        return ("seq", node.lc.line, node.lc.col, [_shape(v) for v in node], list(node.lc.data.items()))
    assert not isinstance(node, dict | list), type(node)  # every container keeps its positions
    return type(node), repr(node), getattr(node, "source_text", None)


def _read_all(paths: list[Path], root: Path, reader: parsing.ManifestReader | None) -> tuple[list[Any], dict[str, str]]:
    digests: dict[str, str] = {}
    outcomes: list[Any] = []
    for path in paths:
        try:
            file, tree = reader.read(path, digests) if reader else read_manifest(path, root, digests)
        except InputError as exc:
            outcomes.append([str(p) for p in exc.problems])
        else:
            outcomes.append((file, _shape(tree)))
    return outcomes, digests


class Recorded(subprocess.Popen[bytes]):
    """Popen that remembers every process it starts."""

    started: list[subprocess.Popen[bytes]] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        Recorded.started.append(self)


@pytest.fixture
def apart(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[subprocess.Popen[bytes]]]:
    """Every project is parsed in a child process; yields the processes started."""
    monkeypatch.setattr(parsing, "PARSE_APART_MIN_BYTES", 0)
    monkeypatch.setattr(parsing.subprocess, "Popen", Recorded)
    Recorded.started = []
    yield Recorded.started
    assert all(process.returncode is not None for process in Recorded.started), "a child left running"


def test_the_child_reads_every_file_as_this_process_does(
    tmp_path: Path, apart: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    _mixed_project(tmp_path)
    paths, _ = find_manifests(tmp_path / "rules")
    expected, expected_digests = _read_all(paths, tmp_path, None)
    left: list[Path] = []  # files the child left to this process
    monkeypatch.setattr(parsing, "read_manifest", lambda path, *args: left.append(path) or read_manifest(path, *args))
    with parsing.ManifestReader(paths, tmp_path) as reader:
        assert reader.apart
        outcomes, digests = _read_all(paths, tmp_path, reader)
        assert reader.apart  # it answered everything, or left files to this process: never failed
    assert outcomes == expected
    assert list(digests.items()) == list(expected_digests.items())
    assert sum(isinstance(outcome, list) for outcome in outcomes) > 90  # the corpus's refusals are among them
    assert len(apart) == 1
    assert 0 < len(left) < 10  # texts libyaml refuses
    assert {"yaml-1-2-only.yaml", "duplicate-key.yaml"} <= {path.name for path in left}


def _loaded(config_path: Path, **kwargs: Any) -> tuple[list[Any], dict[str, str]] | list[str]:
    config = load_config(config_path)
    try:
        state: DesiredState = load_desired(config, config.select(()), **kwargs)
    except InputError as exc:
        return [str(p) for p in exc.problems]
    rules = [rule for scope in state.scopes.values() for rule in scope.rules]
    return rules, state.digests


def test_loading_through_the_child_gives_the_same_rules_problems_and_digests(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    good, mixed = _project(tmp_path / "good"), _mixed_project(tmp_path / "mixed")
    expected = [_loaded(good), _loaded(mixed)]
    assert len(expected[0][0]) == 3 * 4 + 30 + 27
    monkeypatch.setattr(parsing, "PARSE_APART_MIN_BYTES", 0)
    monkeypatch.setattr(parsing.subprocess, "Popen", Recorded)
    Recorded.started = []
    assert [_loaded(good), _loaded(mixed)] == expected
    assert len(Recorded.started) == 2
    assert all(process.returncode is not None for process in Recorded.started)  # after an InputError too


# A child that answers for the first file, then dies halfway through its answer for the second.
DIES_MIDWAY = """
import pickle, sys
from reconciler.project.parseworker import LENGTH, answer
root, paths = pickle.load(sys.stdin.buffer)
for path, share in ((paths[0], 1), (paths[1], 0.5)):
    data = pickle.dumps(answer(path, root))
    sys.stdout.buffer.write(LENGTH.pack(len(data)) + data[: int(len(data) * share)])
"""


def test_a_child_dying_midway_costs_no_rule(
    tmp_path: Path, apart: list[subprocess.Popen[bytes]], monkeypatch: pytest.MonkeyPatch
) -> None:
    config_path = _project(tmp_path)
    expected = _loaded(config_path)
    paths, _ = find_manifests(tmp_path / "rules")
    monkeypatch.setattr(parsing, "WORKER_COMMAND", [sys.executable, "-P", "-c", DIES_MIDWAY])
    left: list[Path] = []
    monkeypatch.setattr(parsing, "read_manifest", lambda path, *args: left.append(path) or read_manifest(path, *args))
    assert _loaded(config_path) == expected
    assert left == paths[1:]  # the first came from the child, the rest were read here
    assert apart[-1].returncode is not None


@pytest.mark.parametrize(
    "command",
    [
        ["/nonexistent/python"],  # cannot start
        [sys.executable, "-c", "print('not a pickle')"],  # garbage, announced as gigabytes long
        [sys.executable, "-c", "import sys; sys.stdout.buffer.write(bytes(8) + b'x' * 50)"],  # an empty answer
        [
            sys.executable,
            "-c",
            "import pickle, sys; d = pickle.dumps(('?', 1)); sys.stdout.buffer.write(len(d).to_bytes(8, 'big') + d)",
        ],
        [sys.executable, "-c", "pass"],  # ends at once
    ],
)
def test_a_child_that_fails_leaves_the_loading_to_this_process(
    tmp_path: Path, apart: list[Any], monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    config_path = _mixed_project(tmp_path)
    monkeypatch.setattr(parsing, "PARSE_APART_MIN_BYTES", 1 << 60)
    expected = _loaded(config_path)
    monkeypatch.setattr(parsing, "PARSE_APART_MIN_BYTES", 0)
    monkeypatch.setattr(parsing, "WORKER_COMMAND", command)
    assert _loaded(config_path) == expected


def test_no_child_outlives_an_interrupted_loading(
    tmp_path: Path, apart: list[subprocess.Popen[bytes]], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = load_config(_project(tmp_path))
    monkeypatch.setattr(parsing, "WORKER_COMMAND", [sys.executable, "-c", "import time; time.sleep(60)"])

    def interrupted(stream: Any, size: int) -> bytes:
        assert apart[-1].poll() is None  # the child is at work
        raise KeyboardInterrupt  # Ctrl-C while the loader waits for an answer

    monkeypatch.setattr(parsing, "_read_exactly", interrupted)
    with pytest.raises(KeyboardInterrupt):
        load_desired(config, config.select(()))
    assert apart[-1].returncode == -signal.SIGKILL  # killed and reaped


def test_a_small_project_starts_no_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a process was started")

    monkeypatch.setattr(parsing.subprocess, "Popen", refuse)
    config = load_config(_project(tmp_path))
    assert load_desired(config, config.select(())).rule_count() == 3 * 4 + 30 + 27


def test_a_large_project_is_parsed_apart(tmp_path: Path) -> None:
    write_manifests(manifests(live_estate(Shape(apps=40, rules_per_app=40, vault_rules=3000))), tmp_path)
    paths, _ = find_manifests(tmp_path)
    assert parsing.manifest_bytes_reach(paths, parsing.PARSE_APART_MIN_BYTES)
    with parsing.ManifestReader(paths, tmp_path) as reader:
        assert reader.apart


def test_the_child_imports_only_the_yaml_reader_and_no_openssl() -> None:
    code = (
        "import sys, reconciler.project.parseworker as worker; worker.main(); "
        "print(sorted({m.split('.')[0] for m in sys.modules}), sys.modules['_hashlib'], file=sys.stderr)"
    )
    ran = subprocess.run(
        [sys.executable, "-P", "-c", code], input=pickle.dumps((None, [])), capture_output=True, check=True
    )
    loaded = ran.stderr.decode()
    assert "ruamel" in loaded and loaded.endswith("None\n")  # digests by Python's own SHA-256
    for heavy in ("pydantic", "httpx", "click", "asyncio"):
        assert f"'{heavy}'" not in loaded


def test_a_list_of_files_longer_than_a_pipe_holds_reaches_the_child_whole(
    tmp_path: Path, apart: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / ("long-folder-name-" * 6)
    folder.mkdir()
    for index in range(1200):  # about 200 KB of paths: the pipe holds 64 KB until the child, still starting, reads
        (folder / f"manifest-{index:05}.yaml").write_bytes(b"n: %d\n" % index)
    paths, _ = find_manifests(folder)
    left: list[Path] = []
    monkeypatch.setattr(parsing, "read_manifest", lambda path, *args: left.append(path) or read_manifest(path, *args))
    digests: dict[str, str] = {}
    with parsing.ManifestReader(paths, tmp_path) as reader:
        values = [reader.read(path, digests)[1]["n"] for path in paths]
        assert reader.apart
    assert values == list(range(1200)) and len(digests) == 1200 and left == []
