"""What one run of the conductor is made of, and how the parts are wired together.

`build` reads top to bottom as the order things must exist in: the engine and what feeds it,
the job services over them, the workers that act on the engine's commands, the loop that
owns the engine, and last the methods served on the socket.
"""

import asyncio
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from podium.conductor.api.approvals import ApprovalsApi
from podium.conductor.api.conductor import ConductorApi, ConductorSide
from podium.conductor.api.errors import suggesting
from podium.conductor.api.fleets import FleetApi
from podium.conductor.api.inspection import InspectionApi
from podium.conductor.api.instruments import InstrumentsApi
from podium.conductor.api.jobs import JobsApi
from podium.conductor.api.live import LiveApi
from podium.conductor.api.settled import Settled, after_commit
from podium.conductor.compiler import ScoreCompiler, ScoreJob, profile_caps
from podium.domain.engine import Engine
from podium.domain.feed import PRESSURE, Change
from podium.domain.fleet import FleetPlan
from podium.domain.ids import JobId, SheetNum
from podium.domain.pressure import Pressure
from podium.instruments.registry import discover
from podium.ipc.routes import Route, routes
from podium.redact import Redactor
from podium.runtime.checks.skip import SkipCommands
from podium.runtime.checks.validator import Validator
from podium.runtime.clock import Clock
from podium.runtime.context import WorkerContext
from podium.runtime.disk import StateDisk
from podium.runtime.executors.base import Executor
from podium.runtime.executors.local.attempts import AttemptRunner
from podium.runtime.feed import Feed
from podium.runtime.feed_output import OutputTails, engine_attempts
from podium.runtime.hooks.concert_log import ConcertLog
from podium.runtime.hooks.runner import HookRunner
from podium.runtime.jobs.admission import Admission, ReachCheck
from podium.runtime.jobs.approvals import Approvals
from podium.runtime.jobs.card import JobCards
from podium.runtime.jobs.catalog import JobCatalog
from podium.runtime.jobs.control import JobControl
from podium.runtime.jobs.fleets import FleetRunner
from podium.runtime.jobs.fleets_told import ToldFleets
from podium.runtime.jobs.inspection import Inspector
from podium.runtime.jobs.queries import JobQueries
from podium.runtime.jobs.requests import EngineRequests
from podium.runtime.layout import Layout
from podium.runtime.loop import EngineLoop, Inbox, Observer, Replies
from podium.runtime.monitor import ResourceMonitor
from podium.runtime.notify.channels import Channels
from podium.runtime.notify.sender import Notifier
from podium.runtime.process_rows import ProcessSampler
from podium.runtime.settings import Appliers
from podium.runtime.worktrees.isolation import Worktrees
from podium.score.placeholders import script_words, shell_command
from podium.store.sqlite import SqliteStore


@dataclass
class Parts:
    """Everything one run of the conductor is made of, wired together."""

    engine: Engine
    inbox: Inbox
    catalog: JobCatalog
    layout: Layout
    compiler: ScoreCompiler
    requests: EngineRequests
    attempts: Executor
    hooks: HookRunner
    loop: EngineLoop
    routes: dict[str, Route]
    """The methods served on the socket."""
    store: SqliteStore
    monitor: ResourceMonitor
    fleets: FleetRunner
    worktrees: Worktrees
    notifier: Notifier
    feed: Feed


@dataclass(frozen=True)
class _Jobs:
    """The job services: admission, control and queries over the engine's requests."""

    worktrees: Worktrees
    requests: EngineRequests
    admission: Admission
    control: JobControl
    queries: JobQueries


@dataclass(frozen=True)
class Wiring:
    """What the running conductor gives the parts it is made of."""

    side: ConductorSide
    redactor: Redactor
    clock: Clock
    compiler: ScoreCompiler
    load_fleet: Callable[[Path], FleetPlan]


def build(wiring: Wiring, store: SqliteStore, tasks: asyncio.TaskGroup) -> Parts:
    """Every part of one run of the conductor, wired together (nothing started yet)."""
    side, compiler, clock = wiring.side, wiring.compiler, wiring.clock
    engine = Engine(side.config.limits(profile_caps(compiler.registry(None))))
    inbox, replies, catalog = Inbox(), Replies(), JobCatalog()
    layout = Layout(Path(side.locations.jobs_dir))
    events = side.config.events
    feed = Feed(clock.now, ring=events.keep, queue=events.subscriber_queue)
    OutputTails(feed, layout, engine_attempts(engine), tasks)
    # The monitor watches the attempts' process groups, and the job services and attempts
    # report to it: it is looked up when it is needed.
    monitor: list[ResourceMonitor] = []
    context = WorkerContext(
        catalog, layout, inbox.post, tasks, side.config.kill_grace_seconds, wiring.redactor
    )
    side.settings.attach(
        Appliers(inbox.post, context, lambda: profile_caps(compiler.registry(None)))
    )
    attempts = _executor(
        side,
        context,
        store,
        unwritable=lambda e: monitor[0].write_failed(e),  # noqa: PLW0108
        clock=clock,
    )
    jobs = _jobs(
        engine,
        store,
        inbox=inbox,
        replies=replies,
        catalog=catalog,
        compiler=compiler,
        layout=layout,
        tasks=tasks,
        clock=clock,
        pressure=lambda: monitor[0].pressure,
        reach=attempts.check_reach,
    )
    monitor.append(
        ResourceMonitor(
            config=lambda: side.config,
            groups=attempts.process_groups,
            post=inbox.post,
            clock=clock,
            disk=StateDisk(Path(side.locations.state_dir)),
            told=lambda pressure: feed.publish([Change(PRESSURE, None, pressure)]),
        )
    )
    fleets = FleetRunner(
        fleets=ToldFleets(store.fleets, feed.publish),
        admission=jobs.admission,
        control=jobs.control,
        load=wiring.load_fleet,
        tasks=tasks,
        clock=clock.now,
    )
    notifier = _notifier(wiring, catalog, tasks)
    hooks = HookRunner(context, store, jobs.admission, script_words, shell_command)
    loop = EngineLoop(
        engine=engine,
        store=store,
        inbox=inbox,
        replies=replies,
        attempts=attempts,
        validator=Validator(context, attempts.check_commands),
        skip_checks=SkipCommands(context, attempts.check_commands),
        hooks=hooks,
        catalog=catalog,
        clock=clock,
        unwritable=monitor[0].write_failed,
        observers=_observers(catalog, layout, clock, tasks, fleets, jobs.worktrees, notifier, feed),
    )
    served = _routes(
        wiring,
        engine=engine,
        executor=attempts,
        jobs=jobs,
        store=store,
        layout=layout,
        monitor=monitor[0],
        fleets=fleets,
        notifier=notifier,
        live=LiveApi(
            feed=feed,
            jobs=store,
            engine=engine,
            sampler=ProcessSampler(attempts.attempt_groups),
            at_rest=loop.at_rest,
        ),
        catalog=catalog,
        settled=loop.settled,
    )
    return Parts(
        engine,
        inbox,
        catalog,
        layout,
        compiler,
        jobs.requests,
        attempts,
        hooks,
        loop,
        served,
        store,
        monitor[0],
        fleets,
        jobs.worktrees,
        notifier,
        feed,
    )


def _executor(
    side: ConductorSide,
    context: WorkerContext,
    store: SqliteStore,
    *,
    unwritable: Callable[[str], None],
    clock: Clock,
) -> Executor:
    """The executor conductor.yaml names: local, or Ray (imported only then, and connected to
    its cluster now, so that a cluster that does not answer stops the start with a message)."""
    settings = side.config.executor
    if settings.type == "local":
        return AttemptRunner(context, store, unwritable=unwritable, clock=clock)
    from podium.runtime.executors.ray import cluster  # noqa: PLC0415 - Ray only when asked

    cluster.connect(settings.address, settings.namespace)
    from podium.runtime.executors.ray.executor import RayExecutor  # noqa: PLC0415

    executor = RayExecutor(
        context, store, lambda: side.config.executor, unwritable=unwritable, clock=clock
    )
    executor.watch_nodes(lambda: discover().names())
    return executor


def _jobs(
    engine: Engine,
    store: SqliteStore,
    *,
    inbox: Inbox,
    replies: Replies,
    catalog: JobCatalog,
    compiler: ScoreCompiler,
    layout: Layout,
    tasks: asyncio.TaskGroup,
    clock: Clock,
    pressure: Callable[[], Pressure],
    reach: ReachCheck,
) -> _Jobs:
    worktrees = Worktrees(
        records=store.worktrees,
        notes=store,
        active=lambda job_id: engine.view(job_id) is not None,
        tasks=tasks,
        clock=clock.now,
    )
    requests = EngineRequests(
        inbox=inbox, replies=replies, catalog=catalog, pressure=pressure, worktrees=worktrees
    )
    admission = Admission(
        engine=engine,
        store=store,
        requests=requests,
        compiler=compiler,
        worktrees=worktrees,
        reach=reach,
    )
    control = JobControl(
        engine=engine,
        store=store,
        requests=requests,
        catalog=catalog,
        compiler=compiler,
        jobs_dir=layout.jobs_dir,
        worktrees=worktrees,
    )
    queries = JobQueries(engine=engine, store=store, worktrees=worktrees)
    return _Jobs(worktrees, requests, admission, control, queries)


def _routes(
    wiring: Wiring,
    *,
    engine: Engine,
    executor: Executor,
    jobs: _Jobs,
    store: SqliteStore,
    layout: Layout,
    monitor: ResourceMonitor,
    fleets: FleetRunner,
    notifier: Notifier,
    live: LiveApi,
    catalog: JobCatalog,
    settled: Settled,
) -> dict[str, Route]:
    """The conductor's methods, by area, to serve on its socket."""
    side = wiring.side
    api = ConductorApi(
        conductor=side,
        requests=jobs.requests,
        control=jobs.control,
        engine=engine,
        monitor=monitor,
        notifications=lambda: notifier.counts,
        executor=executor.describe,
    )
    job_api = JobsApi(
        admission=jobs.admission, control=jobs.control, queries=jobs.queries, layout=layout
    )
    inspector = Inspector(
        store=store, layout=layout, redact=wiring.redactor, view=jobs.queries.status
    )
    inspection = InspectionApi(
        queries=jobs.queries,
        inspector=inspector,
        log_file=lambda: str(side.settings.log_path()),
    )
    # What reads the store answers once the engine's step under way is in it; what asks the
    # conductor alone (its health, its settings) answers at once, however slow the disk.
    from_the_store = [
        *job_api.handlers(),
        *inspection.handlers(),
        *FleetApi(fleets).handlers(),
        *ApprovalsApi(
            Approvals(
                engine=engine,
                store=store,
                requests=jobs.requests,
                prompt_of=lambda job_id, sheet: _prompt_of(catalog, job_id, sheet),
            )
        ).handlers(),
    ]
    handlers = [
        *after_commit(from_the_store, settled),
        *api.handlers(),
        *InstrumentsApi(wiring.compiler, wiring.compiler.policy).handlers(),
        *live.handlers(),  # its snapshot is read at rest (`LiveApi.subscribe`)
    ]
    return routes(suggesting(handlers, lambda: _known_ids(store, fleets)))


def _prompt_of(catalog: JobCatalog, job_id: JobId, sheet: SheetNum) -> str:
    found = catalog.find(job_id)
    return found.prompt_text(sheet) if isinstance(found, ScoreJob) else ""


KNOWN_IDS = 10_000
"""How many of the newest jobs (and fleets) a mistyped id is compared with."""


def _known_ids(store: SqliteStore, fleets: FleetRunner) -> list[str]:
    jobs = store.list_jobs(statuses=None, limit=KNOWN_IDS)
    return [
        *(job.job_id for job in jobs),
        *(f.fleet.record.fleet_id for f in fleets.listed(include_finished=True, limit=KNOWN_IDS)),
    ]


def _notifier(wiring: Wiring, catalog: JobCatalog, tasks: asyncio.TaskGroup) -> Notifier:
    """The scores' notifications, sending from a task of their own."""
    side = wiring.side
    notifier = Notifier(
        catalog=catalog,
        channels=Channels(os.environ, lambda: side.config.notifications.smtp),
        clock=wiring.clock.now,
        redact=wiring.redactor,
    )
    tasks.create_task(notifier.run(), name="notifications")
    return notifier


def _observers(
    catalog: JobCatalog,
    layout: Layout,
    clock: Clock,
    tasks: asyncio.TaskGroup,
    *others: Observer,
) -> list[Observer]:
    """Who is told of each change the engine commits, in this order."""
    return [catalog, ConcertLog(catalog, clock.now, tasks), JobCards(layout, tasks), *others]
