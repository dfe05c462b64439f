"""What a user would write instead of `reconciler`, timed against the same sandbox in the same run.

- A sequential script: one httpx.Client, the same list calls as a plan, one after another.
- A Terraform-like refresh: one read per rule (its own GET, as a provider's Read does), 10 in flight
  (Terraform's default `-parallelism`).

And the sandbox's own floor: a bare client, raw HTTP with no parsing, against the same sandbox; what
it takes beyond the bound is the sandbox's handling and timers, which no client wins back.

The first two are timed on a sample of the estate and scaled by request count to the whole estate (each request
costs the same latency, so time grows with requests); the report says so.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from bench.estate import ONELOGIN_TARGET, PRIMO_TARGET, VAULT_TARGET
from bench.harness import SandboxProcess

TERRAFORM_PARALLELISM = 10


@dataclass
class Baseline:
    name: str
    sampled_requests: int
    sampled_s: float
    full_requests: int

    @property
    def full_s(self) -> float:
        """The sample's time per request, for the whole estate's requests."""
        return self.sampled_s / self.sampled_requests * self.full_requests


def _onelogin(state: dict[str, Any]) -> tuple[str, str, list[dict[str, Any]]]:
    tenant = state["onelogin"][ONELOGIN_TARGET]
    return tenant["client_id"], tenant["client_secret"], tenant["apps"]


def _token(client: httpx.Client, sandbox: SandboxProcess, state: dict[str, Any]) -> str:
    client_id, secret, _ = _onelogin(state)
    answer = client.post(
        sandbox.url("onelogin", ONELOGIN_TARGET) + "/auth/oauth2/v2/token",
        json={"grant_type": "client_credentials"},
        auth=(client_id, secret),
    )
    answer.raise_for_status()
    return str(answer.json()["access_token"])


def sequential_script(sandbox: SandboxProcess, state_file: Path, apps: int, full_requests: int) -> Baseline:
    """The plan's list calls for `apps` OneLogin apps (two each), the vault and Primo, one at a time."""
    state = json.loads(state_file.read_text(encoding="utf-8"))
    _, _, all_apps = _onelogin(state)
    vault_key = state["vizivault"][VAULT_TARGET]["api_key"]
    primo_key = state["primo"][PRIMO_TARGET]["api_key"]
    requests = 0
    start = time.perf_counter()
    with httpx.Client(timeout=30) as client:
        token = _token(client, sandbox, state)
        requests += 1
        vault = sandbox.url("vizivault", VAULT_TARGET) + "/rules"
        client.get(vault, headers={"Authorization": f"Bearer {vault_key}"}).raise_for_status()
        requests += 1
        primo = sandbox.url("primo", PRIMO_TARGET) + "/compliance/alert-rules"
        client.get(primo, headers={"Authorization": f"Bearer {primo_key}"}).raise_for_status()
        requests += 1
        base = sandbox.url("onelogin", ONELOGIN_TARGET)
        for app in all_apps[:apps]:
            for enabled in ("true", "false"):
                answer = client.get(
                    f"{base}/api/2/apps/{app['id']}/rules",
                    params={"enabled": enabled},
                    headers={"Authorization": f"bearer {token}"},
                )
                answer.raise_for_status()
                requests += 1
    return Baseline("sequential httpx script", requests, time.perf_counter() - start, full_requests)


def terraform_refresh(sandbox: SandboxProcess, state_file: Path, sample_rules: int, full_rules: int) -> Baseline:
    """One GET per rule, 10 in flight: OneLogin rules by id, ViziVault rules by name (in proportion)."""
    state = json.loads(state_file.read_text(encoding="utf-8"))
    _, _, apps = _onelogin(state)
    vault = state["vizivault"][VAULT_TARGET]
    onelogin_paths = [f"/api/2/apps/{app['id']}/rules/{rule['id']}" for app in apps for rule in app["rules"]]
    vault_paths = [f"/rules/{quote(rule['name'], safe='')}" for rule in vault["rules"].values()]  # by name
    share = sample_rules / max(1, len(onelogin_paths) + len(vault_paths))
    onelogin_paths = onelogin_paths[: max(1, round(len(onelogin_paths) * share))]
    vault_paths = vault_paths[: max(1, round(len(vault_paths) * share))]

    async def refresh() -> tuple[int, float]:
        limit = asyncio.Semaphore(TERRAFORM_PARALLELISM)
        async with httpx.AsyncClient(timeout=30) as client:
            start = time.perf_counter()
            with httpx.Client() as sync:
                token = _token(sync, sandbox, state)

            async def read(url: str, authorization: str) -> None:
                async with limit:
                    answer = await client.get(url, headers={"Authorization": authorization})
                    answer.raise_for_status()

            onelogin = sandbox.url("onelogin", ONELOGIN_TARGET)
            vizivault = sandbox.url("vizivault", VAULT_TARGET)
            await asyncio.gather(
                *(read(onelogin + path, f"bearer {token}") for path in onelogin_paths),
                *(read(vizivault + path, f"Bearer {vault['api_key']}") for path in vault_paths),
            )
            return 1 + len(onelogin_paths) + len(vault_paths), time.perf_counter() - start

    requests, seconds = asyncio.run(refresh())
    return Baseline(f"Terraform-like refresh ({TERRAFORM_PARALLELISM} in flight)", requests, seconds, full_rules + 1)


def sandbox_floor(sandbox: SandboxProcess, state_file: Path, concurrency: int, latency_s: float, sample: int) -> float:
    """What the sandbox allows at best, as a multiple of the bound: `sample` OneLogin list calls from a bare
    client (raw HTTP/1.1 on `concurrency` kept-alive connections, answers read and dropped unparsed).
    Above 1.0 is the sandbox's own handling and timers, which no client can win back."""
    state = json.loads(state_file.read_text(encoding="utf-8"))
    _, _, apps = _onelogin(state)
    url = httpx.URL(sandbox.url("onelogin", ONELOGIN_TARGET))
    with httpx.Client() as client:
        token = _token(client, sandbox, state)
    paths = [f"{url.path}/api/2/apps/{apps[n % len(apps)]['id']}/rules?enabled=true" for n in range(sample)]

    async def worker(queue: list[str]) -> None:
        reader, writer = await asyncio.open_connection(url.host, url.port)
        while queue:
            head = f"GET {queue.pop()} HTTP/1.1\r\nHost: {url.host}\r\nAuthorization: bearer {token}\r\n\r\n"
            writer.write(head.encode())
            answer = await reader.readuntil(b"\r\n\r\n")
            length = next(line for line in answer.lower().split(b"\r\n") if line.startswith(b"content-length:"))
            await reader.readexactly(int(length.split(b":")[1]))
        writer.close()

    async def run() -> float:
        start = time.perf_counter()
        await asyncio.gather(*(worker(paths) for _ in range(concurrency)))
        return time.perf_counter() - start

    return asyncio.run(run()) / (sample * latency_s / concurrency)
