"""Clients for each emulated API, authenticated the way each vendor wants, each on a tenant no other
test uses (so tests never see each other's rules or rate-limit windows on the shared server)."""

from __future__ import annotations

import itertools
import ssl
from typing import Any

import httpx

from reconciler.sandbox import OneLoginTenant, PrimoTenant, SandboxServer, ViziVaultTenant

_names = itertools.count(1)
_TLS = ssl.create_default_context()  # shared: building one per client costs ~25 ms, which adds up over tests


def new_client(**options: Any) -> httpx.Client:
    return httpx.Client(verify=_TLS, **options)


http = new_client()  # for one-off requests (wrong credentials, admin routes); thread-safe


def fresh_name() -> str:
    return f"t{next(_names)}"


def primo_client(server: SandboxServer, name: str | None = None) -> tuple[httpx.Client, PrimoTenant]:
    tenant = server.state.tenant("primo", name or fresh_name())
    client = new_client(
        base_url=server.url("primo", tenant.name), headers={"Authorization": f"Bearer {tenant.api_key}"}
    )
    return client, tenant


def vault_client(server: SandboxServer, name: str | None = None) -> tuple[httpx.Client, ViziVaultTenant]:
    tenant = server.state.tenant("vizivault", name or fresh_name())
    client = new_client(
        base_url=server.url("vizivault", tenant.name), headers={"Authorization": f"Bearer {tenant.api_key}"}
    )
    return client, tenant


def onelogin_token(server: SandboxServer, tenant: OneLoginTenant) -> httpx.Response:
    return http.post(
        server.url("onelogin", tenant.name) + "/auth/oauth2/v2/token",
        json={"grant_type": "client_credentials"},
        auth=(tenant.client_id, tenant.client_secret),
    )


def onelogin_client(server: SandboxServer, name: str | None = None) -> tuple[httpx.Client, OneLoginTenant]:
    tenant = server.state.tenant("onelogin", name or fresh_name())
    answer = onelogin_token(server, tenant)
    assert answer.status_code == 200, answer.text
    client = new_client(
        base_url=server.url("onelogin", tenant.name),
        headers={"Authorization": f"bearer {answer.json()['access_token']}"},
    )
    return client, tenant
