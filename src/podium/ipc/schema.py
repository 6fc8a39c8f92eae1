"""The parameters and results of each method, as TypedDicts: plain dicts on the wire, checked
by the server, readable by the client without importing anything heavy."""

from typing import NotRequired

from typing_extensions import TypedDict


class SubmitParams(TypedDict):
    score_path: str
    client_cwd: NotRequired[str]
    start_sheet: NotRequired[int]
    """Skip the sheets before this one (on purpose: they count as done for dependencies)."""
    fresh: NotRequired[bool]
    """Archive the workspace first, when the score's workspace_lifecycle asks for it."""


class SubmitResult(TypedDict):
    job_id: str
    total_sheets: int
    workspace: str
    archived: NotRequired[str | None]
    """With fresh: where the workspace's previous contents went (None: nothing was moved)."""


class JobParams(TypedDict):
    job_id: str


class PauseParams(TypedDict):
    job_id: str
    force: NotRequired[bool]
    """Stop the running attempts now; their sheets run again on resume."""


class ResumeParams(TypedDict):
    job_id: str
    no_reload: NotRequired[bool]
    """Go on with the score the job was submitted with instead of reading it again."""


class ModifyParams(TypedDict):
    job_id: str
    score_path: str
    client_cwd: NotRequired[str]


class ControlResult(TypedDict):
    job_id: str
    message: str


class ClearRateLimitsParams(TypedDict):
    instrument: NotRequired[str]


class MessageResult(TypedDict):
    message: str


class RateLimitInfo(TypedDict):
    instrument: str
    model: str | None
    until: float
    reason: str


class RateLimitsResult(TypedDict):
    rate_limits: list[RateLimitInfo]


class NoteInfo(TypedDict):
    at: float
    text: str


class ListParams(TypedDict):
    all: NotRequired[bool]
    limit: NotRequired[int]


class NoParams(TypedDict):
    pass


class ShutdownParams(TypedDict):
    drain: NotRequired[bool]
    """Wait until the running attempts have ended (no new ones start meanwhile)."""
    force: NotRequired[bool]
    """Stop even though jobs are running (their attempts go on, and are picked up again)."""


class CheckInfo(TypedDict):
    """One validation rule's result in an attempt."""

    check: str
    passed: bool
    checked: bool
    """False when an earlier stage failed and the rule was not run."""
    expected: str
    actual: str
    fix: str


class AttemptInfo(TypedDict):
    """A sheet's latest attempt, as far as it got."""

    attempt: int
    outcome: str
    error_code: str | None
    exit_code: int | None
    instrument: str | None
    model: str | None
    input_tokens: int | None
    output_tokens: int | None
    cost: float | None
    cost_estimated: bool
    checks: list[CheckInfo]


class UsageInfo(TypedDict):
    input_tokens: int | None
    output_tokens: int | None
    cost: float | None
    cost_estimated: bool
    """The cost was computed from guessed prices for at least one attempt."""


class SheetInfo(TypedDict):
    num: int
    status: str
    movement: int
    voice: int | None
    instrument: str
    depends_on: list[int]
    description: str | None
    attempts: int
    max_attempts: int
    error: str | None
    blocked_by: int | None
    updated_at: float
    due: float | None
    """While waiting: when it may run again."""
    wait: str | None
    """While waiting: what for (retry, completion, rate_limit)."""
    cost: float
    logs: str
    """The folder of the sheet's attempts: attempt-<k>.prompt, .stdout.log, .stderr.log."""
    last_attempt: AttemptInfo | None
    """For a sheet that is not completed: its latest attempt, with every check's result."""


class JobInfo(TypedDict):
    job_id: str
    name: str
    status: str
    score_path: str
    workspace: str
    submitted_at: float
    started_at: float | None
    finished_at: float | None
    error: str | None
    detail: str | None
    """Why the job is paused (by the user, a cost limit, a modify), or holds its chain."""
    resume_when_idle: bool
    """Paused only until its attempts in flight end (a modify, a resume on a new score)."""
    total_sheets: int
    completed_sheets: int
    chain_depth: int
    cost: float


class JobStatusResult(JobInfo):
    sheets: list[SheetInfo]
    history: list[NoteInfo]
    rate_limits: list[RateLimitInfo]
    """Rate-limit windows open on the instruments its unfinished sheets use."""
    usage: UsageInfo


class ListResult(TypedDict):
    jobs: list[JobInfo]
    total: int


class ConductorInfo(TypedDict):
    pid: int
    version: str
    uptime_seconds: float
    socket: str
    state_dir: str
    log_file: str
    active_jobs: int
    running_jobs: int
    max_concurrent_jobs: int
    running_sheets: int
    max_concurrent_sheets: int
    rate_limits: list[RateLimitInfo]
    memory_mb: float
    state: str
    """'starting' while unfinished jobs are recovered, then 'ready', then 'stopping'."""
