"""The catalog of compiled scores: a queued job's score is released, and rebuilt unchanged
from its snapshot when the job needs it."""

import asyncio
import textwrap
from pathlib import Path

from podium.conductor.compiler import ScoreJob
from podium.domain.commands import Persist, Rejected
from podium.domain.ids import JobId, SheetNum
from podium.domain.records import JobRecord, JobSpec
from podium.domain.status import JobStatus
from podium.domain.work import AttemptRequest, SheetWork
from podium.instruments.registry import discover
from podium.runtime.jobs.catalog import JobCatalog
from podium.score.compiled import compile_score

SCORE = """
name: demo
workspace: ./ws
instrument: cli
sheet:
  size: 1
  total_items: 2
  skip_when_command: {2: {command: 'test -e {workspace}/skip'}}
prompt: {template: 'echo sheet {{ sheet_num }} of {{ total_sheets }}'}
validations:
  - {type: file_exists, path: '{workspace}/out-{{ sheet_num }}.txt'}
notifications:
  - {type: webhook, config: {url: 'http://127.0.0.1:9/hook'}}
workspace_lifecycle: {archive_on_fresh: true}
"""


def compiled(tmp_path: Path) -> ScoreJob:
    return ScoreJob(compile_score(textwrap.dedent(SCORE), tmp_path / "demo.yaml"), discover(None))


def request() -> AttemptRequest:
    return AttemptRequest(attempt=1, instrument="cli", model=None)


def work(job: ScoreJob, tmp_path: Path) -> SheetWork:
    return job.work(SheetNum(1), tmp_path / "prompt", request())


def record(status: JobStatus) -> JobRecord:
    return JobRecord(JobId("demo"), "demo", "/demo.yaml", "/ws", status, 0.0, 2)


def test_a_released_score_is_rebuilt_unchanged_when_the_job_needs_it(tmp_path: Path) -> None:
    job, fresh = compiled(tmp_path), compiled(tmp_path)
    snapshot = job.snapshot
    job.release()
    # What a waiting job is known by needs no compiled score.
    assert (job.plan, job.workspace, job.notifications, job.archive_policy) == (
        fresh.plan,
        fresh.workspace,
        fresh.notifications,
        fresh.archive_policy,
    )
    assert job.snapshot == snapshot
    assert (work(job, tmp_path).argv, work(job, tmp_path).prompt) == (
        work(fresh, tmp_path).argv,
        work(fresh, tmp_path).prompt,
    )
    assert job.validations(SheetNum(1)) == fresh.validations(SheetNum(1))
    assert job.skip_command(SheetNum(2)) == fresh.skip_command(SheetNum(2))


def test_the_catalog_releases_the_scores_of_queued_jobs_only(tmp_path: Path) -> None:
    catalog = JobCatalog()
    queued, running = compiled(tmp_path), compiled(tmp_path)
    catalog.add(JobId("demo"), queued)
    catalog.add(JobId("other"), running)
    other = JobRecord(JobId("other"), "other", "/o.yaml", "/ws", JobStatus.RUNNING, 0.0, 2)
    catalog.committed([Persist(jobs=(record(JobStatus.QUEUED), other))])
    assert queued._score is None
    assert running._score is not None
    assert work(queued, tmp_path).prompt == work(running, tmp_path).prompt


def test_an_offered_score_is_found_until_the_answer_and_kept_only_when_taken(
    tmp_path: Path,
) -> None:
    async def main() -> None:
        catalog, loop = JobCatalog(), asyncio.get_running_loop()
        refused, taken = loop.create_future(), loop.create_future()
        job, other = compiled(tmp_path), compiled(tmp_path)
        catalog.offer(JobId("demo"), job, taken)
        catalog.offer(JobId("other"), other, refused)
        assert catalog.get(JobId("other")) is other  # a recheck's validations read it
        catalog.committed([Persist(jobs=(record(JobStatus.RUNNING),))])
        for answer in (refused, taken):
            answer.set_result(Rejected("no"))
        await asyncio.sleep(0)
        assert catalog.find(JobId("demo")) is job
        assert catalog.find(JobId("other")) is None

    asyncio.run(main())


def test_an_offered_new_score_is_staged_when_committed_as_the_jobs_spec(tmp_path: Path) -> None:
    async def main() -> None:
        catalog, loop = JobCatalog(), asyncio.get_running_loop()
        current, new = compiled(tmp_path), compiled(tmp_path)
        catalog.add(JobId("demo"), current)
        answer = loop.create_future()
        catalog.offer(JobId("demo"), new, answer, key="new")
        assert catalog.get(JobId("demo")) is current  # a new score waits for its switch
        spec = JobSpec(JobId("demo"), new.plan, new.snapshot)
        catalog.committed([Persist(specs=(spec,))])
        answer.set_result(Rejected("no"))
        await asyncio.sleep(0)
        catalog.promote(JobId("demo"), "new")
        assert catalog.get(JobId("demo")) is new

    asyncio.run(main())
