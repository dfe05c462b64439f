"""How long `reconciler validate` takes on 5,000 rules: in-process and through the CLI.

Run from the repository root: `python -m bench.validate [--rules N] [--runs R]`. It writes a
throwaway project (three targets, rules spread over many files, all three providers), times
`validate` and prints the figures with PASS or FAIL against the goal.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from reconciler.providers.primo import PRIMO_TYPES
from reconciler.runner.workspace import open_workspace

GOAL_S = 2.0
RULES_PER_FILE = 100
ENV = {"BENCH_KEY": "not-a-secret", "BENCH_ID": "bench-client-id", "BENCH_SECRET": "bench-client-secret"}
CONFIG = """\
version: 1
targets:
  primo:
    provider: primo
    url: https://primo.invalid
    credentials: {api_key: {env: BENCH_KEY}}
  vault:
    provider: vizivault
    url: https://vault.invalid
    credentials: {api_key: {env: BENCH_KEY}}
  onelogin:
    provider: onelogin
    url: https://onelogin.invalid
    credentials: {client_id: {env: BENCH_ID}, client_secret: {env: BENCH_SECRET}}
"""


def vault_rule(n: int) -> str:
    return f"""\
  - key: rule{n}
    name: Rule number {n}
    type: data
    constraint:
      type: all
      constraints:
        - type: attribute
          operator: any
          attributes: [NAME, EMAIL]
        - type: geo
          operator: none
          countries: [US, DE, FR]
          subdivisions: [US-NY]
    action:
      type: alert
      alertLevel: WARNING
      message: Rule {n} matched
    executionOrder: {n % 7 + 1}
"""


def onelogin_rule(n: int) -> str:
    return f"""\
  - name: Rule {n}
    match: all
    conditions:
      - source: has_role
        operator: ri
        value: "340475"
      - source: email
        operator: "~"
        value: "@example.com"
    actions:
      - action: set_groups
        value: [member_of]
        expression: ".*"
"""


def write_project(root: Path, total: int) -> None:
    """`total` rules: every Primo type once, then ViziVault and OneLogin rules half and half."""
    (root / "reconciler.yaml").write_text(CONFIG, encoding="utf-8")
    rules = root / "rules"
    rules.mkdir()
    primo = "target: primo\nrules:\n" + "".join(
        f"  - {{type: {t}, nonCompliantStatus: [FAILED]}}\n" for t in PRIMO_TYPES[:total]
    )
    (rules / "primo.yaml").write_text(primo, encoding="utf-8")
    remaining = max(0, total - len(PRIMO_TYPES))
    vault_count = remaining // 2
    for start in range(0, vault_count, RULES_PER_FILE):
        count = min(RULES_PER_FILE, vault_count - start)
        text = "target: vault\nrules:\n" + "".join(vault_rule(start + i) for i in range(count))
        (rules / f"vault-{start // RULES_PER_FILE:03}.yaml").write_text(text, encoding="utf-8")
    onelogin_count = remaining - vault_count
    for start in range(0, onelogin_count, RULES_PER_FILE):
        count = min(RULES_PER_FILE, onelogin_count - start)
        app = 1000 + start // RULES_PER_FILE
        text = f"target: onelogin\napp: {app}\nrules:\n" + "".join(onelogin_rule(start + i) for i in range(count))
        (rules / f"onelogin-{app}.yaml").write_text(text, encoding="utf-8")


def time_in_process(config: Path, runs: int) -> tuple[float, int]:
    best = float("inf")
    count = 0
    for _ in range(runs):
        started = time.perf_counter()
        workspace = open_workspace(config)
        best = min(best, time.perf_counter() - started)
        count = workspace.desired.rule_count()
    return best, count


def time_cli(config: Path, runs: int) -> tuple[float, str]:
    best = float("inf")
    output = ""
    env = {**os.environ, **ENV}
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "reconciler", "validate", "--config", str(config)],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        best = min(best, time.perf_counter() - started)
        output = (done.stdout + done.stderr).strip()
        if done.returncode != 0:
            raise SystemExit(f"validate failed:\n{output}")
    return best, output


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", type=int, default=5000, help="How many rules to generate.")
    parser.add_argument("--runs", type=int, default=3, help="Runs of each measurement; the best is shown.")
    args = parser.parse_args()
    os.environ.update(ENV)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        write_project(root, args.rules)
        config = root / "reconciler.yaml"
        files = len(list((root / "rules").glob("*.yaml")))
        size = sum(p.stat().st_size for p in (root / "rules").glob("*.yaml"))
        in_process, count = time_in_process(config, args.runs)
        cli, output = time_cli(config, args.runs)
    print(f"manifests: {count} rules in {files} files ({size / 1e6:.1f} MB)")
    print(f"validate in-process: {in_process:.3f} s  ({count / in_process:,.0f} rules/s)")
    print(f"validate CLI (with interpreter start-up): {cli:.3f} s  -> {output}")
    ok = in_process < GOAL_S and cli < GOAL_S
    print(f"{'PASS' if ok else 'FAIL'}: goal is under {GOAL_S:.1f} s for both (best of {args.runs})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
