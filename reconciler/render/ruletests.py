"""Results of `reconciler test` (text and JUnit XML) and the impact section of plans (text, markdown)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping, Sequence
from itertools import groupby

import click

from reconciler.engine.model import ScopeRef
from reconciler.engine.ruletests import CaseImpact, CaseResult

MARKS = {"pass": ("✓", "green"), "fail": ("✗", "red"), "error": ("✗", "red"), "no expectation": ("?", "yellow")}
IMPACT_TITLE = "Impact on rule tests"
IMPACT_NOTE = "test cases whose outcome changes from the live rules to the manifests"


def result_lines(result: CaseResult) -> list[str]:
    """One case: mark, status, name, where it is written; then, if it did not pass, why."""
    mark, color = MARKS[result.status]
    where = click.style(f"  ({result.case.location})", dim=True)
    lines = [click.style(f"{mark} {result.status} {result.case.name}", fg=color) + where]
    if result.error:
        lines.append(f"    {result.error}")
    elif result.case.expected is None:
        lines.append("    no `expect` yet: `reconciler test --record` writes the current outcome as expected")
    for difference in result.differences:
        lines.append(f"    {difference}")
    return lines


def render_results(results: Sequence[CaseResult], labels: Mapping[ScopeRef, str], source: str) -> str:
    """Every case grouped by target and scope, then a summary. `source` names what was evaluated."""
    lines: list[str] = []
    for ref, group in groupby(results, key=lambda r: r.case.ref):
        lines.append(click.style(f"{ref.target} · {labels.get(ref, ref.scope)}", bold=True))
        for result in group:
            lines += [f"  {line}" for line in result_lines(result)]
        lines.append("")
    lines.append(summary(results, source))
    return "\n".join(lines)


def summary(results: Sequence[CaseResult], source: str) -> str:
    counts = {status: sum(1 for r in results if r.status == status) for status in MARKS}
    text = f"Rule tests against {source}: {counts['pass']} passed, {counts['fail']} failed"
    if counts["error"]:
        text += f", {counts['error']} could not be evaluated"
    if counts["no expectation"]:
        text += f", {counts['no expectation']} without an expected outcome"
    if not results:
        return f"No rule tests found (nothing run against {source})."
    return text + "."


def junit_xml(results: Sequence[CaseResult], source: str) -> str:
    """JUnit XML (the common schema CI systems read): one testsuite per test file, one testcase per case."""
    suites = ET.Element("testsuites", name=f"reconciler test ({source})")
    for file, group in groupby(results, key=lambda r: r.case.file):
        cases = list(group)
        suite = ET.SubElement(suites, "testsuite", name=file)
        failures = errors = 0
        for result in cases:
            testcase = ET.SubElement(
                suite,
                "testcase",
                name=result.case.name,
                classname=f"{result.case.ref.target}.{result.case.ref.scope}",
                file=result.case.file,
                line=str(result.case.location.line or 0),
            )
            if result.status == "fail":
                failures += 1
                failure = ET.SubElement(testcase, "failure", message="; ".join(result.differences), type="outcome")
                failure.text = "\n".join(result.differences)
            elif result.status != "pass":
                errors += 1
                message = result.error or "no expected outcome"
                ET.SubElement(testcase, "error", message=message, type=result.status.replace(" ", "_")).text = message
        suite.set("tests", str(len(cases)))
        suite.set("failures", str(failures))
        suite.set("errors", str(errors))
        suite.set("skipped", "0")
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for suite in suites:
        for key in totals:
            totals[key] += int(suite.get(key, "0"))
    for key, value in totals.items():
        suites.set(key, str(value))
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


def impact_lines(impact: Sequence[CaseImpact]) -> list[str]:
    """The impact section of a text plan (nothing when no case changes)."""
    if not impact:
        return []
    lines = ["", click.style(f"{IMPACT_TITLE} ({IMPACT_NOTE}):", bold=True)]
    for (target, label), group in groupby(impact, key=lambda i: (i.target, i.label)):
        lines.append(f"  {target} · {label}")
        for entry in group:
            color = "red" if entry.error else "yellow"
            lines.append(click.style(f"    ~ {entry.line()}", fg=color))
    return lines


def impact_markdown(impact: Sequence[CaseImpact], cell: Callable[[str], str]) -> list[str]:
    """The impact section of a markdown plan, shown above the field diff; `cell` escapes table text."""
    if not impact:
        return []
    lines = [f"#### {IMPACT_TITLE}", "", f"{IMPACT_NOTE.capitalize()}:", ""]
    lines += ["| Target · scope | Case | Behaviour change |", "| --- | --- | --- |"]
    for entry in impact:
        change = cell(entry.error) if entry.error else "<br>".join(cell(line) for line in entry.changes)
        lines.append(f"| {cell(f'{entry.target} · {entry.label}')} | {cell(entry.case)} | {change} |")
    return [*lines, ""]
