"""Policy test results as JUnit XML, the format CI systems show as test reports."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from itertools import groupby

from reconciler.engine.policy import PolicyTestResult


def junit_xml(results: list[PolicyTestResult]) -> str:
    """One <testsuite> per Rego package, one <testcase> per `test_` rule."""
    suites = ET.Element("testsuites", name="reconciler policy test")
    for package, group in groupby(sorted(results, key=lambda r: r.package), key=lambda r: r.package):
        cases = list(group)
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=package,
            tests=str(len(cases)),
            failures=str(sum(1 for c in cases if c.outcome == "fail")),
            errors=str(sum(1 for c in cases if c.outcome == "error")),
            time=f"{sum(c.seconds for c in cases):.6f}",
        )
        for case in cases:
            element = ET.SubElement(
                suite,
                "testcase",
                classname=package,
                name=case.name,
                file=case.location.file,
                line=str(case.location.line or 0),
                time=f"{case.seconds:.6f}",
            )
            if case.outcome in ("fail", "error"):
                kind = "failure" if case.outcome == "fail" else "error"
                ET.SubElement(
                    element, kind, message=case.message or case.outcome
                ).text = f"{case.location}: {case.message}"
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
