"""The compiled scores of the jobs the conductor is running, by job id."""

from podium.domain.ids import JobId
from podium.runtime.ports import CompiledJob


class JobCatalog:
    def __init__(self) -> None:
        self._jobs: dict[JobId, CompiledJob] = {}

    def add(self, job_id: JobId, job: CompiledJob) -> None:
        self._jobs[job_id] = job

    def get(self, job_id: JobId) -> CompiledJob:
        try:
            return self._jobs[job_id]
        except KeyError:
            raise KeyError(f"job {job_id} has no compiled score in this conductor") from None

    def forget(self, job_id: JobId) -> None:
        self._jobs.pop(job_id, None)
