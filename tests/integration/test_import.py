"""`reconciler import` through the real CLI against the sandbox: the round-trip law both ways, for
random live rule sets of each provider, and the demo tenant imported over hand-commented manifests."""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.cli.demo import prepare_sandbox
from reconciler.project.config import load_config
from reconciler.project.finding import manifest_files
from reconciler.project.loader import load_desired
from reconciler.providers.registry import PROVIDERS
from reconciler.runner.resolve import resolve_names
from reconciler.runner.sessions import Sessions
from reconciler.sandbox import SandboxServer
from tests.conftest import Project, make_project
from tests.strategies import onelogin_apps, primo_rules, vizivault_rules

SETTINGS = settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
ROOT = Path(__file__).resolve().parents[2]
_numbers = itertools.count(1)

# Live rule sets by provider: {scope header: rules}; OneLogin apps carry their names.
TENANTS: dict[str, st.SearchStrategy[Any]] = {
    "primo": primo_rules(),
    "vizivault": vizivault_rules(),
    "onelogin": onelogin_apps(),
}


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    with SandboxServer() as sandbox:
        yield sandbox


def fresh_project(root: Path, server: SandboxServer, provider: str) -> tuple[Project, str]:
    """A project with one target on a tenant no other example uses."""
    target = f"{provider}-{next(_numbers)}"
    return make_project(root, server, {target: provider}), target


def seed(project: Project, target: str, provider: str, tenant: Any) -> None:
    live = project.tenant(target)
    if provider == "primo":
        for rule in tenant:
            live.upsert_rule(rule["type"], rule["nonCompliantStatus"])
    elif provider == "vizivault":
        for rule in tenant:
            live.upsert_rule(rule)
    else:
        for app_id, (name, rules) in tenant.items():
            live.add_app(app_id, name)
            for rule in rules:
                live.add_rule(app_id, rule)


def manifests(target: str, provider: str, tenant: Any) -> dict[str, dict[str, Any]]:
    """The tenant as manifests (JSON is YAML), one file per scope."""
    if provider == "onelogin":
        return {f"app{app}.yaml": {"target": target, "app": app, "rules": rules} for app, (_, rules) in tenant.items()}
    return {f"{provider}.yaml": {"target": target, "rules": tenant}}


def meaning(project: Project, target: str) -> dict[str, list[tuple[str, dict[str, Any]]]]:
    """What the target's manifests say, scope by scope, as the plan compares it."""
    config = load_config(project.root / "reconciler.yaml")
    provider = config.targets[target].provider_class
    state = load_desired(config, [config.targets[target]])

    async def resolve() -> None:  # imported manifests name apps and values by name, as plan resolves them
        async with Sessions([config.targets[target]]) as sessions:
            await resolve_names(state, sessions)

    with pytest.MonkeyPatch.context() as patch:
        for name, value in project.env.items():
            patch.setenv(name, value)
        asyncio.run(resolve())
    out = {}
    for ref, scope in state.scopes.items():
        rules = [(r.identity, provider.normalize(r.body)) for r in scope.rules]
        out[ref.scope] = rules if provider.ordered else sorted(rules, key=lambda r: r[0])
    return {scope: rules for scope, rules in out.items() if rules}


def same_meaning(provider: str, ours: dict[str, Any], theirs: dict[str, Any]) -> bool:
    """Equal, except server-filled fields that one side leaves to the server."""
    computed = PROVIDERS[provider].computed_fields
    if ours.keys() != theirs.keys():
        return False
    for scope in ours:
        if [i for i, _ in ours[scope]] != [i for i, _ in theirs[scope]]:
            return False
        for (_, a), (_, b) in zip(ours[scope], theirs[scope], strict=True):
            for name in computed:
                if name not in a or name not in b:
                    a, b = {k: v for k, v in a.items() if k != name}, {k: v for k, v in b.items() if k != name}
            if a != b:
                return False
    return True


def secrets_of(project: Project) -> list[str]:
    return [value for value in project.env.values() if len(value) >= 6]


@pytest.mark.parametrize("provider", sorted(TENANTS))
def test_import_then_plan_shows_no_changes(server: SandboxServer, provider: str) -> None:
    @SETTINGS
    @given(TENANTS[provider])
    def law(tenant: Any) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            project, target = fresh_project(Path(tmp), server, provider)
            seed(project, target, provider, tenant)
            imported = project.run("import", "-t", target)
            assert imported.exit_code == 0, imported.output
            plan = project.run("plan", "-t", target, "--prune", "--detailed-exitcode")
            assert plan.exit_code == 0, plan.output  # nothing to create, change, reorder or delete
            again = project.run("import", "-t", target, "--dry-run")
            assert "Nothing to write" in again.output, again.output
            written = "".join(p.read_text(encoding="utf-8") for p in manifest_files(project.root / "rules"))
            assert not any(secret in written for secret in secrets_of(project))

    law()


@pytest.mark.parametrize("provider", sorted(TENANTS))
def test_apply_then_import_gives_back_equivalent_manifests(server: SandboxServer, provider: str) -> None:
    @SETTINGS
    @given(TENANTS[provider])
    def law(tenant: Any) -> None:
        if provider == "primo":
            tenant = [r for r in tenant if r["nonCompliantStatus"]]  # an empty list is the deleted form
        with tempfile.TemporaryDirectory() as tmp:
            project, target = fresh_project(Path(tmp), server, provider)
            if provider == "onelogin":
                for app_id, (name, _) in tenant.items():
                    project.tenant(target).add_app(app_id, name)
            for name, manifest in manifests(target, provider, tenant).items():
                project.write(f"rules/{name}", json.dumps(manifest))
            applied = project.run("apply", "-t", target, "--auto-approve")
            assert applied.exit_code == 0, applied.output
            ours = meaning(project, target)

            kept = project.run("import", "-t", target)
            assert "Nothing to write" in kept.output, kept.output  # the manifests already say it all

            shutil.rmtree(project.root / "rules")
            fresh = project.run("import", "-t", target)
            assert fresh.exit_code == 0, fresh.output
            assert same_meaning(provider, ours, meaning(project, target))

    law()


def test_import_options(project: Project) -> None:
    tenant = project.tenant("onelogin-test")
    for app_id, name in ((7, "Jira"), (8, "Slack")):
        tenant.add_app(app_id, name)
        tenant.add_rule(
            app_id,
            {
                "name": f"{name} admins",
                "match": "all",
                "enabled": True,
                "conditions": [{"source": "has_role", "operator": "ri", "value": "340475"}],
                "actions": [{"action": "set_role", "value": ["340476"]}],
            },
        )
    dry = project.run("import", "-t", "onelogin-test", "--app", "8", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "+++ b/rules/onelogin-test/slack.yaml" in dry.output and "jira" not in dry.output
    assert "would create rules/onelogin-test/slack.yaml (1 rule(s))" in dry.output
    assert not (project.root / "rules/onelogin-test").exists()

    out = project.root / "adopted"
    done = project.run("import", "-t", "onelogin-test", "--app", "8", "--out", str(out))
    assert done.exit_code == 0, done.output
    assert [p.name for p in out.iterdir()] == ["slack.yaml"]

    unknown = project.run("import", "-t", "onelogin-test", "--app", "99")
    assert unknown.exit_code == 1 and "/api/2/apps/99" in unknown.output
    wrong = project.run("import", "-t", "primo-test", "--app", "7")
    assert wrong.exit_code == 1 and "primo targets have no apps" in wrong.output


def add_comments(rules_dir: Path) -> list[str]:
    """Hand-written comments everywhere a user puts them: above rules, at line ends, between fields."""
    written = []
    for number, path in enumerate(manifest_files(rules_dir)):
        out = [f"# file {number}: why these rules exist\n"]
        for index, line in enumerate(path.read_text(encoding="utf-8").splitlines(keepends=True)):
            text = line.rstrip("\n")
            if re.match(r"^\s*- ", text) and text.lstrip().startswith("- ") and ":" in text:
                indent = len(text) - len(text.lstrip())
                out.append(f"{' ' * indent}# above {number}.{index}\n")
            if text.strip() and not text.lstrip().startswith("#"):
                text += f"  # end {number}.{index}"
            out.append(text + "\n")
        path.write_text("".join(out), encoding="utf-8")
        written += re.findall(r"# [^\n]*", "".join(out))
    return written


def test_importing_the_demo_tenant_keeps_every_hand_written_comment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(ROOT / "rules", tmp_path / "rules")
    shutil.copy(ROOT / "reconciler.yaml", tmp_path / "reconciler.yaml")
    comments = add_comments(tmp_path / "rules")
    config = load_config(tmp_path / "reconciler.yaml")
    for target in config.targets.values():
        for ref in target.spec.credentials.values():
            monkeypatch.setenv(ref.env, "set by the demo, restored after the test")
    (tmp_path / "demo").mkdir()
    with SandboxServer() as server:
        prepare_sandbox(config, server, tmp_path / "demo")  # the demo's drifted tenants, over these rules
        demo = Project(tmp_path / "demo", server, {}, {})
        not_live = []
        for target in config.targets:
            result = demo.run("import", "-t", target)
            assert result.exit_code == 0, result.output
            not_live += re.findall(r"^  \S+:\d+:\d+: '(.+)'$", result.output, flags=re.MULTILINE)
        plan = demo.plan_json()
    text = "".join(p.read_text(encoding="utf-8") for p in manifest_files(tmp_path / "rules"))
    assert [c for c in comments if c not in text] == []
    # The drift is imported: left to do are only the rules the manifests hold but the tenant lacks
    # (import reports and keeps them), created where the manifests put them.
    changes = [(c["action"], c["identity"]) for s in plan["scopes"] for c in s["changes"]]
    assert sorted(i for a, i in changes if a == "create") == sorted(not_live)
    assert {a for a, _ in changes} <= {"create", "reorder"}
    assert plan["summary"]["unmanaged"] == 0 and len(not_live) == 5  # with the Workday rule, on an app named by name


def test_every_app_of_the_tenant_is_read_page_by_page(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("reconciler.providers.onelogin_names.APPS_PAGE_SIZE", 2)
    tenant = project.tenant("onelogin-test")
    for app_id in range(1, 6):
        tenant.add_app(app_id, f"App {app_id}")
        tenant.add_rule(
            app_id,
            {
                "name": "suspend",
                "match": "all",
                "enabled": app_id % 2 == 0,
                "conditions": [{"source": "last_login", "operator": ">", "value": str(30 * app_id)}],
                "actions": [{"action": "set_status", "value": ["2"]}],
            },
        )
    result = project.run("import", "-t", "onelogin-test")
    assert result.exit_code == 0, result.output
    assert "Imported 5 rule(s) of onelogin-test from 5 scope(s)." in result.output
    files = sorted(p.name for p in (project.root / "rules/onelogin-test").iterdir())
    assert files == [f"app-{n}.yaml" for n in range(1, 6)]
    assert project.run("plan", "--prune", "--detailed-exitcode").exit_code == 0


def test_import_into_an_empty_repository_makes_the_rules_folder_its_config_names(project: Project) -> None:
    # The config `reconciler sandbox` prints names `rules_dir: rules`; a new repository has no such folder yet.
    config = project.root / "reconciler.yaml"
    config.write_text(config.read_text().replace("version: 1\n", "version: 1\nrules_dir: rules\n"))
    (project.root / "rules").rmdir()
    project.tenant("primo-test").upsert_rule("MDM_ONLINE", ["OFFLINE_7_DAYS"])
    dry = project.run("import", "-t", "primo-test", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert not (project.root / "rules").exists()  # a dry run leaves nothing behind
    result = project.run("import", "-t", "primo-test")
    assert result.exit_code == 0, result.output
    assert (project.root / "rules" / "primo-test" / "compliance-alert-rules.yaml").is_file()
    plan = project.run("plan", "-t", "primo-test", "--detailed-exitcode")
    assert plan.exit_code == 0, plan.output
