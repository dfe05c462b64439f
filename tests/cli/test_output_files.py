"""Files a command is asked to write go where they are asked for: a missing folder is made, as for
`--junit` and `--markdown-parts`, and a path that cannot be written is one line, never a traceback."""

from __future__ import annotations

import json

from tests.conftest import Project

RULE = "target: primo-test\nrules:\n  - {type: MDM_ONLINE, nonCompliantStatus: [OFFLINE]}\n"


def test_plan_out_and_markdown_make_their_folders(project: Project) -> None:
    project.write("rules/p.yaml", RULE)
    saved, markdown = project.root / "out" / "plans" / "plan.json", project.root / "out" / "md" / "plan.md"
    result = project.run("plan", "--out", str(saved), "--markdown", str(markdown))
    assert result.exit_code == 0, result.output
    assert json.loads(saved.read_text(encoding="utf-8"))["summary"]["create"] == 1
    assert "MDM_ONLINE" in markdown.read_text(encoding="utf-8")


def test_a_plan_file_that_cannot_be_written_is_one_line(project: Project) -> None:
    project.write("rules/p.yaml", RULE)
    project.write("blocker", "a file where a folder should be\n")
    result = project.run("plan", "--out", str(project.root / "blocker" / "plan.json"))
    assert result.exit_code == 1
    assert "cannot write the plan file" in result.output and "Traceback" not in result.output


def test_sync_markdown_makes_its_folder(project: Project) -> None:
    project.write("rules/p.yaml", RULE)
    report = project.root / "reports" / "drift.md"
    result = project.run("sync", "--markdown", str(report))
    assert result.exit_code == 2, result.output  # the rule is missing: drift
    assert "MDM_ONLINE" in report.read_text(encoding="utf-8")
