"""A plan lets go of each scope's live rules once the scope is planned, and keeps what later steps need:
the guards' counts, the fingerprints, and the rules themselves where asked. A summary is never an empty
scope, and a scope that could not be read stays its error."""

from __future__ import annotations

import asyncio

import pytest

from reconciler.cli import eventloop
from reconciler.engine.digest import live_digest
from reconciler.engine.model import LiveScope, LiveSummary, ScopeRef
from reconciler.engine.plan import Plan, ScopePlan
from reconciler.engine.read import HeldReads, fetch_live, fetch_scope, read_each
from reconciler.errors import ApiError
from reconciler.runner.flows import LiveState, make_reviewed_plan, read_and_plan
from reconciler.runner.sessions import Sessions
from reconciler.runner.workspace import open_workspace
from tests.conftest import Project

PRIMO = ScopeRef("primo-test", "primo")


def seeded(project: Project, monkeypatch: pytest.MonkeyPatch, manifest: str) -> Project:
    primo = project.tenant("primo-test")
    primo.upsert_rule("MDM_ONLINE", ["OFFLINE"])
    primo.upsert_rule("MDM_CONTROL_WIFI", ["FAILED"])
    project.write("rules/p.yaml", manifest)
    for name, value in project.env.items():
        monkeypatch.setenv(name, value)
    return project


def plan(project: Project, **options: object) -> tuple[Plan, LiveState]:
    workspace = open_workspace(project.root / "reconciler.yaml", ("primo-test",))

    async def run() -> tuple[Plan, LiveState]:
        async with Sessions(workspace.targets) as sessions:
            return await read_and_plan(workspace, sessions, **options)  # type: ignore[arg-type]

    return eventloop.run(run())


def test_a_scope_let_go_still_counts_its_live_rules_so_deleting_them_all_is_refused(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    result, live = plan(seeded(project, monkeypatch, "target: primo-test\nrules: []\n"), prune=True)
    assert live == {PRIMO: LiveSummary(PRIMO, 2)}  # not a scope of no rules
    assert [c.action for c in result.scopes[0].changes] == ["delete", "delete"]
    assert [r.guard for r in result.refusals] == ["delete_all"]


def test_a_summary_carries_the_fingerprint_of_the_rules_it_replaces(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    seeded(project, monkeypatch, "target: primo-test\nrules: []\n")
    _, summarised = plan(project, fingerprinted=True)
    workspace = open_workspace(project.root / "reconciler.yaml", ("primo-test",))

    async def read_whole() -> LiveScope | ApiError:
        async with Sessions(workspace.targets) as sessions:
            return (await fetch_live(sessions.providers, [PRIMO]))[PRIMO]

    whole = eventloop.run(read_whole())
    assert isinstance(whole, LiveScope)
    assert summarised[PRIMO] == LiveSummary(PRIMO, 2, live_digest(whole))


def test_the_scopes_asked_for_keep_their_live_rules_whole(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    seeded(project, monkeypatch, "target: primo-test\nrules: [{type: MDM_ONLINE, nonCompliantStatus: [FAILED]}]\n")
    asked: list[ScopePlan] = []

    def keep(scope: ScopePlan) -> bool:
        asked.append(scope)
        return bool(scope.changes)

    _, live = plan(project, keep_live=keep)
    state = live[PRIMO]
    assert isinstance(state, LiveScope) and {r.identity for r in state.rules} == {"MDM_ONLINE", "MDM_CONTROL_WIFI"}
    assert [scope.ref for scope in asked] == [PRIMO]


def test_an_unreadable_scope_stays_its_error_never_a_summary(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    seeded(project, monkeypatch, "target: primo-test\nrules: []\n")
    monkeypatch.setenv("PRIMO_TEST_API_KEY", "not-the-key-of-this-tenant")
    result, live = plan(project, prune=True, fingerprinted=True)
    assert isinstance(live[PRIMO], ApiError)
    assert result.scopes[0].error and not result.scopes[0].changes and not result.refusals


def test_a_reviewed_plan_of_a_scope_let_go_is_fingerprinted(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    seeded(project, monkeypatch, "target: primo-test\nrules: []\n")
    workspace = open_workspace(project.root / "reconciler.yaml", ("primo-test",))

    async def run() -> tuple[str, str]:
        async with Sessions(workspace.targets) as sessions:
            reviewed = await make_reviewed_plan(workspace, sessions)
            whole = await fetch_scope(sessions.providers, PRIMO)
            assert isinstance(whole, LiveScope) and isinstance(reviewed.live[PRIMO], LiveSummary)
            return reviewed.fingerprints.live[str(PRIMO)], live_digest(whole)

    fingerprint, digest = eventloop.run(run())
    assert fingerprint == digest


def test_reads_started_early_are_not_held_once_taken(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    seeded(project, monkeypatch, "target: primo-test\nrules: []\n")
    workspace = open_workspace(project.root / "reconciler.yaml", ("primo-test",))

    async def run() -> tuple[dict[ScopeRef, object], list[ScopeRef]]:
        async with Sessions(workspace.targets) as sessions:
            started = {PRIMO: asyncio.ensure_future(fetch_scope(sessions.providers, PRIMO))}
            taken: list[ScopeRef] = []
            await read_each(sessions.providers, [PRIMO], lambda ref, state: taken.append(ref), started)
            return dict(started), taken

    left, taken = eventloop.run(run())
    assert left == {} and taken == [PRIMO]


def test_answers_held_for_the_plan_are_released_when_it_starts_taking_them() -> None:
    async def run() -> list[str]:
        events: list[str] = []
        released = asyncio.Event()

        async def held_read() -> LiveScope | ApiError:
            await released.wait()  # as an answer held unparsed until the hold is released
            events.append("read")
            return LiveScope(PRIMO, [])

        def release() -> None:
            events.append("released")
            released.set()

        started = HeldReads(release)
        started[PRIMO] = asyncio.ensure_future(held_read())
        await asyncio.sleep(0)
        assert events == []  # nothing is read before planning asks
        taking = read_each({}, [PRIMO], lambda ref, state: events.append("planned"), started)
        await asyncio.wait_for(taking, timeout=5)  # without the release, it would wait for ever
        return events

    assert eventloop.run(run()) == ["released", "read", "planned"]
