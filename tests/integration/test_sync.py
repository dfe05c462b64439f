"""`sync` against the sandbox: drift made through the vendor's API is found (with when it happened),
reported as text, JSON and markdown, and `--repair` brings live rules back to the manifests."""

from __future__ import annotations

import json

from tests.conftest import Project
from tests.integration.console import primo_upsert, vault_upsert

VAULT = """\
target: vault-test
rules:
  - key: ssnRead
    name: Alert when an SSN is read
    type: activity
    constraint: {type: eventType, eventTypes: [READ]}
    action: {type: alert, alertLevel: WARNING, message: An SSN was read}
"""
PRIMO = "target: primo-test\nrules:\n  - {type: MDM_ONLINE, nonCompliantStatus: [OFFLINE]}\n"


def in_sync(project: Project) -> None:
    project.write("rules/vault.yaml", VAULT)
    project.write("rules/primo.yaml", PRIMO)
    applied = project.run("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    clean = project.run("sync")
    assert clean.exit_code == 0, clean.output
    assert "No changes" in clean.output


def drift(project: Project) -> None:
    """Someone raises the alert level in the ViziVault console."""
    vault_upsert(
        project,
        "vault-test",
        {
            "key": "ssnRead",
            "name": "Alert when an SSN is read",
            "type": "activity",
            "constraint": {"type": "eventType", "eventTypes": ["READ"]},
            "action": {"type": "alert", "alertLevel": "DANGER", "message": "An SSN was read"},
        },
    )


def test_sync_finds_drift_made_in_the_console_and_says_when(project: Project) -> None:
    in_sync(project)
    drift(project)
    primo_upsert(project, "primo-test", "MDM_ONLINE", ["OFFLINE_7_DAYS"])
    modified = project.tenant("vault-test").rules["ssnRead"]["modifiedDate"]
    primo_modified = project.tenant("primo-test").rules["MDM_ONLINE"]["updatedAt"]
    markdown = project.root / "drift.md"
    writes = project.sandbox.stats.writes

    result = project.run("sync", "--markdown", str(markdown))
    assert result.exit_code == 2, result.output
    assert '~ action.alertLevel: "DANGER" -> "WARNING"' in result.output
    assert f'vault-test · rules: "ssnRead" at {modified}' in result.output
    report = json.loads(project.run("sync", "--json").stdout)
    assert report["drift"] is True and report["repair"] is None
    assert report["drifted"] == [
        {
            "target": "primo-test",
            "scope": "primo",
            "action": "update",
            "identity": "MDM_ONLINE",
            "modified": primo_modified,
        },
        {"target": "vault-test", "scope": "vizivault", "action": "update", "identity": "ssnRead", "modified": modified},
    ]
    text = markdown.read_text(encoding="utf-8")
    assert text.startswith("<!-- reconciler:drift -->") and f"(live rule last modified {modified})" in text
    assert project.sandbox.stats.writes == writes  # reporting never writes


def test_repair_brings_live_back_to_the_manifests(project: Project) -> None:
    in_sync(project)
    drift(project)
    primo_upsert(project, "primo-test", "MDM_ONLINE", ["OFFLINE_7_DAYS"])

    refused = project.run("sync", "--repair")  # no terminal, no --auto-approve: same guard as apply
    assert refused.exit_code == 1 and "--auto-approve" in refused.output
    assert project.tenant("vault-test").rules["ssnRead"]["action"]["alertLevel"] == "DANGER"

    repaired = project.run("sync", "--repair", "--auto-approve", "--json")
    assert repaired.exit_code == 0, repaired.output
    report = json.loads(repaired.stdout)
    assert report["drift"] is True and report["repair"]["applied"] == 2 and report["repair"]["failed"] == 0
    assert project.tenant("vault-test").rules["ssnRead"]["action"]["alertLevel"] == "WARNING"
    assert project.tenant("primo-test").rules["MDM_ONLINE"]["nonCompliantStatus"] == ["OFFLINE"]
    assert project.run("sync").exit_code == 0


def test_a_scope_that_cannot_be_read_is_an_error_not_drift(project: Project) -> None:
    in_sync(project)
    project.env["VAULT_TEST_API_KEY"] = "wrong-api-key"
    result = project.run("sync", "--repair", "--auto-approve")
    assert result.exit_code == 1
    assert "could not read live rules" in result.output


def test_shards_split_targets_and_onelogin_apps_and_cover_each_scope_once(project: Project) -> None:
    project.write("rules/primo.yaml", PRIMO)
    project.write("rules/vault.yaml", VAULT)
    onelogin = project.tenant("onelogin-test")
    for app in range(1, 9):
        onelogin.add_app(app, f"App {app}")
        rule = "  - name: r\n    actions: [{action: set_status, value: ['1']}]\n"
        project.write(f"rules/app{app}.yaml", f"target: onelogin-test\napp: {app}\nrules:\n{rule}")
    everything = {(s["target"], s["scope"]) for s in project.plan_json()["scopes"]}
    assert len(everything) == 10
    shards = [{(s["target"], s["scope"]) for s in project.plan_json("--shard", f"{i}/3")["scopes"]} for i in (1, 2, 3)]
    assert set().union(*shards) == everything
    assert sum(len(s) for s in shards) == len(everything)
    assert sum(1 for s in shards if any(t == "onelogin-test" for t, _ in s)) >= 2  # one tenant over several jobs
    bad = project.run("sync", "--shard", "4/3")
    assert bad.exit_code == 1 and "I must be between 1 and N" in bad.output  # a usage error, not drift
    drifted = project.run("sync", "--shard", "1/3", "--json")
    assert drifted.exit_code == 2
    assert {(d["target"], d["scope"]) for d in json.loads(drifted.stdout)["drifted"]} == shards[0]


def test_targets_lists_names_and_matrices_without_credentials(project: Project) -> None:
    project.env.clear()
    names = project.run("targets")
    assert names.exit_code == 0 and names.output.split() == ["primo-test", "vault-test", "onelogin-test"]
    matrix = json.loads(project.run("targets", "--matrix").stdout)
    assert matrix == {"include": [{"target": "primo-test"}, {"target": "vault-test"}, {"target": "onelogin-test"}]}
    shards = json.loads(project.run("targets", "--matrix", "--shards", "2").stdout)
    assert shards == {"include": [{"shard": "1/2"}, {"shard": "2/2"}]}


def test_validate_without_credentials_for_forks(project: Project) -> None:
    project.write("rules/primo.yaml", PRIMO)
    project.env.clear()
    assert project.run("validate").exit_code == 1
    checked = project.run("validate", "--no-credentials")
    assert checked.exit_code == 0 and "Valid: 1 rules" in checked.output
    project.write("rules/primo.yaml", PRIMO.replace("type:", "kind:"))
    assert project.run("validate", "--no-credentials").exit_code == 1  # manifests are still checked
