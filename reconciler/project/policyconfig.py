"""The `policies:` and `policy_exceptions:` sections of `reconciler.yaml` (and of an exceptions file)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field


class PolicySettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # The folder of .rego files, relative to reconciler.yaml.
    dir: str = "policies"
    # Fail any run that evaluated no policy: a typo in `dir` must not turn the check green.
    required: bool = False
    # A YAML file holding more `policy_exceptions:` (relative to reconciler.yaml), e.g. owned by another team.
    exceptions_file: str | None = None


class PolicyExceptionSpec(BaseModel):
    """A deny waved through on purpose: which policy rule, for which rules, why, and until when."""

    model_config = ConfigDict(extra="forbid")

    policy: str = Field(pattern=r"^(data\.)?[A-Za-z_][\w.]*$")  # e.g. reconciler.onelogin.deny
    rules: list[str] = Field(min_length=1)  # rule addresses `target/scope/identity`; `*` and `?` match any
    reason: str = Field(min_length=1)
    expires: date


class ExceptionsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    policy_exceptions: list[PolicyExceptionSpec] = Field(default_factory=list)
