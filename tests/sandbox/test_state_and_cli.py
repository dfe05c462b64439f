"""State: JSON round trip, --state persistence after every write (HTTP or Python), restarts, thread
safety; and the `sandbox` command itself, run as a real process."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.sandbox import SandboxServer, SandboxState
from reconciler.sandbox.cli import sandbox_command
from tests.sandbox.helpers import http, onelogin_client, vault_client

ONELOGIN_RULE = {
    "name": "r",
    "match": "any",
    "enabled": False,
    "position": None,
    "conditions": [{"source": "email", "operator": "~", "value": "@example.com"}],
    "actions": [{"action": "set_groups", "value": ["staff"], "expression": "/.*/"}],
}
VAULT_RULE = {
    "key": "k",
    "name": "n",
    "type": "activity",
    "constraint": {"type": "eventType", "eventTypes": ["READ"]},
    "action": {"type": "alert", "alertLevel": "WARNING", "message": "read"},
}


def seeded_state() -> SandboxState:
    state = SandboxState()
    state.tenant("primo", "p").upsert_rule("MDM_ENROLLMENT", ["PENDING", "FAILED"])
    vault = state.tenant("vizivault", "v")
    vault.api_key = "custom-key"
    vault.attributes.add("SHOE_SIZE")
    vault.upsert_rule(VAULT_RULE)
    onelogin = state.tenant("onelogin", "o")
    onelogin.add_app(7, "App", catalog=None)
    onelogin.add_rule(7, ONELOGIN_RULE)
    return state


def test_json_round_trip() -> None:
    state = seeded_state()
    data = state.to_json()
    assert json.loads(json.dumps(data)) == data  # plain JSON
    restored = SandboxState.from_json(data)
    assert restored.to_json() == data
    assert restored.tenant("vizivault", "v").api_key == "custom-key"
    assert "SHOE_SIZE" in restored.tenant("vizivault", "v").attributes
    assert restored.tenant("onelogin", "o").rules(7)[0]["actions"][0]["expression"] == "/.*/"
    # New ids continue after the restored ones.
    new = restored.tenant("onelogin", "o").add_rule(7, {**ONELOGIN_RULE, "name": "s"})
    assert new["id"] > restored.tenant("onelogin", "o").rules(7)[0]["id"]


def test_unknown_provider_or_bad_name() -> None:
    with pytest.raises(ValueError):
        SandboxState().tenant("okta", "x")
    with pytest.raises(ValueError):
        SandboxState().tenant("primo", "a/b")


def test_state_file_saved_after_every_write(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    with SandboxServer(state_file=path) as server:
        client, tenant = onelogin_client(server, "o")
        assert json.loads(path.read_text())["onelogin"]["o"]["apps"] == []  # tenant creation is saved
        tenant.add_app(9, "App")  # a Python write is saved too
        assert json.loads(path.read_text())["onelogin"]["o"]["apps"][0]["id"] == 9
        rule_id = client.post("/api/2/apps/9/rules", json=ONELOGIN_RULE).json()["id"]
        assert json.loads(path.read_text())["onelogin"]["o"]["apps"][0]["rules"][0]["id"] == rule_id
        vault, _ = vault_client(server, "v")
        vault.post("/rules", json=VAULT_RULE)
        assert list(json.loads(path.read_text())["vizivault"]["v"]["rules"]) == ["k"]
        vault.delete("/rules/n")
        assert json.loads(path.read_text())["vizivault"]["v"]["rules"] == {}
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]  # no temporary files left behind
    with SandboxServer(state_file=path) as again:  # a restart loads the file
        client, _ = onelogin_client(again, "o")
        assert [r["id"] for r in client.get("/api/2/apps/9/rules", params={"enabled": "false"}).json()] == [rule_id]


def test_concurrent_writes_stay_consistent(tmp_path: Path) -> None:
    with SandboxServer(state_file=tmp_path / "state.json") as server:
        client, tenant = onelogin_client(server, "o")
        tenant.add_app(1, "App")

        def create(index: int) -> int:
            if index % 2:  # half through Python, half over HTTP, at the same time
                return int(tenant.add_rule(1, {**ONELOGIN_RULE, "name": f"r{index}"})["id"])
            answer = http.post(
                server.url("onelogin", "o") + "/api/2/apps/1/rules",
                json={**ONELOGIN_RULE, "name": f"r{index}"},
                headers={"Authorization": client.headers["Authorization"]},
            )
            return int(answer.json()["id"])

        with ThreadPoolExecutor(8) as pool:
            ids = list(pool.map(create, range(40)))
        rules = tenant.rules(1)
        assert len(set(ids)) == 40 and {r["id"] for r in rules} == set(ids)
        assert [r["position"] for r in rules] == list(range(1, 41))
        saved = SandboxState.load(tmp_path / "state.json")
        assert len(saved.tenant("onelogin", "o").rules(1)) == 40


def test_cli_serves_prints_credentials_and_persists(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    command = [
        sys.executable,
        "-c",
        "from reconciler.sandbox.cli import sandbox_command; sandbox_command()",
        "--port",
        "0",
        "--state",
        str(state),
        "--tenant",
        "primo:acme",
        "--tenant",
        "onelogin:acme",
        "--app",
        "500100:Salesforce",
        "--latency-ms",
        "1",
        "--faults-on-writes-only",
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        lines = []
        for line in process.stdout:
            lines.append(line)
            if "Ctrl-C" in line:
                break
        output = "".join(lines)
        assert "api_key=primo-acme-key" in output
        assert "client_id=onelogin-acme-id client_secret=onelogin-acme-secret" in output
        assert "apps: 500100 'Salesforce'" in output
        url = re.search(r"(http://127\.0\.0\.1:\d+/primo/acme)", output)
        assert url is not None, output
        answer = http.post(
            url.group(1) + "/compliance/alert-rules",
            json={"type": "MDM_ONLINE", "nonCompliantStatus": ["OFFLINE"]},
            headers={"Authorization": "Bearer primo-acme-key"},
        )
        assert answer.status_code == 200
        base = url.group(1).rsplit("/primo", 1)[0]
        faults = http.get(base + "/_sandbox/faults").json()
        assert faults["latency_ms"] == 1 and faults["writes_only"] is True
        assert list(json.loads(state.read_text())["primo"]["acme"]["rules"]) == ["MDM_ONLINE"]
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=10)
    assert process.returncode == 0


def test_cli_refuses_bad_options() -> None:
    runner = CliRunner()
    assert runner.invoke(sandbox_command, ["--tenant", "okta:x"]).exit_code == 2
    refused = runner.invoke(sandbox_command, ["--fault-kinds", "500,fire"])
    assert refused.exit_code == 2 and "fire" in refused.output
    assert runner.invoke(sandbox_command, ["--fault-rate", "2"]).exit_code == 2
    assert runner.invoke(sandbox_command, ["--app", "salesforce"]).exit_code == 2
