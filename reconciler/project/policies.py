"""The project's policies on disk: the .rego files, the exceptions, and `policies.required`.

Loaded once per run: the policy files are compiled together once (project/rego.py), then every
evaluation reuses them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reconciler.engine.policy import PolicyCheck, PolicyException
from reconciler.errors import InputError, Location, Problem, suggest
from reconciler.project.config import Config
from reconciler.project.policyconfig import ExceptionsFile, PolicyExceptionSpec
from reconciler.project.regosource import RegoSource, find_policy_files, read_sources
from reconciler.project.validation import validate_model
from reconciler.project.yamlsource import display_path, load_yaml, node_location

if TYPE_CHECKING:  # the Rego engine (regopy, ctypes: 40 ms) loads only for a project with policies
    from reconciler.project.rego import RegoEvaluator


@dataclass
class PolicySet:
    """The compiled policies (None when no file declares a deny, warn or violation rule) and the exceptions."""

    folder: str
    sources: list[RegoSource]
    evaluator: RegoEvaluator | None
    exceptions: list[PolicyException] = field(default_factory=list)
    required: bool = False

    @property
    def checks(self) -> list[PolicyCheck]:
        return self.evaluator.checks if self.evaluator else []


def policy_folder(config: Config) -> Path:
    return (config.root_dir / config.policies.dir).resolve()


def read_policy_sources(config: Config) -> tuple[str, list[RegoSource]]:
    """Every .rego file of the policy folder (tests included), read and scanned, and the folder as shown."""
    folder = policy_folder(config)
    shown = display_path(folder, config.root_dir)
    declared = config.raw.get("policies", {}) if isinstance(config.raw, dict) else {}
    if not folder.is_dir():
        if isinstance(declared, dict) and "dir" in declared:
            where = node_location(config.raw, ["policies", "dir"], config.shown_as, at_value=True)
            raise InputError([Problem(where, "policies.dir", f"policy folder {shown!r} not found")])
        return shown, []
    paths = find_policy_files(folder)
    return shown, read_sources(paths, {p: display_path(p, config.root_dir) for p in paths})


def load_policies(config: Config, today: date) -> PolicySet | None:
    """The project's policies compiled, and its exceptions checked; None when it has neither.

    Raises InputError for a Rego syntax error, an expired or unknown exception, or `policies.required`
    with no policy to evaluate.
    """
    folder, sources = read_policy_sources(config)
    evaluated = [s for s in sources if not s.is_test]
    evaluator = None
    if any(s.checks for s in evaluated):
        from reconciler.project.rego import RegoEvaluator

        evaluator = RegoEvaluator(evaluated)
    exceptions, problems = load_exceptions(config, today, evaluator.checks if evaluator else [])
    if config.policies.required and evaluator is None:
        where = node_location(config.raw, ["policies", "required"], config.shown_as, at_value=True)
        found = f"{len(evaluated)} policy file(s)" if evaluated else "no .rego file"
        problems.append(
            Problem(
                where,
                "policies.required",
                f"no policy was evaluated: {found} in {folder!r} with a deny, warn or violation rule",
            )
        )
    if problems:
        raise InputError(problems)
    if evaluator is None and not exceptions and not config.policies.required:
        return None
    return PolicySet(folder, sources, evaluator, exceptions, config.policies.required)


def load_exceptions(
    config: Config, today: date, checks: list[PolicyCheck]
) -> tuple[list[PolicyException], list[Problem]]:
    """Exceptions from reconciler.yaml and from `policies.exceptions_file`, each located; problems apart."""
    located: list[tuple[PolicyExceptionSpec, Location]] = [
        (spec, node_location(config.raw, ["policy_exceptions", i], config.shown_as))
        for i, spec in enumerate(config.policy_exceptions)
    ]
    problems: list[Problem] = []
    if config.policies.exceptions_file:
        path = (config.root_dir / config.policies.exceptions_file).resolve()
        shown = display_path(path, config.root_dir)
        if not path.is_file():
            where = node_location(config.raw, ["policies", "exceptions_file"], config.shown_as, at_value=True)
            return [], [Problem(where, "policies.exceptions_file", f"exceptions file {shown!r} not found")]
        raw: Any = load_yaml(path, shown) or {}
        model, file_problems = validate_model(ExceptionsFile, raw, root=raw, file=shown)
        problems += file_problems
        if model is not None:
            located += [
                (spec, node_location(raw, ["policy_exceptions", i], shown))
                for i, spec in enumerate(model.policy_exceptions)
            ]
    rules = {c.rule for c in checks}
    exceptions = []
    for spec, where in located:
        exception = PolicyException(spec.policy, tuple(spec.rules), spec.reason, spec.expires, where)
        name = spec.policy.removeprefix("data.")
        if exception.expired(today):
            problems.append(
                Problem(
                    where,
                    "policy_exceptions",
                    f"the exception for {name} expired on {spec.expires} ({spec.reason}): "
                    "renew it with a new expiry date, or remove it",
                )
            )
        elif name not in rules:
            problems.append(
                Problem(where, "policy_exceptions.policy", f"no policy rule {name!r}{suggest(name, rules)}")
            )
        exceptions.append(exception)
    return exceptions, problems
