"""Reading live rules while the manifests still load.

Loading a large project's manifests costs about a second of CPU per 10,000 rules, and reading its live
rules is round trips that leave the CPU idle: done one after the other, a plan waits for both. So a
plan loads the manifests in a worker thread while the event loop starts each scope's read as soon as
a manifest naming the scope has loaded (the OneLogin token with the first app), and plans each scope
once everything has loaded. An early read's answers wait unparsed (bytes) until loading ends: parsed
into dicts, the live rules of a scope take several times their size, and most scopes of a large
project are read before its manifests have loaded. Once they have, and planning begins (names
resolved), the held answers are read a few milliseconds at a time, so that the requests still in
flight go on meanwhile (http/holding.py), and each scope is planned, and its rules let go, soon after.

Only a large project reads early: one whose manifests hold at least EARLY_READS_MIN_BYTES (about
4,000 rules), where loading takes long enough for the overlap to matter. Its YAML is parsed by a child
process (project/parsing.py), started here before anything else loads so that it is ready when the
manifests are: the loading thread then only validates, and holds the GIL the event loop needs for
half as long. A smaller project loads in well under a second and keeps the plain promise: a bad
manifest is reported before any request.

In a large project, reads start only while every manifest loaded so far is valid; the first problem
stops new reads and cancels those in flight, and a project with a problem is reported, never planned
or written (a few reads may have been sent; never a write). Only reads start early, and only with
credentials that checked out. A project with rule tests, or a plan pinned to a base branch's config,
loads everything first (their checks come before any request), then reads.
"""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass, field
from pathlib import Path

from reconciler.engine.model import LiveScope, ScopeRef
from reconciler.engine.read import HeldReads, fetch_scope
from reconciler.engine.shard import Shard
from reconciler.errors import ApiError, ReconcilerError
from reconciler.http.holding import HOLD_ANSWERS, AnswerHold
from reconciler.project.config import Config, load_config
from reconciler.project.finding import manifest_files
from reconciler.project.parsing import ManifestReader, manifest_bytes_reach
from reconciler.project.ruletests import rule_test_files
from reconciler.runner.sessions import Sessions
from reconciler.runner.workspace import Workspace, open_workspace, shard_workspace

LOADING_SWITCH_INTERVAL_S = 0.0005  # the GIL switch interval while manifests load beside reads
EARLY_READS_MIN_BYTES = 1 << 20  # manifests this large load for a second or so: worth reading meanwhile


@dataclass
class Reading:
    """A loaded workspace (whole, and narrowed to the shard), its sessions, and the reads already started."""

    whole: Workspace
    workspace: Workspace
    sessions: Sessions
    started: dict[ScopeRef, asyncio.Task[LiveScope | ApiError]] = field(default_factory=dict)


async def open_reading(
    config_path: Path,
    target_names: tuple[str, ...] = (),
    shard: Shard | None = None,
    *,
    base_config: Path | None = None,
) -> Reading:
    """Load the workspace, starting each scope's read as soon as its manifest has loaded (see above)."""
    config = load_config(config_path)
    paths = manifest_files(config.rules_dir)
    # A large project's parser process starts now, to be ready when the manifests load (project/parsing.py).
    with ManifestReader(paths, config.root_dir) as reader:
        return await _open_reading(config_path, config, paths, reader, target_names, shard, base_config)


async def _open_reading(
    config_path: Path,
    config: Config,
    paths: list[Path],
    reader: ManifestReader,
    target_names: tuple[str, ...],
    shard: Shard | None,
    base_config: Path | None,
) -> Reading:
    targets = config.select(target_names)
    early = (
        base_config is None
        and not config.check_environment(targets)
        and not rule_test_files(config.tests_dir)
        and manifest_bytes_reach(paths, EARLY_READS_MIN_BYTES)
    )
    if not early:
        whole = open_workspace(config_path, target_names, base_config=base_config, reader=reader)
        narrowed = shard_workspace(whole, shard)
        with_manifests = {ref.target for ref in narrowed.desired.scopes}
        return Reading(whole, narrowed, Sessions([t for t in narrowed.targets if t.name in with_manifests]))
    sessions = Sessions(targets)
    resolving: set[asyncio.Task[None]] = set()
    loop = asyncio.get_running_loop()
    loaded_all = AnswerHold()
    started = HeldReads(loaded_all.release)  # released when planning takes them (engine/read.py)

    async def read(loaded: ScopeRef) -> None:
        # A scope named by name (a OneLogin app's title) is read under its id: the name is looked up
        # first, in the catalogue the run reads once anyway. One that does not resolve is left to the
        # resolution step, which reports it before any plan.
        if shard is not None and not shard.holds_scope(loaded):  # shards hold scopes as loaded
            return
        try:
            ref = ScopeRef(loaded.target, await sessions.provider(loaded.target).resolve_scope(loaded.scope))
        except ReconcilerError:
            return
        if ref not in started:
            HOLD_ANSWERS.set(loaded_all)  # in this task's context: the read's task takes it with it
            started[ref] = loop.create_task(fetch_scope(sessions.providers, ref))
            sessions.track(started[ref])

    def start(ref: ScopeRef) -> None:
        task = loop.create_task(read(ref))
        resolving.add(task)
        task.add_done_callback(resolving.discard)
        sessions.track(task)

    def on_scope(ref: ScopeRef) -> None:  # in the loading thread
        loop.call_soon_threadsafe(start, ref)

    # The loading thread holds the GIL for up to the switch interval (5 ms) while the event loop waits
    # with answers to take in and requests to send: a shorter interval while both run keeps the
    # requests in flight (a fifth more requests per second while loading).
    interval = sys.getswitchinterval()
    sys.setswitchinterval(min(interval, LOADING_SWITCH_INTERVAL_S))
    try:
        whole = await asyncio.to_thread(open_workspace, config_path, target_names, on_scope=on_scope, reader=reader)
        await asyncio.gather(*resolving)  # every read the loading asked for has started
    except BaseException:
        loaded_all.release()
        await sessions.__aexit__(None, None, None)  # the reads begun, and the lookups that begin them, end first
        raise
    finally:
        sys.setswitchinterval(interval)
    return Reading(whole, shard_workspace(whole, shard), sessions, started)
