"""What the runtime needs from the parts the composition root plugs in.

The runtime defines these protocols and the adapters satisfy them structurally, so the runtime
never imports the store, the score reader or the instruments.
"""

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from podium.domain.commands import Persist
from podium.domain.ids import JobId, SheetNum
from podium.domain.plan import JobPlan
from podium.domain.records import (
    ActiveJob,
    AttemptRecord,
    JobRecord,
    ProcessInfo,
    RateLimitRecord,
    StoredJob,
    Usage,
)
from podium.domain.status import JobStatus
from podium.domain.validation import ValidationRule
from podium.domain.work import AttemptRequest, SheetWork
from podium.runtime.archive import ArchivePolicy


class Store(Protocol):
    def commit(self, batch: Sequence[Persist]) -> None:
        """Write every record of the batch in one durable transaction."""

    def record_process(
        self, job_id: JobId, sheet: SheetNum, attempt: int, process: ProcessInfo
    ) -> None: ...

    def get_job(self, job_id: JobId) -> StoredJob | None: ...

    def snapshot(self, job_id: JobId) -> str | None: ...

    def rate_limits(self) -> list[RateLimitRecord]: ...

    def list_jobs(self, *, statuses: Sequence[JobStatus] | None, limit: int) -> list[JobRecord]: ...

    def count_jobs(self) -> int: ...

    def latest_attempts(
        self, job_id: JobId, sheets: Sequence[SheetNum]
    ) -> dict[SheetNum, AttemptRecord]: ...

    def usage(self, job_id: JobId) -> Usage: ...

    def skipped_sheets(self, job_id: JobId) -> list[SheetNum]: ...

    def taken_ids(self, stem: str) -> set[str]:
        """Ids of stored jobs that are `stem` or `stem-<something>`."""

    def load_active(self) -> list[ActiveJob]: ...


class CompiledJob(Protocol):
    """A job's score, compiled: its plan and, per sheet, the work to run and the checks."""

    @property
    def plan(self) -> JobPlan: ...

    @property
    def workspace(self) -> Path: ...

    @property
    def snapshot(self) -> str:
        """Everything the job needs from its score files, frozen at submission: a restart
        recompiles the job from it, not from files that may have changed since."""

    def work(self, sheet: SheetNum, prompt_file: Path, request: AttemptRequest) -> SheetWork:
        """The attempt's work: its command, environment and prompt, and how to read its
        output. `prompt_file` will hold the prompt when the process starts. Raises UserError
        when it cannot be run (no such instrument, its program is not installed)."""

    def validations(self, sheet: SheetNum) -> tuple[ValidationRule, ...]: ...

    @property
    def archive_policy(self) -> ArchivePolicy | None:
        """How to archive the workspace for a fresh run; None when the score does not ask."""

    def skip_command(self, sheet: SheetNum) -> str | None:
        """The sheet's `skip_when_command`, placeholders filled in (values shell-quoted)."""


class Compiler(Protocol):
    def compile(self, path: Path, snapshot: str | None = None) -> CompiledJob:
        """Compile the score at `path` (or its `snapshot`, as if read from `path`); raise
        UserError."""
