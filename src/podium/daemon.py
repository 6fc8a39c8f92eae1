"""The conductor's composition root: it builds every part, then runs startup → serve →
shutdown. Run it with `python -m podium.daemon` (the CLI's `podium start` does)."""

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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from podium import __version__
from podium.domain.engine import Engine
from podium.domain.errors import (
    InvalidScore,
    InvalidState,
    JobAlreadyRunning,
    JobNotFound,
    PodiumError,
    ShuttingDown,
    UserError,
)
from podium.ipc import protocol
from podium.ipc.convert import job_info, job_status, rate_limit_info
from podium.ipc.schema import (
    ClearRateLimitsParams,
    ConductorInfo,
    ControlResult,
    JobParams,
    JobStatusResult,
    ListParams,
    ListResult,
    MessageResult,
    ModifyParams,
    NoParams,
    PauseParams,
    RateLimitsResult,
    ResumeParams,
    ShutdownParams,
    SubmitParams,
    SubmitResult,
)
from podium.ipc.server import Method, RpcServer, method
from podium.locations import SOCKET_PATH_MAX, Locations, locate
from podium.performance import ScoreCompiler, profile_caps
from podium.runtime.attempts import AttemptRunner
from podium.runtime.catalog import JobCatalog
from podium.runtime.clock import wall_clock
from podium.config import ConductorConfig, load_config
from podium.runtime.context import WorkerContext
from podium.runtime.layout import Layout
from podium.runtime.loop import EngineLoop, Inbox, Replies
from podium.runtime.recovery import recover
from podium.runtime.redact import Redactor
from podium.runtime.service import JobService
from podium.runtime.skip_checks import SkipCommands
from podium.runtime.validator import Validator
from podium.store.sqlite import SqliteStore

log = logging.getLogger("podium.conductor")

ERROR_CODES: tuple[tuple[type[Exception], int], ...] = (
    (JobNotFound, protocol.JOB_NOT_FOUND),
    (JobAlreadyRunning, protocol.JOB_ALREADY_RUNNING),
    (InvalidState, protocol.JOB_NOT_RESUMABLE),
    (ShuttingDown, protocol.SHUTTING_DOWN),
    (InvalidScore, protocol.INVALID_SCORE),
    (UserError, protocol.INVALID_PARAMS),
)
"""The one table from error classes to JSON-RPC codes; the first match wins."""


class AlreadyRunning(PodiumError):
    pass


# ---- the conductor --------------------------------------------------------------------


@dataclass
class _Parts:
    """Everything one run of the conductor is made of, wired together."""

    engine: Engine
    inbox: Inbox
    catalog: JobCatalog
    layout: Layout
    compiler: ScoreCompiler
    service: JobService
    attempts: AttemptRunner
    loop: EngineLoop
    server: RpcServer
    store: SqliteStore


class Conductor:
    """Startup, serve, shutdown. The first SIGTERM or SIGINT drains; a second stops at once."""

    def __init__(self, locations: Locations, config: ConductorConfig) -> None:
        self.locations = locations
        self.config = config
        self.started_at = time.time()
        self._stop = asyncio.Event()
        self._drain = False
        self._signals = 0

    async def run(self) -> None:
        with _pid_lock(Path(self.locations.pid_file)):
            store = SqliteStore(Path(self.locations.database))
            try:
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

    def _build(self, store: SqliteStore, tasks: asyncio.TaskGroup) -> _Parts:
        compiler = ScoreCompiler()
        engine = Engine(self.config.limits(profile_caps(compiler.registry(None))))
        inbox, replies, catalog = Inbox(), Replies(), JobCatalog()
        layout = Layout(Path(self.locations.jobs_dir))
        grace = self.config.kill_grace_seconds
        service = JobService(
            engine=engine,
            store=store,
            inbox=inbox,
            replies=replies,
            catalog=catalog,
            compiler=compiler,
        )
        context = WorkerContext(catalog, layout, inbox.post, tasks, grace, Redactor(os.environ))
        attempts = AttemptRunner(context, store)
        validator = Validator(context)
        skip_checks = SkipCommands(context)
        loop = EngineLoop(
            engine=engine,
            store=store,
            inbox=inbox,
            replies=replies,
            attempts=attempts,
            validator=validator,
            skip_checks=skip_checks,
            catalog=catalog,
            clock=wall_clock,
        )
        api = ConductorApi(conductor=self, service=service, engine=engine, layout=layout)
        server = RpcServer(Path(self.locations.socket), api.methods(), ERROR_CODES)
        return _Parts(
            engine, inbox, catalog, layout, compiler, service, attempts, loop, server, store
        )

    async def _startup(self, parts: _Parts, tasks: asyncio.TaskGroup) -> asyncio.Task[None]:
        """Answer on the socket at once; take new jobs once the unfinished ones are back."""
        await parts.server.start()
        await recover(
            store=parts.store,
            compiler=parts.compiler,
            catalog=parts.catalog,
            inbox=parts.inbox,
            layout=parts.layout,
            kill_grace_seconds=self.config.kill_grace_seconds,
            reattach=parts.attempts.reattach,
        )
        engine = tasks.create_task(parts.loop.run(), name="engine")
        parts.service.open()
        log.info(
            "conductor %s ready on %s (pid %d, state in %s)",
            __version__,
            self.locations.socket,
            os.getpid(),
            self.locations.state_dir,
        )
        return engine

    async def _shutdown(self, parts: _Parts, engine: asyncio.Task[None]) -> None:
        """Take no new work and record what already happened. Running attempts outlive the
        conductor (the next start re-attaches them); with drain, they are waited for first."""
        parts.service.close()
        parts.loop.stop_launching()
        if self._drain and parts.attempts.running:
            log.info(
                "draining: no new jobs or attempts; waiting for %d running attempt(s) to end",
                parts.attempts.running,
            )
            while parts.attempts.running:
                await asyncio.sleep(0.05)
        await parts.server.close()
        await parts.inbox.drained()
        engine.cancel()
        left = parts.attempts.running
        log.info(
            "shutting down: no new jobs or attempts; %d running attempt(s) go on and are "
            "picked up at the next start",
            left,
        )

    def _install_signal_handlers(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self._on_signal, sig)

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


class ConductorApi:
    """The JSON-RPC methods, each a thin translation to the job service."""

    def __init__(
        self, *, conductor: Conductor, service: JobService, engine: Engine, layout: Layout
    ) -> None:
        self._conductor = conductor
        self._service = service
        self._engine = engine
        self._layout = layout

    def methods(self) -> dict[str, Method]:
        return {
            "job.submit": method(SubmitParams, self.submit),
            "job.status": method(JobParams, self.status),
            "job.list": method(ListParams, self.list),
            "job.pause": method(PauseParams, self.pause),
            "job.resume": method(ResumeParams, self.resume),
            "job.modify": method(ModifyParams, self.modify),
            "job.cancel": method(JobParams, self.cancel),
            "daemon.status": method(NoParams, self.daemon_status),
            "daemon.rate_limits": method(NoParams, self.rate_limits),
            "daemon.clear_rate_limits": method(ClearRateLimitsParams, self.clear_rate_limits),
            "daemon.shutdown": method(ShutdownParams, self.shutdown),
        }

    async def submit(self, params: SubmitParams) -> SubmitResult:
        start = params.get("start_sheet", 1)
        if start < 1:
            raise UserError(f"--start-sheet must be 1 or more, got {start}")
        done = await self._service.submit(
            params["score_path"],
            params.get("client_cwd"),
            start_sheet=start,
            fresh=params.get("fresh", False),
        )
        return SubmitResult(
            job_id=done.job_id,
            total_sheets=done.total_sheets,
            workspace=done.workspace,
            archived=done.archived,
        )

    async def pause(self, params: PauseParams) -> ControlResult:
        message = await self._service.pause(params["job_id"], force=params.get("force", False))
        return ControlResult(job_id=params["job_id"], message=message)

    async def resume(self, params: ResumeParams) -> ControlResult:
        reload = not params.get("no_reload", False)
        message = await self._service.resume(params["job_id"], reload=reload)
        return ControlResult(job_id=params["job_id"], message=message)

    async def modify(self, params: ModifyParams) -> ControlResult:
        message = await self._service.modify(
            params["job_id"], params["score_path"], params.get("client_cwd")
        )
        return ControlResult(job_id=params["job_id"], message=message)

    async def cancel(self, params: JobParams) -> ControlResult:
        message = await self._service.cancel(params["job_id"])
        return ControlResult(job_id=params["job_id"], message=message)

    async def rate_limits(self, _params: NoParams) -> RateLimitsResult:
        return RateLimitsResult(rate_limits=rate_limit_info(self._service.rate_limits()))

    async def clear_rate_limits(self, params: ClearRateLimitsParams) -> MessageResult:
        return MessageResult(
            message=await self._service.clear_rate_limits(params.get("instrument"))
        )

    async def status(self, params: JobParams) -> JobStatusResult:
        view = self._service.status(params["job_id"])
        attempts, usage = self._service.attempt_details(view)
        return job_status(view, self._layout.sheet_dir, attempts, usage)

    async def list(self, params: ListParams) -> ListResult:
        limit = params.get("limit", 50)
        if limit < 1:
            raise UserError(f"limit must be at least 1, got {limit}")
        found = self._service.list_jobs(include_finished=params.get("all", False), limit=limit)
        return ListResult(jobs=[job_info(j) for j in found.jobs], total=found.total)

    async def daemon_status(self, _params: NoParams) -> ConductorInfo:
        loc, config = self._conductor.locations, self._conductor.config
        return ConductorInfo(
            pid=os.getpid(),
            version=__version__,
            uptime_seconds=round(time.time() - self._conductor.started_at, 3),
            socket=loc.socket,
            state_dir=loc.state_dir,
            log_file=loc.log_file,
            active_jobs=len(self._engine.active_jobs()),
            running_jobs=self._engine.running_jobs,
            max_concurrent_jobs=config.max_concurrent_jobs,
            running_sheets=self._engine.in_flight,
            max_concurrent_sheets=config.max_concurrent_sheets,
            rate_limits=rate_limit_info(self._engine.rate_limits()),
            memory_mb=_rss_mb(),
            state=self._service.state,
        )

    async def shutdown(self, params: ShutdownParams) -> dict[str, Any]:
        running = self._engine.running_jobs
        drain = params.get("drain", False)
        if running and not (drain or params.get("force", False)):
            raise InvalidState(
                f"{running} job(s) are running; 'podium stop --drain' waits for their running "
                "attempts to end, 'podium stop --force' stops now (running attempts go on and "
                "are picked up at the next start)"
            )
        asyncio.get_running_loop().call_soon(self._conductor.request_stop, drain)
        return {"shutting_down": True, "pid": os.getpid(), "drain": drain}


def _rss_mb() -> float:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return round(pages * os.sysconf("SC_PAGE_SIZE") / (1024 * 1024), 1)


@contextlib.contextmanager
def _pid_lock(pid_file: Path) -> Iterator[None]:
    """Hold an exclusive lock on the pid file for the conductor's whole life.

    The lock, not the file's existence, says a conductor is running: a pid file left by a
    crash is simply locked again.
    """
    pid_file.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(pid_file, os.O_RDWR | os.O_CREAT, 0o644)
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
        os.ftruncate(fd, 0)
    finally:
        os.close(fd)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m podium.daemon", description="Run the Podium conductor in the foreground."
    )
    parser.add_argument("--config", type=Path, help="conductor.yaml to use")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    locations = locate()
    try:
        _check_platform(locations)
        config = load_config(
            args.config.absolute() if args.config else Path(locations.config_file),
            explicit=args.config is not None,
        )
        Path(locations.state_dir).mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chdir("/")  # hold no directory of the caller's; every path used is absolute
        asyncio.run(Conductor(locations, config).run())
    except AlreadyRunning as exc:
        log.error("%s", exc)
        return 3
    except PodiumError as exc:
        log.error("%s", exc)
        return 2
    return 0


def _check_platform(locations: Locations) -> None:
    """Fail at once, and clearly, where the conductor could not work."""
    if locations.socket_too_long():
        raise UserError(
            f"the socket path {locations.socket} is longer than {SOCKET_PATH_MAX} bytes, the "
            "limit for Unix sockets; set PODIUM_SOCKET to a shorter path"
        )
    try:
        os.close(os.pidfd_open(os.getpid()))
    except (AttributeError, OSError) as exc:
        raise UserError(
            f"this system cannot watch processes through pidfds ({exc}); the conductor needs "
            "Linux 5.3 or newer"
        ) from None


if __name__ == "__main__":
    sys.exit(main())
