"""A queued job recovered uncompiled: compiled on first need, released again, and a score that
no longer compiles reported once without ever breaking what asks the entry."""

import asyncio
import textwrap
from pathlib import Path

import pytest

from podium.conductor.compiler import ScoreCompiler, ScoreJob
from podium.domain.errors import UserError
from podium.domain.events import StoredScoreBroken
from podium.domain.ids import JobId, SheetNum
from podium.domain.records import Carried, JobRecord
from podium.domain.status import JobStatus
from podium.domain.work import AttemptRequest
from podium.runtime.jobs.catalog import JobCatalog
from podium.runtime.jobs.deferred import DeferredJob
from podium.runtime.restart import check_deferred
from tests.unit.runtime.jobs.test_catalog import SCORE


def fixture(
    tmp_path: Path, snapshot: str | None = None, compiler: ScoreCompiler | None = None
) -> tuple[DeferredJob, ScoreJob, list[StoredScoreBroken]]:
    """A deferred entry of the demo score (or of `snapshot`), what it compiles to, and the
    `StoredScoreBroken` events it posted."""
    path = tmp_path / "demo.yaml"
    path.write_text(textwrap.dedent(SCORE))
    compiler = compiler or ScoreCompiler()
    fresh = compiler.compile(path)
    record = JobRecord(
        JobId("demo"), "demo", str(path), str(tmp_path / "recorded"), JobStatus.QUEUED, 0.0, 2
    )
    posted: list[StoredScoreBroken] = []
    entry = DeferredJob(record, fresh.plan, snapshot or fresh.snapshot, compiler, posted.append)
    return entry, fresh, posted


def request() -> AttemptRequest:
    return AttemptRequest(attempt=1, instrument="cli", model=None)


def test_what_a_queued_job_is_known_by_needs_no_compile(tmp_path: Path) -> None:
    entry, fresh, _ = fixture(tmp_path)
    assert (entry.plan, entry.snapshot) == (fresh.plan, fresh.snapshot)
    compiled_before = entry.checked
    work = entry.work(SheetNum(1), tmp_path / "prompt", request())
    assert work.prompt == fresh.work(SheetNum(1), tmp_path / "prompt", request()).prompt
    assert (compiled_before, entry.checked) == (False, True)
    entry.release()
    assert entry.notifications == fresh.notifications  # kept from the compile
    assert (entry.workspace, entry.workspace_override) == (fresh.workspace, None)
    assert entry.validations(SheetNum(1)) == fresh.validations(SheetNum(1))
    assert entry.skip_command(SheetNum(2)) == fresh.skip_command(SheetNum(2))
    assert (entry.archive_policy, entry.isolation) == (fresh.archive_policy, fresh.isolation)


def test_a_stored_score_that_no_longer_compiles_is_reported_once_and_breaks_nothing(
    tmp_path: Path,
) -> None:
    entry, _, posted = fixture(tmp_path, snapshot="name: [")
    assert entry.notifications == ()
    assert (entry.validations(SheetNum(1)), entry.skip_command(SheetNum(1))) == ((), None)
    assert entry.workspace == tmp_path / "recorded"
    assert (entry.archive_policy, entry.isolation) == (None, None)
    with pytest.raises(UserError, match=r"its stored score no longer compiles: .*demo\.yaml"):
        entry.work(SheetNum(1), tmp_path / "prompt", request())
    assert entry.workspace_override is None  # a modify may bring it a score that compiles
    entry.check()
    assert posted == [StoredScoreBroken(JobId("demo"), entry.problem or "")]
    assert "the job's stored score cannot be read" in posted[0].reason


def test_the_background_pass_checks_only_the_entries_still_in_use(tmp_path: Path) -> None:
    catalog = JobCatalog()
    kept, _, _ = fixture(tmp_path)
    ended, _, _ = fixture(tmp_path)
    replaced, fresh, _ = fixture(tmp_path)
    catalog.add(JobId("kept"), kept)
    catalog.add(JobId("ended"), ended)
    catalog.add(JobId("replaced"), replaced)
    catalog.add(JobId("compiled"), fresh)
    assert [job_id for job_id, _ in catalog.deferred()] == ["kept", "ended", "replaced"]
    catalog.forget(JobId("ended"))
    catalog.add(JobId("replaced"), fresh)
    asyncio.run(check_deferred(catalog, ScoreCompiler()))
    assert (kept.checked, ended.checked, replaced.checked) == (True, False, False)


class CountingCompiler(ScoreCompiler):
    def __init__(self) -> None:
        super().__init__()
        self.compiles = 0

    def compile(
        self,
        path: Path,
        snapshot: str | None = None,
        workspace: str | None = None,
        environment: Carried | None = None,
        *,
        rehearsal: bool = False,
    ) -> ScoreJob:
        self.compiles += 1
        return super().compile(path, snapshot, workspace, environment, rehearsal=rehearsal)


def test_what_the_score_says_of_the_job_is_kept_once_it_is_released(tmp_path: Path) -> None:
    counting = CountingCompiler()
    entry, fresh, _ = fixture(tmp_path, compiler=counting)
    compiled_for_the_fixture = counting.compiles
    entry.check()
    for _ in range(3):
        assert (entry.workspace, entry.isolation, entry.archive_policy) == (
            fresh.workspace,
            fresh.isolation,
            fresh.archive_policy,
        )
        assert entry.notifications == fresh.notifications
    assert counting.compiles == compiled_for_the_fixture + 1


@pytest.mark.parametrize(
    ("snapshot", "rehearsal"),
    [
        ('{"score": "name: [", "template_file": null, "rehearsal": true}', True),
        ('{"score": "name: [", "template_file": null}', False),
        ("not json", False),
    ],
)
def test_a_broken_stored_score_still_says_whether_it_was_a_rehearsal(
    tmp_path: Path, snapshot: str, rehearsal: bool
) -> None:
    """A modify brings the job a new score: a rehearsal must stay one."""
    entry, _, _ = fixture(tmp_path, snapshot=snapshot)
    assert entry.rehearsal is rehearsal


def test_a_queued_rehearsal_is_known_as_one(tmp_path: Path) -> None:
    compiler = ScoreCompiler()
    path = tmp_path / "demo.yaml"
    path.write_text(textwrap.dedent(SCORE))
    snapshot = compiler.compile(path, rehearsal=True).snapshot
    entry, _, _ = fixture(tmp_path, snapshot=snapshot, compiler=compiler)
    assert entry.rehearsal
    played = AttemptRequest(attempt=1, instrument="rehearsal", model=None)
    work = entry.work(SheetNum(1), tmp_path / "prompt", played)
    assert Path(work.argv[0]).name == "podium-fake-agent"
    assert "--satisfy" in work.argv
