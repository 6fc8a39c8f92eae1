"""The `daemon.*` JSON-RPC methods: the conductor's own status, health and readiness, its
settings (shown and reloaded), its rate-limit windows, and its shutdown."""

import asyncio
import logging
import os
import time
from collections.abc import Callable
from typing import Protocol

from podium import __version__
from podium.config import ConductorConfig
from podium.domain.engine import Engine
from podium.domain.errors import InvalidState, UserError
from podium.domain.pressure import Pressure
from podium.host import processes
from podium.host.locations import Locations
from podium.ipc import methods
from podium.ipc.convert import rate_limit_info
from podium.ipc.routes import Handler, handle
from podium.ipc.schema import (
    ClearRateLimitsParams,
    ConductorInfo,
    ConfigResult,
    EnvironmentPolicy,
    ExecutorInfo,
    HealthResult,
    MessageResult,
    NodeInfo,
    NoParams,
    NotificationFailureInfo,
    NotificationsInfo,
    PressureInfo,
    PressureLimitsInfo,
    RateLimitsResult,
    ReadyResult,
    ReloadResult,
    ShutdownParams,
    ShutdownResult,
)
from podium.runtime.executors.base import ExecutorDescription
from podium.runtime.jobs.control import JobControl
from podium.runtime.jobs.requests import EngineRequests
from podium.runtime.monitor import ResourceMonitor
from podium.runtime.notify.sender import NotifyCounts
from podium.runtime.settings import LiveSettings

log = logging.getLogger("podium.conductor")


class ConductorSide(Protocol):
    """What the methods need of the running conductor."""

    locations: Locations
    settings: LiveSettings
    started_at: float

    @property
    def config(self) -> ConductorConfig: ...

    def request_stop(self, drain: bool = False) -> None: ...


class ConductorApi:
    """The conductor's own methods."""

    def __init__(
        self,
        *,
        conductor: ConductorSide,
        requests: EngineRequests,
        control: JobControl,
        engine: Engine,
        monitor: ResourceMonitor,
        notifications: Callable[[], NotifyCounts],
        executor: Callable[[], ExecutorDescription],
    ) -> None:
        self._conductor = conductor
        self._requests = requests
        self._control = control
        self._engine = engine
        self._monitor = monitor
        self._notifications = notifications
        self._executor = executor

    def handlers(self) -> list[Handler]:
        """The conductor's own `daemon.*` methods."""
        return [
            handle(methods.DAEMON_STATUS, self.daemon_status),
            handle(methods.DAEMON_HEALTH, self.health),
            handle(methods.DAEMON_READY, self.ready),
            handle(methods.DAEMON_RATE_LIMITS, self.rate_limits),
            handle(methods.DAEMON_CLEAR_RATE_LIMITS, self.clear_rate_limits),
            handle(methods.DAEMON_SHUTDOWN, self.shutdown),
            handle(methods.DAEMON_CONFIG, self.config),
            handle(methods.DAEMON_RELOAD, self.reload),
        ]

    async def rate_limits(self, _params: NoParams) -> RateLimitsResult:
        return RateLimitsResult(rate_limits=rate_limit_info(self._engine.rate_limits()))

    async def clear_rate_limits(self, params: ClearRateLimitsParams) -> MessageResult:
        return MessageResult(
            message=await self._control.clear_rate_limits(params.get("instrument"))
        )

    async def daemon_status(self, _params: NoParams) -> ConductorInfo:
        loc, config = self._conductor.locations, self._conductor.config
        return ConductorInfo(
            pid=os.getpid(),
            version=__version__,
            uptime_seconds=round(time.time() - self._conductor.started_at, 3),
            socket=loc.socket,
            state_dir=loc.state_dir,
            log_file=str(self._conductor.settings.log_path()),
            active_jobs=self._engine.active_count,
            running_jobs=self._engine.running_jobs,
            max_concurrent_jobs=config.max_concurrent_jobs,
            running_sheets=self._engine.in_flight,
            max_concurrent_sheets=config.max_concurrent_sheets,
            rate_limits=rate_limit_info(self._engine.rate_limits()),
            memory_mb=_rss_mb(),
            state=self._requests.state,
            pressure=_pressure_info(self._monitor.pressure),
            notifications=_notifications_info(self._notifications()),
            environment=EnvironmentPolicy(
                from_client=config.environment.from_client,
                passed=list(config.environment.pass_),
            ),
            executor=executor_info(self._executor()),
        )

    async def health(self, _params: NoParams) -> HealthResult:
        """Liveness: the conductor answers."""
        return HealthResult(
            status="ok",
            pid=os.getpid(),
            uptime_seconds=round(time.time() - self._conductor.started_at, 3),
            shutting_down=self._requests.state == "stopping",
        )

    async def ready(self, _params: NoParams) -> ReadyResult:
        """Readiness: the conductor takes new work now (it is not recovering unfinished
        jobs, not stopping, and not under high or critical resource pressure)."""
        state, pressure = self._requests.state, self._monitor.pressure
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


def _rss_mb() -> float:
    return round(processes.rss_bytes() / (1024 * 1024), 1)


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


def executor_info(described: ExecutorDescription) -> ExecutorInfo:
    """Where the attempts run, as `daemon.status` says it."""
    return ExecutorInfo(
        type=described.type,
        running=described.running,
        address=described.address,
        namespace=described.namespace,
        nodes=[
            NodeInfo(
                node_id=n.node_id,
                address=n.address,
                alive=n.alive,
                instruments=list(n.instruments),
                resources=list(n.resources),
                attempts=n.attempts,
                cpu=n.cpu,
                cpu_total=n.cpu_total,
                memory_mb=n.memory_mb,
                memory_total_mb=n.memory_total_mb,
            )
            for n in described.nodes
        ],
        nodes_age_seconds=(
            None if described.nodes_age_seconds is None else round(described.nodes_age_seconds, 1)
        ),
        error=described.error,
    )
