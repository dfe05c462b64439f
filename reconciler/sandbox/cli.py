"""`reconciler sandbox`: serve the emulated APIs on loopback for manual runs and benchmarks.

It prints what a client needs: each tenant's URL and (fake) credentials, then a `reconciler.yaml`
with one target per tenant and the `export` lines of its credentials, ready to paste.
"""

from __future__ import annotations

import re
import shlex
import sys
from pathlib import Path
from typing import Any

import click

from reconciler.sandbox.common import FAULT_KINDS, KNOWN_FAULT_KINDS, PROVIDERS, FaultConfig, server_class
from reconciler.sandbox.onelogin_catalog import FIRST_ROLE_ID, roles


def _tenant_spec(value: str) -> tuple[str, str]:
    provider, _, name = value.partition(":")
    if provider not in PROVIDERS or not name or "/" in name:
        raise click.BadParameter(f"{value!r}: expected PROVIDER:NAME with PROVIDER one of {', '.join(PROVIDERS)}")
    return provider, name


def _app_spec(value: str) -> tuple[int, str]:
    app_id, _, name = value.partition(":")
    if not app_id.isdigit():
        raise click.BadParameter(f"{value!r}: expected ID or ID:NAME with a numeric ID")
    return int(app_id), name or f"App {app_id}"


def _credentials(tenant: object) -> str:
    """The fake credentials a client needs for this tenant (printed on purpose: nothing here is secret)."""
    if hasattr(tenant, "api_key"):
        return f"api_key={tenant.api_key}"
    return f"client_id={getattr(tenant, 'client_id', '')} client_secret={getattr(tenant, 'client_secret', '')}"


def target_names(tenants: list[Any]) -> list[str]:
    """One target per tenant: the tenant's name, or provider-name when two providers share a name."""
    names = [tenant.name for tenant in tenants]
    return [t.name if names.count(t.name) == 1 else f"{t.provider}-{t.name}" for t in tenants]


def client_setup(server: Any, tenants: list[Any]) -> tuple[str, list[str]]:
    """A `reconciler.yaml` naming every tenant as a target, and the `export` lines of their credentials."""
    from reconciler.sandbox.seeds import credentials_of

    config = ["version: 1", "rules_dir: rules", "targets:"]
    exports = []
    for target, tenant in zip(target_names(tenants), tenants, strict=True):
        config += [
            f"  {target}:",
            f"    provider: {tenant.provider}",
            f"    url: {server.url(tenant.provider, tenant.name)}",
        ]
        config.append("    credentials:")
        for credential, value in credentials_of(tenant).items():
            variable = re.sub(r"[^A-Z0-9]+", "_", f"{target}_{credential}".upper())
            config.append(f"      {credential}: {{env: {variable}}}")
            exports.append(f"export {variable}={shlex.quote(value)}")
    return "\n".join(config) + "\n", exports


@click.command("sandbox")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (keep it loopback).")
@click.option(
    "--port", default=8900, show_default=True, type=click.IntRange(0, 65535), help="Port; 0 picks a free one."
)
@click.option(
    "--state",
    "state_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="JSON file: loaded at start if it exists, saved atomically after every write.",
)
@click.option("--no-save", is_flag=True, help="Load --state but never write it back.")
@click.option(
    "--tenant",
    "tenants",
    multiple=True,
    metavar="PROVIDER:NAME",
    help=f"Tenant to create (repeatable); PROVIDER is one of {', '.join(PROVIDERS)}. "
    "Default: a 'demo' tenant per provider (unless --state already holds tenants).",
)
@click.option(
    "--app",
    "apps",
    multiple=True,
    metavar="ID[:NAME]",
    help="OneLogin app to create in every OneLogin tenant (repeatable), e.g. --app 500100:Salesforce.",
)
@click.option(
    "--latency-ms", type=click.FloatRange(min=0), default=0.0, show_default=True, help="Added to every request."
)
@click.option(
    "--fault-rate", type=click.FloatRange(0, 1), default=0.0, show_default=True, help="Share of requests that fail."
)
@click.option(
    "--fault-kinds",
    default=",".join(FAULT_KINDS),
    show_default=True,
    help=f"Comma-separated kinds to inject, of {', '.join(KNOWN_FAULT_KINDS)}.",
)
@click.option("--faults-on-writes-only", "writes_only", is_flag=True, help="Inject faults into writes only.")
@click.option("--seed", type=int, help="Seed for repeatable fault injection.")
@click.option(
    "--retry-after", type=click.FloatRange(min=0), default=1.0, show_default=True, help="Retry-After of 429s."
)
@click.option("--rate-limit", type=click.IntRange(min=0), help="OneLogin requests allowed per window and tenant.")
@click.option("--rate-limit-window", type=click.FloatRange(min=0.001), default=60.0, show_default=True, help="Seconds.")
def sandbox_command(
    host: str,
    port: int,
    state_file: Path | None,
    no_save: bool,
    tenants: tuple[str, ...],
    apps: tuple[str, ...],
    latency_ms: float,
    fault_rate: float,
    fault_kinds: str,
    writes_only: bool,
    seed: int | None,
    retry_after: float,
    rate_limit: int | None,
    rate_limit_window: float,
) -> None:
    """Serve emulators of the Primo, ViziVault and OneLogin rule APIs on loopback."""
    server_type = server_class("sandbox")
    try:
        faults = FaultConfig(
            latency_ms=latency_ms,
            fault_rate=fault_rate,
            fault_kinds=tuple(k.strip() for k in fault_kinds.split(",") if k.strip()),
            writes_only=writes_only,
            seed=seed,
            retry_after_s=retry_after,
            rate_limit=rate_limit,
            rate_limit_window_s=rate_limit_window,
        )
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--fault-kinds") from None
    server = server_type(host=host, port=port, faults=faults, state_file=state_file, save_state=not no_save)
    specs = [_tenant_spec(t) for t in tenants]
    app_specs = [_app_spec(a) for a in apps]
    if not specs and not server.state.tenants():
        specs = [(provider, "demo") for provider in PROVIDERS]
    onelogin_tenants = 0
    for provider, name in specs:
        tenant = server.state.tenant(provider, name)
        if provider == "onelogin" and not tenant.apps:
            # Like real accounts, each OneLogin tenant gives the same role names ids of its own.
            tenant.first_role_id = FIRST_ROLE_ID + 1000 * onelogin_tenants
            onelogin_tenants += 1
    for tenant in server.state.tenants():
        for app_id, app_name in app_specs if tenant.provider == "onelogin" else []:
            tenant.add_app(app_id, app_name)
    try:
        server.start()
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    click.echo(f"Sandbox listening on {server.base_url} (fake credentials, for local use only)")
    width = max((len(tenant.name) for tenant in server.state.tenants()), default=0)
    for tenant in server.state.tenants():
        url = server.url(tenant.provider, tenant.name)
        click.echo(f"  {tenant.provider:<9} {tenant.name:<{width}}  {url}  {_credentials(tenant)}")
        if tenant.provider == "onelogin":
            apps_line = ", ".join(f"{app.id} {app.name!r}" for app in tenant.apps.values()) or "none (see --app)"
            click.echo(f"            apps: {apps_line}")
            role_ids = ", ".join(f"{role['name']} {role['value']}" for role in roles(tenant.first_role_id))
            click.echo(f"            roles: {role_ids}")
    config, exports = client_setup(server, server.state.tenants())
    click.echo("\n# reconciler.yaml for these tenants (next to your rules/; targets named after the tenants):")
    click.echo(config)
    click.echo("# then, in the shell that runs reconciler:")
    click.echo("\n".join(exports))
    click.echo("\nAdmin: GET /_sandbox/stats, POST /_sandbox/stats/reset, GET|POST /_sandbox/faults")
    click.echo("Press Ctrl-C to stop.")
    sys.stdout.flush()  # a parent process reading the URL from a pipe must not wait for a full buffer
    server.serve_forever()
