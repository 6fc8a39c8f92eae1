"""The compiled scores of the jobs the conductor is running, by job id.

A job being modified has more than one: the score its attempts in flight run on, and each new
score sent for it, staged under its key until the engine says which one the job runs on now
(`SwapScore`).

A queued job's score is released (see `CompiledJob.release`): ten thousand queued jobs cost
what they are known by, not ten thousand compiled scores. The catalog learns which jobs are
queued from what the engine commits. A queued job recovered after a restart is not even
compiled until needed (see `podium.runtime.jobs.deferred`).
"""

from collections.abc import Sequence

from podium.domain.commands import Persist
from podium.domain.ids import JobId
from podium.domain.status import JobStatus
from podium.runtime.jobs.deferred import DeferredJob
from podium.runtime.ports import CompiledJob


class JobCatalog:
    def __init__(self) -> None:
        self._jobs: dict[JobId, CompiledJob] = {}
        self._staged: dict[JobId, dict[str, CompiledJob]] = {}

    def add(self, job_id: JobId, job: CompiledJob) -> None:
        self._jobs[job_id] = job

    def get(self, job_id: JobId) -> CompiledJob:
        try:
            return self._jobs[job_id]
        except KeyError:
            raise KeyError(f"job {job_id} has no compiled score in this conductor") from None

    def find(self, job_id: JobId) -> CompiledJob | None:
        return self._jobs.get(job_id)

    def deferred(self) -> list[tuple[JobId, DeferredJob]]:
        """The jobs whose score is compiled on first need, in the order they were added."""
        return [(i, job) for i, job in self._jobs.items() if isinstance(job, DeferredJob)]

    def stage(self, job_id: JobId, key: str, job: CompiledJob) -> None:
        """A possible next score; the current one stays in use until `promote`."""
        self._staged.setdefault(job_id, {})[key] = job

    def unstage(self, job_id: JobId, key: str) -> None:
        staged = self._staged.get(job_id, {})
        staged.pop(key, None)
        if not staged:
            self._staged.pop(job_id, None)

    def promote(self, job_id: JobId, key: str) -> None:
        """The job runs on the score staged under `key` now; the others are dropped."""
        staged = self._staged.pop(job_id, {})
        if key in staged:
            self._jobs[job_id] = staged[key]

    def committed(self, batch: Sequence[Persist]) -> None:
        """An engine-loop observer: the scores of jobs that are queued are released."""
        for persist in batch:
            for record in persist.jobs:
                if record.status is JobStatus.QUEUED and (job := self._jobs.get(record.job_id)):
                    job.release()

    def forget(self, job_id: JobId) -> None:
        self._jobs.pop(job_id, None)
        self._staged.pop(job_id, None)
