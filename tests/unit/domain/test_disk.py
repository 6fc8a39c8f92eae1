"""The state folder's room: when it stops dispatch, what the reason says, and what the engine
does at the disk level."""

import errno
import math

import pytest

from podium.domain.commands import Persist
from podium.domain.disk import MB, DiskRule, DiskSample, disk_trouble, size
from podium.domain.engine import Limits
from podium.domain.errors import refused_write
from podium.domain.events import PressureMeasured
from podium.domain.ids import JobId
from podium.domain.outcome import AttemptOutcome
from podium.domain.pressure import (
    LaunchPacing,
    Pressure,
    PressureLevel,
    ResourceCaps,
    refusal,
    with_disk,
)
from podium.testing.harness import EngineHarness, launched, make_plan

RULE = DiskRule(min_free_bytes=64 * MB, reserve_bytes=8 * MB)
CALM = Pressure(PressureLevel.LOW, "memory 1 GB of 8 GB (12%)", ResourceCaps(8192, 256))


def sample(free_mb: float, **kw: object) -> DiskSample:
    fields: dict[str, object] = {"read_only": False, "reserve_held": True} | kw
    return DiskSample("/state", int(free_mb * MB), **fields)  # type: ignore[arg-type]


def test_enough_room_stops_nothing() -> None:
    assert disk_trouble(sample(64), RULE) is None


def test_too_little_room_says_how_much_there_is_and_how_much_resumes() -> None:
    assert disk_trouble(sample(3), RULE) == (
        "the state folder /state has 3 MB free; dispatch resumes when 64 MB are free"
    )


def test_without_its_reserve_the_folder_needs_room_for_it_too() -> None:
    assert disk_trouble(sample(70, reserve_held=False), RULE) == (
        "the state folder /state has 70 MB free; dispatch resumes when 72 MB are free"
    )
    assert disk_trouble(sample(72, reserve_held=False), RULE) is None


def test_a_read_only_folder_stops_dispatch_whatever_its_room() -> None:
    assert disk_trouble(sample(5000, read_only=True), RULE) == (
        "the state folder /state is read-only; dispatch resumes once it is writable"
    )


def test_a_failed_write_holds_until_the_reserve_is_back() -> None:
    failed = sample(500, reserve_held=False, failed_write="No space left on device")
    assert disk_trouble(failed, RULE) == (
        "the state folder /state could not be written (No space left on device); "
        "dispatch resumes once it can"
    )
    assert disk_trouble(sample(500, failed_write="No space left on device"), RULE) is None


@pytest.mark.parametrize(
    ("count", "text"),
    [(0, "0 MB"), (3 * MB + 5, "3 MB"), (10 * 1024 * MB, "10 GB"), (25 * 1024 * MB, "25 GB")],
)
def test_sizes_read_as_people_read_free_space(count: int, text: str) -> None:
    assert size(count) == text


def test_the_disk_level_lies_over_the_memory_level_while_the_folder_is_in_trouble() -> None:
    assert with_disk(CALM, None) is CALM
    over = with_disk(CALM, "the state folder /state is read-only")
    assert (over.level, over.reason, over.caps) == (
        PressureLevel.DISK,
        "the state folder /state is read-only",
        CALM.caps,
    )
    assert over.level.refuses_work
    assert refusal(over) == (
        "the conductor takes no new work now: the state folder /state is read-only "
        "(podium conductor-status shows it; jobs already running keep their state)"
    )


def test_the_disk_level_starts_no_attempt_and_no_queued_job() -> None:
    pacing = LaunchPacing(level=PressureLevel.DISK)
    assert pacing.hold_until(0.0) == math.inf
    assert not pacing.admits_jobs


def test_at_the_disk_level_nothing_starts_and_nothing_is_paused() -> None:
    h = EngineHarness(Limits(max_concurrent_jobs=1))
    h.submit(make_plan({1: [], 2: []}, parallel=1), "first")
    h.submit(make_plan(sheets=1), "queued")
    h.feed(PressureMeasured(PressureLevel.DISK, "the state folder /state is read-only"))
    assert h.statuses("first") == {1: "running", 2: "ready"}
    assert launched(h.run_sheet("first", 1)) == []
    assert launched(h.advance(60)) == []
    h.feed(PressureMeasured(PressureLevel.NONE, "calm"))
    assert launched(h.commands)[-1] == ("first", 2)


def test_an_attempt_without_room_for_its_files_waits_without_spending_its_budget() -> None:
    h = EngineHarness()
    h.submit(make_plan(sheets=1, max_retries=0))
    h.feed(PressureMeasured(PressureLevel.DISK, "full"))
    commands = h.not_launched("job", 1, "No space left on device", no_room=True)
    attempt = next(a for c in commands if isinstance(c, Persist) for a in c.attempts)
    assert attempt.outcome is AttemptOutcome.INTERRUPTED
    assert attempt.error == (
        "not started: No space left on device; it starts once the state folder has room"
    )
    assert h.statuses("job") == {1: "ready"}
    assert launched(h.feed(PressureMeasured(PressureLevel.NONE, "calm"))) == [("job", 1)]
    h.run_sheet("job", 1)
    assert h.engine.view(JobId("job")) is None  # it ended: completed on its one budgeted try


@pytest.mark.parametrize(
    ("exc", "refused"),
    [
        (OSError(errno.ENOSPC, "No space left on device"), True),
        (OSError(errno.EROFS, "Read-only file system"), True),
        (OSError(errno.EDQUOT, "Disk quota exceeded"), True),
        (OSError(errno.EIO, "Input/output error"), True),
        (FileNotFoundError(errno.ENOENT, "No such file or directory"), False),
        (PermissionError(errno.EACCES, "Permission denied"), False),
        (ValueError("not an OSError"), False),
    ],
)
def test_only_a_disk_that_refuses_writes_counts_as_one(exc: Exception, refused: bool) -> None:
    assert refused_write(exc) is refused
