"""The policy gate between planning and applying: the input document, and the refusals denies make.

Evaluation happens once per plan (or once over the desired rules for `validate`), never once per rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from reconciler.engine.model import DesiredState
from reconciler.engine.plan import Plan, Refusal
from reconciler.engine.policy import GitContext, PolicyEvaluator, PolicyException, PolicyReport, apply_exceptions

# 1: {input_version, command, targets, desired, plan, git}; docs/policies.md describes each field.
POLICY_INPUT_VERSION = 1


def rule_address(target: str, scope: str, identity: str) -> str:
    """How policies and exceptions name one rule: `target/scope/identity`."""
    return f"{target}/{scope}/{identity}"


def policy_input(
    command: str,
    desired: DesiredState,
    providers: Mapping[str, str],
    plan: Plan | None,
    git: GitContext,
) -> dict[str, Any]:
    """The document every policy reads as `input` (versioned: see docs/policies.md)."""
    rules = [
        {
            "address": rule_address(ref.target, ref.scope, rule.identity),
            "target": ref.target,
            "provider": providers.get(ref.target),
            "scope": ref.scope,
            "identity": rule.identity,
            "source": str(rule.location),
            "protect": rule.protect,
            "rule": rule.body,
        }
        for ref, scope in sorted(desired.scopes.items())
        for rule in scope.rules
    ]
    plan_json: dict[str, Any] | None = None
    if plan is not None:
        plan_json = plan.to_json()
        plan_json.pop("policy", None)
        for scope in plan_json["scopes"]:
            for change in scope["changes"]:
                change["address"] = rule_address(scope["target"], scope["scope"], change["identity"])
    return {
        "input_version": POLICY_INPUT_VERSION,
        "command": command,
        "targets": [{"name": name, "provider": provider} for name, provider in sorted(providers.items())],
        "desired": rules,
        "plan": plan_json,
        "git": git.to_json(),
    }


def evaluate_policies(
    evaluator: PolicyEvaluator, exceptions: Iterable[PolicyException], document: Mapping[str, Any]
) -> PolicyReport:
    """One evaluation of every policy over the document, with the exceptions applied."""
    return apply_exceptions(evaluator.evaluate(document), exceptions)


POLICY_HINT = (
    "--force does not override a policy: change the plan or the rules, or add a policy exception "
    "(rule, addresses, reason, expiry) to reconciler.yaml if it must go through"
)


def policy_refusals(report: PolicyReport) -> list[Refusal]:
    """Each deny refuses the apply like the `protect` guard: `--force` never gets past it."""
    return [
        Refusal(
            _target_of(finding.address),
            "policy",
            f"{finding.message} ({finding.rule} at {finding.location}"
            + (f", owner {finding.owner})" if finding.owner else ")"),
            POLICY_HINT,
            force_overrides=False,
        )
        for finding in report.denies
    ]


def _target_of(address: str | None) -> str:
    return address.split("/", 1)[0] if address else "*"
