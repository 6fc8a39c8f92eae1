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
from pathlib import Path
from typing import Any

from podium import __version__
from podium.domain.engine import Engine, Limits
from podium.domain.errors import (
    InvalidScore,
    JobAlreadyRunning,
    JobNotFound,
    PodiumError,
    ShuttingDown,
    UserError,
)
from podium.domain.ids import SheetNum
from podium.domain.plan import JobPlan
from podium.domain.validation import ValidationRule
from podium.domain.work import SheetWork
from podium.instruments import cli as cli_instrument
from podium.ipc import protocol
from podium.ipc.convert import job_info, job_status
from podium.ipc.schema import (
    ConductorInfo,
    JobParams,
    JobStatusResult,
    ListParams,
    ListResult,
    NoParams,
    ShutdownParams,
    SubmitParams,
    SubmitResult,
)
from podium.ipc.server import Method, RpcServer, method
from podium.locations import SOCKET_PATH_MAX, Locations, locate
from podium.runtime.attempts import AttemptRunner
from podium.runtime.catalog import JobCatalog
from podium.runtime.clock import wall_clock
from podium.runtime.config import ConductorConfig, load_config
from podium.runtime.layout import Layout
from podium.runtime.loop import EngineLoop, Inbox, Replies
from podium.runtime.recovery import recover
from podium.runtime.service import JobService
from podium.runtime.validator import Validator
from podium.score.compiled import CompiledScore, compile_score, load_score
from podium.store.sqlite import SqliteStore

log = logging.getLogger("podium.conductor")

ERROR_CODES: tuple[tuple[type[Exception], int], ...] = (
    (JobNotFound, protocol.JOB_NOT_FOUND),
    (JobAlreadyRunning, protocol.JOB_ALREADY_RUNNING),
    (ShuttingDown, protocol.SHUTTING_DOWN),
    (InvalidScore, protocol.INVALID_SCORE),
    (UserError, protocol.INVALID_PARAMS),
)
"""The one table from error classes to JSON-RPC codes; the first match wins."""


class AlreadyRunning(PodiumError):
    pass


# ---- the score and the instrument, as the runtime's ports want them ---------------------


class ScoreJob:
    """A compiled score with its instrument: the work for each sheet of one job."""

    def __init__(self, score: CompiledScore) -> None:
        self._score = score

    @property
    def plan(self) -> JobPlan:
        return self._score.plan

    @property
    def workspace(self) -> Path:
        return self._score.workspace

    @property
    def text(self) -> str:
        return self._score.text

    def work(self, sheet: SheetNum, prompt_file: Path) -> SheetWork:
        prompt = self._score.prompt(sheet)
        return SheetWork(
            argv=cli_instrument.command(prompt, prompt_file),
            cwd=str(self._score.workspace),
            prompt=prompt,
            validations=self._score.validations(sheet),
        )

    def validations(self, sheet: SheetNum) -> tuple[ValidationRule, ...]:
        return self._score.validations(sheet)


class ScoreCompiler:
    def compile(self, path: Path, text: str | None = None) -> ScoreJob:
        score = load_score(path) if text is None else compile_score(text, path)
        score.check()
        return ScoreJob(score)


# ---- the conductor --------------------------------------------------------------------


class Conductor:
    def __init__(self, locations: Locations, config: ConductorConfig) -> None:
        self.locations = locations
        self.config = config
        self.started_at = time.time()
        self._stop = asyncio.Event()
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

    async def _serve(self, store: SqliteStore) -> None:
        engine = Engine(Limits(self.config.max_concurrent_sheets))
        inbox, replies, catalog = Inbox(), Replies(), JobCatalog()
        layout = Layout(Path(self.locations.jobs_dir))
        compiler = ScoreCompiler()
        service = JobService(
            engine=engine,
            store=store,
            inbox=inbox,
            replies=replies,
            catalog=catalog,
            compiler=compiler,
        )
        self._install_signal_handlers()
        try:
            async with asyncio.TaskGroup() as tasks:
                grace = self.config.kill_grace_seconds
                attempts = AttemptRunner(
                    catalog=catalog,
                    store=store,
                    layout=layout,
                    post=inbox.post,
                    tasks=tasks,
                    kill_grace_seconds=grace,
                )
                validator = Validator(
                    catalog=catalog,
                    layout=layout,
                    post=inbox.post,
                    tasks=tasks,
                    kill_grace_seconds=grace,
                )
                loop = EngineLoop(
                    engine=engine,
                    store=store,
                    inbox=inbox,
                    replies=replies,
                    attempts=attempts,
                    validator=validator,
                    catalog=catalog,
                    clock=wall_clock,
                )
                await recover(
                    store=store,
                    compiler=compiler,
                    catalog=catalog,
                    inbox=inbox,
                    kill_grace_seconds=grace,
                )
                engine_task = tasks.create_task(loop.run(), name="engine")
                api = ConductorApi(conductor=self, service=service, engine=engine, layout=layout)
                server = RpcServer(Path(self.locations.socket), api.methods(), ERROR_CODES)
                await server.start()
                log.info(
                    "conductor %s ready on %s (pid %d, state in %s)",
                    __version__,
                    self.locations.socket,
                    os.getpid(),
                    self.locations.state_dir,
                )
                await self._stop.wait()
                log.info("shutting down: no new jobs; stopping running attempts")
                service.accepting = False
                await server.close()
                engine_task.cancel()
                await attempts.stop_all()
                raise _Stopped
        except* _Stopped:
            pass

    def request_stop(self) -> None:
        self._stop.set()

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
                "%s received again: stopping at once; running attempts are left "
                "behind and will be stopped and retried at the next start",
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
            "daemon.status": method(NoParams, self.daemon_status),
            "daemon.shutdown": method(ShutdownParams, self.shutdown),
        }

    async def submit(self, params: SubmitParams) -> SubmitResult:
        done = await self._service.submit(params["score_path"], params.get("client_cwd"))
        return SubmitResult(
            job_id=done.job_id, total_sheets=done.total_sheets, workspace=done.workspace
        )

    async def status(self, params: JobParams) -> JobStatusResult:
        return job_status(self._service.status(params["job_id"]), self._layout.sheet_dir)

    async def list(self, params: ListParams) -> ListResult:
        limit = params.get("limit", 50)
        if limit < 1:
            raise UserError(f"limit must be at least 1, got {limit}")
        found = self._service.list(include_finished=params.get("all", False), limit=limit)
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
            running_sheets=self._engine.in_flight,
            max_concurrent_sheets=config.max_concurrent_sheets,
            memory_mb=_rss_mb(),
            accepting_work=self._service.accepting,
        )

    async def shutdown(self, _params: ShutdownParams) -> dict[str, Any]:
        asyncio.get_running_loop().call_soon(self._conductor.request_stop)
        return {"shutting_down": True, "pid": os.getpid()}


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
    if locations.socket_too_long():
        log.error(
            "the socket path %s is longer than %d bytes, the limit for Unix sockets; "
            "set PODIUM_SOCKET to a shorter path",
            locations.socket,
            SOCKET_PATH_MAX,
        )
        return 2
    os.chdir("/")  # hold no directory of the caller's; every path used is absolute
    try:
        config = load_config(args.config or Path(locations.config_file))
        asyncio.run(Conductor(locations, config).run())
    except AlreadyRunning as exc:
        log.error("%s", exc)
        return 3
    except PodiumError as exc:
        log.error("%s", exc)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
