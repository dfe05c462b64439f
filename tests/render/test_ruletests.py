"""Rule-test results as JUnit XML: the structure CI tools read, checked element by element."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from reconciler.engine.model import ScopeRef
from reconciler.engine.ruletests import CaseResult, RuleCase
from reconciler.errors import Location
from reconciler.providers.primo_evaluator import DeviceState, PrimoOutcome
from reconciler.render.ruletests import junit_xml


def result(name: str, file: str, **kwargs: object) -> CaseResult:
    expected = None if name == "unrecorded" else PrimoOutcome()
    case = RuleCase(ScopeRef("primo-prod", "primo"), name, file, Location(file, 4, 5), DeviceState(), expected)
    return CaseResult(case, PrimoOutcome(), **kwargs)  # type: ignore[arg-type]


def test_junit_has_a_suite_per_file_with_counts_and_a_failure_or_error_per_case() -> None:
    results = [
        result("ok", "a.yaml"),
        result("broken <&>", "a.yaml", differences=["alerts: expected none, got [MDM_ONLINE]"]),
        result("unevaluable", "b.yaml", error="rule 'x' cannot be evaluated"),
        result("unrecorded", "b.yaml"),
    ]
    root = ET.fromstring(junit_xml(results, "the manifests"))
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("4", "1", "2")
    suites = root.findall("testsuite")
    assert [(s.get("name"), s.get("tests"), s.get("failures"), s.get("errors")) for s in suites] == [
        ("a.yaml", "2", "1", "0"),
        ("b.yaml", "2", "0", "2"),
    ]
    cases = [c for s in suites for c in s.findall("testcase")]
    assert [c.get("name") for c in cases] == ["ok", "broken <&>", "unevaluable", "unrecorded"]
    assert all(c.get("classname") == "primo-prod.primo" and c.get("line") == "4" for c in cases)
    assert [child.tag for c in cases for child in c] == ["failure", "error", "error"]
    assert cases[1].find("failure").text == "alerts: expected none, got [MDM_ONLINE]"  # type: ignore[union-attr]
