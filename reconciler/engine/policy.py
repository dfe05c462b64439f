"""Policy as code, engine side: what a policy check is, what it found, and the exceptions that wave it through.

The engine depends on `PolicyEvaluator` only; the Rego binding (project/rego.py) sits behind it, so
another evaluator can be plugged in. `policygate` builds the input document and turns denies into
refusals.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, Protocol

from reconciler.errors import Location


@dataclass(frozen=True)
class PolicyCheck:
    """One `deny`, `warn` or `violation` rule of one package, where it is declared, and its annotations."""

    package: str
    name: str
    location: Location
    title: str | None = None
    owner: str | None = None

    @property
    def rule(self) -> str:
        """The rule as exceptions and reports name it: `reconciler.onelogin.deny`."""
        return f"{self.package}.{self.name}"

    @property
    def level(self) -> str:
        return "warn" if self.name.startswith("warn") else "deny"


@dataclass
class PolicyFinding:
    """One message a deny, warn or violation rule produced. `address` names the rule it concerns, if given."""

    level: str
    message: str
    rule: str
    location: str
    owner: str | None = None
    title: str | None = None
    address: str | None = None
    excepted: str | None = None  # the covering exception: its reason and where it is declared

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PolicyFinding:
        return cls(**data)


@dataclass
class PolicyReport:
    """What the policies said about one input document."""

    files: list[str] = field(default_factory=list)
    checks: int = 0  # deny/warn/violation rules evaluated
    findings: list[PolicyFinding] = field(default_factory=list)

    @property
    def denies(self) -> list[PolicyFinding]:
        return [f for f in self.findings if f.level == "deny" and not f.excepted]

    @property
    def warns(self) -> list[PolicyFinding]:
        return [f for f in self.findings if f.level == "warn" and not f.excepted]

    @property
    def excepted(self) -> list[PolicyFinding]:
        return [f for f in self.findings if f.excepted]

    @property
    def passed(self) -> int:
        """Checks that produced no finding at all."""
        return self.checks - len({f.rule for f in self.findings})

    def counts(self) -> dict[str, int]:
        return {
            "files": len(self.files),
            "checks": self.checks,
            "denied": len(self.denies),
            "warned": len(self.warns),
            "excepted": len(self.excepted),
            "passed": self.passed,
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "summary": self.counts(),
            "files": self.files,
            "findings": [f.to_json() for f in self.findings],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PolicyReport:
        return cls(
            list(data.get("files", [])),
            int(data.get("summary", {}).get("checks", 0)),
            [PolicyFinding.from_json(f) for f in data.get("findings", [])],
        )


class PolicyEvaluator(Protocol):
    """Compiled policies: evaluates one input document into a report."""

    @property
    def files(self) -> Sequence[str]: ...

    def evaluate(self, document: Mapping[str, Any]) -> PolicyReport: ...


@dataclass
class PolicyTestResult:
    """One `test_` rule run: `pass` (true), `fail` (false or undefined) or `error` (the engine stopped)."""

    package: str
    name: str
    location: Location
    outcome: str
    message: str = ""
    seconds: float = 0.0


@dataclass(frozen=True)
class GitContext:
    """What the workflow knows of the change under review; every field may be unknown."""

    branch: str | None = None
    commit: str | None = None
    pull_request: int | None = None
    labels: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "branch": self.branch,
            "commit": self.commit,
            "pull_request": self.pull_request,
            "labels": list(self.labels),
        }


@dataclass(frozen=True)
class PolicyException:
    """A deny waved through on purpose, until it expires: which rule, for which rule addresses, and why."""

    rule: str
    addresses: tuple[str, ...]
    reason: str
    expires: date
    location: Location

    def covers(self, finding: PolicyFinding) -> bool:
        if finding.address is None or _rule_name(self.rule) != _rule_name(finding.rule):
            return False
        return any(fnmatch.fnmatchcase(finding.address, pattern) for pattern in self.addresses)

    def expired(self, today: date) -> bool:
        return self.expires < today


def _rule_name(rule: str) -> str:
    return rule.removeprefix("data.")


def apply_exceptions(report: PolicyReport, exceptions: Iterable[PolicyException]) -> PolicyReport:
    """The report with each deny an exception covers marked as excepted (warnings need no exception)."""
    exceptions = list(exceptions)
    findings = []
    for finding in report.findings:
        cover = next((e for e in exceptions if finding.level == "deny" and e.covers(finding)), None)
        if cover is not None:
            finding = replace(
                finding, excepted=f"{cover.reason} (exception at {cover.location}, until {cover.expires})"
            )
        findings.append(finding)
    return replace(report, findings=findings)
