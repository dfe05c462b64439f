"""How long the policies take over the benchmark estate: compile once, then one evaluation per plan.

Run from the repository root: `python -m bench.policy [--apps N] [--policies DIR]`. It writes the
estate's manifests (10,000 OneLogin rules in 1,000 apps, 2,000 ViziVault rules, the Primo types) to a
throwaway project with the example policies, loads them as `plan` does, makes a plan that updates a
tenth of the rules, and times each step. The goal: each policy file well under a second over the
estate; the input document is built once per plan, whatever the number of files.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from bench.estate import TARGETS, Shape, live_estate, manifests, write_manifests
from reconciler.engine.plan import Action, Change, Plan, ScopePlan
from reconciler.engine.policygate import policy_input
from reconciler.runner.policing import git_context, policy_report
from reconciler.runner.workspace import Workspace, open_workspace

GOAL_PER_FILE_S = 1.0
REPO = Path(__file__).resolve().parents[1]


def write_project(root: Path, shape: Shape, policies: Path) -> Path:
    lines = ["version: 1", "targets:"]
    for target, provider in TARGETS.items():
        lines += [f"  {target}:", f"    provider: {provider}", f"    url: https://{target}.invalid"]
        names = ("client_id", "client_secret") if provider == "onelogin" else ("api_key",)
        lines.append("    credentials: {" + ", ".join(f"{n}: {{env: BENCH_{n.upper()}}}" for n in names) + "}")
    (root / "reconciler.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    write_manifests(manifests(live_estate(shape)), root / "rules")
    shutil.copytree(policies, root / "policies", ignore=shutil.ignore_patterns("*_test.rego"))
    return root / "reconciler.yaml"


def tenth_updated(workspace: Workspace) -> Plan:
    """A plan that updates every tenth desired rule (what a large pull request looks like)."""
    scopes = []
    for ref, desired in sorted(workspace.desired.scopes.items()):
        provider = workspace.config.targets[ref.target].provider
        changes = [
            Change(Action.UPDATE, rule.identity, before=rule.body, after=rule.body, body=rule.body)
            for index, rule in enumerate(desired.rules)
            if index % 10 == 0
        ]
        scopes.append(ScopePlan(ref.target, provider, ref.scope, ref.scope, changes))
    return Plan(scopes)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apps", type=int, default=Shape.apps, help="OneLogin apps of 10 rules each")
    parser.add_argument("--policies", type=Path, default=REPO / "policies", help="folder of .rego files")
    args = parser.parse_args()
    shape = Shape(apps=args.apps)
    with tempfile.TemporaryDirectory() as folder:
        config = write_project(Path(folder), shape, args.policies)
        started = time.perf_counter()
        workspace = open_workspace(config, check_env=False)
        load_s = time.perf_counter() - started
        assert workspace.policies is not None and workspace.policies.evaluator is not None
        evaluator = workspace.policies.evaluator
        plan = tenth_updated(workspace)
        started = time.perf_counter()
        providers = {t.name: t.provider for t in workspace.targets}
        policy_input("plan", workspace.desired, providers, plan, git_context({}))
        document_s = time.perf_counter() - started
        started = time.perf_counter()
        report = policy_report(workspace, plan, {})
        total_s = time.perf_counter() - started
    assert report is not None
    per_file: dict[str, float] = defaultdict(float)
    files = {check.package: check.location.file for check in evaluator.checks}
    for package, file in files.items():
        per_file[file] += evaluator.seconds[package]
    rules = workspace.desired.rule_count()
    changes = sum(len(s.changes) for s in plan.scopes)
    print(f"estate: {rules} desired rules, a plan of {changes} updates; {len(per_file)} policy files")
    print(f"manifests and policies loaded (compile included) in {load_s:.2f} s")
    print(f"input document: built in {document_s:.2f} s, handed to rego-cpp in {evaluator.seconds['input']:.2f} s")
    worst = max(per_file.values())
    for file, seconds in sorted(per_file.items()):
        print(f"  {file:40} {seconds:6.3f} s")
    print(f"one evaluation of every policy: {total_s:.2f} s ({total_s / load_s:.2f}x the load of the manifests)")
    print(f"slowest file: {worst:.3f} s ({worst / GOAL_PER_FILE_S:.0%} of the {GOAL_PER_FILE_S:.0f} s goal)")
    print(f"findings: {report.counts()}")
    verdict = "PASS" if worst < GOAL_PER_FILE_S else "FAIL"
    print(f"{verdict}  every policy file under {GOAL_PER_FILE_S:.0f} s over {rules} rules")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
