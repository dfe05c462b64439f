"""Policies over a workspace: one evaluation per plan (or over the desired rules alone, for validate)."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping

from reconciler.engine.plan import Plan
from reconciler.engine.policy import GitContext, PolicyReport
from reconciler.engine.policygate import evaluate_policies, policy_input, policy_refusals
from reconciler.runner.workspace import Workspace

# What the workflow knows of the change under review; GitHub Actions' own variables fill the gaps.
GIT_ENV = {
    "branch": ("RECONCILER_GIT_BRANCH", "GITHUB_HEAD_REF", "GITHUB_REF_NAME"),
    "commit": ("RECONCILER_GIT_COMMIT", "GITHUB_SHA"),
    "pull_request": ("RECONCILER_PULL_REQUEST",),
    "labels": ("RECONCILER_PR_LABELS",),
}


def git_context(environ: Mapping[str, str] | None = None) -> GitContext:
    """Branch, commit, pull-request number and labels from the environment; labels as a JSON list or
    comma-separated (the workflow passes `toJSON(github.event.pull_request.labels.*.name)`)."""
    env = os.environ if environ is None else environ

    def first(name: str) -> str | None:
        return next((env[v] for v in GIT_ENV[name] if env.get(v)), None)

    number = first("pull_request")
    return GitContext(
        branch=first("branch"),
        commit=first("commit"),
        pull_request=int(number) if number and number.isdigit() else None,
        labels=_labels(first("labels") or ""),
    )


def _labels(text: str) -> tuple[str, ...]:
    text = text.strip()
    if text.startswith("["):
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError:
            parsed = None
        if isinstance(parsed, list):
            return tuple(str(label) for label in parsed)
    return tuple(label.strip() for label in text.split(",") if label.strip())


def policy_report(
    workspace: Workspace, plan: Plan | None, environ: Mapping[str, str] | None = None
) -> PolicyReport | None:
    """Every policy over the workspace's desired rules and the plan (None for validate); None without policies."""
    policies = workspace.policies
    if policies is None:
        return None
    if policies.evaluator is None:
        return PolicyReport([], 0, [])
    providers = {t.name: t.provider for t in workspace.targets}
    command = "validate" if plan is None else "plan"
    document = policy_input(command, workspace.desired, providers, plan, git_context(environ))
    return evaluate_policies(policies.evaluator, policies.exceptions, document)


def gate_plan(workspace: Workspace, plan: Plan, environ: Mapping[str, str] | None = None) -> Plan:
    """The plan with its policy report, and a refusal for each deny (replacing any the plan had)."""
    plan.policy = policy_report(workspace, plan, environ)
    plan.refusals = [r for r in plan.refusals if r.guard != "policy"]
    if plan.policy is not None:
        plan.refusals += policy_refusals(plan.policy)
    return plan
