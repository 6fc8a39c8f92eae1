"""The parameters and results of each method, as TypedDicts: plain dicts on the wire, checked
by the server, readable by the client without importing anything heavy."""

from typing import Any, NotRequired

from typing_extensions import TypedDict


class SubmitParams(TypedDict):
    score_path: str
    client_cwd: NotRequired[str]
    start_sheet: NotRequired[int]
    """Skip the sheets before this one (on purpose: they count as done for dependencies)."""
    fresh: NotRequired[bool]
    """Archive the workspace first, when the score's workspace_lifecycle asks for it."""
    workspace: NotRequired[str]
    """This folder instead of the score's workspace (relative to client_cwd)."""
    idempotency_key: NotRequired[str]
    """Names this submission: asked again with the same key, the conductor gives back the job
    it accepted then (`duplicate`) and submits nothing. The CLI sends a fresh one each run."""
    environment: NotRequired[dict[str, str]]
    """The submitting shell's PATH and the variables its instruments ask for
    (docs/environment.md): the job's attempts run with them laid over the conductor's
    environment. Absent: the conductor's environment alone."""
    rehearse: NotRequired[bool]
    """Play every sheet with the fake agent in its --satisfy mode (`run --rehearse`), whatever
    the score names: the job's snapshot keeps it, so restarts and resumes rehearse too."""


class SubmitResult(TypedDict):
    job_id: str
    total_sheets: int
    workspace: str
    archived: NotRequired[str | None]
    """With fresh: where the workspace's previous contents went (None: nothing was moved)."""
    changed_since: NotRequired[str | None]
    """The completed job of this score when the score changed since: the run is fresh."""
    duplicate: NotRequired[bool]
    """The idempotency key had been used: this is the job accepted then; nothing was submitted."""


class JobParams(TypedDict):
    job_id: str


class PauseParams(TypedDict):
    job_id: str
    force: NotRequired[bool]
    """Stop the running attempts now; their sheets run again on resume."""


class KillParams(TypedDict):
    job_id: str
    sheet: int
    """The sheet whose running attempt is stopped; it runs again, its retries untouched."""


class ResumeParams(TypedDict):
    job_id: str
    no_reload: NotRequired[bool]
    """Go on with the score the job was submitted with instead of reading it again."""
    force: NotRequired[bool]
    """A completed job runs again too: every sheet, with a fresh budget."""
    score_path: NotRequired[str]
    """Go on with this score file instead (it becomes the job's, as with modify)."""
    client_cwd: NotRequired[str]
    environment: NotRequired[dict[str, str]]
    """The resuming shell's environment, as with `job.submit`: it replaces the one the job
    carried. Absent: the job keeps the one it carries."""


class ModifyParams(TypedDict):
    job_id: str
    score_path: str
    client_cwd: NotRequired[str]
    resume: NotRequired[bool]
    """A paused job goes on at once with its new score (default); False leaves it paused."""


class RecoverParams(TypedDict):
    job_id: str
    sheets: NotRequired[list[int]]
    """Only these sheets (failed, cancelled or skipped); default: every failed sheet."""
    from_sheet: NotRequired[int]
    """Instead: put every finished sheet from this one on back to pending, for a resume."""
    dry_run: NotRequired[bool]


class SheetChangeInfo(TypedDict):
    sheet: int
    changed: bool
    """Completed (or back to pending); in a dry run, would be."""
    detail: str


class RecoverResult(TypedDict):
    job_id: str
    message: str
    dry_run: bool
    sheets: list[SheetChangeInfo]
    status: str
    """The job's status after the request."""


class ClearParams(TypedDict):
    job_ids: NotRequired[list[str]]
    statuses: NotRequired[list[str]]
    """Only jobs with one of these statuses (completed, failed, cancelled)."""
    older_than_seconds: NotRequired[float]
    """Only jobs that finished at least this long ago."""
    dry_run: NotRequired[bool]
    """List what would be removed; remove nothing."""


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


class HookInfo(TypedDict):
    """One on_success hook of the job's latest run."""

    num: int
    type: str
    label: str
    """'run_command: make deploy'."""
    description: str | None
    outcome: str
    """running, succeeded or failed."""
    started_at: float
    ended_at: float | None
    exit_code: int | None
    error: str | None
    output: str
    """The end of what it printed (redacted)."""
    chained_job: str | None
    """The job a run_job hook submitted."""


class ListParams(TypedDict):
    all: NotRequired[bool]
    limit: NotRequired[int]
    statuses: NotRequired[list[str]]
    """Only jobs with one of these statuses, finished or not."""


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
    started_at: float
    ended_at: float | None
    """When it was decided (after its validations); None while it runs."""
    feedback: NotRequired[Any]
    """The agent's feedback block, parsed (the score's `feedback`); absent without one."""
    review: NotRequired[dict[str, Any]]
    """The AI review of its work (`ai_review`): score, reason, instrument, model, tokens,
    cost; absent without one."""


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
    model: str | None
    """The model it runs with; None: the instrument's default."""
    voice_count: int
    """How many voices its movement fans out to (1 without a fan-out)."""
    depends_on: list[int]
    description: str | None
    attempts: int
    max_attempts: int
    """Its attempt budget: the retries allowed plus the first attempt."""
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
    feedback: NotRequired[Any]
    """The agent's feedback in the sheet's latest attempt that gave some (`feedback`)."""
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


class WorktreeInfo(TypedDict):
    """The git worktree a job runs in (`isolation`)."""

    repo: str
    """The main checkout's root."""
    path: str
    branch: str
    base_commit: str
    removed: bool
    """The worktree was removed when the job ended (its branch stays)."""


class JobStatusResult(JobInfo):
    parent: str | None
    """The job whose run_job hook started this one."""
    children: list[str]
    """The jobs its run_job hooks started (in its latest run)."""
    sheets: list[SheetInfo]
    history: list[NoteInfo]
    hooks: list[HookInfo]
    rate_limits: list[RateLimitInfo]
    """Rate-limit windows open on the instruments its unfinished sheets use."""
    usage: UsageInfo
    worktree: WorktreeInfo | None
    """The git worktree the job runs in (`isolation`); None: it runs in its workspace."""


class ListResult(TypedDict):
    jobs: list[JobInfo]
    total: int


class ClearResult(TypedDict):
    jobs: list[JobInfo]
    """Removed (in a dry run: that would be)."""
    dry_run: bool
    problems: list[str]
    """State folders that could not be removed, and why."""


class PressureLimitsInfo(TypedDict):
    max_memory_mb: float
    max_processes: int


class PressureInfo(TypedDict):
    """The resource monitor's latest measurement (see `podium.domain.pressure`)."""

    level: str
    """none, low, medium, high (new jobs refused) or critical (jobs paused)."""
    reason: str
    memory_mb: float | None
    """RSS of the conductor and every process it started; None when not measured."""
    processes: int | None
    limits: PressureLimitsInfo
    sampled_at: float | None


class HealthResult(TypedDict):
    status: str
    pid: int
    uptime_seconds: float
    shutting_down: bool


class ReadyResult(TypedDict):
    ready: bool
    status: str
    """'ready' or 'not_ready'."""
    reasons: list[str]
    """Why it is not ready (empty when it is)."""
    running_jobs: int
    memory_mb: float | None
    processes: int | None
    pressure: str
    accepting_work: bool
    shutting_down: bool
    uptime_seconds: float


class NotificationFailureInfo(TypedDict):
    destination: str
    """The channel and the URL's host (never the whole URL), or the recipients."""
    error: str
    at: float
    job_id: str
    event: str


class NotificationsInfo(TypedDict):
    """The scores' notifications since the conductor started."""

    sent: int
    failed: int
    last_failure: NotificationFailureInfo | None


class ShutdownResult(TypedDict):
    shutting_down: bool
    pid: int
    drain: bool


class EnvironmentPolicy(TypedDict):
    """conductor.yaml's `environment`: whether submissions carry the client's environment,
    and the names (or `PREFIX_*`) that travel besides what the instruments ask for."""

    from_client: bool
    passed: list[str]


class InstrumentsCheckParams(TypedDict):
    score_dir: NotRequired[str]
    """The profiles seen from this folder (its `.podium/instruments/`) count too."""
    names: NotRequired[list[str]]
    """Only these instruments; default: every one known."""
    environment: NotRequired[dict[str, str]]
    """What `podium run` would carry from the client's shell (its PATH, at least)."""


class InstrumentView(TypedDict):
    """One instrument seen by the conductor: where its program is found on the conductor's
    own PATH, and on the PATH a submission carries."""

    name: str
    executable: str | None
    """None: not a command-line instrument."""
    conductor_binary: str | None
    carried_binary: str | None
    conductor_path: str
    carried_path: str | None
    """The client's PATH, then the conductor's, as a submission's attempts search them;
    None: submissions carry no environment (conductor.yaml's environment.from_client)."""
    credentials: list[str]
    """The credential variables the profile passes to its instrument."""
    conductor_credentials: list[str]
    """Those set in the conductor's environment."""
    carried_credentials: list[str]
    """Those set in what the client would carry."""


class InstrumentsCheckResult(TypedDict):
    instruments: list[InstrumentView]
    policy: EnvironmentPolicy


class NodeInfo(TypedDict):
    """One node of the cluster the attempts run on, as last read."""

    node_id: str
    address: str
    alive: bool
    instruments: list[str]
    """The known instruments whose node resource it declares (executor.resources)."""
    resources: list[str]
    """The `instrument:*` resources it declares that map to no known instrument."""
    attempts: int
    """This conductor's attempts running there now."""
    cpu: float | None
    """CPUs in use, as the cluster counts them (what its tasks and actors hold)."""
    cpu_total: float | None
    memory_mb: float | None
    memory_total_mb: float | None


class ExecutorInfo(TypedDict):
    """Where the attempts run (conductor.yaml's `executor`)."""

    type: str
    """'local' (this machine) or 'ray'."""
    running: int
    """Attempts running now."""
    address: str
    """The Ray cluster's address ('' for local)."""
    namespace: str
    nodes: list[NodeInfo]
    """The cluster's nodes as last read (none for local)."""
    nodes_age_seconds: float | None
    """How long ago the nodes were read; None when they never were."""
    error: str | None
    """Why the nodes shown may be out of date: the cluster failed or stopped answering."""


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
    """'loading' while the conductor loads its parts, settings and store (only pid, version,
    uptime, socket and state_dir are known: the rest are zeros, log_file is empty), then
    'starting' while it takes back the unfinished jobs of its last run (the counts grow as
    they come back), then 'ready', then 'stopping'. Until 'ready', every method but
    `daemon.status`, `daemon.health` and `daemon.ready` waits."""
    pressure: PressureInfo
    notifications: NotificationsInfo
    environment: NotRequired[EnvironmentPolicy]
    """What a submission may carry of the client's environment."""
    executor: NotRequired[ExecutorInfo]
    """Where the attempts run (absent while the conductor loads)."""


class HistoryParams(TypedDict):
    job_id: str
    sheet: NotRequired[int]
    limit: NotRequired[int]
    """At most this many attempts, the newest (50)."""
    tail_lines: NotRequired[int]
    """The last lines of each attempt's stdout and stderr to include (5; at most 200)."""


class ErrorsParams(HistoryParams):
    type: NotRequired[str]
    """transient, rate_limit or permanent (see `podium.domain.codes.error_type`)."""
    code: NotRequired[str]
    """Only this error code (E001…)."""


class AttemptDetailInfo(AttemptInfo):
    """One attempt as `history` and `errors` show it."""

    sheet: int
    exited_at: float | None
    signal: int | None
    error: str | None
    error_type: str | None
    """transient, rate_limit or permanent; None when it did not end badly."""
    mode: str
    stdout_tail: str
    stderr_tail: str
    logs: str
    """The folder of its files: attempt-<k>.prompt, .stdout.log, .stderr.log."""


class AttemptsResult(TypedDict):
    job_id: str
    status: str
    attempts: list[AttemptDetailInfo]
    """Newest first."""
    total: int
    """How many attempts match; more than listed when the limit cut them."""
    hooks: list[HookInfo]
    """The job's on_success hooks (of its latest run)."""


class DiagnoseParams(TypedDict):
    job_id: str
    tail_lines: NotRequired[int]
    """The last lines of each failed attempt's stdout and stderr (10; at most 200)."""


class JobFilesInfo(TypedDict):
    state: str
    """The job's folder in the conductor's state folder (its attempts' prompts and output)."""
    workspace_logs: str
    """Where the latest attempt of each sheet leaves a redacted copy of its output."""
    conductor_log: str


class DiagnoseResult(TypedDict):
    job: JobStatusResult
    notes: list[NoteInfo]
    """The job's history, oldest first (the latest 200)."""
    attempts: list[AttemptDetailInfo]
    """The latest attempts, newest first, without output tails: the timeline."""
    total_attempts: int
    errors: list[AttemptDetailInfo]
    """The latest failed attempts, newest first, with their output tails."""
    total_errors: int
    files: JobFilesInfo


class LogCursorInfo(TypedDict):
    sheet: int
    attempt: int
    stdout: int
    stderr: int
    """Offsets read so far in each stream of that attempt."""


class LogsParams(TypedDict):
    job_id: str
    sheet: NotRequired[int]
    lines: NotRequired[int]
    """Without cursors: the last lines of each stream (50)."""
    cursors: NotRequired[list[LogCursorInfo]]
    """Following: what was read so far; the answer holds only what is new."""


class LogTextInfo(TypedDict):
    text: str
    start: int
    end: int
    """The offset to go on from."""
    path: str


class SheetLogInfo(TypedDict):
    sheet: int
    attempt: int
    status: str
    """The sheet's status: running or validating while its attempt is in flight."""
    stdout: LogTextInfo
    stderr: LogTextInfo


class LogsResult(TypedDict):
    job_id: str
    status: str
    resume_when_idle: bool
    sheets: list[SheetLogInfo]


class ConfigResult(TypedDict):
    """`daemon.config`: the settings in force and where they came from."""

    config_file: str
    file_exists: bool
    profile: str | None
    """The built-in profile the conductor was started with, laid over the file."""
    settings: dict[str, object]
    """Every setting (conductor.yaml's keys), with the value in force."""
    warnings: list[str]
    socket: str
    log_file: str


class ReloadResult(TypedDict):
    """`daemon.reload`: what re-reading conductor.yaml changed."""

    config_file: str
    profile: str | None
    changed: list[str]
    """`key: old → new`, one per setting."""
    needs_restart: list[str]
    """Changed settings a running conductor cannot apply (socket.path)."""
    warnings: list[str]


class StreamPosition(TypedDict):
    """Where a subscriber stopped reading: the stream (one per conductor run) and the number
    of the last event it took."""

    stream: str
    seq: int


class OutputWanted(TypedDict):
    """A sheet whose attempts' output lines a subscriber wants, as they are written."""

    job_id: str
    sheet: NotRequired[int]
    """Absent: every sheet of the job."""


class SubscribeParams(TypedDict):
    job_ids: NotRequired[list[str]]
    """Only the events of these jobs, and those of the conductor as a whole (pressure, rate
    limits). Absent: every job's."""
    kinds: NotRequired[list[str]]
    """Only these kinds of event (`podium.domain.feed.KINDS`). Absent: every kind but
    `output`, which comes only for the sheets named in `output`."""
    since: NotRequired[StreamPosition]
    """Where an earlier subscription stopped: the events it missed come first, or `gap` says
    they are gone (the conductor restarted, or more happened than it keeps)."""
    output: NotRequired[list[OutputWanted]]
    """Also the lines these sheets' attempts write, stdout and stderr, as `output` events."""
    snapshot: NotRequired[bool]
    """Answer with the jobs as they stand at `seq` too (`jobs`), so that the events that
    follow apply to it without a gap or a duplicate."""


class SubscribeResult(TypedDict):
    stream: str
    """This conductor run's stream: positions of another one mean nothing to it."""
    seq: int
    """The number of the last event before this subscription: every event that follows has a
    greater one, and they come in order without a hole."""
    replayed: int
    """How many of the events that follow are missed ones, replayed from `since`."""
    gap: bool
    """`since` was given but the events after it are gone: take a fresh snapshot."""
    jobs: NotRequired[list[JobInfo]]
    """With `snapshot`: every job, as it stands at `seq`."""


class StreamEvent(TypedDict):
    """One change, as the conductor committed it (the params of an `events.event`
    notification that follows a subscription)."""

    seq: int
    at: float
    """When it was committed (seconds since the epoch)."""
    kind: str
    """job, sheet, attempt, checks, note, hook, rate_limit, pressure, fleet or output."""
    job_id: str | None
    """None for the conductor's own: pressure, rate limits."""
    data: dict[str, Any]
    """What changed, whole (applying an event twice changes nothing): see docs/events.md."""


class ProcessRow(TypedDict):
    """One process of an attempt's process group, as measured now."""

    job_id: str
    sheet: int
    attempt: int
    pid: int
    ppid: int
    command: str
    cpu_percent: float | None
    """Since the previous `daemon.processes` (None the first time it is seen)."""
    memory_mb: float
    started_at: float
    instrument: str | None
    model: str | None


class ProcessesResult(TypedDict):
    conductor: ProcessRow
    """The conductor itself (job_id "", sheet 0, attempt 0)."""
    processes: list[ProcessRow]
    """Every running attempt's processes, by job, sheet and attempt, parents first."""
    sampled_at: float
