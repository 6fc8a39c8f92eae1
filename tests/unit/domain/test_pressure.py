"""Resource pressure: levels from a sample and the limits, and what the engine does at each."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from podium.domain.commands import Persist
from podium.domain.engine import Limits
from podium.domain.events import PressureMeasured
from podium.domain.ids import JobId
from podium.domain.pressure import (
    HYSTERESIS,
    LaunchPacing,
    Pressure,
    PressureLevel,
    ResourceCaps,
    Sample,
    assess,
    level_of,
    pause_note,
    refusal,
    unmeasured,
)
from podium.testing.harness import EngineHarness, launched, make_plan, wakes

CAPS = ResourceCaps(max_memory_mb=8192, max_processes=256)
LEVELS = list(PressureLevel)


@pytest.mark.parametrize(
    ("share", "level"),
    [
        (0.0, PressureLevel.NONE),
        (0.50, PressureLevel.NONE),
        (0.51, PressureLevel.LOW),
        (0.70, PressureLevel.LOW),
        (0.71, PressureLevel.MEDIUM),
        (0.86, PressureLevel.HIGH),
        (0.95, PressureLevel.HIGH),
        (0.96, PressureLevel.CRITICAL),
        (3.0, PressureLevel.CRITICAL),
    ],
)
def test_each_level_begins_above_its_threshold(share: float, level: PressureLevel) -> None:
    assert level_of(share) is level


def test_a_level_is_left_only_once_the_share_falls_well_below_it() -> None:
    assert level_of(0.84, PressureLevel.HIGH) is PressureLevel.HIGH
    assert level_of(0.81, PressureLevel.HIGH) is PressureLevel.HIGH
    assert level_of(0.79, PressureLevel.HIGH) is PressureLevel.MEDIUM
    assert level_of(0.30, PressureLevel.CRITICAL) is PressureLevel.NONE
    assert level_of(0.92, PressureLevel.CRITICAL) is PressureLevel.CRITICAL


@given(st.floats(0, 2), st.sampled_from(LEVELS))
def test_hysteresis_never_strays_from_the_plain_level_by_more_than_its_margin(
    share: float, previous: PressureLevel
) -> None:
    level = level_of(share, previous)
    assert level_of(share).rank <= level.rank <= level_of(share + HYSTERESIS).rank
    assert level.rank <= max(previous.rank, level_of(share).rank)


@given(st.floats(0, 2), st.sampled_from(LEVELS))
def test_a_level_measured_again_at_the_same_share_stays(
    share: float, previous: PressureLevel
) -> None:
    level = level_of(share, previous)
    assert level_of(share, level) is level


def test_the_reason_names_the_resource_nearest_its_limit() -> None:
    memory = assess(Sample(7270, 12), CAPS, PressureLevel.NONE, 5.0)
    assert (memory.level, memory.reason) == (PressureLevel.HIGH, "memory 7.1 GB of 8 GB (89%)")
    assert (memory.sample, memory.sampled_at, memory.caps) == (Sample(7270, 12), 5.0, CAPS)
    processes = assess(Sample(100, 212), CAPS, PressureLevel.NONE, 5.0)
    assert (processes.level, processes.reason) == (
        PressureLevel.MEDIUM,
        "212 of 256 processes (83%)",
    )


def test_without_pressure_the_reason_gives_both_resources() -> None:
    calm = assess(Sample(300, 3), CAPS, PressureLevel.NONE, 0.0)
    assert calm.level is PressureLevel.NONE
    assert calm.reason == "memory 300 MB of 8 GB (4%), 3 of 256 processes (1%)"


def test_a_failed_measurement_keeps_the_level_and_says_so() -> None:
    before = assess(Sample(7500, 3), CAPS, PressureLevel.NONE, 0.0)
    after = unmeasured(before, CAPS, "permission denied", 15.0)
    assert after.level is PressureLevel.HIGH
    assert after.sample is None
    assert after.sampled_at == 15.0
    assert "not measured (permission denied)" in after.reason


def test_the_messages_say_why_and_what_to_do() -> None:
    high = Pressure(PressureLevel.HIGH, "250 of 256 processes (98%)", CAPS)
    assert refusal(high) == (
        "the conductor is under high resource pressure (250 of 256 processes (98%)) and takes "
        "no new work now; try again when the load drops (podium conductor-status shows it)"
    )
    assert pause_note("memory 7.9 GB of 8 GB (97%)") == (
        "paused by the conductor: memory 7.9 GB of 8 GB (97%); resume it when the load drops"
    )
    assert [level.refuses_work for level in LEVELS] == [False, False, False, True, True, True]


def test_pacing_spaces_launches_by_level() -> None:
    pacing = LaunchPacing()
    assert pacing.hold_until(0.0) is None
    pacing.last_launch = 10.0
    assert pacing.hold_until(10.0) is None
    pacing.level = PressureLevel.MEDIUM
    assert pacing.hold_until(11.0) == 12.0
    assert pacing.hold_until(12.0) is None
    pacing.level = PressureLevel.CRITICAL
    assert pacing.hold_until(1000.0) == math.inf
    assert not pacing.admits_jobs
    assert LaunchPacing(level=PressureLevel.CRITICAL).hold_until(0.0) == math.inf


# ---- the engine under pressure ------------------------------------------------------------


def pressure(h: EngineHarness, level: PressureLevel, reason: str = "4 of 4 processes") -> None:
    h.feed(PressureMeasured(level, reason))


def notes(h: EngineHarness, job: str) -> list[str]:
    return [
        n.text for c in h.commands if isinstance(c, Persist) for n in c.notes if n.job_id == job
    ]


def test_low_pressure_starts_one_attempt_every_half_second() -> None:
    h = EngineHarness()
    pressure(h, PressureLevel.LOW)
    first = h.submit(make_plan({1: [], 2: [], 3: []}, parallel=3))
    assert launched(first) == [("job", 1)]
    assert wakes(first) == [h.clock.now() + 0.5]
    assert launched(h.advance(0.4)) == []
    second = h.advance(0.1)
    assert launched(second) == [("job", 2)]
    assert launched(h.advance(0.5)) == [("job", 3)]


def test_medium_pressure_spaces_launches_across_jobs() -> None:
    h = EngineHarness()
    pressure(h, PressureLevel.MEDIUM)
    assert launched(h.submit(make_plan(sheets=1), "a")) == [("a", 1)]
    assert launched(h.submit(make_plan(sheets=1), "b")) == []
    assert launched(h.advance(1.0)) == []
    assert launched(h.advance(1.0)) == [("b", 1)]


def test_when_the_pressure_drops_held_work_starts_at_once() -> None:
    h = EngineHarness()
    pressure(h, PressureLevel.MEDIUM)
    h.submit(make_plan({1: [], 2: []}, parallel=2))
    h.clock.advance(0.1)
    h.feed(PressureMeasured(PressureLevel.NONE, "calm"))
    assert launched(h.commands) == [("job", 1), ("job", 2)]


def test_critical_pressure_pauses_the_newest_running_job_once_per_measurement() -> None:
    h = EngineHarness(Limits(max_concurrent_jobs=5))
    for name in ("old", "mid", "new"):
        h.submit(make_plan(sheets=2), name)
    reason = "memory 7.9 GB of 8 GB (97%)"
    pressure(h, PressureLevel.CRITICAL, reason)
    assert _statuses(h) == {"old": "running", "mid": "running", "new": "paused"}
    assert notes(h, "new") == [pause_note(reason)]
    view = h.engine.view(_id("new"))
    assert view is not None
    assert view.job.detail == pause_note(reason)
    assert h.statuses("new") == {1: "running", 2: "pending"}  # its attempt is not killed
    pressure(h, PressureLevel.CRITICAL, reason)
    assert _statuses(h) == {"old": "running", "mid": "paused", "new": "paused"}
    assert notes(h, "new") == [pause_note(reason)]  # not paused twice


def test_critical_pressure_starts_nothing_and_admits_no_queued_job() -> None:
    h = EngineHarness(Limits(max_concurrent_jobs=1))
    h.submit(make_plan({1: [], 2: []}, parallel=2), "first")
    h.submit(make_plan(sheets=1), "queued")
    pressure(h, PressureLevel.CRITICAL)
    assert _statuses(h) == {"first": "paused", "queued": "queued"}
    h.run_sheet("first", 1)
    h.run_sheet("first", 2)
    assert _statuses(h) == {"queued": "queued"}  # first completed while paused
    assert launched(h.advance(60)) == []
    pressure(h, PressureLevel.NONE, "calm")
    assert _statuses(h) == {"queued": "running"}
    assert launched(h.commands)[-1] == ("queued", 1)


def test_nothing_is_paused_when_no_job_runs() -> None:
    h = EngineHarness()
    assert h.feed(PressureMeasured(PressureLevel.CRITICAL, "x")) == []


def _id(job: str) -> JobId:
    return JobId(job)


def _statuses(h: EngineHarness) -> dict[str, str]:
    return {j.job_id: j.status.value for j in h.engine.active_jobs()}
