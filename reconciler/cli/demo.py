"""`reconciler demo`: the whole product against the built-in sandbox, with no credentials or setup.

It starts the sandbox in-process, points the project's targets at it, seeds live rules that have
drifted from `rules/` (changed fields, a missing rule, rules out of order, rules no manifest
mentions), then runs validate, the rule tests, plan, apply, plan again and the rule tests against the
live rules, through the real commands.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

import reconciler
from reconciler.project import CONFIG_FILE

if TYPE_CHECKING:
    from reconciler.project.config import Config
    from reconciler.sandbox import SandboxServer


def prepare_sandbox(config: Config, server: SandboxServer, workdir: Path) -> Path:
    """Point every target at the sandbox, set its credentials in the environment, seed drift.

    Returns the path of a config file like the project's, with sandbox URLs.
    """
    from ruamel.yaml import YAML

    from reconciler.project.loader import load_desired
    from reconciler.project.policies import policy_folder
    from reconciler.sandbox.seeds import credentials_of, seed_drift

    # The scopes the manifests name, by target: the sandbox must know them (OneLogin apps).
    scopes: dict[str, list[str]] = {}
    for ref in load_desired(config, list(config.targets.values())).scopes:
        scopes.setdefault(ref.target, []).append(ref.scope)
    yaml = YAML()
    raw: Any = yaml.load(config.path.read_text(encoding="utf-8"))
    raw["rules_dir"] = str(config.rules_dir)
    raw["tests_dir"] = str(config.tests_dir)
    if policy_folder(config).is_dir():  # the project's policies run in the demo too
        raw.setdefault("policies", {})["dir"] = str(policy_folder(config))
        if config.policies.exceptions_file:
            raw["policies"]["exceptions_file"] = str((config.root_dir / config.policies.exceptions_file).resolve())
    for name, target in config.targets.items():
        spec = raw["targets"][name]
        spec["url"] = server.url(target.provider, name)
        secrets = credentials_of(server.state.tenant(target.provider, name))
        for credential, ref in target.spec.credentials.items():
            os.environ[ref.env] = secrets[credential]
        seed_drift(server.state, target.provider, name, scopes.get(name, []))
    path = workdir / CONFIG_FILE
    with path.open("w", encoding="utf-8") as handle:
        yaml.dump(raw, handle)
    return path


def example_config() -> Path:
    """The example project shipped with reconciler (config, rules, rule tests, policies): the demo runs
    on it from any folder. In a checkout its files are the repository's own, through symlinks."""
    return (Path(reconciler.__file__).parent / "example" / CONFIG_FILE).resolve()


@click.command("demo")
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="A project to run the demo on instead of the example shipped with reconciler.",
)
@click.pass_context
def demo_command(ctx: click.Context, config_path: Path | None) -> None:
    """Run validate, test, plan, apply, plan and test --live against the built-in sandbox, with drift seeded."""
    from reconciler.project.config import load_config
    from reconciler.sandbox.common import server_class

    server_type = server_class("demo")  # the web stack loads only when the demo runs

    group = ctx.find_root().command  # the `reconciler` group, found without importing the cli
    config = load_config(config_path or example_config())
    # From the project's folder, files print as the README shows them (`rules/...`), wherever the demo
    # is started and wherever the package is installed.
    with (
        contextlib.chdir(config.root_dir),
        tempfile.TemporaryDirectory(prefix="reconciler-demo-") as tmp,
        server_type() as server,
    ):
        demo_config = prepare_sandbox(config, server, Path(tmp))
        click.secho(f"Sandbox APIs on {server.base_url} (in-process, seeded with drifted live rules)\n", bold=True)
        steps = [
            ["validate"],
            ["test"],
            ["plan", "--detailed-exitcode"],
            ["apply", "--auto-approve"],
            ["plan", "--detailed-exitcode"],
            ["test", "--live"],
        ]
        for args in steps:
            click.secho(f"$ reconciler {' '.join(args)}", fg="cyan", bold=True)
            command = [
                *(["--no-color"] if ctx.color is False else []),
                args[0],
                "--config",
                str(demo_config),
                *args[1:],
            ]
            try:
                group.main(command, standalone_mode=False)
                code = 0
            except SystemExit as exc:
                code = int(exc.code or 0)
            click.secho(f"(exit code {code})\n", dim=True)
            if code == 1:
                raise SystemExit(1)
