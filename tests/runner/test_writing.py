"""`guard_confirm_apply`, the one path from a plan to writes for apply, apply FILE and sync --repair:
guards first, the question only when there is something to write, then the writes."""

from __future__ import annotations

from reconciler.cli import eventloop
from reconciler.engine.plan import Plan, Refusal
from reconciler.runner.flows import make_plan
from reconciler.runner.sessions import open_sessions
from reconciler.runner.workspace import open_workspace
from reconciler.runner.writing import StartWrites, Written, guard_confirm_apply
from tests.conftest import Project


def offer(
    project: Project, *, answer: bool, refusal: Refusal | None = None, force: bool = False
) -> tuple[Written, int]:
    """The plan offered for writing; returns what became of it and how often the question was asked."""
    workspace = open_workspace(project.root / "reconciler.yaml", ("primo-test",))
    asked: list[bool] = []
    watched: list[Plan] = []

    def confirm() -> bool:
        asked.append(answer)
        return answer

    async def watch(plan: Plan, start: StartWrites) -> int | None:
        watched.append(plan)
        await start(None)
        return None

    async def run() -> Written:
        async with open_sessions(workspace) as sessions:
            plan = await make_plan(workspace, sessions)
            if refusal is not None:
                plan.refusals.append(refusal)
            written = await guard_confirm_apply(
                workspace, sessions, plan, prune=None, force=force, confirm=confirm, watch=watch
            )
            assert len(watched) == (1 if written.report is not None else 0)  # the writes ran inside `watch`
            return written

    written = eventloop.run(run())
    return written, len(asked)


def guard(force_overrides: bool) -> Refusal:
    return Refusal("primo-test", "max_change_share", "too much", "use --force", force_overrides=force_overrides)


def test_a_refused_plan_is_never_asked_about_nor_written(drifted: Project) -> None:
    written, asked = offer(drifted, answer=True, refusal=guard(force_overrides=True))
    assert (len(written.refused), written.report, asked) == (1, None, 0)
    assert drifted.tenant("primo-test").rules == {}


def test_force_gets_past_a_guard_it_overrides_but_not_past_protect(drifted: Project) -> None:
    written, _ = offer(drifted, answer=True, refusal=guard(force_overrides=False), force=True)
    assert len(written.refused) == 1 and written.report is None
    written, asked = offer(drifted, answer=True, refusal=guard(force_overrides=True), force=True)
    assert written.refused == [] and written.report is not None and written.report.ok and asked == 1


def test_declined_is_cancelled_and_writes_nothing(drifted: Project) -> None:
    written, asked = offer(drifted, answer=False)
    assert (written.cancelled, written.report, asked) == (True, None, 1)
    assert drifted.tenant("primo-test").rules == {}


def test_confirmed_is_applied_and_nothing_is_asked_once_live_matches(drifted: Project) -> None:
    written, asked = offer(drifted, answer=True)
    assert written.report is not None and written.report.ok and asked == 1 and written.stopped_by is None
    again, asked = offer(drifted, answer=True)
    assert again == Written() and asked == 0  # no change: no question, no refusal, no report
