"""Edits made the way a person in a vendor's console makes them: through the sandbox's HTTP API,
behind the reconciler's back (what a drift check must find)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import Project


def primo_upsert(project: Project, target: str, rule_type: str, statuses: list[str]) -> None:
    tenant = project.tenant(target)
    response = httpx.post(
        project.sandbox.url("primo", target) + "/compliance/alert-rules",
        json={"type": rule_type, "nonCompliantStatus": statuses},
        headers={"Authorization": f"Bearer {tenant.api_key}"},
    )
    assert response.is_success, response.text


def vault_upsert(project: Project, target: str, rule: dict[str, Any]) -> None:
    tenant = project.tenant(target)
    response = httpx.post(
        project.sandbox.url("vizivault", target) + "/rules",
        json=rule,
        headers={"Authorization": f"Bearer {tenant.api_key}"},
    )
    assert response.is_success, response.text
