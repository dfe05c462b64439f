"""What is read from the rules folder, and the limits that keep any file from hanging or fooling a run.

The bad-input corpus (tests/corpus) checks each refusal through the CLI; these tests check what is
read, what passes, and the limits' edges."""

from __future__ import annotations

import os
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.engine.model import DesiredState
from reconciler.errors import InputError
from reconciler.project.config import load_config
from reconciler.project.finding import find_manifests
from reconciler.project.loader import load_desired
from reconciler.project.yamllimits import MAX_DEPTH
from reconciler.project.yamlsource import load_yaml, parse_yaml
from reconciler.runner.workspace import Workspace
from tests.corpus.harness import CONFIG, GOOD_MANIFEST
from tests.corpus.yaml_cases import _bomb

RULE = "  - type: {type}\n    nonCompliantStatus: [PENDING]\n"


def project(root: Path) -> Path:
    (root / "rules").mkdir()
    (root / "reconciler.yaml").write_bytes(CONFIG)
    return root / "reconciler.yaml"


def primo_manifest(*types: str) -> str:
    return "target: primo-test\nrules:\n" + "".join(RULE.format(type=t) for t in types)


def loaded_types(config_path: Path) -> list[str]:
    config = load_config(config_path)
    desired = load_desired(config, list(config.targets.values()))
    return sorted(rule.identity for scope in desired.scopes.values() for rule in scope.rules)


def test_every_yaml_file_is_read_whatever_the_case_of_its_extension(tmp_path: Path) -> None:
    config = project(tmp_path)
    for name, rule in (("a.yaml", "MDM_ENROLLMENT"), ("b.yml", "MDM_ONLINE"), ("c.YAML", "MDM_CONTROL_WIFI")):
        (tmp_path / "rules" / name).write_text(primo_manifest(rule), encoding="utf-8")
    (tmp_path / "rules" / "d.Yml").write_text(primo_manifest("MDM_CONTROL_FIREWALL"), encoding="utf-8")
    (tmp_path / "rules" / "notes.md").write_text("not a manifest\n", encoding="utf-8")
    assert loaded_types(config) == ["MDM_CONTROL_FIREWALL", "MDM_CONTROL_WIFI", "MDM_ENROLLMENT", "MDM_ONLINE"]


def test_a_symlinked_folder_is_followed_once_and_a_loop_ends(tmp_path: Path) -> None:
    config = project(tmp_path)
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "wifi.yaml").write_text(primo_manifest("MDM_CONTROL_WIFI"), encoding="utf-8")
    os.symlink(shared, tmp_path / "rules" / "linked")
    os.symlink(tmp_path / "rules", tmp_path / "rules" / "loop")  # a link back up: read once, no endless walk
    (tmp_path / "rules" / "a.yaml").write_text(primo_manifest("MDM_ENROLLMENT"), encoding="utf-8")
    assert loaded_types(config) == ["MDM_CONTROL_WIFI", "MDM_ENROLLMENT"]


def test_a_manifest_reached_by_several_paths_is_read_once(tmp_path: Path) -> None:
    """Files are told apart by where they really are: a link to a manifest, a folder linked twice
    and a rules folder reached through a linked parent all lead to one manifest, read once."""
    real_root = tmp_path / "real"
    real_root.mkdir()
    config = project(real_root)
    os.symlink(real_root, tmp_path / "via")
    (real_root / "rules" / "team").mkdir()
    (real_root / "rules" / "team" / "a.yaml").write_text(primo_manifest("MDM_ENROLLMENT"), encoding="utf-8")
    os.symlink(real_root / "rules" / "team" / "a.yaml", real_root / "rules" / "z-link.yaml")
    os.symlink(real_root / "rules" / "team", real_root / "rules" / "again")
    for root in (real_root, tmp_path / "via"):
        [found], problems = find_manifests(root / "rules")  # by whichever path the walk met first
        assert found.resolve() == real_root / "rules" / "team" / "a.yaml" and not problems
    assert loaded_types(config) == ["MDM_ENROLLMENT"]


def test_a_folder_that_cannot_be_listed_is_a_problem_not_an_empty_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = project(tmp_path)
    locked = tmp_path / "rules" / "locked"
    locked.mkdir()
    (locked / "a.yaml").write_text(primo_manifest("MDM_ENROLLMENT"), encoding="utf-8")
    real_scandir = os.scandir

    def scandir(path: os.PathLike[str] | str) -> object:
        if Path(path) == locked:  # tests run as root too, where permissions would not stop the read
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    assert find_manifests(tmp_path / "rules") == ([], [(locked, "cannot read folder: Permission denied")])
    with pytest.raises(InputError) as caught:
        loaded_types(config)
    assert [str(p) for p in caught.value.problems] == ["rules/locked cannot read folder: Permission denied"]


def test_a_rules_folder_that_cannot_be_listed_is_a_problem_located_in_the_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = project(tmp_path)
    (tmp_path / "rules" / "a.yaml").write_text(primo_manifest("MDM_ENROLLMENT"), encoding="utf-8")
    real_scandir = os.scandir

    def scandir(path: os.PathLike[str] | str) -> object:
        if Path(path) == tmp_path / "rules":  # as root, permissions would not stop the read
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    with pytest.raises(InputError) as caught:
        loaded_types(config)
    [problem] = caught.value.problems
    assert str(problem).endswith(
        "reconciler.yaml:1:1 rules_dir: 'rules' cannot read folder: Permission denied; no manifest could be read"
    )


def test_a_manifest_that_cannot_be_read_is_a_problem_not_an_empty_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = project(tmp_path)
    locked = tmp_path / "rules" / "locked.yaml"
    locked.write_text(primo_manifest("MDM_ENROLLMENT"), encoding="utf-8")
    (tmp_path / "rules" / "open.yaml").write_text(primo_manifest("MDM_ONLINE"), encoding="utf-8")
    real_open = Path.open

    def open_(path: Path, *args: object, **kwargs: object) -> object:
        if path == locked:
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(Path, "open", open_)
    with pytest.raises(InputError) as caught:
        loaded_types(config)
    assert [str(p) for p in caught.value.problems] == ["rules/locked.yaml cannot read file: Permission denied"]


def test_a_missing_default_rules_folder_is_a_project_without_manifests(tmp_path: Path) -> None:
    config = project(tmp_path)
    (tmp_path / "rules").rmdir()
    assert loaded_types(config) == []


def test_a_target_whose_manifests_did_not_all_load_is_never_pruned(tmp_path: Path) -> None:
    config = load_config(project(tmp_path))
    targets = list(config.targets.values())
    desired = DesiredState(incomplete_targets={"primo-test"})
    assert Workspace(config, targets, desired).prune_for(None) == {
        "primo-test": False,
        "vault-test": True,
        "onelogin-test": True,
    }
    assert Workspace(config, targets, desired).prune_for(True)["primo-test"] is False


def test_a_failed_manifest_marks_its_targets_incomplete(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = load_config(project(tmp_path))
    (tmp_path / "rules" / "good.yaml").write_bytes(GOOD_MANIFEST)
    (tmp_path / "rules" / "bad.yaml").write_text("target: vault-test\nrules: {}\n", encoding="utf-8")
    seen: list[DesiredState] = []
    monkeypatch.setattr("reconciler.project.loader.DesiredState", lambda: seen.append(DesiredState()) or seen[-1])
    with pytest.raises(InputError):
        load_desired(config, list(config.targets.values()))
    assert seen[0].incomplete_targets == {"vault-test"}


@pytest.mark.parametrize("levels", [47, 48])
def test_vizivault_constraint_trees_nest_up_to_the_documented_depth(tmp_path: Path, levels: int) -> None:
    config = project(tmp_path)
    tree = "{type: all, constraints: [" * levels + "{type: attribute, operator: any, attributes: [SSN]}" + "]}" * levels
    text = f"target: vault-test\nrules:\n  - key: k\n    name: n\n    type: data\n    constraint: {tree}\n"
    (tmp_path / "rules" / "deep.yaml").write_text(text + "    action: {type: block}\n", encoding="utf-8")
    if levels == 47:
        assert loaded_types(config) == ["k"]
    else:
        with pytest.raises(InputError, match=f"nest more than {MAX_DEPTH} levels"):
            loaded_types(config)


def test_an_alias_bomb_is_refused_quickly_with_little_memory(tmp_path: Path) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_bytes(_bomb())
    assert path.stat().st_size < 1024
    tracemalloc.start()
    try:
        with pytest.raises(InputError, match="an alias bomb"):
            load_yaml(path, "bomb.yaml")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 5 * 2**20


def test_aliases_within_the_budget_still_load() -> None:
    data = parse_yaml("base: &b {x: 1}\nmany: [" + ", ".join(["*b"] * 50) + "]\n")
    assert len(data["many"]) == 50 and data["many"][49] == {"x": 1}


def test_numbers_keep_the_text_they_were_written_as() -> None:
    data = parse_yaml("a: 007\nb: 1e3\nc: 12\nd: 1.5\n")
    assert (data["a"], data["a"].source_text, data["b"].source_text) == (7, "007", "1e3")
    assert not hasattr(data["c"], "source_text") and not hasattr(data["d"], "source_text")


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.binary(max_size=300))
def test_random_bytes_never_end_in_a_traceback(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    root = tmp_path_factory.mktemp("fuzz")
    config = project(root)
    (root / "rules" / "fuzz.yaml").write_bytes(data)
    try:
        loaded_types(config)
    except InputError as exc:
        assert exc.problems and all("\n" not in str(p) for p in exc.problems)
    (root / "reconciler.yaml").write_bytes(data)
    try:
        load_config(config)
    except InputError as exc:
        assert exc.problems and all("\n" not in str(p) for p in exc.problems)


_YAML_PIECES = st.sampled_from(
    [
        "target: primo-test\n",
        "rules:\n",
        "  - type: MDM_ENROLLMENT\n",
        "    nonCompliantStatus: [PENDING]\n",
        "---\n",
        "&a ",
        "*a\n",
        "*b\n",
        "<<: *a\n",
        "!!int ",
        "!!binary ",
        "!foo ",
        '"\\e"',
        "'x'",
        "{",
        "}",
        "[",
        "]",
        ", ",
        ": ",
        "- ",
        "? ",
        "  ",
        "\t",
        "\n",
        "#",
        ".nan",
        "007",
        "1e3",
        "true",
        "~",
        ">\n",
        "%YAML 1.1\n",
        "targets: []\n",
        "app: 5\n",
        "target: onelogin-test\n",
        "name: x\n",
        "value: 007\n",
        "...\n",
        "\u202e",
    ]
)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(_YAML_PIECES, max_size=30).map("".join))
def test_random_yaml_never_ends_in_a_traceback(tmp_path_factory: pytest.TempPathFactory, text: str) -> None:
    root = tmp_path_factory.mktemp("fuzz")
    config = project(root)
    (root / "rules" / "fuzz.yaml").write_text(text, encoding="utf-8")
    try:
        loaded_types(config)
    except InputError as exc:
        assert exc.problems and all("\n" not in str(p) for p in exc.problems)
