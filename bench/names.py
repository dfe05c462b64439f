"""What naming apps and values by name costs a plan, in requests: a 1,000-app OneLogin estate planned
with every app and value by id, then with every app by name and a few values by name.

Run from the repository root: `python -m bench.names [--apps N] [--named-values K]`. It seeds an
in-process sandbox, writes both sets of manifests (they mean the same rules), plans each through the
CLI, and prints the requests of each plan by route, the ratio, and PASS or FAIL against the goals:
names must not double the plan's requests, and cost at most the apps list's pages plus one read per
app and catalogue that a manifest names a value of.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from bench.estate import FIRST_APP_ID, onelogin_rule, write_manifests
from reconciler.cli.main import main as cli
from reconciler.providers.onelogin_names import APPS_PAGE_SIZE
from reconciler.sandbox import SandboxServer, SandboxState
from reconciler.sandbox.onelogin_catalog import FIRST_ROLE_ID

TARGET = "bench-onelogin"
ADMIN = str(FIRST_ROLE_ID)  # the role named "Admin" in the sandbox's catalogues


def live_rules(apps: int, named: set[int]) -> dict[int, list[dict[str, Any]]]:
    """The estate's rules by app; the apps in `named` give their first rule an admin role to set."""
    estate = {}
    for app in range(FIRST_APP_ID, FIRST_APP_ID + apps):
        rules = [onelogin_rule(app, index) for index in range(10)]
        if app in named:
            rules[0]["actions"].append({"action": "set_role", "value": [ADMIN]})
        estate[app] = rules
    return estate


def documents(estate: dict[int, list[dict[str, Any]]], named: set[int], by_name: bool) -> dict[str, Any]:
    """Manifests of the estate: apps and the admin role by id, or by name."""
    files = {}
    for app, rules in estate.items():
        if by_name and app in named:
            rules = [
                {**r, "actions": [*r["actions"][:-1], {"action": "set_role", "value": [{"name": "Admin"}]}]}
                if index == 0
                else r
                for index, r in enumerate(rules)
            ]
        header = {"app": {"name": f"App {app}"}} if by_name else {"app": app}
        files[f"onelogin/app-{app}.yaml"] = {"target": TARGET, **header, "rules": rules}
    return files


def plan(root: Path, server: SandboxServer) -> tuple[Counter[str], float]:
    """One `reconciler plan` of the project: the requests it made by route, and its wall time."""
    server.stats.reset()
    started = time.perf_counter()
    result = CliRunner().invoke(
        cli, ["--no-color", "plan", "--config", str(root / "reconciler.yaml"), "--detailed-exitcode"]
    )
    elapsed = time.perf_counter() - started
    if result.exit_code != 0:
        raise SystemExit(f"the plan of {root.name} is not empty (exit {result.exit_code}):\n{result.output[-2000:]}")
    return Counter(server.stats.by_route), elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apps", type=int, default=1000)
    parser.add_argument("--named-values", type=int, default=10, help="apps whose manifest names a value by name")
    args = parser.parse_args(argv)
    named = set(range(FIRST_APP_ID, FIRST_APP_ID + args.apps, max(1, args.apps // max(1, args.named_values))))
    estate = live_rules(args.apps, named)
    state = SandboxState()
    tenant = state.tenant("onelogin", TARGET)
    for app, rules in estate.items():
        tenant.add_app(app, f"App {app}")
        for rule in rules:
            tenant.add_rule(app, rule)
    with tempfile.TemporaryDirectory(prefix="bench-names-") as tmp, SandboxServer(state) as server:
        os.environ.update({"BENCH_ID": tenant.client_id, "BENCH_SECRET": tenant.client_secret})
        figures = {}
        for by_name in (False, True):
            root = Path(tmp) / ("by-name" if by_name else "by-id")
            (root / "reconciler.yaml").parent.mkdir(parents=True)
            (root / "reconciler.yaml").write_text(
                f"version: 1\ntargets:\n  {TARGET}:\n    provider: onelogin\n"
                f"    url: {server.url('onelogin', TARGET)}\n"
                "    credentials: {client_id: {env: BENCH_ID}, client_secret: {env: BENCH_SECRET}}\n",
                encoding="utf-8",
            )
            write_manifests(documents(estate, named, by_name), root / "rules")
            figures[by_name] = plan(root, server)
    (by_id, id_s), (by_name_routes, name_s) = figures[False], figures[True]
    requests_id, requests_name = sum(by_id.values()), sum(by_name_routes.values())
    extra = requests_name - requests_id
    allowed = -(-args.apps // APPS_PAGE_SIZE) + len(named)  # apps-list pages + one catalogue per named app
    print(f"OneLogin estate: {args.apps} apps x 10 rules; {len(named)} apps name a value by name (set_role: Admin)")
    print(f"  plan, apps and values by id:   {requests_id:6d} requests  {id_s:6.2f} s")
    print(f"  plan, apps and values by name: {requests_name:6d} requests  {name_s:6.2f} s")
    for route in sorted(set(by_id) | set(by_name_routes)):
        if by_id[route] != by_name_routes[route]:
            print(f"    {route}: {by_id[route]} -> {by_name_routes[route]}")
    ratio = requests_name / requests_id
    print(f"  requests by name / by id: {ratio:.3f}x (goal < 2x)            {'PASS' if ratio < 2 else 'FAIL'}")
    verdict = "PASS" if extra <= allowed else "FAIL"
    print(f"  extra requests: {extra} (at most {allowed}: apps-list pages + one per app and catalogue)  {verdict}")
    return 0 if ratio < 2 and extra <= allowed else 1


if __name__ == "__main__":
    sys.exit(main())
