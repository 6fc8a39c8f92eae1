"""The compiled scores of the jobs the conductor is running, by job id.

A job being modified has more than one: the score its attempts in flight run on, and each new
score sent for it, staged under its key until the engine says which one the job runs on now
(`SwapScore`).

A request that needs a compiled score before the engine decides (a submission, a finished job
brought back, a new score for a job) *offers* it, for as long as the request waits for its
answer: an offered job score is found like the others meanwhile (a recheck's validations read
it), and becomes the job's own when a committed batch carries the job; an offered new score
is staged when a committed batch carries it as the job's spec. An offer the engine did not
take simply lapses with the answer, so a refused request leaves nothing behind, and nothing
needs undoing. (Observers see a commit before its effects: a job launched in the step that
accepts it finds its score.)

A queued job's score is released (see `CompiledJob.release`): ten thousand queued jobs cost
what they are known by, not ten thousand compiled scores. The catalog learns which jobs are
queued from what the engine commits. A queued job recovered after a restart is not even
compiled until needed (see `podium.runtime.jobs.deferred`).
"""

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from podium.domain.commands import Accepted, Persist, Rejected
from podium.domain.ids import JobId
from podium.domain.status import JobStatus
from podium.runtime.jobs.deferred import DeferredJob
from podium.runtime.ports import CompiledJob


@dataclass(frozen=True, eq=False, slots=True)
class _Offer:
    job_id: JobId
    job: CompiledJob
    key: str | None
    """For a new score, the key it would be staged under; None: the job's score itself."""


class JobCatalog:
    def __init__(self) -> None:
        self._jobs: dict[JobId, CompiledJob] = {}
        self._staged: dict[JobId, dict[str, CompiledJob]] = {}
        self._offers: dict[JobId, list[_Offer]] = {}

    def add(self, job_id: JobId, job: CompiledJob) -> None:
        self._jobs[job_id] = job

    def get(self, job_id: JobId) -> CompiledJob:
        found = self.find(job_id)
        if found is None:
            raise KeyError(f"job {job_id} has no compiled score in this conductor")
        return found

    def find(self, job_id: JobId) -> CompiledJob | None:
        found = self._jobs.get(job_id)
        if found is not None:
            return found
        offered = [o.job for o in self._offers.get(job_id, ()) if o.key is None]
        return offered[-1] if offered else None

    def deferred(self) -> list[tuple[JobId, DeferredJob]]:
        """The jobs whose score is compiled on first need, in the order they were added."""
        return [(i, job) for i, job in self._jobs.items() if isinstance(job, DeferredJob)]

    def offer(
        self,
        job_id: JobId,
        job: CompiledJob,
        answer: asyncio.Future[Accepted | Rejected],
        key: str | None = None,
    ) -> None:
        """Offer `job` until `answer` is done: as the job's score, or with `key` as a new
        score to stage (see the module)."""
        offer = _Offer(job_id, job, key)
        self._offers.setdefault(job_id, []).append(offer)
        answer.add_done_callback(lambda _: self._lapse(offer))

    def _lapse(self, offer: _Offer) -> None:
        offers = self._offers.get(offer.job_id, [])
        if offer in offers:
            offers.remove(offer)
        if not offers:
            self._offers.pop(offer.job_id, None)

    def promote(self, job_id: JobId, key: str) -> None:
        """The job runs on the score staged under `key` now; the others are dropped."""
        staged = self._staged.pop(job_id, {})
        if key in staged:
            self._jobs[job_id] = staged[key]

    def committed(self, batch: Sequence[Persist]) -> None:
        """An engine-loop observer: the offers the engine took are kept; the scores of jobs
        that are queued are released."""
        if self._offers:
            self._take_offers(batch)
        for persist in batch:
            for record in persist.jobs:
                if record.status is JobStatus.QUEUED and (job := self._jobs.get(record.job_id)):
                    job.release()

    def _take_offers(self, batch: Sequence[Persist]) -> None:
        for persist in batch:
            for record in persist.jobs:
                offered = [o for o in self._offers.get(record.job_id, ()) if o.key is None]
                if offered and record.job_id not in self._jobs:
                    self._jobs[record.job_id] = offered[-1].job
            for spec in persist.specs:
                for offer in self._offers.get(spec.job_id, ()):
                    if offer.key is not None and offer.job.snapshot == spec.snapshot:
                        self._staged.setdefault(spec.job_id, {})[offer.key] = offer.job

    def forget(self, job_id: JobId) -> None:
        self._jobs.pop(job_id, None)
        self._staged.pop(job_id, None)
