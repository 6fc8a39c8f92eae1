"""A resume the engine refuses leaves nothing behind in the catalog (neither the finished job's
score nor the new score read for it); one it takes keeps both, and the job runs on its new
score."""

import hashlib
import textwrap
from pathlib import Path

import pytest

from podium.conductor.compiler import ScoreCompiler
from podium.domain.commands import Persist
from podium.domain.errors import InvalidState
from podium.domain.ids import JobId, SheetNum
from podium.domain.records import JobRecord, JobSpec, SheetRecord
from podium.domain.status import JobStatus, SheetStatus
from podium.store.sqlite import SqliteStore
from tests.unit.runtime.jobs.harness import Jobs, with_jobs

SCORE = """
    name: build
    workspace: ./ws
    instrument: cli
    sheet: {size: 1, total_items: TOTAL}
    prompt: {template: 'true'}
"""
JOB = JobId("build")


def write(folder: Path, total: int) -> Path:
    score = folder / "build.yaml"
    score.write_text(textwrap.dedent(SCORE.replace("TOTAL", str(total))))
    return score


def store_finished(store: SqliteStore, score: Path, status: JobStatus) -> None:
    """A job of `score` that ended with `status`, as the store keeps it."""
    compiled = ScoreCompiler().compile(score)
    total = compiled.plan.total_sheets
    sheet = SheetStatus.COMPLETED if status is JobStatus.COMPLETED else SheetStatus.CANCELLED
    record = JobRecord(JOB, "build", str(score), str(compiled.workspace), status, 0.5, total)
    sheets = tuple(SheetRecord(JOB, SheetNum(n), sheet, 0.5) for n in range(1, total + 1))
    spec = JobSpec(JOB, compiled.plan, compiled.snapshot)
    store.commit([Persist(jobs=(record,), specs=(spec,), sheets=sheets)])


def test_a_refused_resume_leaves_no_score_in_the_catalog(tmp_path: Path) -> None:
    score = write(tmp_path, 2)

    async def body(jobs: Jobs) -> None:
        store_finished(jobs.store, score, JobStatus.COMPLETED)
        write(tmp_path, 3)  # read again for the resume: a new score to stage
        with pytest.raises(InvalidState, match="has completed"):
            await jobs.answered(jobs.control.resume(JOB, reload=True))
        assert jobs.catalog.find(JOB) is None
        for key in ("", "x"):
            jobs.catalog.promote(JOB, key)
        assert jobs.catalog.find(JOB) is None
        assert jobs.engine.view(JOB) is None

    with_jobs(tmp_path, body)


def test_a_resume_taken_keeps_the_jobs_score_and_runs_its_new_one(tmp_path: Path) -> None:
    score = write(tmp_path, 2)

    async def body(jobs: Jobs) -> None:
        store_finished(jobs.store, score, JobStatus.CANCELLED)
        write(tmp_path, 3)
        await jobs.answered(jobs.control.resume(JOB, reload=True))
        assert jobs.catalog.get(JOB).plan.total_sheets == 3
        view = jobs.engine.view(JOB)
        assert view is not None and view.job.total_sheets == 3

    with_jobs(tmp_path, body)


def test_a_modify_taken_while_attempts_run_stages_its_score_until_the_switch(
    tmp_path: Path,
) -> None:
    score = write(tmp_path, 2)

    async def body(jobs: Jobs) -> None:
        await jobs.answered(jobs.admission.submit(str(score), None))
        new = write(tmp_path, 3)
        message = await jobs.answered(jobs.control.modify(JOB, str(new), None))
        assert "attempt(s) in flight" in message
        assert jobs.catalog.get(JOB).plan.total_sheets == 2  # its attempts run the old one
        snapshot = ScoreCompiler().compile(new).snapshot
        jobs.catalog.promote(JOB, hashlib.sha256(snapshot.encode()).hexdigest()[:16])
        assert jobs.catalog.get(JOB).plan.total_sheets == 3

    with_jobs(tmp_path, body)
