"""What the runtime needs from the parts the composition root plugs in.

The runtime defines these protocols and the adapters satisfy them structurally, so the runtime
never imports the store, the score reader or the instruments.
"""

from collections.abc import Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Protocol

from podium.domain.commands import Persist
from podium.domain.ids import JobId, SheetNum
from podium.domain.isolation import Isolation
from podium.domain.notices import Notification
from podium.domain.plan import JobPlan
from podium.domain.records import (
    ActiveJob,
    AttemptRecord,
    Carried,
    JobNote,
    JobRecord,
    ProcessInfo,
    RateLimitRecord,
    StoredJob,
    Usage,
)
from podium.domain.shell import ShellCommand
from podium.domain.status import JobStatus
from podium.domain.validation import ValidationRule
from podium.domain.work import AttemptRequest, ReviewRequest, ReviewWork, SheetWork
from podium.runtime.worktrees.archive import ArchivePolicy


class Store(Protocol):
    def commit(self, batch: Sequence[Persist]) -> None:
        """Write every record of the batch in one durable transaction."""

    def record_process(
        self,
        job_id: JobId,
        sheet: SheetNum,
        attempt: int,
        process: ProcessInfo,
        spawned_at: float | None = None,
    ) -> None:
        """The attempt's process, started at `spawned_at` (wall clock, once it runs)."""

    def record_hook_process(self, job_id: JobId, num: int, process: ProcessInfo) -> None: ...

    def record_hook_job(self, job_id: JobId, num: int, chained: JobId) -> None:
        """The job a `run_job` hook is about to submit, recorded durably first."""

    def get_job(self, job_id: JobId) -> StoredJob | None: ...

    def snapshot(self, job_id: JobId) -> str | None: ...

    def environment(self, job_id: JobId) -> Carried | None:
        """What the job carries of the environment it was submitted from."""

    def rate_limits(self) -> list[RateLimitRecord]: ...

    def list_jobs(self, *, statuses: Sequence[JobStatus] | None, limit: int) -> list[JobRecord]: ...

    def count_jobs(self, statuses: Sequence[JobStatus] | None = None) -> int: ...

    def latest_job(self, score_path: str) -> JobRecord | None:
        """The job submitted last for the score at `score_path`."""

    def delete_jobs(self, job_ids: Sequence[JobId]) -> int:
        """Remove finished jobs and all their rows; how many were removed."""

    def latest_attempts(
        self, job_id: JobId, sheets: Sequence[SheetNum]
    ) -> dict[SheetNum, AttemptRecord]: ...

    def attempts(
        self,
        job_id: JobId,
        *,
        sheet: SheetNum | None = None,
        failed: bool = False,
        codes: Sequence[str] | None = None,
        limit: int,
    ) -> tuple[list[AttemptRecord], int]:
        """A job's attempts, newest first, at most `limit`, and how many match."""

    def failed_attempts(self, job_id: JobId, limit: int) -> list[AttemptRecord]:
        """A job's attempts that ended badly (with an error code), newest first."""

    def feedback(self, job_id: JobId) -> dict[SheetNum, str]:
        """Each sheet's latest feedback (JSON text), for the sheets whose agents gave some."""

    def usage(self, job_id: JobId) -> Usage: ...

    def skipped_sheets(self, job_id: JobId) -> list[SheetNum]: ...

    def parent_of(self, job_id: JobId) -> JobId | None:
        """The job whose `run_job` hook submitted this one, if it is still stored."""

    def history(self, job_id: JobId, limit: int = ...) -> tuple[JobNote, ...]:
        """The job's latest `limit` notes, oldest first."""

    def job_for_key(self, submit_key: str) -> JobRecord | None:
        """The job submitted with this idempotency key, while it is stored."""

    def taken_ids(self, stem: str) -> set[str]:
        """Ids of stored jobs that are `stem` or `stem-<something>`."""

    def load_active(self) -> list[ActiveJob]: ...

    def load_in_progress(self) -> list[ActiveJob]:
        """The unfinished jobs that are not simply queued, and any with an attempt or a hook
        that may still run: what a restart reconciles first."""

    def backlog(self) -> list[JobId]:
        """The other unfinished jobs (queued, with nothing in flight), oldest first."""

    def load_unfinished(self, job_ids: Sequence[JobId]) -> list[ActiveJob]:
        """These jobs with what they need to go on, in this order."""

    def fleet_jobs(self) -> dict[JobId, JobId]:
        """The jobs of the fleets that have not ended, each with its fleet."""


class CompiledJob(Protocol):
    """A job's score, compiled: its plan and, per sheet, the work to run and the checks."""

    @property
    def plan(self) -> JobPlan: ...

    @property
    def workspace(self) -> Path: ...

    @property
    def workspace_override(self) -> str | None:
        """The folder `run --workspace` gave instead of the score's own; None: the score's."""

    @property
    def rehearsal(self) -> bool:
        """Every sheet is played by the fake agent (`run --rehearse`), whatever the score names."""

    @property
    def snapshot(self) -> str:
        """Everything the job needs from its score files, frozen at submission: a restart
        recompiles the job from it, not from files that may have changed since."""

    @property
    def environment(self) -> Carried | None:
        """The variables the job carries from the shell that submitted (or resumed) it, for
        its instruments; None: it runs with the conductor's environment alone."""

    def work(self, sheet: SheetNum, prompt_file: Path, request: AttemptRequest) -> SheetWork:
        """The attempt's work: its command, environment and prompt, and how to read its
        output. `prompt_file` will hold the prompt when the process starts. Raises UserError
        when it cannot be run (no such instrument, its program is not installed)."""

    def validations(self, sheet: SheetNum) -> tuple[ValidationRule, ...]: ...

    def review(self, sheet: SheetNum, request: ReviewRequest) -> ReviewWork | None:
        """The AI review of an attempt's work (`ai_review`); None when the score asks for
        none. Raises UserError when its instrument cannot run."""

    @property
    def archive_policy(self) -> ArchivePolicy | None:
        """How to archive the workspace for a fresh run; None when the score does not ask."""

    def skip_command(self, sheet: SheetNum) -> ShellCommand | None:
        """The sheet's `skip_when_command`, its placeholders references to environment
        variables that hold their values."""

    def release(self) -> None:
        """Drop what can be rebuilt from the snapshot (most of its memory), while the job
        waits; anything that needs it rebuilds it."""

    @property
    def isolation(self) -> Isolation | None:
        """The git worktree the score asks each job to run in; None: in the workspace."""

    @property
    def notifications(self) -> tuple[Notification, ...]:
        """Where the score asks for which of the job's events to be told."""


class Compiler(Protocol):
    def compile(
        self,
        path: Path,
        snapshot: str | None = None,
        workspace: str | None = None,
        environment: Carried | None = None,
        *,
        rehearsal: bool = False,
    ) -> CompiledJob:
        """Compile the score at `path` (or its `snapshot`, as if read from `path`), to run
        with `environment` (what a client carried) over the conductor's; raise UserError.
        With `rehearsal`, the fake agent plays every sheet (a snapshot says so itself)."""

    def batch(self) -> AbstractContextManager[None]:
        """Within it, the instrument profiles of a folder are read once (many compiles at
        once: a recovery)."""
