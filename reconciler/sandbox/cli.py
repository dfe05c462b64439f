"""`reconciler sandbox`: serve the emulated APIs on loopback for manual runs and benchmarks."""

from __future__ import annotations

from pathlib import Path

import click

from reconciler.sandbox.common import FAULT_KINDS, FaultConfig
from reconciler.sandbox.server import SandboxServer
from reconciler.sandbox.state import TENANT_CLASSES


def _tenant_spec(value: str) -> tuple[str, str]:
    provider, _, name = value.partition(":")
    if provider not in TENANT_CLASSES or not name:
        raise click.BadParameter(f"{value!r}: expected PROVIDER:NAME with PROVIDER one of {', '.join(TENANT_CLASSES)}")
    return provider, name


@click.command("sandbox")
@click.option("--host", default="127.0.0.1", show_default=True, help="Loopback address to listen on.")
@click.option("--port", default=8900, show_default=True, help="Port (0 picks a free one).")
@click.option(
    "--state",
    "state_file",
    type=click.Path(path_type=Path),
    help="JSON file: loaded at start, saved after every write.",
)
@click.option("--no-save", is_flag=True, help="Load --state but never write it back.")
@click.option(
    "--tenant",
    "tenants",
    multiple=True,
    help="PROVIDER:NAME to create (repeatable). Default: a 'demo' tenant per provider.",
)
@click.option("--latency-ms", type=float, default=0.0, show_default=True, help="Added to every request.")
@click.option("--fault-rate", type=float, default=0.0, show_default=True, help="Share of requests that fail.")
@click.option(
    "--fault-kinds", default=",".join(FAULT_KINDS), show_default=True, help="Comma-separated kinds to inject."
)
@click.option("--seed", type=int, help="Seed for repeatable fault injection.")
@click.option("--rate-limit", type=int, help="OneLogin requests allowed per window (60 s).")
def sandbox_command(
    host: str,
    port: int,
    state_file: Path | None,
    no_save: bool,
    tenants: tuple[str, ...],
    latency_ms: float,
    fault_rate: float,
    fault_kinds: str,
    seed: int | None,
    rate_limit: int | None,
) -> None:
    """Serve emulators of the Primo, ViziVault and OneLogin rule APIs on loopback."""
    kinds = tuple(k for k in fault_kinds.split(",") if k)
    unknown = set(kinds) - set(FAULT_KINDS)
    if unknown:
        raise click.BadParameter(f"unknown fault kinds: {', '.join(sorted(unknown))}", param_hint="--fault-kinds")
    faults = FaultConfig(
        latency_ms=latency_ms, fault_rate=fault_rate, fault_kinds=kinds, seed=seed, rate_limit=rate_limit
    )
    server = SandboxServer(host=host, port=port, faults=faults, state_file=state_file, save_state=not no_save)
    specs = [_tenant_spec(t) for t in tenants]
    if not specs and not server.state.tenants():
        specs = [(provider, "demo") for provider in TENANT_CLASSES]
    for provider, name in specs:
        server.state.tenant(provider, name)
    server.start()
    click.echo(f"Sandbox listening on {server.base_url} (fake credentials; loopback only)")
    for tenant in server.state.tenants():
        secrets = (
            f"api_key={tenant.api_key}"
            if tenant.provider != "onelogin"
            else f"client_id={tenant.client_id} client_secret={tenant.client_secret}"
        )
        click.echo(f"  {tenant.provider:<9} {tenant.name:<12} {server.url(tenant.provider, tenant.name)}  {secrets}")
    click.echo("Press Ctrl-C to stop.")
    server.serve_forever()
