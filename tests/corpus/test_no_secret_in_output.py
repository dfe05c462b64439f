"""No secret in any output or file: every command runs with distinctive credentials against a server
whose error answers echo the request's headers (as some gateways and proxies do), and every line
printed and every file written is searched for each secret in every form it travels in."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import main
from tests.corpus.servers import Answer, CannedServer, Request, canned_server

SECRETS = {
    "PRIMO_API_KEY": "S3cr3t-primo-key-7d41f09a",
    "VAULT_API_KEY": "S3cr3t-vault-key-2b9e8c55",
    "ONELOGIN_CLIENT_ID": "S3cr3t-onelogin-id-91c04e",
    "ONELOGIN_CLIENT_SECRET": "S3cr3t-onelogin-secret-5a7f",
}
TOKEN = "S3cr3t-granted-token-e2d4b6a8"
MANIFESTS = {
    "primo.yaml": "target: primo-test\nrules:\n  - {type: MDM_ENROLLMENT, nonCompliantStatus: [PENDING]}\n",
    "vault.yaml": (
        "target: vault-test\nrules:\n  - key: k\n    name: n\n    type: data\n"
        "    constraint: {type: attribute, operator: any, attributes: [SSN]}\n    action: {type: block}\n"
    ),
    "onelogin.yaml": (
        "target: onelogin-test\napp: 500100\nrules:\n  - name: r\n"
        "    conditions: [{source: has_role, operator: ri, value: '1'}]\n"
        "    actions: [{action: set_role, value: ['2']}]\n"
    ),
}
COMMANDS = [
    ["validate"],
    ["validate", "--remote"],
    ["plan"],
    ["plan", "--json"],
    ["plan", "--out", "plan.json", "--markdown", "plan.md"],
    ["plan", "-v", "--detailed-exitcode"],
    ["show", "plan.json"],
    ["show", "plan.json", "--json"],
    ["show", "plan.json", "--markdown"],
    ["apply", "--auto-approve"],
    ["apply", "--auto-approve", "--json", "--prune"],
    ["apply", "plan.json", "--auto-approve"],
    ["sync"],
    ["sync", "--json", "--markdown", "sync.md"],
    ["import", "-t", "primo-test", "--dry-run"],
    ["import", "-t", "onelogin-test", "--app", "500100"],
    ["targets"],
    ["schema", "--out", "schema.json"],
]


def forms(value: str) -> list[str]:
    return [value, base64.b64encode(value.encode()).decode().rstrip("=")]


def every_form() -> list[str]:
    basic = f"{SECRETS['ONELOGIN_CLIENT_ID']}:{SECRETS['ONELOGIN_CLIENT_SECRET']}"
    return [form for value in [*SECRETS.values(), TOKEN, basic] for form in forms(value)]


def echo(token_answers: bool) -> object:
    """Answers that repeat the request's headers back, each provider's in another shape."""

    def answer(request: Request) -> Answer:
        headers = "\n".join(f"{name}: {value}" for name, value in request.headers.items())
        if request.path.endswith("/auth/oauth2/v2/token") and token_answers:
            return Answer(200, json.dumps({"access_token": TOKEN, "expires_in": 3600}).encode())
        if request.path.startswith("/primo"):
            return Answer(401, f"Unauthorized. You sent:\n{headers}".encode(), "text/plain")
        if request.path.startswith("/vault"):
            detail = {"field": "Authorization", "message": [request.headers.get("Authorization", "")]}
            return Answer(400, json.dumps({"message": f"bad request: {headers}", "errors": [detail]}).encode())
        return Answer(403, f"<html><body><pre>{headers}</pre></body></html>".encode(), "text/html")

    return answer


OL_SECRET = ["client_secret:ONELOGIN_CLIENT_SECRET"]


def project(root: Path, server: CannedServer) -> None:
    lines = ["version: 1", "targets:"]
    for target, provider, prefix, names in (
        ("primo-test", "primo", "primo", ["api_key:PRIMO_API_KEY"]),
        ("vault-test", "vizivault", "vault", ["api_key:VAULT_API_KEY"]),
        ("onelogin-test", "onelogin", "onelogin", ["client_id:ONELOGIN_CLIENT_ID", *OL_SECRET]),
    ):
        lines += [f"  {target}:", f"    provider: {provider}", f"    url: {server.url}/{prefix}", "    retry_for: 0"]
        lines += ["    credentials:", *(f"      {n.split(':')[0]}: {{env: {n.split(':')[1]}}}" for n in names)]
    (root / "reconciler.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (root / "rules").mkdir()
    for name, text in MANIFESTS.items():
        (root / "rules" / name).write_text(text, encoding="utf-8")


def files_under(root: Path) -> Iterator[Path]:
    return (path for path in root.rglob("*") if path.is_file())


@pytest.mark.parametrize("token_answers", [True, False], ids=["token-granted", "token-endpoint-echoes"])
def test_no_command_prints_or_writes_a_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, token_answers: bool
) -> None:
    with canned_server(echo(token_answers)) as server:  # type: ignore[arg-type]
        project(tmp_path, server)
        monkeypatch.chdir(tmp_path)
        outputs = []
        for command in COMMANDS:
            result = CliRunner().invoke(main, ["--no-color", *command], env=SECRETS, catch_exceptions=True)
            assert result.exit_code in (0, 1, 2), (command, result.output)
            outputs.append((" ".join(command), result.stdout + result.stderr + repr(result.exception or "")))
    sent = [request.headers.get("Authorization", "") for request in server.requests]
    assert f"Bearer {SECRETS['PRIMO_API_KEY']}" in sent and f"Bearer {SECRETS['VAULT_API_KEY']}" in sent
    assert any(auth.startswith("Basic ") for auth in sent)  # and each answer echoed what it was sent
    written = [(str(path.relative_to(tmp_path)), path.read_text(encoding="utf-8", errors="replace"))
               for path in files_under(tmp_path)]  # fmt: skip
    assert any(name == "plan.json" for name, _ in written) and any(name == "sync.md" for name, _ in written)
    hits = [(where, form) for where, text in outputs + written for form in every_form() if form in text]
    assert hits == []
