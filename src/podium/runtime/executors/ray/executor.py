"""The Ray executor: the local executor's attempt runner, with each attempt's process started,
stopped and watched through a detached named actor on a node that offers its instrument.

Everything else is the local executor's, unchanged: the prompt made off the loop, the attempt
recorded in the store before it is reported running, its output read from the attempt's files
(under the state folder, which every node mounts at the same path), its timeouts on the
conductor's clock, its ending classified and posted. The conductor's caps stay the authority
on how many attempts run; Ray's node resources only place them.

After a conductor restart, the attempts the store has as running are reconciled with the named
actors of the namespace: an actor that still has its attempt is watched again; an attempt
whose actor is gone but whose exit wrapper recorded how it ended is finished from that file;
one with neither (its node was lost, say) is interrupted and runs again, as a local attempt
whose process vanished does. An actor that dies while the conductor watches it is treated
alike: the attempt (stopped with its actor, by its tether) is finished from its exit file, or
reported lost (`AttemptLost`) and runs again, its budget untouched, on a node that still
offers its instrument.
"""

import asyncio
import contextlib
import logging
import os
import time
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Sequence
from pathlib import Path
from typing import Any

import ray
from ray.exceptions import (
    ActorUnavailableError,
    GetTimeoutError,
    RayActorError,
    RayError,
    RayTaskError,
)

from podium.config import ExecutorConfig
from podium.domain.commands import Launch
from podium.domain.lessons import Lesson
from podium.domain.outcome import AttemptOutcome
from podium.domain.records import InFlightAttempt, ProcessInfo
from podium.domain.work import SheetWork
from podium.runtime.checks.command import CheckCommands
from podium.runtime.clock import SYSTEM_CLOCK, Clock
from podium.runtime.conductor_log import job_fields
from podium.runtime.context import WorkerContext
from podium.runtime.executors.base import ExecutorDescription, NotPlacedYet, NowhereToRun
from podium.runtime.executors.local.attempts import (
    AttemptFiles,
    AttemptKey,
    AttemptRunner,
    Begun,
    Started,
    cmd_key,
)
from podium.runtime.executors.local.watch import ProcessLost, Watched
from podium.runtime.executors.ray import cluster, nodes
from podium.runtime.executors.ray.actor import AttemptActor, actor_name
from podium.runtime.executors.ray.commands import NodeCommands
from podium.runtime.executors.ray.environment import decided
from podium.runtime.executors.ray.nodes import NodeWatch
from podium.runtime.executors.ray.reach import Reach
from podium.runtime.ports import CompiledJob, Store
from podium.runtime.process import MARKER, Adopted, read_exit_file

log = logging.getLogger(__name__)

RemoteAttemptActor = ray.remote(AttemptActor)

START_SECONDS = 300.0
"""At most this long for an attempt's actor to be placed and its process started (a node
may have to start a worker process first)."""

NODE_WAIT_SECONDS = 600.0
"""How long attempts wait for a node offering an instrument that some node offered before."""

PLACE_AGAIN_SECONDS = 15.0
"""How often such an attempt tries again meanwhile."""

LOOK_EVERY_SECONDS = 2.0
"""How often `keep_watch` looks at how long the cluster has been silent."""

ASK_SECONDS = 30.0
"""At most this long for an actor to answer at a restart."""

UNAVAILABLE_PAUSE_SECONDS = 1.0
"""Between two calls of an attempt's actor that Ray says is unavailable for now."""


def _kill(actor: Any) -> None:
    """Let an actor go (in a thread: it asks the head)."""
    with contextlib.suppress(RayError, ValueError):
        ray.kill(actor, no_restart=True)


class RayAttempt:
    """An attempt's process on a Ray node, as its watcher sees it (`Watched`)."""

    def __init__(
        self, actor: Any, info: ProcessInfo, node: str, files: AttemptFiles, grace: float
    ) -> None:
        self.actor = actor
        self._info = info
        self.node = node
        self._exit_file = files.exit
        self._grace = grace

    @property
    def info(self) -> ProcessInfo:
        return self._info

    def ended(self) -> bool:
        return False

    async def wait(self) -> int:
        """Its return code. When the actor dies meanwhile (its node lost, say; its tether
        then stops the attempt), what the exit wrapper recorded if it did, else ProcessLost;
        when the actor cannot answer otherwise, what the wrapper recorded, or -SIGKILL."""
        while True:
            try:
                return int(await self.actor.wait.remote(self._grace))
            except ActorUnavailableError as exc:
                # Not known dead yet: it answers again, or Ray declares it dead.
                log.warning("the actor of an attempt does not answer (%s); asking again", exc)
                await asyncio.sleep(UNAVAILABLE_PAUSE_SECONDS)
            except RayActorError as exc:
                if await asyncio.to_thread(read_exit_file, self._exit_file) is None:
                    raise ProcessLost(f"its Ray actor on node {self.node[:12]} died") from exc
                log.warning("the actor of an attempt died (%s); reading its exit file", exc)
                return await Adopted(None, self._exit_file).wait()
            except RayError as exc:
                log.warning("the actor of an attempt failed (%s); reading its exit file", exc)
                return await Adopted(None, self._exit_file).wait()

    async def stop(self, grace: float) -> None:
        with contextlib.suppress(RayError):
            await self.actor.stop.remote(grace)


class RayExecutor(AttemptRunner):
    """The `Executor` on a Ray cluster (see the module)."""

    def __init__(
        self,
        context: WorkerContext,
        store: Store,
        settings: Callable[[], ExecutorConfig],
        unwritable: Callable[[str], None] = lambda error: None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        super().__init__(context, store, unwritable, clock)
        self._settings = settings
        self._namespace = settings().namespace
        self._actors: dict[AttemptKey, Any] = {}
        self._nodes: dict[AttemptKey, str] = {}
        """The node of each actor found again at a restart, until it is watched."""
        self._reach = Reach()
        self._offered: dict[str, float] = {}
        """When each node resource was last seen offered by a live node."""
        self._node_watch: NodeWatch | None = None
        """The cluster's nodes, read in a thread (`watch_nodes`); None until watched."""
        self._commands = NodeCommands(lambda name: self._settings().resource(name))

    @property
    def check_commands(self) -> CheckCommands:
        """On the node that ran the attempt checked, or another offering its instrument."""
        return self._commands

    async def check_reach(self, workspace: Path, instruments: Collection[str]) -> None:
        """Every live node offering one of `instruments` must see the workspace and the
        attempts' files (under the state folder) at the same paths (`reach`)."""
        settings = self._settings()
        folders = {"workspace": workspace, "state folder": self._layout.jobs_dir}
        resources = {name: settings.resource(name) for name in instruments}
        await asyncio.to_thread(self._reach.check, folders, resources)

    async def _begin(
        self,
        job: CompiledJob,
        cmd: Launch,
        files: AttemptFiles,
        skipped: frozenset[int],
        lessons: tuple[Lesson, ...],
    ) -> Begun | None:
        """The prompt made off the loop as the local executor makes it, then the attempt's
        actor started on a node offering its instrument, then the process recorded. When no
        live node offers the instrument, it cannot start (`NowhereToRun`), and the message
        says which node resource to declare. Nothing here waits on the cluster on the loop:
        a head that stops answering must not stop the conductor from answering."""
        resource = self._settings().resource(cmd.instrument)
        await self._placeable(cmd.instrument, resource)
        work = await asyncio.to_thread(self._prepare, job, cmd, files, skipped, lessons)
        if self._stopped:
            return None
        marker = self._layout.marker(cmd.job_id, cmd.sheet, cmd.attempt)
        child = await self._spawn(cmd, work, files, marker)
        return self._recorded(cmd, work, child, files)

    async def _placeable(self, instrument: str, resource: str) -> None:
        """Return when a live node offers `resource`. Else: when one did lately (its nodes
        went, and may come back, as after a lost head), `NotPlacedYet`, so the sheet waits for
        one; when none did, `NowhereToRun`, saying which node resource to declare."""
        now = self._clock.now()
        try:
            offered = await asyncio.to_thread(cluster.offers, resource)
        except Exception as exc:  # whatever the cluster's client raises
            why = f"the Ray cluster could not say which nodes offer {resource!r}: {exc}"
            raise NotPlacedYet(why, PLACE_AGAIN_SECONDS) from exc
        if offered:
            self._offered[resource] = now
            return
        missing = cluster.missing(instrument, resource)
        since = self._offered.get(resource)
        if since is not None and now - since < NODE_WAIT_SECONDS:
            raise NotPlacedYet(missing, PLACE_AGAIN_SECONDS)
        raise NowhereToRun(missing)

    async def _spawn(
        self, cmd: Launch, work: SheetWork, files: AttemptFiles, marker: str
    ) -> Started:
        """Start the attempt's process through its actor. Raises OSError when the actor
        cannot, ValueError when its name is taken (the same attempt launched twice)."""
        name = actor_name(*cmd_key(cmd))
        resource = self._settings().resource(cmd.instrument)
        try:
            # In a thread: making a named actor asks the head whether the name is taken (the
            # same attempt launched twice), which is refused as ValueError.
            actor = await asyncio.to_thread(self._new_actor, name, resource)
        except RayError as exc:
            raise OSError(f"its Ray actor {name!r} could not be made: {exc}") from exc
        self._actors[cmd_key(cmd)] = actor
        try:
            started = actor.start.remote(
                list(work.argv),
                cwd=work.cwd,
                stdout=str(files.stdout),
                stderr=str(files.stderr),
                stdin=str(files.input) if work.prompt_on_stdin else None,
                env=decided({**work.env, MARKER: marker}, os.environ, work.env_decided),
                passed=list(work.env_passed) if work.env_passed is not None else None,
                exit_file=str(files.exit),
            )
            pid, pgid, ticks, node = await asyncio.wait_for(started, START_SECONDS)
        except (RayError, TimeoutError) as exc:
            self._forget(cmd_key(cmd))
            why = exc.cause if isinstance(exc, RayTaskError) and exc.cause else exc
            raise OSError(f"its Ray actor {name!r} could not start it: {why}") from exc
        except BaseException:
            self._forget(cmd_key(cmd))
            raise
        info = ProcessInfo(int(pid), int(pgid), int(ticks))
        self._commands.ran_on(*cmd_key(cmd), str(node), resource)
        return RayAttempt(actor, info, str(node), files, self._context.kill_grace_seconds)

    def _new_actor(self, name: str, resource: str) -> Any:
        """A new detached actor for an attempt, on a node offering `resource`."""
        return RemoteAttemptActor.options(
            name=name,
            namespace=self._namespace,
            lifetime="detached",
            num_cpus=0,
            resources={resource: 0.001},
            # Attempts spread over the nodes that offer their instrument, rather than fill
            # the first one: an agent's load is its own process, not the actor's.
            scheduling_strategy="SPREAD",
            max_restarts=0,
        ).remote()

    async def _stop(self, child: Watched, grace: float) -> None:
        if isinstance(child, RayAttempt):
            await child.stop(grace)
        else:
            await super()._stop(child, grace)

    def _stops_leftovers(self) -> bool:
        return True

    def _release(self, key: AttemptKey) -> None:
        """The attempt's end is posted: its actor goes (its exit file stays for a restart)."""
        self._forget(key)

    def _forget(self, key: AttemptKey) -> None:
        """Let the attempt's actor go, in a thread (it asks the head); not awaited, so that it
        also works while the conductor stops."""
        actor = self._actors.pop(key, None)
        if actor is not None:
            asyncio.get_running_loop().run_in_executor(None, _kill, actor)

    def _where(self, child: Watched) -> str:
        return f" on Ray node {child.node[:12]}" if isinstance(child, RayAttempt) else ""

    def survivors(self, in_flight: Sequence[InFlightAttempt]) -> list[InFlightAttempt]:
        """Of the attempts recorded as running: those whose actor still has its process (the
        process recorded now if an earlier conductor could not), and those whose exit file
        says how they ended (with no process: their actor is gone). The namespace's other
        actors, whose attempts the store has as ended, go."""
        running = [a for a in in_flight if a.record.outcome is AttemptOutcome.RUNNING]
        for attempt in running:  # offered when it started: a node not back yet is waited for
            if attempt.record.instrument is not None:
                resource = self._settings().resource(attempt.record.instrument)
                self._offered[resource] = self._clock.now()
        named = {
            entry["name"]
            for entry in ray.util.list_named_actors(all_namespaces=True)
            if entry.get("namespace") == self._namespace
        }
        wanted = {actor_name(a.record.job_id, a.record.sheet, a.record.attempt) for a in running}
        for name in named - wanted:
            self._kill_named(name)
        outlived = []
        described = self._described_all(
            [(a.record.job_id, a.record.sheet, a.record.attempt) for a in running], named
        )
        for attempt in running:
            r = attempt.record
            key = (r.job_id, r.sheet, r.attempt)
            placed = self._settings().resource(r.instrument) if r.instrument else None
            process = self._known(key, described.get(key), placed)
            if process is not None:
                if attempt.process != process:
                    self._store.record_process(*key, process)
                outlived.append(InFlightAttempt(r, process))
                continue
            self._kill_named(actor_name(*key))
            exit_file = self._layout.attempt_file(r.job_id, r.sheet, r.attempt, "exit")
            if read_exit_file(exit_file) is not None:
                outlived.append(InFlightAttempt(r, None))
        return outlived

    def _described_all(
        self, keys: list[AttemptKey], named: set[str]
    ) -> dict[AttemptKey, tuple[Any, Any]]:
        """Each named actor of `keys` with what it says of its process, asked all at once
        (one round trip, not one per attempt); those that do not answer are left out."""
        asked: dict[AttemptKey, tuple[Any, Any]] = {}
        for key in keys:
            if actor_name(*key) not in named:
                continue
            try:
                actor = ray.get_actor(actor_name(*key), namespace=self._namespace)
                asked[key] = (actor, actor.describe.remote())
            except (RayError, ValueError):
                continue
        found: dict[AttemptKey, tuple[Any, Any]] = {}
        deadline = time.monotonic() + ASK_SECONDS
        for key, (actor, reply) in asked.items():
            try:
                found[key] = (actor, ray.get(reply, timeout=max(0.0, deadline - time.monotonic())))
            except (RayError, GetTimeoutError, ValueError):
                continue
        return found

    def _known(
        self, key: AttemptKey, described: tuple[Any, Any] | None, resource: str | None
    ) -> ProcessInfo | None:
        """The process of the attempt's actor (on a node offering `resource`), or None when
        the actor is gone or never started it."""
        if described is None or described[1] is None:
            return None
        actor, (pid, pgid, ticks, node) = described
        self._actors[key], self._nodes[key] = actor, str(node)
        self._commands.ran_on(*key, str(node), resource)
        return ProcessInfo(int(pid), int(pgid), int(ticks))

    def _kill_named(self, name: str) -> None:
        """An actor with no attempt to answer for goes: one that never started its attempt
        (the conductor died in between), or whose attempt's end is recorded."""
        with contextlib.suppress(RayError, ValueError):
            ray.kill(ray.get_actor(name, namespace=self._namespace), no_restart=True)

    def _adopt(self, outlived: InFlightAttempt, files: AttemptFiles) -> Watched:
        r = outlived.record
        key = (r.job_id, r.sheet, r.attempt)
        actor = self._actors.get(key)
        if actor is None or outlived.process is None:
            return Adopted(None, files.exit)
        log.info(
            "attempt %s/%s/%s: its Ray actor on node %s is watched again",
            *key,
            self._nodes.get(key, "?")[:12],
            extra=job_fields(*key),
        )
        node = self._nodes.pop(key, "")
        return RayAttempt(actor, outlived.process, node, files, self._context.kill_grace_seconds)

    def process_groups(self) -> frozenset[int]:
        """None: the attempts' processes run on the cluster's nodes."""
        return frozenset()

    def attempt_groups(self) -> dict[AttemptKey, int]:
        return {}

    def watch_nodes(self, instruments: Callable[[], Iterable[str]]) -> None:
        """From now on, read the cluster's nodes every few seconds in a thread of their own,
        naming the instruments each offers among `instruments` (for `describe`)."""
        self._node_watch = NodeWatch(cluster.node_states, instruments, self._clock.now)
        self._node_watch.start()

    async def keep_watch(self, lost: Callable[[str], None]) -> None:
        """Until the conductor stops: once the cluster has not answered for its nodes for
        `HEAD_LOST_SECONDS` (its head is gone), say so through `lost`, once."""
        watch = self._node_watch
        if watch is None:
            return
        while True:
            await self._clock.sleep(LOOK_EVERY_SECONDS)
            silent = nodes.silent_for(watch.reading, watch.started_at, self._clock.now())
            if silent >= nodes.HEAD_LOST_SECONDS:
                lost(
                    f"the Ray cluster's head at {self._settings().address} has not answered "
                    f"for {silent:.0f}s ({watch.reading.error or 'asked for its nodes'})"
                )
                return

    def describe(self) -> ExecutorDescription:
        """The cluster's nodes as last read, and the attempts running on each."""
        on = Counter(c.node for c in self._running.values() if isinstance(c, RayAttempt))
        return nodes.describe(
            self._node_watch.reading if self._node_watch else nodes.Reading(),
            self._clock.now(),
            settings=self._settings(),
            namespace=self._namespace,
            running=self.running,
            on=on,
        )
