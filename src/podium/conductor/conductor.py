"""The running conductor, once its socket answers: it opens the store, builds every part,
takes back the unfinished jobs of the last run, serves until it is told to stop, and shuts
down. `podium.conductor.daemon` starts it (and imports it only once it listens: this module
brings in every part of the conductor)."""

import asyncio
import contextlib
import logging
import os
import threading
from pathlib import Path

from podium import __version__
from podium.conductor.compiler import EnvironmentPolicy, ScoreCompiler, unroutable
from podium.conductor.parts import Parts, Wiring, build
from podium.config import ConductorConfig, load
from podium.domain.errors import PodiumError, Unreachable, UserError
from podium.domain.fleet import FleetPlan
from podium.host.locations import Locations, remove_socket_file
from podium.ipc.server import RpcServer
from podium.redact import Redactor
from podium.runtime.clock import Clock, wait_done
from podium.runtime.conductor_log import ConductorLog
from podium.runtime.jobs.clearing import remove_cleared
from podium.runtime.restart import check_deferred, pick_up
from podium.runtime.settings import LiveSettings
from podium.store.integrity import check_not_forgotten, check_readable
from podium.store.sqlite import SqliteStore
from podium.store.upkeep import Upkeep

log = logging.getLogger("podium.conductor")

NOTIFY_AT_SHUTDOWN_SECONDS = 5.0
"""How long a stopping conductor waits for the notifications still queued."""

DISK_WAIT_AT_SHUTDOWN_SECONDS = 5.0
"""How long a stopping conductor waits for a disk that refuses the engine's commit."""

LOST_EXIT_SECONDS = 10.0
"""A conductor whose executor lost where attempts run stops within this long, done or not: a
call to a cluster that is gone may never return."""

LOST_EXIT_CODE = 4
"""As a conductor that stops on `Unreachable`: a service starts it again."""


class StopSignal:
    """What stops the conductor: a request (a signal, `daemon.shutdown`), with or without
    draining the running attempts first."""

    def __init__(self) -> None:
        self.requested = asyncio.Event()
        self.drain = False

    def request(self, drain: bool = False) -> None:
        self.drain = self.drain or drain
        self.requested.set()


def load_settings(
    locations: Locations,
    sink: ConductorLog,
    *,
    explicit: bool,
    profile: str | None,
    log_level: str | None,
) -> LiveSettings:
    """The settings (the file, then the profile, then the flags) of a conductor listening at
    `locations` (which already hold the file's `socket.path`)."""
    overrides = {"log_level": log_level} if log_level else {}
    loaded = load(
        Path(locations.config_file),
        explicit=explicit,
        profile=profile,
        overrides=overrides,
    )
    return LiveSettings(
        loaded,
        explicit=explicit,
        overrides=overrides,
        log_sink=sink,
        state_dir=locations.state_dir,
    )


async def _remove_cleared(jobs_dir: Path) -> None:
    """Remove what a clear cut short left aside (see `podium.runtime.jobs.clearing`)."""
    for problem in await asyncio.to_thread(remove_cleared, jobs_dir):
        log.warning("%s", problem)


class Conductor:
    """Store, parts, recovery, serve, shutdown, on a socket that already answers (`server`,
    held until the unfinished jobs are back in the engine)."""

    def __init__(
        self,
        locations: Locations,
        settings: LiveSettings,
        *,
        server: RpcServer,
        stop: StopSignal,
        started_at: float,
        redactor: Redactor,
        clock: Clock,
    ) -> None:
        self.locations = locations
        self.clock = clock
        self.settings = settings
        self.redactor = redactor
        self.started_at = started_at
        self._server = server
        self._stop = stop
        self._lost: str | None = None
        """Why the executor lost where attempts run, when it did."""

    async def run(self) -> None:
        database, backups_dir = Path(self.locations.database), self._backups_dir
        check_readable(database, backups_dir)
        store = SqliteStore(database, backups_dir)
        try:
            jobs_dir = Path(self.locations.jobs_dir)
            known = len(store.list_jobs(statuses=None, limit=1))  # no count of them all
            check_not_forgotten(known, jobs_dir, database, backups_dir)
            await self._serve(store)
            if self._lost is not None:
                raise Unreachable(_lost_message(self._lost), logged=True)
        except BaseExceptionGroup as group:
            # A failure in startup or in a task arrives wrapped by the task group.
            first = group.exceptions[0]
            if len(group.exceptions) == 1 and isinstance(first, PodiumError):
                raise first from None
            raise
        finally:
            store.close()

    @property
    def _backups_dir(self) -> Path:
        return Path(self.locations.state_dir) / "backups"

    @property
    def config(self) -> ConductorConfig:
        """The settings in force; a reload replaces them (read them anew each time)."""
        return self.settings.config

    def request_stop(self, drain: bool = False) -> None:
        self._stop.request(drain)

    async def _serve(self, store: SqliteStore) -> None:
        try:
            async with asyncio.TaskGroup() as tasks:
                parts = self._build(store, tasks)
                engine = await self._startup(parts, tasks)
                await self._stop.requested.wait()
                await self._shutdown(parts, engine)
                raise _Stopped
        except* _Stopped:
            pass

    def _connection(self, instrument: str) -> dict[str, str]:
        """The conductor's `base_url` and `config_file` for an instrument (read live, so a
        reload applies to the next attempt)."""
        found = self.config.instruments.get(instrument)
        return found.connection() if found else {}

    def _environment_policy(self) -> EnvironmentPolicy:
        """What a job may carry of its client's environment (read live, so a reload applies
        to the next submission)."""
        given = self.config.environment
        return EnvironmentPolicy(given.from_client, tuple(given.pass_))

    def _build(self, store: SqliteStore, tasks: asyncio.TaskGroup) -> Parts:
        compiler = ScoreCompiler(
            connections=self._connection,
            secrets=self.redactor.learn,
            policy=self._environment_policy,
            urls=self.redactor.learn_urls,
            # On a Ray cluster, each node looks an instrument's program up itself.
            programs_elsewhere=self.config.executor.type != "local",
        )
        connections = {n: i.connection() for n, i in self.config.instruments.items()}
        for problem in unroutable(compiler.registry(None), connections):
            log.warning("conductor.yaml: %s", problem)
        wiring = Wiring(self, self.redactor, self.clock, compiler, _load_fleet)
        return build(wiring, store, tasks)

    async def _startup(self, parts: Parts, tasks: asyncio.TaskGroup) -> asyncio.Task[None]:
        """Answer from the engine at once ('starting'); take every other request once the
        unfinished jobs are back. The engine runs meanwhile: it takes them back as the
        recovery hands them over, and dispatches once their attempts are reconciled."""
        self._server.serve(parts.routes)
        parts.worktrees.after_restart()
        engine = tasks.create_task(parts.loop.run(), name="engine")
        tasks.create_task(parts.attempts.keep_watch(self._executor_lost), name="executor watch")
        tasks.create_task(parts.monitor.run(), name="resource monitor")
        await pick_up(
            store=parts.store,
            compiler=parts.compiler,
            catalog=parts.catalog,
            inbox=parts.inbox,
            layout=parts.layout,
            kill_grace_seconds=self.config.kill_grace_seconds,
            executor=parts.attempts,
            adopt_hook=parts.hooks.adopt,
        )
        tasks.create_task(_remove_cleared(parts.layout.jobs_dir), name="cleared folders")
        upkeep = Upkeep(parts.store, self._backups_dir, self.clock.now)
        tasks.create_task(upkeep.run(parts.layout.jobs_dir), name="store upkeep")
        parts.requests.open()
        self._server.open()
        parts.fleets.start()
        tasks.create_task(check_deferred(parts.catalog, parts.compiler), name="deferred scores")
        log.info(
            "conductor %s ready on %s (pid %d, state in %s)",
            __version__,
            self.locations.socket,
            os.getpid(),
            self.locations.state_dir,
        )
        return engine

    async def _shutdown(self, parts: Parts, engine: asyncio.Task[None]) -> None:
        """Take no new work and record what already happened. Running attempts outlive the
        conductor (the next start re-attaches them); with drain, they are waited for first."""
        parts.requests.close()
        parts.loop.stop_launching()
        if self._stop.drain and parts.attempts.running:
            log.info(
                "draining: no new jobs or attempts; waiting for %d running attempt(s) to end",
                parts.attempts.running,
            )
            limit = self.config.shutdown_timeout_seconds
            deadline = self.clock.monotonic() + limit
            while parts.attempts.running and self.clock.monotonic() < deadline:
                await self.clock.sleep(0.05)
            if parts.attempts.running:
                log.warning(
                    "drained for shutdown_timeout_seconds (%gs): stopping with %d attempt(s) "
                    "still running",
                    limit,
                    parts.attempts.running,
                )
        parts.feed.close("the conductor is stopping; subscribe again once it is back")
        await self._server.close()
        remove_socket_file(self.locations.socket_file)
        await self._drained(parts)
        engine.cancel()
        unsent = await parts.notifier.drained(NOTIFY_AT_SHUTDOWN_SECONDS)
        if unsent:
            log.warning("stopping with %d notification(s) not sent", unsent)
        left = parts.attempts.running
        log.info(
            "shutting down: no new jobs or attempts; %d running attempt(s) go on and are "
            "picked up at the next start",
            left,
        )

    async def _drained(self, parts: Parts) -> None:
        """Wait until the engine has handled every event; but not for a disk that does not
        take its commit: what was not recorded was not acted on either, and the next start
        goes on from what was."""
        drained = asyncio.ensure_future(parts.inbox.drained())
        stuck_since: float | None = None
        while not drained.done():
            await wait_done(self.clock, drained, 0.5)
            if not parts.loop.waiting_for_disk:
                stuck_since = None
                continue
            stuck_since = stuck_since or self.clock.monotonic()
            if self.clock.monotonic() - stuck_since >= DISK_WAIT_AT_SHUTDOWN_SECONDS:
                log.warning(
                    "stopping with the engine's last step not recorded (the state folder "
                    "does not take it); the next start goes on from what was recorded"
                )
                drained.cancel()
                return

    def _executor_lost(self, reason: str) -> None:
        """Stop, saying why: nothing is lost (the store has every attempt), and the next start
        reconciles the attempts with what the cluster still has."""
        log.error("%s", _lost_message(reason))
        self._lost = reason
        self.request_stop()
        leave = threading.Timer(LOST_EXIT_SECONDS, _leave_now, args=(LOST_EXIT_CODE,))
        leave.daemon = True
        leave.start()

    def on_hangup(self) -> None:
        """SIGHUP: read the settings again and apply what changed."""
        log.info("SIGHUP received: reading %s again", self.settings.loaded.path)
        try:
            self.settings.reload()
        except UserError as exc:
            log.error("reload refused, the settings in force are kept: %s", exc)


class _Stopped(Exception):
    """Raised inside the task group to end every task at shutdown."""


def _load_fleet(path: Path) -> FleetPlan:
    """A fleet file, read with the score reader (imported on first use: see
    `podium.conductor.compiler`)."""
    from podium.score.fleet import load_fleet  # noqa: PLC0415

    return load_fleet(path)


def _lost_message(reason: str) -> str:
    return (
        f"{reason}; the conductor stops (nothing is lost). Start it again once the cluster "
        "answers (a service restarts it): the attempts lost with the cluster are then recorded "
        "as interrupted and run again, without spending their retries"
    )


def _leave_now(code: int) -> None:
    """End the process (from a timer thread) once its log is written."""
    for handler in logging.getLogger().handlers:
        with contextlib.suppress(Exception):
            handler.flush()
    os._exit(code)
