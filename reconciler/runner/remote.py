"""`validate --remote`: read-only checks of the desired rules against what each live tenant accepts."""

from __future__ import annotations

import asyncio

from reconciler.engine.model import DesiredScope
from reconciler.errors import ApiError, InputError, Problem, at_target
from reconciler.runner.resolve import resolve_names
from reconciler.runner.sessions import open_sessions
from reconciler.runner.workspace import Workspace


async def check_remote(workspace: Workspace) -> int:
    """Raise InputError with every problem a tenant's own catalogs reveal; returns the scopes checked."""
    async with open_sessions(workspace) as sessions:
        await resolve_names(workspace.desired, sessions)
        scopes = list(workspace.desired.scopes.values())

        async def check(scope: DesiredScope) -> list[Problem]:
            try:
                return await sessions.provider(scope.ref.target).remote_problems(scope.ref.scope, scope.rules)
            except ApiError as exc:
                raise at_target(scope.ref.target, exc) from exc

        found = await asyncio.gather(*(check(scope) for scope in scopes))
    problems: list[Problem] = [p for scope_problems in found for p in scope_problems]
    if problems:
        raise InputError(problems)
    return len(scopes)
