"""The project config, `reconciler.yaml`: targets (one tenant of one provider each)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from reconciler.engine.guards import GuardPolicy
from reconciler.engine.provider import Provider
from reconciler.errors import InputError, Location, Problem, suggest
from reconciler.http.policy import RetryPolicy
from reconciler.project import CONFIG_FILE
from reconciler.project.policyconfig import PolicyExceptionSpec, PolicySettings
from reconciler.project.targetcheck import credential_value_problem, target_problems, unfit_variable, url_problem
from reconciler.project.validation import validate_model
from reconciler.project.variables import VAR_NAME_PATTERN
from reconciler.project.yamlsource import display_path, load_yaml, node_location
from reconciler.providers.registry import PROVIDERS
from reconciler.safetext import register_secrets

TARGET_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
# The registry is the one list of provider names: a provider added there is accepted here.
ProviderName = Literal[tuple(PROVIDERS)]  # type: ignore[valid-type]


class EnvRef(BaseModel):
    """A value taken from an environment variable at run time, never written in the file."""

    model_config = ConfigDict(extra="forbid")
    env: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")


class TargetConfig(BaseModel):
    # strict: `prune: "yes"` or `concurrency: true` is a mistake to report, not a value to convert
    model_config = ConfigDict(extra="forbid", strict=True)

    provider: ProviderName
    url: str | EnvRef
    # Plain http:// to a host other than this machine sends the credentials unencrypted: only on request.
    allow_insecure_http: bool = False
    credentials: dict[str, EnvRef]
    prune: bool = False
    # Requests in flight for this target; plans are bound by latency, so more overlaps more round trips.
    concurrency: int = Field(default=16, ge=1, le=64)
    timeout: float = Field(default=30.0, gt=0)
    # Retries of transient failures (see docs on guarantees): total seconds per request, and the waits.
    retry_for: float = Field(default=60.0, ge=0)
    retry_wait_initial: float = Field(default=0.2, gt=0)
    retry_wait_max: float = Field(default=10.0, gt=0)
    # Safety guards: a larger share of existing rules updated or deleted needs --force ...
    max_change_share: float = Field(default=0.3, ge=0, le=1)
    # ... and, when set, a larger share updated, or deleted, alone (octoDNS's two thresholds) ...
    max_update_share: float | None = Field(default=None, ge=0, le=1)
    max_delete_share: float | None = Field(default=None, ge=0, le=1)
    # ... once the target has at least this many live rules.
    max_change_share_min_rules: int = Field(default=10, ge=0)
    # Rule identities never deleted or disabled, even when their manifest block is gone.
    protect: list[str] = Field(default_factory=list)
    options: dict[str, Any] = Field(default_factory=dict)
    # Values that manifests use as `{var: NAME}`, so that one manifest serves several targets.
    vars: dict[str, Any] = Field(default_factory=dict)

    @field_validator("vars")
    @classmethod
    def _var_names_and_values(cls, value: dict[str, Any]) -> dict[str, Any]:
        for name, item in value.items():
            if not re.match(VAR_NAME_PATTERN, name):
                raise ValueError(f"{name!r} is not a variable name (letters, digits and '_', not first a digit)")
            items = item if isinstance(item, list) else [item]
            if not all(isinstance(v, str | int | float | bool) for v in items):
                raise ValueError(f"variable {name!r} must be a text, number, true/false, or a list of those")
        return value

    @field_validator("credentials", mode="before")
    @classmethod
    def _no_literal_secrets(cls, value: Any) -> Any:
        if isinstance(value, dict):
            for name, ref in value.items():
                if not isinstance(ref, dict):
                    raise ValueError(
                        f"credential {name!r} must reference an environment variable as {{env: NAME}}, "
                        "never a literal secret"
                    )
        return value


class ConfigFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: Literal[1] = 1
    rules_dir: str = "rules"
    tests_dir: str = "tests/rules"  # rule tests: cases of inputs and expected outcomes (docs/rule-tests.md)
    targets: dict[str, TargetConfig]
    policies: PolicySettings = Field(default_factory=PolicySettings)
    policy_exceptions: list[PolicyExceptionSpec] = Field(default_factory=list)


class Target:
    """A configured target with its name, its provider class (resolved once) and where it was declared."""

    def __init__(self, name: str, spec: TargetConfig, location: Location) -> None:
        self.name = name
        self.spec = spec
        self.location = location
        self.provider_class: type[Provider] = PROVIDERS[spec.provider]

    @property
    def provider(self) -> str:
        return self.spec.provider

    @property
    def guard_policy(self) -> GuardPolicy:
        spec = self.spec
        return GuardPolicy(
            self.name,
            spec.max_change_share,
            spec.max_change_share_min_rules,
            frozenset(spec.protect),
            max_update_share=spec.max_update_share,
            max_delete_share=spec.max_delete_share,
        )

    @property
    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(self.spec.retry_for, self.spec.retry_wait_initial, self.spec.retry_wait_max)

    def resolve_url(self, environ: dict[str, str] | None = None) -> str:
        url = self.spec.url
        if isinstance(url, EnvRef):
            url = _env_value(url.env, environ)
        problem = url_problem(url, allow_http=self.spec.allow_insecure_http)
        if problem:
            raise InputError([Problem(self.location, f"targets.{self.name}.url", f"the URL {problem}")])
        return url

    def resolve_credentials(self, environ: dict[str, str] | None = None) -> dict[str, str]:
        values = {name: _env_value(ref.env, environ, secret=True) for name, ref in self.spec.credentials.items()}
        register_secrets(values.values())  # before any request: whatever echoes them is redacted
        return values

    def environment_problems(self, environ: dict[str, str] | None = None) -> list[tuple[str, str]]:
        """(field, message) for each environment variable that is unset, empty, or unfit for its use."""
        env = os.environ if environ is None else environ
        found = []
        secrets = [(f"credentials.{name}", ref.env) for name, ref in self.spec.credentials.items()]
        register_secrets(env[var] for _, var in secrets if env.get(var))
        url = [("url", self.spec.url.env)] if isinstance(self.spec.url, EnvRef) else []
        for field, var in secrets + url:
            value = env.get(var, "")
            if problem := _variable_problem(var, value, secret=field != "url"):
                found.append((field, problem))
            elif field == "url" and (problem := url_problem(value, allow_http=self.spec.allow_insecure_http)):
                found.append((field, f"the URL in environment variable {var} {problem}"))
        return found


def _variable_problem(name: str, value: str, *, secret: bool) -> str | None:
    """Why the value of environment variable `name` cannot be used, or None; a secret is also checked
    for what a request header cannot carry."""
    if not value:
        return f"environment variable {name} is not set"
    if secret and (problem := credential_value_problem(value)):
        return unfit_variable(name, problem)
    return None


def _env_value(name: str, environ: dict[str, str] | None, *, secret: bool = False) -> str:
    env = os.environ if environ is None else environ
    value = env.get(name, "")
    if problem := _variable_problem(name, value, secret=secret):
        raise InputError([Problem(Location(CONFIG_FILE), "", problem)])
    return value


class Config:
    """The loaded config: targets by name, the rules folder, and the file's raw nodes for locations."""

    def __init__(self, path: Path, root_dir: Path, file: ConfigFile, raw: Any, shown_as: str, digest: str = "") -> None:
        self.path = path
        self.digest = digest  # of the bytes loaded, for saved plans' fingerprints
        self.root_dir = root_dir
        self.rules_dir = (root_dir / file.rules_dir).resolve()
        self.tests_dir = (root_dir / file.tests_dir).resolve()
        self.policies = file.policies
        self.policy_exceptions = file.policy_exceptions
        self.shown_as = shown_as
        self.raw = raw
        self.targets: dict[str, Target] = {
            name: Target(name, spec, node_location(raw, ["targets", name], shown_as))
            for name, spec in file.targets.items()
        }

    def select(self, names: tuple[str, ...] | list[str]) -> list[Target]:
        """Targets named on the command line (all when none are), unknown names reported together."""
        if not names:
            return list(self.targets.values())
        unknown = [n for n in names if n not in self.targets]
        if unknown:
            known = ", ".join(sorted(self.targets))
            raise InputError(
                [Problem(Location(self.shown_as), "", f"unknown target {n!r}; known targets: {known}") for n in unknown]
            )
        return [self.targets[n] for n in dict.fromkeys(names)]

    def check_environment(self, targets: list[Target], environ: dict[str, str] | None = None) -> list[Problem]:
        problems = []
        for target in targets:
            for field, message in target.environment_problems(environ):
                where = node_location(self.raw, ["targets", target.name, *field.split(".")], self.shown_as)
                problems.append(Problem(where, f"targets.{target.name}.{field}", message))
        return problems


def load_config(path: Path) -> Config:
    """Read and check `reconciler.yaml`; every problem is reported with its line."""
    root_dir = path.parent
    shown_as = display_path(path, Path.cwd())
    if not path.exists():
        raise InputError([Problem(Location(shown_as), "", "config file not found")])
    digests: dict[str, str] = {}
    raw = load_yaml(path, shown_as, digests)
    if raw is None:
        raise InputError([Problem(Location(shown_as), "", "config file is empty; it must define targets")])
    problems: list[Problem] = []
    if isinstance(raw, dict) and isinstance(raw.get("targets"), dict):
        for name in raw["targets"]:
            if not re.match(TARGET_NAME_PATTERN, str(name)):
                problems.append(
                    Problem(
                        node_location(raw, ["targets", name], shown_as),
                        f"targets.{name}",
                        "target names use letters, digits, '.', '_' and '-'",
                    )
                )
    model, model_problems = validate_model(ConfigFile, raw, root=raw, file=shown_as)
    problems.extend(model_problems)
    if model is not None:
        problems.extend(credential_problems(model, raw, shown_as))
        problems.extend(target_problems(model.targets, raw, shown_as))
    if problems or model is None:
        raise InputError(problems)
    return Config(path, root_dir, model, raw, shown_as, digests[shown_as])


def credential_problems(file: ConfigFile, raw: Any, shown_as: str) -> list[Problem]:
    """Each target's `credentials` keys against the names its provider reads: a missing or misspelt
    key is reported here, with its line, rather than failing once the first request is built."""
    problems = []
    for name, spec in file.targets.items():
        wanted = PROVIDERS[spec.provider].credential_names
        path = ["targets", name, "credentials"]
        field = f"targets.{name}.credentials"
        unknown = [key for key in spec.credentials if key not in wanted]
        for key in unknown:
            problems.append(
                Problem(
                    node_location(raw, [*path, key], shown_as),
                    f"{field}.{key}",
                    f"unknown credential {key!r}{suggest(key, wanted)}; "
                    f"{spec.provider} targets use {', '.join(wanted)}",
                )
            )
        for key in wanted:
            # A misspelt key is reported once, as unknown, with the name it was probably meant to be.
            if key not in spec.credentials and not unknown:
                problems.append(
                    Problem(
                        node_location(raw, path, shown_as),
                        field,
                        f"missing credential {key!r}: {spec.provider} targets need {', '.join(wanted)}",
                    )
                )
    return problems
