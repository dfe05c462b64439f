"""The regopy binding: what rego-cpp gets wrong is caught here (strings, `with`), and tests run as `opa test`."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.errors import InputError
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


def test_opa_style_tests_mock_the_whole_input_with_with(tmp_path: Path) -> None:
    """rego-cpp cannot compile `with input as X` over a rule calling a built-in: tests read input one level
    down, so the usual OPA test works, with literals and local variables; strings and comments are left alone."""
    policy = source(
        tmp_path,
        "up.rego",
        'package reconciler.up\n\nimport rego.v1\n\n# input stays "input" here\n'
        'deny contains concat(" ", ["input", upper(input.x)]) if input.x != "input"\n',
    )
    test = source(
        tmp_path,
        "up_test.rego",
        "package reconciler.up_test\n\nimport rego.v1\n\nimport data.reconciler.up\n\n"
        'test_literal if {\n\tup.deny == {"input X"} with input as {"x": "x"}\n}\n\n'
        'test_local if {\n\tdoc := {"x": "input"}\n\tcount(up.deny) == 0 with input as doc\n}\n\n'
        'test_field if {\n\tup.deny == {"input Y"} with input.x as "y"\n}\n\n'
        'fixture := {"x": "x"}\n\ntest_package_rule if {\n\tup.deny == {"input X"} with input as fixture\n}\n',
    )
    results = {r.name: (r.outcome, r.message) for r in run_tests([policy, test])}
    assert results == {
        "test_literal": ("pass", ""),
        "test_local": ("pass", ""),
        "test_field": ("pass", ""),
        # rego-cpp reads a package's rule given to `with` as undefined: a failure, never a pass.
        "test_package_rule": ("fail", "undefined"),
    }


def test_a_package_is_read_in_one_query_yet_each_check_counts_alone(tmp_path: Path) -> None:
    """An undefined complete rule does not hide its package's other findings; an error names its own rule."""
    text = (
        "package reconciler.mixed\n\nimport rego.v1\n\n"
        'deny contains "denied" if true\n\nwarn := "warned" if input.missing\n\n'
        "violation := concat(input.n, 1) if input.n\n"
    )
    evaluator = RegoEvaluator([source(tmp_path, "mixed.rego", text)])
    assert [f.message for f in evaluator.evaluate({}).findings] == ["denied"]
    with pytest.raises(InputError) as raised:
        evaluator.evaluate({"n": 5})
    assert [str(p) for p in raised.value.problems] == [
        "mixed.rego:9:1 data.reconciler.mixed.violation: the Rego engine stopped evaluating this rule "
        "(a built-in given a value of the wrong type, a division by zero, or a complete rule with "
        "conflicting values)"
    ]
