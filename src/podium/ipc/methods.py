"""Every method the conductor serves, with its params and result types: the one table both
ends are built from. The server validates a request against the params type named here
(`podium.ipc.routes`); the client's `request` returns the result type named here. A renamed
field or a handler of the wrong shape is a `mypy` error, not a user's surprise.

The types live in `podium.ipc.schema` and are named here only in annotations, so that the CLI
pays nothing for them at start-up: the server reads them back from this module's annotations.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Generic, TypeVar

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from podium.ipc.approval_schema import AnswerParams, ApprovalsParams, ApprovalsResult
    from podium.ipc.fleet_schema import (
        FleetInfo,
        FleetListParams,
        FleetListResult,
        FleetParams,
        FleetPauseParams,
        FleetSubmitParams,
    )
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
        InstrumentsCheckParams,
        InstrumentsCheckResult,
        JobParams,
        JobStatusResult,
        KillParams,
        ListParams,
        ListResult,
        LogsParams,
        LogsResult,
        MessageResult,
        ModifyParams,
        NoParams,
        PauseParams,
        ProcessesResult,
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
        SubscribeParams,
        SubscribeResult,
    )

P = TypeVar("P", bound=Mapping[str, object])
"""A method's params: a TypedDict."""
R = TypeVar("R")
"""A method's result: a TypedDict."""


class Method(Generic[P, R]):
    """One method: its name on the wire; `P` and `R` say what it takes and gives back.
    Called with its params, it makes the request a client sends:
    `conductor.request(JOB_STATUS({"job_id": job_id}))` (two steps, so that `mypy` checks the
    params' literal against `P`, which it cannot infer and check in one call)."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self, params: P) -> Call[P, R]:
        return Call(self, params)

    def __repr__(self) -> str:
        return f"Method({self.name!r})"


class Call(Generic[P, R]):
    """A method with its params, ready to be sent."""

    __slots__ = ("method", "params")

    def __init__(self, method: Method[P, R], params: P) -> None:
        self.method = method
        self.params = params

    def __repr__(self) -> str:
        return f"{self.method.name}({self.params!r})"


JOB_SUBMIT: Method[SubmitParams, SubmitResult] = Method("job.submit")
JOB_STATUS: Method[JobParams, JobStatusResult] = Method("job.status")
JOB_LIST: Method[ListParams, ListResult] = Method("job.list")
JOB_PAUSE: Method[PauseParams, ControlResult] = Method("job.pause")
JOB_KILL: Method[KillParams, ControlResult] = Method("job.kill")
JOB_RESUME: Method[ResumeParams, ControlResult] = Method("job.resume")
JOB_MODIFY: Method[ModifyParams, ControlResult] = Method("job.modify")
JOB_CANCEL: Method[JobParams, ControlResult] = Method("job.cancel")
JOB_RECOVER: Method[RecoverParams, RecoverResult] = Method("job.recover")
JOB_CLEAR: Method[ClearParams, ClearResult] = Method("job.clear")
APPROVALS_LIST: Method[ApprovalsParams, ApprovalsResult] = Method("approvals.list")
"""Every open approval question (of one job, when named), oldest first."""
APPROVALS_ANSWER: Method[AnswerParams, ControlResult] = Method("approvals.answer")
"""Approve, reject or skip a sheet waiting for a person; the first answer wins."""

JOB_HISTORY: Method[HistoryParams, AttemptsResult] = Method("job.history")
JOB_ERRORS: Method[ErrorsParams, AttemptsResult] = Method("job.errors")
JOB_DIAGNOSE: Method[DiagnoseParams, DiagnoseResult] = Method("job.diagnose")
JOB_LOGS: Method[LogsParams, LogsResult] = Method("job.logs")

DAEMON_STATUS: Method[NoParams, ConductorInfo] = Method("daemon.status")
DAEMON_HEALTH: Method[NoParams, HealthResult] = Method("daemon.health")
DAEMON_READY: Method[NoParams, ReadyResult] = Method("daemon.ready")
DAEMON_RATE_LIMITS: Method[NoParams, RateLimitsResult] = Method("daemon.rate_limits")
DAEMON_CLEAR_RATE_LIMITS: Method[ClearRateLimitsParams, MessageResult] = Method(
    "daemon.clear_rate_limits"
)
DAEMON_SHUTDOWN: Method[ShutdownParams, ShutdownResult] = Method("daemon.shutdown")
DAEMON_CONFIG: Method[NoParams, ConfigResult] = Method("daemon.config")
DAEMON_RELOAD: Method[NoParams, ReloadResult] = Method("daemon.reload")
INSTRUMENTS_CHECK: Method[InstrumentsCheckParams, InstrumentsCheckResult] = Method(
    "instruments.check"
)
DAEMON_PROCESSES: Method[NoParams, ProcessesResult] = Method("daemon.processes")
EVENTS_SUBSCRIBE: Method[SubscribeParams, SubscribeResult] = Method("events.subscribe")
"""A stream: the answer is followed by an `events.event` notification per change (params: a
`StreamEvent`) until the client hangs up, or by one `events.dropped` (params: `{"reason"}`)
when the subscriber fell too far behind; then the conductor hangs up."""

FLEET_SUBMIT: Method[FleetSubmitParams, FleetInfo] = Method("fleet.submit")
FLEET_STATUS: Method[FleetParams, FleetInfo] = Method("fleet.status")
FLEET_LIST: Method[FleetListParams, FleetListResult] = Method("fleet.list")
FLEET_PAUSE: Method[FleetPauseParams, FleetInfo] = Method("fleet.pause")
FLEET_RESUME: Method[FleetParams, FleetInfo] = Method("fleet.resume")
FLEET_CANCEL: Method[FleetParams, FleetInfo] = Method("fleet.cancel")

METHODS: tuple[Method[Any, Any], ...] = (
    JOB_SUBMIT,
    JOB_STATUS,
    JOB_LIST,
    JOB_PAUSE,
    JOB_KILL,
    JOB_RESUME,
    JOB_MODIFY,
    JOB_CANCEL,
    JOB_RECOVER,
    JOB_CLEAR,
    APPROVALS_LIST,
    APPROVALS_ANSWER,
    JOB_HISTORY,
    JOB_ERRORS,
    JOB_DIAGNOSE,
    JOB_LOGS,
    DAEMON_STATUS,
    DAEMON_HEALTH,
    DAEMON_READY,
    DAEMON_RATE_LIMITS,
    DAEMON_CLEAR_RATE_LIMITS,
    DAEMON_SHUTDOWN,
    DAEMON_CONFIG,
    DAEMON_RELOAD,
    INSTRUMENTS_CHECK,
    DAEMON_PROCESSES,
    EVENTS_SUBSCRIBE,
    FLEET_SUBMIT,
    FLEET_STATUS,
    FLEET_LIST,
    FLEET_PAUSE,
    FLEET_RESUME,
    FLEET_CANCEL,
)
"""Every method the conductor serves; it refuses to start without a handler for each."""
