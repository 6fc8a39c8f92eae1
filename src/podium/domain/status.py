"""Job and sheet statuses, and the only moves between them, written as tables.

A move is looked up as `TABLE[state][event]`; anything missing is an `InvalidTransition` naming
the subject, the state and the event. Nothing else in Podium changes a status.
"""

from enum import StrEnum

from podium.domain.errors import InvalidTransition


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    PAUSED = "paused"
    PAUSED_AT_CHAIN = "paused_at_chain"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_terminal(self) -> bool:
        return self in _JOB_TERMINAL


class JobEvent(StrEnum):
    START = "start"
    COMPLETE = "complete"
    FAIL = "fail"
    CANCEL = "cancel"
    PAUSE = "pause"
    RESUME = "resume"
    HOLD_CHAIN = "hold_chain"
    RELEASE_CHAIN = "release_chain"
    RUN_HOOKS = "run_hooks"
    """Its last sheet completed while it was paused: it runs its on_success hooks."""


class SheetStatus(StrEnum):
    PENDING = "pending"
    READY = "ready"
    RUNNING = "running"
    VALIDATING = "validating"
    WAITING = "waiting"
    AWAITING_APPROVAL = "awaiting_approval"
    """A person is asked (an approval gate): it holds no slot and spends no retry."""
    COMPLETED = "completed"
    FAILED = "failed"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"

    @property
    def is_terminal(self) -> bool:
        return self in _SHEET_TERMINAL

    @property
    def in_flight(self) -> bool:
        """An attempt of this sheet holds a slot: its process or its validations are running."""
        return self in (SheetStatus.RUNNING, SheetStatus.VALIDATING)


class SheetEvent(StrEnum):
    DEPENDENCIES_MET = "dependencies_met"
    DISPATCH = "dispatch"
    EXITED = "exited"
    PASS = "pass"  # noqa: S105 - the validations passed; not a password
    WAIT = "wait"
    RETRY_DUE = "retry_due"
    FAIL = "fail"
    SKIP = "skip"
    CANCEL = "cancel"
    RESET = "reset"
    REQUEUE = "requeue"
    """Stopped on purpose (a forced pause): back to ready, its budget untouched."""
    RECOVER = "recover"
    """`podium recover`: its validations pass now, checked again without running it."""
    ASK = "ask"
    """An approval gate: a person is asked before it runs, or before it counts as done."""
    APPROVE = "approve"
    """Approved before it ran: ready to run."""


_JOB_TERMINAL = frozenset({JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED})
_SHEET_TERMINAL = frozenset(
    {SheetStatus.COMPLETED, SheetStatus.FAILED, SheetStatus.SKIPPED, SheetStatus.CANCELLED}
)

J, JE = JobStatus, JobEvent
JOB_TRANSITIONS: dict[JobStatus, dict[JobEvent, JobStatus]] = {
    J.QUEUED: {JE.START: J.RUNNING, JE.PAUSE: J.PAUSED, JE.CANCEL: J.CANCELLED},
    J.RUNNING: {
        JE.COMPLETE: J.COMPLETED,
        JE.FAIL: J.FAILED,
        JE.CANCEL: J.CANCELLED,
        JE.PAUSE: J.PAUSED,
        JE.HOLD_CHAIN: J.PAUSED_AT_CHAIN,
    },
    J.PAUSED: {
        JE.RESUME: J.QUEUED,
        JE.CANCEL: J.CANCELLED,
        JE.COMPLETE: J.COMPLETED,
        JE.FAIL: J.FAILED,
        JE.HOLD_CHAIN: J.PAUSED_AT_CHAIN,
        JE.RUN_HOOKS: J.RUNNING,
    },
    J.PAUSED_AT_CHAIN: {JE.RELEASE_CHAIN: J.RUNNING, JE.CANCEL: J.CANCELLED},
    J.FAILED: {JE.RESUME: J.QUEUED, JE.COMPLETE: J.COMPLETED},
    J.CANCELLED: {JE.RESUME: J.QUEUED, JE.COMPLETE: J.COMPLETED},
    J.COMPLETED: {JE.RESUME: J.QUEUED},
}

S, SE = SheetStatus, SheetEvent
_CANCEL = {SE.CANCEL: S.CANCELLED}
SHEET_TRANSITIONS: dict[SheetStatus, dict[SheetEvent, SheetStatus]] = {
    S.PENDING: {SE.DEPENDENCIES_MET: S.READY, SE.SKIP: S.SKIPPED, **_CANCEL},
    S.READY: {
        SE.DISPATCH: S.RUNNING,
        SE.ASK: S.AWAITING_APPROVAL,
        SE.SKIP: S.SKIPPED,
        SE.RESET: S.PENDING,
        **_CANCEL,
    },
    S.RUNNING: {
        SE.EXITED: S.VALIDATING,
        SE.WAIT: S.WAITING,
        SE.FAIL: S.FAILED,
        SE.REQUEUE: S.READY,
        **_CANCEL,
    },
    S.VALIDATING: {
        SE.PASS: S.COMPLETED,
        SE.ASK: S.AWAITING_APPROVAL,
        SE.WAIT: S.WAITING,
        SE.FAIL: S.FAILED,
        SE.SKIP: S.SKIPPED,
        **_CANCEL,
    },
    S.WAITING: {
        SE.RETRY_DUE: S.READY,
        SE.FAIL: S.FAILED,
        SE.SKIP: S.SKIPPED,
        SE.RESET: S.PENDING,
        **_CANCEL,
    },
    S.AWAITING_APPROVAL: {
        SE.APPROVE: S.READY,
        SE.PASS: S.COMPLETED,
        SE.FAIL: S.FAILED,
        SE.SKIP: S.SKIPPED,
        SE.RESET: S.PENDING,
        **_CANCEL,
    },
    S.COMPLETED: {SE.RESET: S.PENDING},
    S.FAILED: {SE.RESET: S.PENDING, SE.RECOVER: S.COMPLETED},
    S.SKIPPED: {SE.RESET: S.PENDING, SE.RECOVER: S.COMPLETED},
    S.CANCELLED: {SE.RESET: S.PENDING, SE.RECOVER: S.COMPLETED},
}
del J, JE, S, SE, _CANCEL


def next_job_status(subject: str, state: JobStatus, event: JobEvent) -> JobStatus:
    """The job status after `event`, or `InvalidTransition` naming `subject`."""
    try:
        return JOB_TRANSITIONS[state][event]
    except KeyError:
        raise InvalidTransition(subject, state, event) from None


def next_sheet_status(subject: str, state: SheetStatus, event: SheetEvent) -> SheetStatus:
    """The sheet status after `event`, or `InvalidTransition` naming `subject`."""
    try:
        return SHEET_TRANSITIONS[state][event]
    except KeyError:
        raise InvalidTransition(subject, state, event) from None
