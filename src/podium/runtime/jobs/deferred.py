"""A queued job recovered without compiling its score: compiled on first need.

A restart with thousands of queued jobs would spend most of its time compiling scores that
are released again at once (a queued job needs only what it is known by). So a job queued
with nothing in flight comes back as a `DeferredJob`: its stored plan and snapshot answer at
once, and anything else compiles the score from the snapshot, as the recovery used to. Once
the conductor is ready, `podium.runtime.restart.check_deferred` compiles them all in the
background, in queue order, so that a score that no longer compiles is found early.

A score that no longer compiles is reported once (`StoredScoreBroken`: the job fails with the
reason). What the engine loop and its workers ask of a broken entry never raises: it has no
notifications, validations or skip command, and runs in its recorded workspace. Only `work`
raises, as `UserError`, where its caller expects one. What a compiled score says of the job
(workspace, isolation, notifications…) is kept when the score is released again.
"""

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from podium.domain.errors import UserError
from podium.domain.events import StoredScoreBroken
from podium.domain.ids import SheetNum
from podium.domain.isolation import Isolation
from podium.domain.notices import Notification
from podium.domain.plan import JobPlan
from podium.domain.records import Carried, JobRecord
from podium.domain.shell import ShellCommand
from podium.domain.validation import ValidationRule
from podium.domain.work import AttemptRequest, ReviewRequest, ReviewWork, SheetWork
from podium.runtime.conductor_log import job_fields
from podium.runtime.ports import CompiledJob, Compiler
from podium.runtime.worktrees.archive import ArchivePolicy

log = logging.getLogger(__name__)

Broken = Callable[[StoredScoreBroken], None]


@dataclass(frozen=True, slots=True)
class _Known:
    workspace: Path
    workspace_override: str | None
    rehearsal: bool
    isolation: Isolation | None
    archive_policy: ArchivePolicy | None
    notifications: tuple[Notification, ...]


class DeferredJob:
    """A recovered queued job's score, compiled when first needed (see the module)."""

    def __init__(
        self,
        record: JobRecord,
        plan: JobPlan,
        snapshot: str,
        compiler: Compiler,
        broken: Broken,
        *,
        environment: Carried | None = None,
    ) -> None:
        self._record = record
        self._environment = environment
        self._plan = plan
        self._snapshot = snapshot
        self._compiler = compiler
        self._broken = broken
        self._job: CompiledJob | None = None
        self._known: _Known | None = None
        """What the compiled score said, kept when it is released again."""
        self.problem: str | None = None
        """Why the stored score does not compile; None: it does, or was not tried yet."""

    @property
    def checked(self) -> bool:
        """The score was compiled once (or found broken)."""
        return self._known is not None or self.problem is not None

    def check(self) -> None:
        """Compile the score once to know it compiles, and release it again."""
        if not self.checked and self._compiled() is not None:
            self.release()

    def _compiled(self) -> CompiledJob | None:
        if self._job is None and self.problem is None:
            try:
                self._job = self._compiler.compile(
                    Path(self._record.score_path), self._snapshot, environment=self._environment
                )
            except UserError as exc:
                self.problem = str(exc)
                job_id = self._record.job_id
                log.error("job %s cannot go on: %s", job_id, exc, extra=job_fields(job_id))
                self._broken(StoredScoreBroken(job_id, self.problem))
                return None
            job = self._job
            self._known = _Known(
                job.workspace,
                job.workspace_override,
                job.rehearsal,
                job.isolation,
                job.archive_policy,
                job.notifications,
            )
        return self._job

    def _facts(self) -> _Known | None:
        """What the score says, compiling it the first time only; None when it is broken."""
        if self._known is None:
            self._compiled()
        return self._known

    def _required(self) -> CompiledJob:
        job = self._compiled()
        if job is None:
            raise UserError(
                f"job {self._record.job_id} cannot go on: its stored score no longer compiles: "
                f"{self.problem}"
            )
        return job

    @property
    def plan(self) -> JobPlan:
        return self._plan

    @property
    def snapshot(self) -> str:
        return self._snapshot

    @property
    def environment(self) -> Carried | None:
        return self._environment

    @property
    def workspace(self) -> Path:
        known = self._facts()
        return known.workspace if known is not None else Path(self._record.workspace)

    @property
    def workspace_override(self) -> str | None:
        """None for a broken score: a modify then brings the job a new one."""
        known = self._facts()
        return known.workspace_override if known is not None else None

    @property
    def rehearsal(self) -> bool:
        """For a broken score, what its snapshot says: a modify keeps the job rehearsing."""
        known = self._facts()
        return known.rehearsal if known is not None else _rehearsal(self._snapshot)

    def work(self, sheet: SheetNum, prompt_file: Path, request: AttemptRequest) -> SheetWork:
        return self._required().work(sheet, prompt_file, request)

    def validations(self, sheet: SheetNum) -> tuple[ValidationRule, ...]:
        job = self._compiled()
        return job.validations(sheet) if job is not None else ()

    def review(self, sheet: SheetNum, request: ReviewRequest) -> ReviewWork | None:
        return self._required().review(sheet, request)

    def skip_command(self, sheet: SheetNum) -> ShellCommand | None:
        job = self._compiled()
        return job.skip_command(sheet) if job is not None else None

    @property
    def archive_policy(self) -> ArchivePolicy | None:
        known = self._facts()
        return known.archive_policy if known is not None else None

    @property
    def isolation(self) -> Isolation | None:
        known = self._facts()
        return known.isolation if known is not None else None

    @property
    def notifications(self) -> tuple[Notification, ...]:
        known = self._facts()
        return known.notifications if known is not None else ()

    def release(self) -> None:
        """Drop the compiled score whole; the next need compiles it again."""
        self._job = None


def _rehearsal(snapshot: str) -> bool:
    """Whether a snapshot, even of a score that no longer compiles, is of a rehearsal."""
    try:
        frozen = json.loads(snapshot)
    except ValueError:
        return False
    return isinstance(frozen, dict) and frozen.get("rehearsal") is True
