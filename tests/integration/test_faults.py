"""Faults against the sandbox: partial failures, lost answers, 429s and rate limits."""

from __future__ import annotations

import json
import time

import pytest

from tests.conftest import Project
from tests.integration.settings import FAST_RETRIES, configure

PRIMO = "target: primo-test\nrules:\n  - {type: MDM_ONLINE, nonCompliantStatus: [OFFLINE]}\n"
VAULT = """\
target: vault-test
rules:
  - key: block-eu
    name: Block EU
    type: data
    constraint: {type: tag, operator: any, tags: [eu]}
    action: {type: block, message: no}
"""


def onelogin_manifest(app: int, names: list[str], bad: str | None = None) -> str:
    lines = ["target: onelogin-test", f"app: {app}", "rules:"]
    for name in names:
        source = "no_such_source" if name == bad else "title"
        lines += [
            f"  - name: {name}",
            f"    conditions: [{{source: {source}, operator: '~', value: {name}}}]",
            "    actions: [{action: set_status, value: ['3']}]",
        ]
    return "\n".join(lines) + "\n"


def live_names(project: Project, app: int) -> list[str]:
    return [r["name"] for r in project.tenant("onelogin-test").rules(app)]


def test_a_failed_change_leaves_the_others_applied_and_the_next_apply_converges(project: Project) -> None:
    project.tenant("onelogin-test").add_app(3, "App")
    project.write("rules/p.yaml", PRIMO)
    project.write("rules/v.yaml", VAULT)
    project.write("rules/a.yaml", onelogin_manifest(3, ["one", "two", "three"], bad="two"))

    result = project.run("apply", "--auto-approve", "--json")
    assert result.exit_code == 1
    outcomes = {(o["target"], o["identity"]): o for o in json.loads(result.stdout)["apply"]["outcomes"]}
    failed = outcomes[("onelogin-test", "two")]
    assert failed["status"] == "failed"
    assert "Invalid condition source: no_such_source" in failed["message"]  # the API's own words
    for key in [("onelogin-test", "one"), ("onelogin-test", "three"), ("primo-test", "MDM_ONLINE")]:
        assert outcomes[key]["status"] == "applied"
    assert outcomes[("vault-test", "block-eu")]["status"] == "applied"
    assert live_names(project, 3) == ["one", "three"]

    project.write("rules/a.yaml", onelogin_manifest(3, ["one", "two", "three"]))
    fixed = project.run("apply", "--auto-approve")
    assert fixed.exit_code == 0, fixed.output
    assert live_names(project, 3) == ["one", "two", "three"]
    assert project.run("plan", "--detailed-exitcode").exit_code == 0


def test_the_text_report_names_each_outcome(project: Project) -> None:
    project.tenant("onelogin-test").add_app(3, "App")
    # Live a, c out of the manifest's order: the plan creates b, then sorts (skipped once b fails).
    project.write("rules/a.yaml", onelogin_manifest(3, ["b", "c", "a"], bad="b"))
    for name in ("a", "c"):
        project.tenant("onelogin-test").add_rule(
            3,
            {
                "name": name,
                "match": "all",
                "enabled": True,
                "conditions": [{"source": "title", "operator": "~", "value": name}],
                "actions": [{"action": "set_status", "value": ["3"]}],
            },
        )
    result = project.run("apply", "--auto-approve")
    assert result.exit_code == 1
    assert '✗ failed create "b"' in result.output
    assert "· skipped reorder" in result.output and "the next apply reorders" in result.output
    assert "0 applied, 1 failed, 1 skipped" in result.output


@pytest.mark.parametrize("kind", ["502_after_write", "drop"])
def test_a_lost_create_answer_does_not_duplicate_the_onelogin_rule(project: Project, kind: str) -> None:
    tenant = project.tenant("onelogin-test")
    tenant.add_app(4, "App")
    configure(project, **FAST_RETRIES)
    project.write("rules/a.yaml", onelogin_manifest(4, ["one", "two", "three"]))
    project.sandbox.faults.update({"fault_rate": 1.0, "fault_kinds": [kind], "writes_only": True})

    result = project.run("apply", "--auto-approve")
    assert result.exit_code == 0, result.output
    assert "3 applied, 0 failed" in result.output
    assert live_names(project, 4) == ["one", "two", "three"]  # each created exactly once
    assert project.sandbox.stats.by_route["POST onelogin /api/2/apps/{app_id}/rules"] == 3

    project.sandbox.faults.update({"fault_rate": 0.0})
    assert project.run("plan", "--detailed-exitcode").exit_code == 0


def test_429s_slow_the_run_instead_of_failing_it(project: Project) -> None:
    project.tenant("onelogin-test").add_app(5, "App")
    configure(project, **FAST_RETRIES)
    project.write("rules/p.yaml", PRIMO)
    project.write("rules/v.yaml", VAULT)
    project.write("rules/a.yaml", onelogin_manifest(5, ["one", "two", "three", "four"]))
    project.sandbox.faults.update({"fault_rate": 0.5, "fault_kinds": ["429"], "retry_after_s": 0.05, "seed": 4})

    result = project.run("apply", "--auto-approve")
    assert result.exit_code == 0, result.output
    assert project.sandbox.stats.faults_injected > 0
    assert live_names(project, 5) == ["one", "two", "three", "four"]
    project.sandbox.faults.update({"fault_rate": 0.0})
    assert project.run("plan", "--detailed-exitcode").exit_code == 0


def test_a_low_onelogin_rate_limit_is_waited_for(project: Project) -> None:
    project.tenant("onelogin-test").add_app(6, "App")
    configure(project, ["onelogin-test"], concurrency=2, **FAST_RETRIES)
    project.write("rules/a.yaml", onelogin_manifest(6, ["one", "two", "three", "four", "five"]))
    project.sandbox.faults.update({"rate_limit": 4, "rate_limit_window_s": 1.0})

    started = time.monotonic()
    result = project.run("apply", "--auto-approve")
    assert result.exit_code == 0, result.output
    assert time.monotonic() - started >= 1.0  # 2 reads and 5 creates need a second window at least
    assert live_names(project, 6) == ["one", "two", "three", "four", "five"]


def test_when_retries_run_out_the_error_says_so(project: Project) -> None:
    configure(project, ["primo-test"], retry_for=0.3, **FAST_RETRIES)
    project.write("rules/p.yaml", PRIMO)
    project.sandbox.faults.update({"fault_rate": 1.0, "fault_kinds": ["500"], "writes_only": True})

    result = project.run("apply", "--auto-approve")
    assert result.exit_code == 1
    assert "Internal Server Error (gave up after" in result.output and "retry_for is 0.3 s" in result.output
    assert project.tenant("primo-test").rules == {}
