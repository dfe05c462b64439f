"""Where a pull request's plan may send the repository's credentials: only where the base branch does.

A plan on a pull request runs with the repository's read credentials. If it took each target's `url`
and `credentials` from the pull request, a pull request could send those keys to a host of its
choosing. With the base branch's config at hand, every target the plan reads is pinned to the url
and credential variables the base branch gives it.
"""

from __future__ import annotations

from pathlib import Path

from reconciler.errors import Problem
from reconciler.project.config import Target, load_config

PINNED_FIELDS = ("url", "credentials")


def pin_to_base(
    targets: list[Target], base_path: Path, contacted: set[str]
) -> tuple[list[Target], list[str], list[Problem]]:
    """The targets with the url and credentials of the base branch's config (`base_path`).

    A contacted target whose url or credentials the pull request changes is planned with the base
    branch's, and a warning says so; one that the base branch lacks, or names with another provider, is
    a problem (nothing can be trusted for it). A missing base config trusts no target. Targets not
    contacted (no manifests) are left as they are. Returns the targets, the warnings and the problems.
    """
    base = load_config(base_path).targets if base_path.exists() else {}
    pinned: list[Target] = []
    warnings: list[str] = []
    problems: list[Problem] = []
    for target in targets:
        trusted = base.get(target.name)
        if target.name not in contacted:
            pinned.append(target)
        elif trusted is None or trusted.provider != target.provider:
            problems.append(
                Problem(
                    target.location,
                    f"targets.{target.name}",
                    f"the base branch has no {target.provider} target of this name, so a pull request's plan "
                    "sends it no credentials: add the target in a pull request of its own, without manifests, "
                    "then its rules",
                )
            )
        else:
            changed = [name for name in PINNED_FIELDS if getattr(target.spec, name) != getattr(trusted.spec, name)]
            if changed:
                spec = target.spec.model_copy(update={name: getattr(trusted.spec, name) for name in changed})
                target = Target(target.name, spec, target.location)
                warnings.append(
                    f"target {target.name!r}: this pull request changes its {' and '.join(changed)}; it is planned "
                    "with the base branch's, since a pull request cannot choose where the credentials go. The new "
                    "ones take effect after merging, in the plan the apply shows its approvers"
                )
            pinned.append(target)
    return pinned, warnings, problems
