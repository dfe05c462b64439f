"""The full round trip per provider, through the real CLI and real HTTP against the sandbox:
empty tenant -> apply -> no changes -> edit a manifest -> exactly that change -> apply -> no changes."""

from __future__ import annotations

import pytest

from tests.conftest import Project

PRIMO = """\
target: primo-test
rules:
  - type: MDM_ENROLLMENT
    nonCompliantStatus: [PENDING, MDM_OFF]
  - type: MDM_ONLINE
    nonCompliantStatus: [OFFLINE_7_DAYS]
"""
VAULT = """\
target: vault-test
rules:
  - key: euData
    name: EU data is GDPR
    type: data
    constraint:
      type: all
      constraints:
        - {type: attribute, operator: any, attributes: [NAME, EMAIL]}
        - {type: geo, operator: any, countries: [DE, FR]}
    action: {type: regulation, regulation: GDPR}
  - key: ssnRead
    name: SSN read alert
    type: activity
    constraint: {type: eventType, eventTypes: [READ]}
    action: {type: alert, alertLevel: WARNING, message: read}
"""
ONELOGIN = """\
target: onelogin-test
app: 42
rules:
  - name: admins
    conditions: [{source: has_role, operator: ri, value: "340475"}]
    actions: [{action: set_role, value: ["340476"]}]
  - name: stale
    conditions: [{source: last_login, operator: ">", value: "90"}]
    actions: [{action: set_status, value: "2"}]
"""
CASES = {
    "primo": (PRIMO, "[PENDING, MDM_OFF]", "[PENDING]", "nonCompliantStatus"),
    "vizivault": (VAULT, "alertLevel: WARNING", "alertLevel: DANGER", "action.alertLevel"),
    "onelogin": (ONELOGIN, 'value: "90"', 'value: "120"', "conditions[0].value"),
}


@pytest.mark.parametrize("provider", sorted(CASES))
def test_round_trip(project: Project, provider: str) -> None:
    manifest, old, new, changed_path = CASES[provider]
    if provider == "onelogin":
        project.tenant("onelogin-test").add_app(42, "Test app")
    path = project.write(f"rules/{provider}.yaml", manifest)

    first = project.plan_json()
    assert first["summary"]["create"] == 2 and first["summary"]["update"] == 0

    applied = project.run("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert "2 applied, 0 failed" in applied.output

    assert project.run("plan", "--detailed-exitcode").exit_code == 0
    writes = project.sandbox.stats.writes
    again = project.run("apply", "--auto-approve")
    assert again.exit_code == 0 and project.sandbox.stats.writes == writes  # idempotent: zero writes

    path.write_text(manifest.replace(old, new), encoding="utf-8")
    plan = project.plan_json()
    changes = [c for s in plan["scopes"] for c in s["changes"]]
    assert [c["action"] for c in changes] == ["update"]
    assert [f["path"] for f in changes[0]["fields"]] == [changed_path]
    assert project.run("plan", "--detailed-exitcode").exit_code == 2

    assert project.run("apply", "--auto-approve").exit_code == 0
    assert project.run("plan", "--detailed-exitcode").exit_code == 0
