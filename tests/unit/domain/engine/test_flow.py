"""Sheets made ready, skipped on purpose (`skip_when`, `skip_when_command`, a start sheet) or
skipped because a sheet they need failed."""

import pytest

from podium.domain.commands import RunSkipCheck
from podium.domain.events import SkipChecked
from podium.domain.ids import JobId
from podium.domain.status import JobStatus, SheetStatus
from podium.testing.harness import EngineHarness, launched, make_plan, persisted
from tests.unit.domain.engine.helpers import job_record, notes


def test_without_fail_fast_independent_branches_go_on() -> None:
    h = EngineHarness()
    h.submit(make_plan({1: [], 2: [], 3: [2]}, parallel=2, fail_fast=False))
    h.exit("job", 1, code=1)
    assert launched(h.run_sheet("job", 2)) == [("job", 3)]


@pytest.mark.parametrize(
    ("dependencies", "failing", "skipped"),
    [
        # 4 is reached from failed 1 twice, through 2 and through 3.
        ({1: [], 2: [1], 3: [1], 4: [2, 3]}, (1,), {2: 1, 3: 1, 4: 1}),
        # 3 was skipped for 1 already when 2 fails: it keeps 1 as its reason.
        ({1: [], 2: [], 3: [1, 2]}, (1, 2), {3: 1}),
    ],
    ids=["diamond-below-one-failure", "fan-in-of-two-failures"],
)
def test_a_sheet_cut_off_along_several_paths_is_skipped_once_and_keeps_the_first_reason(
    dependencies: dict[int, list[int]], failing: tuple[int, ...], skipped: dict[int, int]
) -> None:
    h = EngineHarness()
    h.submit(make_plan(dependencies, parallel=len(failing), fail_fast=False))
    for num in failing:
        h.exit("job", num, code=1)
    last = {s.num: s for c in persisted(h.commands) for s in c.sheets}
    skips = {n: (s.blocked_by, s.error) for n, s in last.items() if s.status is SheetStatus.SKIPPED}
    assert skips == {n: (by, f"not run: sheet {by} failed") for n, by in skipped.items()}
    record = job_record(h)
    assert record.status is JobStatus.FAILED
    assert f"{len(skipped)} sheet(s) not run because a sheet failed" in (record.error or "")


def test_start_sheet_skips_earlier_sheets_on_purpose_and_the_job_can_complete() -> None:
    h = EngineHarness()
    commands = h.submit(make_plan(sheets=3), start_sheet=3)
    assert launched(commands) == [("job", 3)]
    assert h.statuses() == {1: "skipped", 2: "skipped", 3: "running"}
    commands = h.run_sheet("job", 3)
    assert persisted(commands)[0].jobs[-1].status is JobStatus.COMPLETED


def test_skip_when_skips_on_purpose_and_dependents_go_on() -> None:
    h = EngineHarness()
    h.submit(make_plan(sheets=3, skip_when={2: "sheets[1].completed and job.failed_sheets == 0"}))
    assert launched(h.run_sheet("job", 1)) == [("job", 3)]
    assert h.statuses()[2] == "skipped"
    assert persisted(h.run_sheet("job", 3))[0].jobs[-1].status is JobStatus.COMPLETED


def test_a_skip_when_that_cannot_be_evaluated_runs_the_sheet_and_says_why() -> None:
    h = EngineHarness()
    h.submit(make_plan(sheets=2, skip_when={2: "sheets[9].completed"}))
    assert launched(h.run_sheet("job", 1)) == [("job", 2)]
    assert any("sheet 2 runs: its skip_when failed" in n for n in notes(h))


def test_skip_when_command_is_asked_before_the_sheet_may_run() -> None:
    h = EngineHarness()
    commands = h.submit(make_plan({1: [], 2: []}, parallel=2, skip_when_command={1: "true"}))
    assert launched(commands) == [("job", 2)]
    assert [c.sheet for c in commands if isinstance(c, RunSkipCheck)] == [1]
    h.skip_checked("job", 1, skip=True)
    assert h.statuses()[1] == "skipped"
    h2 = EngineHarness()
    h2.submit(make_plan(sheets=1, skip_when_command={1: "false"}))
    assert launched(h2.skip_checked("job", 1, skip=False)) == [("job", 1)]


def test_an_answer_to_a_skip_check_of_the_score_before_a_modify_is_ignored() -> None:
    h = EngineHarness()
    h.submit(make_plan({1: [], 2: []}, parallel=2, skip_when_command={2: "old"}))
    [old] = [c for c in h.commands if isinstance(c, RunSkipCheck)]
    h.modify(make_plan({1: [], 2: []}, parallel=2, skip_when_command={2: "new"}))
    h.run_sheet("job", 1)  # the switch asks again
    assert h.feed(SkipChecked(JobId("job"), old.sheet, old.check, True, "exited 0")) == []
    assert h.statuses()[2] == "ready"


def test_a_skip_when_that_raises_anything_runs_the_sheet() -> None:
    h = EngineHarness()
    h.submit(make_plan(sheets=2, skip_when={2: "int(1e999) > 0"}))
    assert launched(h.run_sheet("job", 1)) == [("job", 2)]
    assert any("OverflowError" in n for n in notes(h))


def test_skip_when_can_look_over_every_sheet() -> None:
    h = EngineHarness()
    h.submit(make_plan(sheets=3, skip_when={3: "max(sheets) == 3 and len(sheets) == 3"}))
    h.run_sheet("job", 1)
    commands = h.run_sheet("job", 2)
    assert [s.status for s in persisted(commands)[0].sheets if s.num == 3] == [SheetStatus.SKIPPED]
    assert job_record(h).status is JobStatus.COMPLETED
