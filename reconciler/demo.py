"""`reconciler demo`: the whole product against the built-in sandbox, with no credentials or setup.

It starts the sandbox in-process, points the project's targets at it, seeds live rules that have
drifted from `rules/` (changed fields, a missing rule, rules out of order, rules no manifest
mentions), then runs validate, plan, apply and plan again through the real commands.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import click
from ruamel.yaml import YAML

from reconciler.config import CONFIG_FILE, Config, load_config
from reconciler.sandbox import SandboxServer, SandboxState

DEMO_APP_NAMES = {500100: "Salesforce"}


def _seed_primo(state: SandboxState, tenant: str) -> None:
    primo = state.tenant("primo", tenant)
    primo.upsert_rule("MDM_ENROLLMENT", ["PENDING"])  # drifted: two statuses missing
    primo.upsert_rule("MDM_ONLINE", ["OFFLINE_7_DAYS"])  # already as the manifest says
    primo.upsert_rule("MDM_CONTROL_FIREWALL", ["NOT_PROTECTED"])  # in no manifest


def _seed_vizivault(state: SandboxState, tenant: str) -> None:
    vault = state.tenant("vizivault", tenant)
    vault.upsert_rule(
        {  # drifted: a country was removed in the console
            "key": "euPersonalData",
            "name": "EU personal data is tagged GDPR",
            "type": "data",
            "constraint": {
                "type": "all",
                "constraints": [
                    {"type": "geo", "operator": "any", "countries": ["fr", "de", "IE"]},
                    {"type": "attribute", "operator": "any", "attributes": ["PHONE", "EMAIL", "NAME"]},
                ],
            },
            "action": {"type": "regulation", "regulation": "GDPR"},
        }
    )
    vault.upsert_rule(
        {  # drifted: alert level lowered
            "key": "ssnReadAlert",
            "name": "Alert when a social security number is read",
            "type": "activity",
            "constraint": {
                "type": "all",
                "constraints": [
                    {"type": "attribute", "operator": "any", "attributes": ["SSN"]},
                    {"type": "eventType", "eventTypes": ["READ"]},
                ],
            },
            "action": {"type": "alert", "alertLevel": "INFO", "message": "An SSN was read"},
            "executionOrder": 2,
        }
    )
    vault.upsert_rule(
        {  # in no manifest
            "key": "legacyExportBlock",
            "name": "Block legacy exports",
            "type": "activity",
            "constraint": {"type": "application", "operator": "any", "applications": ["legacy-export"]},
            "action": {"type": "block", "message": "Legacy export is retired"},
        }
    )


def _seed_onelogin(state: SandboxState, tenant: str, app_ids: list[int]) -> None:
    onelogin = state.tenant("onelogin", tenant)
    for app_id in app_ids:
        onelogin.add_app(app_id, DEMO_APP_NAMES.get(app_id, f"App {app_id}"))
    if 500100 not in app_ids:
        return
    onelogin.add_rule(
        500100,
        {  # drifted and out of order: should come last, with 90 days
            "name": "Suspend after 90 days without login",
            "match": "all",
            "enabled": True,
            "conditions": [{"source": "last_login", "operator": ">", "value": "60"}],
            "actions": [{"action": "set_status", "value": ["2"]}],
        },
    )
    onelogin.add_rule(
        500100,
        {
            "name": "Admins get the admin role",
            "match": "all",
            "enabled": True,
            "conditions": [{"source": "has_role", "operator": "ri", "value": "340475"}],
            "actions": [{"action": "set_role", "value": ["340476"]}],
        },
    )
    onelogin.add_rule(
        500100,
        {  # in no manifest, disabled: still live state
            "name": "Contractors lose access",
            "match": "all",
            "enabled": False,
            "conditions": [{"source": "title", "operator": "~", "value": "Contractor"}],
            "actions": [{"action": "set_status", "value": ["3"]}],
        },
    )


def _onelogin_apps(config: Config, target: str) -> list[int]:
    """OneLogin app ids the manifests of a target name (the sandbox must know those apps)."""
    from reconciler.loader import load_desired

    desired = load_desired(config, [config.targets[target]])
    return sorted(int(ref.scope.split(":", 1)[1]) for ref in desired.scopes if ref.target == target)


def prepare_sandbox(config: Config, server: SandboxServer, workdir: Path) -> Path:
    """Point every target at the sandbox, set its credentials in the environment, seed drift.

    Returns the path of a config file like the project's, with sandbox URLs.
    """
    yaml = YAML()
    raw: Any = yaml.load(config.path.read_text(encoding="utf-8"))
    raw["rules_dir"] = str(config.rules_dir)
    for name, target in config.targets.items():
        spec = raw["targets"][name]
        spec["url"] = server.url(target.provider, name)
        tenant = server.state.tenant(target.provider, name)
        secrets = {
            "api_key": getattr(tenant, "api_key", None),
            "client_id": getattr(tenant, "client_id", None),
            "client_secret": getattr(tenant, "client_secret", None),
        }
        for credential, ref in target.spec.credentials.items():
            os.environ[ref.env] = str(secrets[credential])
        if target.provider == "primo":
            _seed_primo(server.state, name)
        elif target.provider == "vizivault":
            _seed_vizivault(server.state, name)
        else:
            _seed_onelogin(server.state, name, _onelogin_apps(config, name))
    path = workdir / CONFIG_FILE
    with path.open("w", encoding="utf-8") as handle:
        yaml.dump(raw, handle)
    return path


@click.command("demo")
@click.option("--config", "config_path", type=click.Path(path_type=Path), default=CONFIG_FILE, show_default=True)
@click.pass_context
def demo_command(ctx: click.Context, config_path: Path) -> None:
    """Run validate, plan, apply and plan against the built-in sandbox, with drift seeded."""
    from reconciler import cli

    config = load_config(config_path)
    with tempfile.TemporaryDirectory(prefix="reconciler-demo-") as tmp, SandboxServer() as server:
        demo_config = prepare_sandbox(config, server, Path(tmp))
        click.secho(f"Sandbox APIs on {server.base_url} (in-process, seeded with drifted live rules)\n", bold=True)
        steps = [
            ["validate"],
            ["plan", "--detailed-exitcode"],
            ["apply", "--auto-approve"],
            ["plan", "--detailed-exitcode"],
        ]
        for args in steps:
            click.secho(f"$ reconciler {' '.join(args)}", fg="cyan", bold=True)
            command = [
                *(["--no-color"] if ctx.color is False else []),
                args[0],
                "--config",
                str(demo_config),
                *args[1:],
            ]
            try:
                cli.main.main(command, standalone_mode=False)
                code = 0
            except SystemExit as exc:
                code = int(exc.code or 0)
            click.secho(f"(exit code {code})\n", dim=True)
            if code == 1:
                raise SystemExit(1)
