"""Secrets pasted into manifests: a value shaped like a well-known token, or the value of one of the
config's credential variables, is refused where it stands, before any request: it would be sent to the
vendor as rule text and shown in every plan and pull-request comment."""

from __future__ import annotations

from tests.corpus.harness import ENV, LOCATED, Case
from tests.corpus.yaml_cases import MANIFEST, ONELOGIN_HEAD, VAULT_HEAD


def _vault(name: str, message: str = "read") -> bytes:
    rule = f"""\
  - key: ssnRead
    name: "{name}"
    type: activity
    constraint: {{type: attribute, operator: any, attributes: [SSN]}}
    action: {{type: alert, alertLevel: WARNING, message: "{message}"}}
"""
    return VAULT_HEAD + rule.encode()


def _onelogin(value: str) -> bytes:
    rule = f"""\
  - name: Admins
    conditions: [{{source: email, operator: "=", value: "{value}"}}]
    actions: [{{action: set_role, value: ["340476"]}}]
"""
    return ONELOGIN_HEAD + rule.encode()


GITHUB = "ghp_" + "0123456789abcdefghijklmnopqrstuvwxyz"
# (name, manifest, message, the secret that must not be shown)
SECRETS: list[tuple[str, bytes, str, str]] = [
    ("aws-key-id-in-name", _vault("AKIAIOSFODNN7EXAMPLE"), "rules[0].name: looks like an AWS access key id", ""),
    ("github-token-in-message", _vault("SSN read", f"token {GITHUB}"), "rules[0].action.message: looks like a", ""),
    ("private-key-in-value", _onelogin("-----BEGIN RSA PRIVATE KEY-----"), "looks like a private key", ""),
    ("slack-token-in-value", _onelogin("xoxb-1234567890-abcdefghij"), "looks like a Slack token", ""),
    (
        "credential-value-in-name",
        _vault(f"alert {ENV['VAULT_API_KEY']}"),
        "rules[0].name: holds the value of VAULT_API_KEY, a credential variable of reconciler.yaml",
        ENV["VAULT_API_KEY"],
    ),
    (
        "other-target-credential-in-value",
        _onelogin(ENV["PRIMO_API_KEY"]),
        "holds the value of PRIMO_API_KEY, a credential variable of reconciler.yaml",
        ENV["PRIMO_API_KEY"],
    ),
]


def secret_cases() -> list[Case]:
    cases = []
    for name, manifest, message, secret in SECRETS:
        for command in (("validate", "--no-credentials"), ("apply", "--auto-approve")):
            cases.append(
                Case(
                    f"secrets/{command[0]}/{name}",
                    "manifest",
                    LOCATED,
                    message,
                    {MANIFEST: manifest},
                    command=command,
                    secret=secret,
                )
            )
    return cases
