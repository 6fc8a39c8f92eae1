"""The conductor's composition root: it builds every part, then runs startup → serve →
shutdown. Run it with `python -m podium.conductor.daemon` (the CLI's `podium start` does)."""

import argparse
import asyncio
import contextlib
import fcntl
import logging
import os
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from podium import __version__
from podium.conductor.compiler import EnvironmentPolicy, ScoreCompiler, unroutable
from podium.conductor.parts import Parts, Wiring, build
from podium.config import PROFILES, ConductorConfig, load
from podium.domain.errors import (
    PodiumError,
    UserError,
    refused_write,
)
from podium.domain.fleet import FleetPlan
from podium.host import platform
from podium.host.locations import (
    SOCKET_PATH_MAX,
    Locations,
    defaults,
    remove_socket_file,
    socket_in,
    write_socket_file,
)
from podium.host.private import keep_private, make_private_dir, open_private, secure_state_dir
from podium.redact import Redactor
from podium.runtime.clock import SYSTEM_CLOCK, Clock, wait_done
from podium.runtime.conductor_log import ConductorLog
from podium.runtime.jobs.clearing import remove_cleared
from podium.runtime.restart import check_deferred, pick_up
from podium.runtime.settings import LiveSettings
from podium.store.integrity import check_not_forgotten, check_readable
from podium.store.sqlite import SqliteStore
from podium.store.upkeep import Upkeep

log = logging.getLogger("podium.conductor")


class AlreadyRunning(PodiumError):
    pass


NOTIFY_AT_SHUTDOWN_SECONDS = 5.0
"""How long a stopping conductor waits for the notifications still queued."""

DISK_WAIT_AT_SHUTDOWN_SECONDS = 5.0
"""How long a stopping conductor waits for a disk that refuses the engine's commit."""


# ---- the conductor --------------------------------------------------------------------


async def _remove_cleared(jobs_dir: Path) -> None:
    """Remove what a clear cut short left aside (see `podium.runtime.jobs.clearing`)."""
    for problem in await asyncio.to_thread(remove_cleared, jobs_dir):
        log.warning("%s", problem)


class Conductor:
    """Startup, serve, shutdown. The first SIGTERM or SIGINT drains; a second stops at once."""

    def __init__(
        self,
        locations: Locations,
        settings: LiveSettings,
        redactor: Redactor | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.locations = locations
        self.clock = clock
        self.settings = settings
        self.redactor = redactor or Redactor(os.environ)
        self.started_at = time.time()
        self._stop = asyncio.Event()
        self._drain = False
        self._signals = 0

    async def run(self) -> None:
        with pid_lock(Path(self.locations.pid_file)):
            database, backups_dir = Path(self.locations.database), self._backups_dir
            check_readable(database, backups_dir)
            store = SqliteStore(database, backups_dir)
            try:
                jobs_dir = Path(self.locations.jobs_dir)
                known = len(store.list_jobs(statuses=None, limit=1))  # no count of them all
                check_not_forgotten(known, jobs_dir, database, backups_dir)
                await self._serve(store)
            except BaseExceptionGroup as group:
                # A failure in startup or in a task arrives wrapped by the task group.
                first = group.exceptions[0]
                if len(group.exceptions) == 1 and isinstance(first, PodiumError):
                    raise first from None
                raise
            finally:
                store.close()
        log.info("stopped")

    @property
    def _backups_dir(self) -> Path:
        return Path(self.locations.state_dir) / "backups"

    @property
    def config(self) -> ConductorConfig:
        """The settings in force; a reload replaces them (read them anew each time)."""
        return self.settings.config

    def request_stop(self, drain: bool = False) -> None:
        self._drain = self._drain or drain
        self._stop.set()

    async def _serve(self, store: SqliteStore) -> None:
        self._install_signal_handlers()
        try:
            async with asyncio.TaskGroup() as tasks:
                parts = self._build(store, tasks)
                engine = await self._startup(parts, tasks)
                await self._stop.wait()
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
        )
        connections = {n: i.connection() for n, i in self.config.instruments.items()}
        for problem in unroutable(compiler.registry(None), connections):
            log.warning("conductor.yaml: %s", problem)
        wiring = Wiring(self, self.redactor, self.clock, compiler, _load_fleet)
        return build(wiring, store, tasks)

    async def _startup(self, parts: Parts, tasks: asyncio.TaskGroup) -> asyncio.Task[None]:
        """Answer on the socket at once; take new jobs once the unfinished ones are back."""
        await parts.server.start()
        write_socket_file(self.locations.socket_file, self.locations.socket)
        parts.worktrees.after_restart()
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
        engine = tasks.create_task(parts.loop.run(), name="engine")
        tasks.create_task(parts.monitor.run(), name="resource monitor")
        tasks.create_task(_remove_cleared(parts.layout.jobs_dir), name="cleared folders")
        upkeep = Upkeep(parts.store, self._backups_dir, self.clock.now)
        tasks.create_task(upkeep.run(parts.layout.jobs_dir), name="store upkeep")
        parts.requests.open()
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
        if self._drain and parts.attempts.running:
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
        await parts.server.close()
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

    def _install_signal_handlers(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self._on_signal, sig)
        loop.add_signal_handler(signal.SIGHUP, self._on_hangup)

    def _on_hangup(self) -> None:
        log.info("SIGHUP received: reading %s again", self.settings.loaded.path)
        try:
            self.settings.reload()
        except UserError as exc:
            log.error("reload refused, the settings in force are kept: %s", exc)

    def _on_signal(self, sig: signal.Signals) -> None:
        self._signals += 1
        if self._signals == 1:
            log.info(
                "%s received: shutting down gracefully (send it again to stop at once)", sig.name
            )
            self.request_stop()
        else:
            log.warning(
                "%s received again: stopping at once; running attempts go on and are "
                "picked up at the next start",
                sig.name,
            )
            os._exit(1)


class _Stopped(Exception):
    """Raised inside the task group to end every task at shutdown."""


@contextlib.contextmanager
def pid_lock(pid_file: Path) -> Iterator[None]:
    """Hold an exclusive lock on the pid file for the conductor's whole life.

    The lock, not the file's existence, says a conductor is running: a pid file left by a
    crash is simply locked again.
    """
    make_private_dir(pid_file.parent)
    fd = open_private(pid_file, os.O_RDWR)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            other = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            raise AlreadyRunning(
                f"a conductor is already running (pid {other}, lock on {pid_file})"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
        with contextlib.suppress(OSError):  # a folder turned read-only keeps the old pid
            os.ftruncate(fd, 0)
    finally:
        os.close(fd)


def main(argv: list[str] | None = None, clock: Clock = SYSTEM_CLOCK) -> int:
    """Run the conductor until it stops; its exit code. `clock` keeps its time (a test's
    virtual clock, see `podium.testing.clock`)."""
    keep_private()  # before anything is written: every file of the conductor is private
    args = _parser().parse_args(argv)
    redact = Redactor(os.environ)
    # Until the settings say where the log goes, records go to stderr, where `podium start`
    # reads why a conductor could not start.
    early = ConductorLog(detached=False, redact=redact)
    early.apply("info", Path(os.devnull))
    sink = ConductorLog(detached=args.detached, redact=redact)
    try:
        locations, settings = _settings(args, sink)
        _check_platform(locations)
        was_open = secure_state_dir(locations.state_dir)
        early.close()
        settings.start_logging()
        _log_host_mode()
        if was_open is not None:
            log.warning(
                "the state folder %s was open to other users (mode %o); made it private (700)",
                locations.state_dir,
                was_open,
            )
        os.chdir("/")  # hold no directory of the caller's; every path used is absolute
        clock.run(Conductor(locations, settings, redact, clock).run())
    except AlreadyRunning as exc:
        _report(exc, sink)
        return 3
    except PodiumError as exc:
        _report(exc, sink)
        return 2
    except OSError as exc:
        if not refused_write(exc):
            log.exception("the conductor stopped on an internal error")
            raise
        # Where the state folder takes no write at all (read-only, or too full to create the
        # lock, the log or the socket), the conductor does not start; once it runs, a full
        # or read-only folder only stops dispatch (the disk pressure level).
        print(f"error: {refusal_to_start(exc)}", file=sys.stderr)
        return 2
    except Exception:
        log.exception("the conductor stopped on an internal error")
        raise
    finally:
        early.close()
        sink.close()
    return 0


def refusal_to_start(exc: OSError) -> str:
    """Why the conductor does not start where a write is refused, and what to do."""
    where = f" {exc.filename}" if exc.filename else ""
    return (
        f"the conductor cannot start: it cannot write{where} ({exc.strerror or exc}); make "
        "room in the state folder or make it writable (or set PODIUM_HOME to another folder), "
        "then start it again"
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m podium.conductor.daemon", description="Run the Podium conductor."
    )
    parser.add_argument("--config", type=Path, help="conductor.yaml to use")
    parser.add_argument(
        "--profile", choices=sorted(PROFILES), help="a built-in profile laid over the file"
    )
    parser.add_argument(
        "--log-level", choices=("debug", "info", "warning", "error"), help="overrides log_level"
    )
    parser.add_argument(
        "--detached",
        action="store_true",
        help="log JSON lines to the log file (as `podium start` runs it) instead of stderr",
    )
    return parser


def _settings(args: argparse.Namespace, sink: ConductorLog) -> tuple[Locations, LiveSettings]:
    """The settings (file, then profile, then flags) and the locations they give: the socket
    is `PODIUM_SOCKET`, else the file's `socket.path`, else the default."""
    named = args.config.absolute() if args.config else None
    found = defaults(config_file=str(named) if named else None)
    overrides = {"log_level": args.log_level} if args.log_level else {}
    loaded = load(
        Path(found.config_file),
        explicit=named is not None,
        profile=args.profile,
        overrides=overrides,
    )
    configured = loaded.config.socket.path
    if configured and not os.environ.get("PODIUM_SOCKET"):
        found = Locations(
            found.state_dir, found.config_file, socket_in(found.config_file, configured)
        )
    settings = LiveSettings(
        loaded,
        explicit=named is not None,
        overrides=overrides,
        log_sink=sink,
        state_dir=found.state_dir,
    )
    return found, settings


def _load_fleet(path: Path) -> FleetPlan:
    """A fleet file, read with the score reader (imported on first use: see
    `podium.conductor.compiler`)."""
    from podium.score.fleet import load_fleet  # noqa: PLC0415

    return load_fleet(path)


def _report(exc: Exception, sink: ConductorLog) -> None:
    log.error("%s", exc)
    if sink.path is not None:  # the log is a file by now: say it where `podium start` looks
        print(f"error: {exc}", file=sys.stderr)


def _check_platform(locations: Locations) -> None:
    """Fail at once, and clearly, where the conductor could not work."""
    if locations.socket_too_long():
        raise UserError(
            f"the socket path {locations.socket} is longer than {SOCKET_PATH_MAX} bytes, the "
            "limit for Unix sockets; set PODIUM_SOCKET to a shorter path"
        )


def _log_host_mode() -> None:
    """Say which way processes and socket peers are looked at (`podium.host.platform`)."""
    chosen = platform.mode()
    log.info(
        "%s: %s (%s)",
        "portable paths" if chosen.portable else "Linux fast paths",
        chosen.summary(),
        "; ".join(dict.fromkeys(c.reason for c in (chosen.processes, chosen.exits, chosen.peers))),
    )


if __name__ == "__main__":
    sys.exit(main())
