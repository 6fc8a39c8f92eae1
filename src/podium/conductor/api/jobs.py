"""The conductor's JSON-RPC methods: each a thin translation from typed params to the job
service (or the inspector) and back to typed results. The composition root
(`podium.conductor.daemon`) builds them and serves them on the socket."""

import asyncio
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from podium import __version__
from podium.config import ConductorConfig
from podium.domain.codes import ERROR_TYPES, codes_of_type
from podium.domain.engine import Engine
from podium.domain.errors import (
    InvalidScore,
    InvalidState,
    JobAlreadyRunning,
    JobNotFound,
    ResourceExhausted,
    ShuttingDown,
    UserError,
)
from podium.domain.inspection import Cursor
from podium.domain.pressure import Pressure
from podium.host.locations import Locations
from podium.ipc import methods, protocol
from podium.ipc.convert import (
    attempts_result,
    diagnose_result,
    job_info,
    job_status,
    logs_result,
    rate_limit_info,
    worktree_info,
)
from podium.ipc.routes import Handler, handle
from podium.ipc.schema import (
    AttemptsResult,
    ClearParams,
    ClearRateLimitsParams,
    ClearResult,
    ConductorInfo,
    ConfigResult,
    ControlResult,
    DiagnoseParams,
    DiagnoseResult,
    ErrorsParams,
    HealthResult,
    HistoryParams,
    JobFilesInfo,
    JobParams,
    JobStatusResult,
    ListParams,
    ListResult,
    LogsParams,
    LogsResult,
    MessageResult,
    ModifyParams,
    NoParams,
    NotificationFailureInfo,
    NotificationsInfo,
    PauseParams,
    PressureInfo,
    PressureLimitsInfo,
    RateLimitsResult,
    ReadyResult,
    RecoverParams,
    RecoverResult,
    ReloadResult,
    ResumeParams,
    ShutdownParams,
    ShutdownResult,
    SubmitParams,
    SubmitResult,
)
from podium.runtime.jobs import submit_keys
from podium.runtime.jobs.clearing import Selection, statuses_named
from podium.runtime.jobs.inspection import Inspector
from podium.runtime.jobs.service import JobService
from podium.runtime.layout import Layout
from podium.runtime.monitor import ResourceMonitor
from podium.runtime.notify.sender import NotifyCounts
from podium.runtime.settings import LiveSettings

log = logging.getLogger("podium.conductor")

ERROR_CODES: tuple[tuple[type[Exception], int], ...] = (
    (JobNotFound, protocol.JOB_NOT_FOUND),
    (JobAlreadyRunning, protocol.JOB_ALREADY_RUNNING),
    (InvalidState, protocol.JOB_NOT_RESUMABLE),
    (ShuttingDown, protocol.SHUTTING_DOWN),
    (ResourceExhausted, protocol.RESOURCE_EXHAUSTED),
    (InvalidScore, protocol.INVALID_SCORE),
    (UserError, protocol.INVALID_PARAMS),
)
"""The one table from error classes to JSON-RPC codes; the first match wins."""


class ConductorSide(Protocol):
    """What the methods need of the running conductor."""

    locations: Locations
    settings: LiveSettings
    started_at: float

    @property
    def config(self) -> ConductorConfig: ...

    def request_stop(self, drain: bool = False) -> None: ...


class ConductorApi:
    """The JSON-RPC methods, each a thin translation to the job service."""

    def __init__(
        self,
        *,
        conductor: ConductorSide,
        service: JobService,
        engine: Engine,
        layout: Layout,
        monitor: ResourceMonitor,
        notifications: Callable[[], NotifyCounts],
    ) -> None:
        self._conductor = conductor
        self._service = service
        self._engine = engine
        self._layout = layout
        self._monitor = monitor
        self._notifications = notifications

    def handlers(self) -> list[Handler]:
        """The `job.*` methods that act on jobs, and the conductor's own `daemon.*`."""
        return [
            handle(methods.JOB_SUBMIT, self.submit),
            handle(methods.JOB_STATUS, self.status),
            handle(methods.JOB_LIST, self.list),
            handle(methods.JOB_PAUSE, self.pause),
            handle(methods.JOB_RESUME, self.resume),
            handle(methods.JOB_MODIFY, self.modify),
            handle(methods.JOB_CANCEL, self.cancel),
            handle(methods.JOB_RECOVER, self.recover),
            handle(methods.JOB_CLEAR, self.clear),
            handle(methods.DAEMON_STATUS, self.daemon_status),
            handle(methods.DAEMON_HEALTH, self.health),
            handle(methods.DAEMON_READY, self.ready),
            handle(methods.DAEMON_RATE_LIMITS, self.rate_limits),
            handle(methods.DAEMON_CLEAR_RATE_LIMITS, self.clear_rate_limits),
            handle(methods.DAEMON_SHUTDOWN, self.shutdown),
            handle(methods.DAEMON_CONFIG, self.config),
            handle(methods.DAEMON_RELOAD, self.reload),
        ]

    async def submit(self, params: SubmitParams) -> SubmitResult:
        start = params.get("start_sheet", 1)
        if start < 1:
            raise UserError(f"--start-sheet must be 1 or more, got {start}")
        key = submit_keys.checked(params.get("idempotency_key"))
        done = await self._service.submit(
            params["score_path"],
            params.get("client_cwd"),
            start_sheet=start,
            fresh=params.get("fresh", False),
            workspace=params.get("workspace"),
            submit_key=key,
        )
        return SubmitResult(
            job_id=done.job_id,
            total_sheets=done.total_sheets,
            workspace=done.workspace,
            archived=done.archived,
            changed_since=done.changed_since,
            duplicate=done.duplicate,
        )

    async def pause(self, params: PauseParams) -> ControlResult:
        message = await self._service.pause(params["job_id"], force=params.get("force", False))
        return ControlResult(job_id=params["job_id"], message=message)

    async def resume(self, params: ResumeParams) -> ControlResult:
        reload = not params.get("no_reload", False)
        score = params.get("score_path")
        if score is not None and not reload:
            raise UserError("a new score file is read, so it cannot go with no_reload")
        message = await self._service.resume(
            params["job_id"],
            reload=reload,
            force=params.get("force", False),
            score_path=Path(params.get("client_cwd", "/"), score).absolute() if score else None,
        )
        return ControlResult(job_id=params["job_id"], message=message)

    async def modify(self, params: ModifyParams) -> ControlResult:
        message = await self._service.modify(
            params["job_id"],
            params["score_path"],
            params.get("client_cwd"),
            resume=params.get("resume", True),
        )
        return ControlResult(job_id=params["job_id"], message=message)

    async def recover(self, params: RecoverParams) -> RecoverResult:
        sheets, start = params.get("sheets", []), params.get("from_sheet")
        if sheets and start is not None:
            raise UserError("choose the sheets to check again or a sheet to start from, not both")
        dry_run = params.get("dry_run", False)
        done = await self._service.recover(
            params["job_id"], sheets=tuple(sheets), from_sheet=start, dry_run=dry_run
        )
        return RecoverResult(
            job_id=params["job_id"],
            message=done.message,
            dry_run=dry_run,
            sheets=[
                {"sheet": c.sheet, "changed": c.changed, "detail": c.detail} for c in done.sheets
            ],
            status=self._service.status(params["job_id"]).job.status.value,
        )

    async def clear(self, params: ClearParams) -> ClearResult:
        selection = Selection(
            tuple(params.get("job_ids", [])),
            statuses_named(params.get("statuses", [])),
            params.get("older_than_seconds"),
        )
        dry_run = params.get("dry_run", False)
        done = await self._service.clear(selection, dry_run=dry_run)
        return ClearResult(
            jobs=[job_info(j) for j in done.jobs], dry_run=dry_run, problems=list(done.problems)
        )

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
        result = job_status(view, self._layout.sheet_dir, attempts, usage)
        worktree = self._service.worktree(params["job_id"])
        if worktree is not None:
            result["worktree"] = worktree_info(worktree)
        return result

    async def list(self, params: ListParams) -> ListResult:
        limit = params.get("limit", 50)
        if limit < 1:
            raise UserError(f"limit must be at least 1, got {limit}")
        found = self._service.list_jobs(
            include_finished=params.get("all", False),
            limit=limit,
            statuses=statuses_named(params.get("statuses", [])),
        )
        return ListResult(jobs=[job_info(j) for j in found.jobs], total=found.total)

    async def daemon_status(self, _params: NoParams) -> ConductorInfo:
        loc, config = self._conductor.locations, self._conductor.config
        return ConductorInfo(
            pid=os.getpid(),
            version=__version__,
            uptime_seconds=round(time.time() - self._conductor.started_at, 3),
            socket=loc.socket,
            state_dir=loc.state_dir,
            log_file=str(self._conductor.settings.log_path()),
            active_jobs=len(self._engine.active_jobs()),
            running_jobs=self._engine.running_jobs,
            max_concurrent_jobs=config.max_concurrent_jobs,
            running_sheets=self._engine.in_flight,
            max_concurrent_sheets=config.max_concurrent_sheets,
            rate_limits=rate_limit_info(self._engine.rate_limits()),
            memory_mb=_rss_mb(),
            state=self._service.state,
            pressure=_pressure_info(self._monitor.pressure),
            notifications=_notifications_info(self._notifications()),
        )

    async def health(self, _params: NoParams) -> HealthResult:
        """Liveness: the conductor answers."""
        return HealthResult(
            status="ok",
            pid=os.getpid(),
            uptime_seconds=round(time.time() - self._conductor.started_at, 3),
            shutting_down=self._service.state == "stopping",
        )

    async def ready(self, _params: NoParams) -> ReadyResult:
        """Readiness: the conductor takes new work now (it is not recovering unfinished
        jobs, not stopping, and not under high or critical resource pressure)."""
        state, pressure = self._service.state, self._monitor.pressure
        reasons = []
        if state == "starting":
            reasons.append("recovering the unfinished jobs of the last run")
        if state == "stopping":
            reasons.append("shutting down")
        if pressure.level.refuses_work:
            reasons.append(f"resource pressure is {pressure.level}: {pressure.reason}")
        sample = pressure.sample
        return ReadyResult(
            ready=not reasons,
            status="not_ready" if reasons else "ready",
            reasons=reasons,
            running_jobs=self._engine.running_jobs,
            memory_mb=sample.memory_mb if sample else None,
            processes=sample.processes if sample else None,
            pressure=pressure.level.value,
            accepting_work=state == "ready" and not pressure.level.refuses_work,
            shutting_down=state == "stopping",
            uptime_seconds=round(time.time() - self._conductor.started_at, 3),
        )

    async def config(self, _params: NoParams) -> ConfigResult:
        settings = self._conductor.settings
        return ConfigResult(
            config_file=str(settings.loaded.path),
            file_exists=settings.loaded.exists,
            profile=settings.loaded.profile,
            settings=settings.config.model_dump(mode="json"),
            warnings=list(settings.loaded.warnings),
            socket=self._conductor.locations.socket,
            log_file=str(settings.log_path()),
        )

    async def reload(self, _params: NoParams) -> ReloadResult:
        settings = self._conductor.settings
        try:
            done = settings.reload()
        except UserError as exc:
            log.error("reload refused, the settings in force are kept: %s", exc)
            raise UserError(f"{exc}; the conductor keeps the settings in force") from None
        return ReloadResult(
            config_file=str(settings.loaded.path),
            profile=settings.loaded.profile,
            changed=list(done.changed),
            needs_restart=list(done.needs_restart),
            warnings=list(done.warnings),
        )

    async def shutdown(self, params: ShutdownParams) -> ShutdownResult:
        running = self._engine.running_jobs
        drain = params.get("drain", False)
        if running and not (drain or params.get("force", False)):
            raise InvalidState(
                f"{running} job(s) are running; 'podium stop --drain' waits for their running "
                "attempts to end, 'podium stop --force' stops now (running attempts go on and "
                "are picked up at the next start)"
            )
        asyncio.get_running_loop().call_soon(self._conductor.request_stop, drain)
        return ShutdownResult(shutting_down=True, pid=os.getpid(), drain=drain)


def _pressure_info(pressure: Pressure) -> PressureInfo:
    sample = pressure.sample
    return PressureInfo(
        level=pressure.level.value,
        reason=pressure.reason,
        memory_mb=sample.memory_mb if sample else None,
        processes=sample.processes if sample else None,
        limits=PressureLimitsInfo(
            max_memory_mb=pressure.caps.max_memory_mb,
            max_processes=pressure.caps.max_processes,
        ),
        sampled_at=pressure.sampled_at,
    )


class InspectionApi:
    """The methods that look into a job's past: `job.history`, `job.errors`, `job.diagnose`
    and `job.logs`. Each reads a bounded number of rows and bytes."""

    def __init__(
        self, *, service: JobService, inspector: Inspector, log_file: Callable[[], str]
    ) -> None:
        self._service = service
        self._inspector = inspector
        self._log_file = log_file

    def handlers(self) -> list[Handler]:
        """The `job.*` methods that look into a job's past."""
        return [
            handle(methods.JOB_HISTORY, self.history),
            handle(methods.JOB_ERRORS, self.errors),
            handle(methods.JOB_DIAGNOSE, self.diagnose),
            handle(methods.JOB_LOGS, self.logs),
        ]

    async def history(self, params: HistoryParams) -> AttemptsResult:
        return attempts_result(
            self._inspector.attempts(
                params["job_id"],
                sheet=params.get("sheet"),
                limit=_bounded("limit", params.get("limit", 50), MAX_ATTEMPTS_SHOWN),
                tail_lines=_bounded("tail_lines", params.get("tail_lines", 5), MAX_TAIL_LINES, 0),
            )
        )

    async def errors(self, params: ErrorsParams) -> AttemptsResult:
        return attempts_result(
            self._inspector.attempts(
                params["job_id"],
                sheet=params.get("sheet"),
                failed=True,
                codes=_codes(params.get("type"), params.get("code")),
                limit=_bounded("limit", params.get("limit", 200), MAX_ATTEMPTS_SHOWN),
                tail_lines=_bounded("tail_lines", params.get("tail_lines", 5), MAX_TAIL_LINES, 0),
            )
        )

    async def diagnose(self, params: DiagnoseParams) -> DiagnoseResult:
        job_id = params["job_id"]
        lines = _bounded("tail_lines", params.get("tail_lines", 10), MAX_TAIL_LINES, 0)
        view = self._service.status(job_id)
        latest, usage = self._service.attempt_details(view)
        files = JobFilesInfo(
            state=str(self._inspector.job_dir(view.job_id)),
            workspace_logs=str(Path(view.job.workspace) / "logs"),
            conductor_log=self._log_file(),
        )
        return diagnose_result(
            job_status(view, self._inspector.sheet_dir, latest, usage),
            self._inspector.notes(view.job_id, DIAGNOSE_NOTES),
            self._inspector.attempts(job_id, limit=DIAGNOSE_ATTEMPTS),
            self._inspector.attempts(job_id, failed=True, limit=DIAGNOSE_ERRORS, tail_lines=lines),
            files,
        )

    async def logs(self, params: LogsParams) -> LogsResult:
        given = params.get("cursors")
        cursors = None
        if given is not None:
            cursors = {c["sheet"]: Cursor(c["attempt"], c["stdout"], c["stderr"]) for c in given}
        return logs_result(
            self._inspector.output(
                params["job_id"],
                sheet=params.get("sheet"),
                lines=_bounded("lines", params.get("lines", 50), MAX_LOG_LINES, 0),
                cursors=cursors,
            )
        )


MAX_ATTEMPTS_SHOWN = 10_000
MAX_TAIL_LINES = 200
MAX_LOG_LINES = 100_000
DIAGNOSE_NOTES = 200
DIAGNOSE_ATTEMPTS = 200
DIAGNOSE_ERRORS = 50


def _bounded(name: str, value: int, most: int, least: int = 1) -> int:
    if not least <= value <= most:
        raise UserError(f"{name} must be between {least} and {most}, got {value}")
    return value


def _codes(kind: str | None, code: str | None) -> tuple[str, ...] | None:
    """The error codes `errors --type/--code` asks for; None: every code."""
    if kind is not None and kind not in ERROR_TYPES:
        raise UserError(f"unknown error type '{kind}'; use one of {', '.join(ERROR_TYPES)}")
    wanted = codes_of_type(kind) if kind is not None else None
    if code is None:
        return wanted
    code = code.upper()
    return (code,) if wanted is None or code in wanted else ()


def _rss_mb() -> float:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return round(pages * os.sysconf("SC_PAGE_SIZE") / (1024 * 1024), 1)


def _notifications_info(counts: NotifyCounts) -> NotificationsInfo:
    last = counts.last_failure
    return NotificationsInfo(
        sent=counts.sent,
        failed=counts.failed,
        last_failure=None
        if last is None
        else NotificationFailureInfo(
            destination=last.destination,
            error=last.error,
            at=last.at,
            job_id=last.job_id,
            event=str(last.event),
        ),
    )
