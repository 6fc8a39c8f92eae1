"""The parameters and results of each method, as TypedDicts: plain dicts on the wire, checked
by the server, readable by the client without importing anything heavy."""

from typing import NotRequired

from typing_extensions import TypedDict


class SubmitParams(TypedDict):
    score_path: str
    client_cwd: NotRequired[str]


class SubmitResult(TypedDict):
    job_id: str
    total_sheets: int
    workspace: str


class JobParams(TypedDict):
    job_id: str


class ListParams(TypedDict):
    all: NotRequired[bool]
    limit: NotRequired[int]


class NoParams(TypedDict):
    pass


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
    logs: str
    """The folder of the sheet's attempts: attempt-<k>.prompt, .stdout.log, .stderr.log."""


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
    total_sheets: int
    completed_sheets: int


class JobStatusResult(JobInfo):
    sheets: list[SheetInfo]


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
    running_sheets: int
    max_concurrent_sheets: int
    memory_mb: float
    state: str
    """'starting' while unfinished jobs are recovered, then 'ready', then 'stopping'."""
