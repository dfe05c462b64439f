"""Manifests are named as the user knows them: relative to the project root, else to the working
folder, with symbolic links followed as Path.resolve follows them; a path outside both is kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.project.yamlsource import display_path


def _expected(path: Path, root: Path | None) -> str:
    resolved = path.resolve()
    for base in (root, Path.cwd()):
        if base is not None and resolved.is_relative_to(base.absolute().resolve()):
            return resolved.relative_to(base.absolute().resolve()).as_posix()
    return path.as_posix()


def test_paths_are_shown_as_path_resolve_would_show_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project, elsewhere, cwd = tmp_path / "project", tmp_path / "elsewhere", tmp_path / "cwd"
    for folder in (project / "rules" / "sub", elsewhere, cwd / "rules"):
        folder.mkdir(parents=True)
    (project / "rules" / "sub" / "a.yaml").write_text("")
    (elsewhere / "b.yaml").write_text("")
    (project / "rules" / "linked.yaml").symlink_to(elsewhere / "b.yaml")
    (project / "rules" / "into").symlink_to(project / "rules" / "sub")
    (project / "looped").symlink_to(project)
    (cwd / "rules" / "c.yaml").write_text("")
    monkeypatch.chdir(cwd)
    cases = {
        project / "rules" / "sub" / "a.yaml": "rules/sub/a.yaml",
        project / "rules" / "into" / "a.yaml": "rules/sub/a.yaml",
        project / "looped" / "rules" / ".." / "rules" / "sub" / "a.yaml": "rules/sub/a.yaml",
        project: ".",
        project / "rules": "rules",
        Path("rules/c.yaml"): "rules/c.yaml",  # outside the root: relative to the working folder
        project / "rules" / "linked.yaml": (project / "rules" / "linked.yaml").as_posix(),  # outside both: as given
    }
    for path, shown in cases.items():
        assert display_path(path, project) == shown == _expected(path, project), path
    assert display_path(Path("rules/c.yaml"), None) == "rules/c.yaml"
    assert display_path(Path("rules"), Path("/")) == (cwd / "rules").resolve().as_posix()[1:]
