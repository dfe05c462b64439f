"""The markdown plan (pull-request comment, job summary) of a fixed sandbox estate, checked against a
stored expected file. Set RECONCILER_UPDATE_EXPECTED=1 to rewrite the file after a deliberate change."""

from __future__ import annotations

import os
import re
from pathlib import Path

from reconciler import __version__
from tests.conftest import Project
from tests.integration.manifests import ONE_RULE_APP

EXPECTED = Path(__file__).parent / "expected" / "plan.md"

PRIMO = """\
target: primo-test
rules:
  - {type: MDM_ONLINE, nonCompliantStatus: [OFFLINE]}
  - {type: MDM_ENROLLMENT, nonCompliantStatus: [PENDING, MDM_OFF]}
"""
VAULT = """\
target: vault-test
rules:
  - key: ssnRead
    name: "Alert when an SSN is read | audit <b>"
    type: activity
    constraint: {type: eventType, eventTypes: [READ]}
    action: {type: alert, alertLevel: WARNING, message: "An SSN was read ``` twice"}
"""
APP = (
    ONE_RULE_APP
    + """\
  - name: second
    conditions: [{source: department, operator: "=", value: Sales}]
    actions: [{action: set_status, value: ["1"]}]
"""
)
MISSING_APP = """\
target: onelogin-test
app: 9
rules:
  - name: only
    actions: [{action: set_status, value: ["1"]}]
"""


def seed(project: Project) -> None:
    """One estate with every kind of change, an unmanaged rule and a scope that cannot be read."""
    project.tenant("primo-test").upsert_rule("MDM_ONLINE", ["OFFLINE_7_DAYS"])
    project.tenant("vault-test").upsert_rule(
        {
            "key": "ssnRead",
            "name": "Alert when an SSN is read | audit <b>",
            "type": "activity",
            "constraint": {"type": "eventType", "eventTypes": ["READ", "UPDATE"]},
            "action": {"type": "alert", "alertLevel": "INFO", "message": "An SSN was read"},
        }
    )
    project.tenant("vault-test").upsert_rule(
        {
            "key": "manual",
            "name": "Made in the console",
            "type": "data",
            "constraint": {"type": "tag", "operator": "any", "tags": ["X"]},
            "action": {"type": "alert", "alertLevel": "INFO", "message": "x"},
        }
    )
    onelogin = project.tenant("onelogin-test")
    onelogin.add_app(7, "Salesforce")
    for name in ("second", "first"):
        onelogin.add_rule(
            7,
            {
                "name": name,
                "match": "all",
                "enabled": True,
                "conditions": [{"source": "department", "operator": "=", "value": "Sales"}],
                "actions": [{"action": "set_status", "value": ["1"]}],
            },
        )
    project.write("rules/primo.yaml", PRIMO)
    project.write("rules/vault.yaml", VAULT)
    project.write("rules/app.yaml", APP)
    project.write("rules/missing.yaml", MISSING_APP)


def stable(text: str, project: Project) -> str:
    """The markdown with what differs from run to run as placeholders: the sandbox's port, the digest of
    a Primo target's changes (it covers the live rule's id, which the sandbox draws anew) and the version
    that made it."""
    text = text.replace(project.sandbox.base_url.split("://", 1)[1], "{sandbox}")
    text = re.sub(r"(<!-- reconciler:changes \S+) sha256:[0-9a-f]{64} -->", r"\1 sha256:... -->", text)
    return text.replace(f"<sub>reconciler {__version__}</sub>", "<sub>reconciler {version}</sub>")


def test_markdown_plan_matches_the_expected_file(project: Project) -> None:
    seed(project)
    out = project.root / "plan.md"
    result = project.run("plan", "--markdown", str(out))
    assert result.exit_code == 1, result.output  # app 9 cannot be read
    text = stable(out.read_text(encoding="utf-8"), project)
    if os.environ.get("RECONCILER_UPDATE_EXPECTED"):
        EXPECTED.write_text(text, encoding="utf-8")
    assert text == EXPECTED.read_text(encoding="utf-8")
    for secret in project.env.values():
        assert secret not in text


def test_markdown_on_stdout_is_all_that_stdout_carries(project: Project) -> None:
    seed(project)
    result = project.run("plan", "--markdown", "-")
    assert stable(result.stdout, project) == EXPECTED.read_text(encoding="utf-8")
    both = project.run("plan", "--json", "--markdown", "-")
    assert both.exit_code == 1 and "both print to stdout" in both.output
