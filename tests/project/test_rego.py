"""The regopy binding: what rego-cpp gets wrong is caught here (strings, `with`), and tests run as `opa test`."""

from __future__ import annotations

from pathlib import Path

from reconciler.project.rego import RegoEvaluator, run_tests
from reconciler.project.regosource import RegoSource, read_source
from reconciler.render.junit import junit_xml

POLICY = """\
# METADATA
# title: Names are short
# authors:
#   - name: Jane Doe
#     email: jane@example.com
package reconciler.names

import rego.v1

# METADATA
# title: Each rule's name is echoed
# custom:
#   owner: team-x
deny contains {"msg": sprintf("rule %s", [r.identity]), "address": r.address} if {
\tsome r in input.desired
}

warn contains "plain text" if input.command == "plan"
"""


def source(tmp_path: Path, name: str, text: str) -> RegoSource:
    path = tmp_path / name
    path.write_text(text)
    return read_source(path, name)


def test_findings_carry_messages_addresses_and_annotations_with_any_character(tmp_path: Path) -> None:
    evaluator = RegoEvaluator([source(tmp_path, "names.rego", POLICY)])
    tricky = 'say "hi" \\ back\nslash\ttab é'
    report = evaluator.evaluate({"command": "plan", "desired": [{"identity": tricky, "address": f"t/s/{tricky}"}]})
    deny, warn = report.findings
    assert (deny.level, deny.message, deny.address) == ("deny", f"rule {tricky}", f"t/s/{tricky}")
    assert (deny.rule, deny.location, deny.owner, deny.title) == (
        "reconciler.names.deny",
        "names.rego:14:1",
        "team-x",
        "Each rule's name is echoed",
    )
    assert (warn.level, warn.message, warn.owner) == ("warn", "plain text", "Jane Doe <jane@example.com>")
    assert report.counts() == {"files": 1, "checks": 2, "denied": 1, "warned": 1, "excepted": 0, "passed": 0}


def test_one_compile_serves_many_evaluations(tmp_path: Path) -> None:
    evaluator = RegoEvaluator([source(tmp_path, "names.rego", POLICY)])
    assert evaluator.evaluate({"command": "validate", "desired": []}).findings == []
    assert len(evaluator.evaluate({"command": "plan", "desired": []}).findings) == 1


def test_policy_tests_pass_fail_and_error_with_their_place(tmp_path: Path) -> None:
    tests = source(
        tmp_path,
        "names_test.rego",
        "package reconciler.names_test\n\nimport rego.v1\n\n"
        "test_true if true\n\ntest_false if false\n\ntest_undefined if input.nothing\n",
    )
    results = run_tests([source(tmp_path, "names.rego", POLICY), tests])
    assert [(r.name, r.outcome, r.message) for r in results] == [
        ("test_true", "pass", ""),
        ("test_false", "fail", "undefined"),
        ("test_undefined", "fail", "undefined"),
    ]
    xml = junit_xml(results)
    assert '<testsuite name="reconciler.names_test" tests="3" failures="2" errors="0"' in xml
    assert '<failure message="undefined">names_test.rego:7:1: undefined</failure>' in xml


def test_with_over_a_builtin_is_an_error_at_the_with_not_a_pass(tmp_path: Path) -> None:
    """rego-cpp 1.5 cannot compile `with` over a rule that calls a built-in: each test is an error, located."""
    policy = source(
        tmp_path, "up.rego", "package reconciler.up\n\nimport rego.v1\n\ndeny contains upper(input.x) if true\n"
    )
    test = source(
        tmp_path,
        "up_test.rego",
        'package reconciler.up_test\n\ntest_x if {\n\tdata.reconciler.up.deny["X"] with input as {"x": "x"}\n}\n',
    )
    (result,) = run_tests([policy, test])
    assert result.outcome == "error"
    assert result.message.startswith("up_test.rego:4:31 the Rego engine could not compile the policies")
    assert "test such rules through a function that takes the document" in result.message
