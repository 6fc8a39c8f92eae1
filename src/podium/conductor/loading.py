"""What a conductor answers while it is still loading: it listens on its socket before it has
imported its parts, read its settings or opened its store, so that a client knows at once
that it runs. Until then it answers `daemon.status`, `daemon.health` and `daemon.ready`
itself, saying that it is loading; every other method waits until it is ready
(`podium.ipc.server.RpcServer`).

Only what is known is told: its pid, version, uptime, socket and state folder. The numbers
that come from its settings and its engine are zeros, and the log file is not named (its
settings may put it elsewhere), until `state` is no longer 'loading'.
"""

from __future__ import annotations

import os
import time

from podium import __version__
from podium.host import processes
from podium.ipc import methods
from podium.ipc.routes import Handler, Route, handle, without_params

TYPE_CHECKING = False
if TYPE_CHECKING:
    from podium.host.locations import Locations
    from podium.ipc.schema import ConductorInfo, HealthResult, NoParams, ReadyResult

LOADING = "loading"
LOADING_REASON = "loading its parts, its settings and its store"


class LoadingApi:
    """The `daemon.*` answers of a conductor that is loading."""

    def __init__(self, locations: Locations, started_at: float) -> None:
        self._locations = locations
        self._started_at = started_at

    def routes(self) -> dict[str, Route]:
        """The methods answered while loading, checked without the method table's types."""
        handlers: list[Handler] = [
            handle(methods.DAEMON_STATUS, self.daemon_status),
            handle(methods.DAEMON_HEALTH, self.health),
            handle(methods.DAEMON_READY, self.ready),
        ]
        return {h.method.name: without_params(h) for h in handlers}

    def _uptime(self) -> float:
        return round(time.time() - self._started_at, 3)

    async def daemon_status(self, _params: NoParams) -> ConductorInfo:
        return {
            "pid": os.getpid(),
            "version": __version__,
            "uptime_seconds": self._uptime(),
            "socket": self._locations.socket,
            "state_dir": self._locations.state_dir,
            "log_file": "",
            "active_jobs": 0,
            "running_jobs": 0,
            "max_concurrent_jobs": 0,
            "running_sheets": 0,
            "max_concurrent_sheets": 0,
            "rate_limits": [],
            "memory_mb": round(processes.rss_bytes() / (1024 * 1024), 1),
            "state": LOADING,
            "pressure": {
                "level": "none",
                "reason": "not measured yet: the conductor is loading",
                "memory_mb": None,
                "processes": None,
                "limits": {"max_memory_mb": 0, "max_processes": 0},
                "sampled_at": None,
            },
            "notifications": {"sent": 0, "failed": 0, "last_failure": None},
        }

    async def health(self, _params: NoParams) -> HealthResult:
        """Liveness: the conductor answers."""
        return {
            "status": "ok",
            "pid": os.getpid(),
            "uptime_seconds": self._uptime(),
            "shutting_down": False,
        }

    async def ready(self, _params: NoParams) -> ReadyResult:
        """Readiness: not yet."""
        return {
            "ready": False,
            "status": "not_ready",
            "reasons": [LOADING_REASON],
            "running_jobs": 0,
            "memory_mb": None,
            "processes": None,
            "pressure": "none",
            "accepting_work": False,
            "shutting_down": False,
            "uptime_seconds": self._uptime(),
        }
