"""The compiled scores of the jobs the conductor is running, by job id.

A job being modified has two: the one its attempts in flight run on, and the new one, staged
until the engine says the job has switched (`SwapScore`).
"""

from podium.domain.ids import JobId
from podium.runtime.ports import CompiledJob


class JobCatalog:
    def __init__(self) -> None:
        self._jobs: dict[JobId, CompiledJob] = {}
        self._staged: dict[JobId, CompiledJob] = {}

    def add(self, job_id: JobId, job: CompiledJob) -> None:
        self._jobs[job_id] = job

    def has(self, job_id: JobId) -> bool:
        return job_id in self._jobs

    def get(self, job_id: JobId) -> CompiledJob:
        try:
            return self._jobs[job_id]
        except KeyError:
            raise KeyError(f"job {job_id} has no compiled score in this conductor") from None

    def stage(self, job_id: JobId, job: CompiledJob) -> None:
        """The job's next score; the current one stays in use until `promote`."""
        self._staged[job_id] = job

    def unstage(self, job_id: JobId) -> None:
        self._staged.pop(job_id, None)

    def promote(self, job_id: JobId) -> None:
        staged = self._staged.pop(job_id, None)
        if staged is not None:
            self._jobs[job_id] = staged

    def forget(self, job_id: JobId) -> None:
        self._jobs.pop(job_id, None)
        self._staged.pop(job_id, None)
