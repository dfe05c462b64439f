"""The demo's drift: live rules per vendor that differ from the example manifests in `rules/`.

Changed fields, a missing rule, rules out of order and rules no manifest mentions, so that the demo's
plan shows every kind of change.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from reconciler.sandbox.state import SandboxState

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


NAMED_APP_IDS = 500200  # apps the demo's manifests name by name


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


def _seed_onelogin_scopes(state: SandboxState, tenant: str, scopes: list[str]) -> None:
    # "app:<id>", or "app-name:<name>" for an app a manifest names by name (it gets an id of its own).
    named = sorted(scope.split(":", 1)[1] for scope in scopes if scope.startswith("app-name:"))
    ids = sorted(int(scope.split(":", 1)[1]) for scope in scopes if scope.startswith("app:"))
    _seed_onelogin(state, tenant, ids)
    for index, name in enumerate(named):
        state.tenant("onelogin", tenant).add_app(NAMED_APP_IDS + index, name)


SEEDS: dict[str, Callable[[SandboxState, str, list[str]], None]] = {
    "primo": lambda state, tenant, _scopes: _seed_primo(state, tenant),
    "vizivault": lambda state, tenant, _scopes: _seed_vizivault(state, tenant),
    "onelogin": _seed_onelogin_scopes,
}
CREDENTIAL_ATTRIBUTES = ("api_key", "client_id", "client_secret")


def seed_drift(state: SandboxState, provider: str, tenant: str, scopes: list[str]) -> None:
    """Seed one tenant of `provider` with drift; `scopes` are the ones its manifests name (OneLogin's
    apps must exist). A provider without seeds starts empty."""
    seed = SEEDS.get(provider)
    if seed is not None:
        seed(state, tenant, scopes)


def credentials_of(tenant: Any) -> dict[str, str]:
    """The tenant's credentials by the names a target's `credentials:` uses."""
    return {name: str(getattr(tenant, name)) for name in CREDENTIAL_ATTRIBUTES if hasattr(tenant, name)}
