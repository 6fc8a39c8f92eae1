"""What a job carries of its client's environment, through submission, resume and modify:
a resume takes the resuming shell's (the person resuming is fixing what the job lacked), a
resume without one and a modify keep the job's."""

import textwrap
from pathlib import Path

from podium.conductor.compiler import EnvironmentPolicy, ScoreCompiler
from podium.domain.commands import Persist
from podium.domain.ids import JobId, SheetNum
from podium.domain.records import Carried, JobRecord, JobSpec, SheetRecord
from podium.domain.status import JobStatus, SheetStatus
from tests.unit.runtime.jobs.harness import Jobs, with_jobs

SCORE = """
    name: build
    workspace: ./ws
    instrument: cli
    sheet: {size: 1, total_items: 1}
    prompt: {template: 'true'}
"""
JOB = JobId("build")
SUBMITTED: Carried = (("PATH", "/submitted/bin"),)
RESUMED: Carried = (("PATH", "/resumed/bin"),)


def write(folder: Path) -> Path:
    score = folder / "build.yaml"
    score.write_text(textwrap.dedent(SCORE))
    return score


def test_a_submission_keeps_only_what_the_instruments_and_the_allow_list_name(
    tmp_path: Path,
) -> None:
    sent = (("DEPLOY_KEY", "d"), ("OTHER_TOKEN", "o"), ("PATH", "/u/bin"), ("TOOL_MODE", "m"))
    wide = ScoreCompiler(policy=lambda: EnvironmentPolicy(True, ("DEPLOY_KEY", "TOOL_*")))
    assert wide.compile(write(tmp_path), environment=sent).environment == (
        ("DEPLOY_KEY", "d"),
        ("PATH", "/u/bin"),
        ("TOOL_MODE", "m"),
    )
    assert ScoreCompiler().compile(write(tmp_path), environment=sent).environment == (
        ("PATH", "/u/bin"),
    )
    off = ScoreCompiler(policy=lambda: EnvironmentPolicy(from_client=False))
    assert off.compile(write(tmp_path), environment=sent).environment is None


def test_the_redactor_learns_the_carried_secrets(tmp_path: Path) -> None:
    learned: dict[str, str] = {}
    compiler = ScoreCompiler(
        secrets=learned.update, policy=lambda: EnvironmentPolicy(True, ("A_KEY",))
    )
    compiler.compile(write(tmp_path), environment=(("A_KEY", "secret-value"),))
    assert learned == {"A_KEY": "secret-value"}


def test_an_attempt_searches_the_carried_path_before_the_conductors(tmp_path: Path) -> None:
    job = ScoreCompiler().compile(write(tmp_path), environment=(("PATH", "/carried/bin"),))
    assert job.parent_env()["PATH"].startswith("/carried/bin:")
    assert (
        ScoreCompiler().compile(write(tmp_path)).parent_env()["PATH"]
        == (ScoreCompiler().compile(write(tmp_path)).parent_env()["PATH"])
    )


def store_failed(jobs: Jobs, score: Path) -> None:
    compiled = ScoreCompiler().compile(score, environment=SUBMITTED)
    record = JobRecord(JOB, "build", str(score), str(compiled.workspace), JobStatus.FAILED, 0.5, 1)
    sheets = (SheetRecord(JOB, SheetNum(1), SheetStatus.FAILED, 0.5),)
    spec = JobSpec(JOB, compiled.plan, compiled.snapshot, environment=compiled.environment)
    jobs.store.commit([Persist(jobs=(record,), specs=(spec,), sheets=sheets)])


def test_a_resume_takes_the_resuming_shells_environment(tmp_path: Path) -> None:
    score = write(tmp_path)

    async def body(jobs: Jobs) -> None:
        store_failed(jobs, score)
        await jobs.answered(jobs.control.resume(JOB, reload=False, environment=RESUMED))
        assert jobs.store.environment(JOB) == RESUMED
        assert jobs.catalog.get(JOB).environment == RESUMED

    with_jobs(tmp_path, body)


def test_a_resume_without_an_environment_keeps_the_jobs(tmp_path: Path) -> None:
    score = write(tmp_path)

    async def body(jobs: Jobs) -> None:
        store_failed(jobs, score)
        await jobs.answered(jobs.control.resume(JOB, reload=True))
        assert jobs.store.environment(JOB) == SUBMITTED
        assert jobs.catalog.get(JOB).environment == SUBMITTED

    with_jobs(tmp_path, body)


def test_a_paused_job_resumed_from_another_shell_switches_to_its_environment(
    tmp_path: Path,
) -> None:
    score = write(tmp_path)

    async def body(jobs: Jobs) -> None:
        await jobs.answered(jobs.admission.submit(str(score), None, environment=SUBMITTED))
        await jobs.answered(jobs.control.pause(JOB, force=True))
        assert jobs.store.environment(JOB) == SUBMITTED
        await jobs.answered(jobs.control.resume(JOB, reload=False, environment=RESUMED))
        assert jobs.store.environment(JOB) == RESUMED

    with_jobs(tmp_path, body)


def test_a_modify_keeps_the_jobs_environment(tmp_path: Path) -> None:
    score = write(tmp_path)

    async def body(jobs: Jobs) -> None:
        await jobs.answered(jobs.admission.submit(str(score), None, environment=SUBMITTED))
        await jobs.answered(jobs.control.modify(JOB, str(score), None))
        assert jobs.store.environment(JOB) == SUBMITTED

    with_jobs(tmp_path, body)
