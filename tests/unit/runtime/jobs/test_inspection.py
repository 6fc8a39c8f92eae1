"""The inspector: attempts with their output tails, and output read from cursors, against a
real SQLite store and real files in a temporary state folder."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from podium.domain.commands import Persist
from podium.domain.errors import JobNotFound
from podium.domain.ids import JobId, SheetNum
from podium.domain.inspection import Cursor
from podium.domain.outcome import AttemptOutcome
from podium.domain.records import AttemptRecord, JobRecord, JobSpec, SheetRecord
from podium.domain.status import JobStatus, SheetStatus
from podium.domain.views import JobView, job_view
from podium.runtime.jobs.inspection import Inspector
from podium.runtime.layout import Layout
from podium.store.sqlite import SqliteStore
from podium.testing.harness import make_plan

JOB = JobId("demo")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    made = SqliteStore(tmp_path / "podium.db")
    record = JobRecord(JOB, "demo", "/s/demo.yaml", "/w", JobStatus.RUNNING, 1.0, 2)
    made.commit([Persist(jobs=(record,), specs=(JobSpec(JOB, make_plan(sheets=2), "x"),))])
    yield made
    made.close()


class Setup:
    def __init__(self, store: SqliteStore, tmp_path: Path) -> None:
        self.store = store
        self.layout = Layout(tmp_path / "jobs")
        self.sheets: dict[int, SheetRecord] = {}
        self.inspector = Inspector(
            store=store,
            layout=self.layout,
            redact=lambda t: t.replace("secret", "***"),
            view=self.view,
        )

    def view(self, job_id: str) -> JobView:
        if job_id != JOB:
            raise JobNotFound(f"no job '{job_id}'")
        stored = self.store.get_job(JOB)
        assert stored is not None
        return job_view(stored.record, stored.plan, self.sheets.values())

    def attempt(
        self, sheet: int, number: int, status: SheetStatus, out: str, err: str = ""
    ) -> None:
        self.sheets[sheet] = SheetRecord(JOB, SheetNum(sheet), status, 2.0, attempts=number)
        record = AttemptRecord(JOB, SheetNum(sheet), number, float(number), AttemptOutcome.FAILED)
        self.store.commit([Persist(attempts=(record,))])
        self.write(sheet, number, "stdout", out)
        self.write(sheet, number, "stderr", err)

    def write(self, sheet: int, number: int, stream: str, text: str) -> None:
        path = self.layout.attempt_file(JOB, SheetNum(sheet), number, f"{stream}.log")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


@pytest.fixture
def setup(store: SqliteStore, tmp_path: Path) -> Setup:
    return Setup(store, tmp_path)


def test_attempts_come_with_the_redacted_end_of_their_output(setup: Setup) -> None:
    setup.attempt(1, 1, SheetStatus.FAILED, "one\ntwo\nthree\n", "the secret\n")
    found = setup.inspector.attempts(JOB, limit=5, tail_lines=2)
    [detail] = found.attempts
    assert (detail.stdout, detail.stderr, found.total) == ("two\nthree\n", "the ***\n", 1)
    assert detail.folder == str(setup.layout.sheet_dir(JOB, SheetNum(1)))
    assert setup.inspector.attempts(JOB, limit=5).attempts[0].stdout == ""
    with pytest.raises(JobNotFound):
        setup.inspector.attempts("nope", limit=5)


def test_output_lists_the_last_lines_of_each_sheets_latest_attempt(setup: Setup) -> None:
    setup.attempt(1, 2, SheetStatus.COMPLETED, "a\nb\nc")
    setup.attempt(2, 1, SheetStatus.RUNNING, "x\nhalf")
    found = setup.inspector.output(JOB, lines=2)
    assert [(s.sheet.num, s.attempt, s.stdout.text) for s in found.sheets] == [
        (1, 2, "b\nc"),
        (2, 1, "x\n"),  # the running attempt's unfinished line waits
    ]
    only = setup.inspector.output(JOB, sheet=2, lines=1)
    assert [s.sheet.num for s in only.sheets] == [2]


def test_following_gets_what_is_new_and_a_new_attempt_from_its_start(setup: Setup) -> None:
    setup.attempt(1, 1, SheetStatus.RUNNING, "a\nhal")
    first = setup.inspector.output(JOB, cursors={})
    [sheet] = first.sheets
    assert (sheet.stdout.text, sheet.stdout.end) == ("a\n", 2)
    cursors = {1: Cursor(1, sheet.stdout.end, sheet.stderr.end)}
    assert setup.inspector.output(JOB, cursors=cursors).sheets == []
    setup.write(1, 1, "stdout", "a\nhalf done\n")
    [more] = setup.inspector.output(JOB, cursors=cursors).sheets
    assert (more.stdout.text, more.stdout.start) == ("half done\n", 2)
    setup.attempt(1, 2, SheetStatus.FAILED, "new", "the secret")
    [moved] = setup.inspector.output(JOB, cursors=cursors).sheets
    assert (moved.attempt, moved.stdout.text, moved.stderr.text) == (2, "new", "the ***")
