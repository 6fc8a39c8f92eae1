"""The engine's small parts: the slots attempts hold, its alarms, and what a `skip_when`
expression sees."""

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from podium.domain.alarms import AlarmKind, Alarms
from podium.domain.expressions import ExpressionError, evaluate
from podium.domain.ids import JobId, SheetNum
from podium.domain.limits import InstrumentKey, Limits, Occupancy
from podium.domain.live import LiveJob, LiveSheet
from podium.domain.skip import skip_names
from podium.domain.status import JobStatus, SheetStatus
from podium.testing.harness import make_plan

LIMITS = Limits(
    max_concurrent_sheets=3,
    instrument_caps={"claude": 2},
    model_caps={("claude", "opus"): 1},
    default_instrument_cap=4,
)
A, B = JobId("a"), JobId("b")
OPUS: InstrumentKey = ("claude", "opus")
SONNET: InstrumentKey = ("claude", "sonnet")
CLAUDE: InstrumentKey = ("claude", None)

# --- limits --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("limits", "key", "slot"),
    [
        pytest.param(LIMITS, CLAUDE, (CLAUDE, 2), id="instrument cap"),
        pytest.param(LIMITS, SONNET, (CLAUDE, 2), id="model without a cap shares its instrument's"),
        pytest.param(LIMITS, OPUS, (OPUS, 1), id="model cap"),
        pytest.param(LIMITS, ("gemini", None), (("gemini", None), 4), id="default cap"),
        pytest.param(LIMITS, ("gemini", "opus"), (("gemini", None), 4), id="model caps are per instrument"),
        pytest.param(Limits(), ("x", None), (("x", None), 4), id="built-in default"),
    ],
)  # fmt: skip
def test_an_attempt_takes_its_models_slot_when_the_model_has_a_cap_else_its_instruments(
    limits: Limits, key: InstrumentKey, slot: tuple[InstrumentKey, int]
) -> None:
    assert limits.cap_of(key) == slot


def test_taking_slots_counts_the_conductor_the_job_and_the_slot() -> None:
    occupancy = Occupancy(LIMITS)
    occupancy.take(A, OPUS)
    occupancy.take(A, SONNET)
    occupancy.take(B, CLAUDE)
    assert occupancy.sheets == 3
    assert dict(occupancy.by_job) == {A: 2, B: 1}
    assert dict(occupancy.by_key) == {OPUS: 1, CLAUDE: 2}


@pytest.mark.parametrize(
    ("taken", "key", "room"),
    [
        pytest.param([], OPUS, True, id="empty"),
        pytest.param([OPUS], OPUS, False, id="model cap reached"),
        pytest.param([OPUS], SONNET, True, id="model slot leaves the instrument's free"),
        pytest.param([SONNET, CLAUDE], CLAUDE, False, id="instrument cap reached"),
        pytest.param([SONNET, CLAUDE], SONNET, False, id="uncapped model shares it"),
        pytest.param([SONNET, CLAUDE], OPUS, True, id="capped model has its own"),
        pytest.param([OPUS, SONNET, ("gemini", None)], ("codex", None), False, id="conductor full"),
    ],
)  # fmt: skip
def test_there_is_room_for_an_attempt_below_both_its_slots_cap_and_the_conductors(
    taken: list[InstrumentKey], key: InstrumentKey, room: bool
) -> None:
    occupancy = Occupancy(LIMITS)
    for held in taken:
        occupancy.take(A, held)
    assert occupancy.room_for(key) is room


def test_the_conductor_is_full_at_max_concurrent_sheets() -> None:
    occupancy = Occupancy(LIMITS)
    for key in (OPUS, SONNET):
        occupancy.take(A, key)
        assert not occupancy.full()
    occupancy.take(B, ("gemini", None))
    assert occupancy.full()
    occupancy.give(A, OPUS)
    assert not occupancy.full()


def test_giving_back_every_slot_leaves_no_counts_behind() -> None:
    occupancy = Occupancy(LIMITS)
    occupancy.take(A, OPUS)
    occupancy.take(B, SONNET)
    occupancy.give(A, OPUS)
    occupancy.give(B, CLAUDE)  # the same slot as SONNET's
    assert occupancy.sheets == 0
    assert dict(occupancy.by_job) == {}
    assert dict(occupancy.by_key) == {}


@pytest.mark.parametrize(
    ("taken", "job", "key"),
    [
        pytest.param([], A, CLAUDE, id="nothing taken"),
        pytest.param([(B, CLAUDE)], A, CLAUDE, id="taken by another job"),
        pytest.param([(A, CLAUDE)], A, OPUS, id="taken on another slot"),
    ],
)
def test_giving_back_a_slot_that_was_not_taken_is_a_bug(
    taken: list[tuple[JobId, InstrumentKey]], job: JobId, key: InstrumentKey
) -> None:
    occupancy = Occupancy(LIMITS)
    for held_by, held in taken:
        occupancy.take(held_by, held)
    with pytest.raises(AssertionError, match=r"giving back a slot that was not taken: a \("):
        occupancy.give(job, key)
    assert occupancy.sheets == len(taken)


def test_giving_back_a_slot_twice_is_a_bug() -> None:
    occupancy = Occupancy(LIMITS)
    occupancy.take(A, OPUS)
    occupancy.give(A, OPUS)
    with pytest.raises(AssertionError, match="not taken"):
        occupancy.give(A, OPUS)


# --- alarms --------------------------------------------------------------------------------


def test_ring_returns_the_alarms_due_oldest_first_and_keeps_the_rest() -> None:
    alarms = Alarms()
    for at in (30.0, 10.0, 40.0, 20.0):
        alarms.set(at, AlarmKind.DUE)
    assert [a.at for a in alarms.ring(30.0)] == [10.0, 20.0, 30.0]
    assert len(alarms) == 1
    assert alarms.ring(39.9) == []
    assert [a.at for a in alarms.ring(100.0)] == [40.0]
    assert len(alarms) == 0


def test_alarms_due_at_the_same_time_ring_in_the_order_they_were_set() -> None:
    alarms = Alarms()
    alarms.set(10.0, AlarmKind.WINDOW_END)
    alarms.set(10.0, AlarmKind.DUE, JobId("job"), SheetNum(2), attempt=3)
    alarms.set(10.0, AlarmKind.LOOK)
    rung = alarms.ring(10.0)
    assert [a.kind for a in rung] == [AlarmKind.WINDOW_END, AlarmKind.DUE, AlarmKind.LOOK]
    assert (rung[1].job_id, rung[1].sheet, rung[1].attempt) == ("job", 2, 3)


@given(st.lists(st.floats(0.0, 100.0), max_size=30), st.floats(0.0, 100.0))
def test_ring_returns_exactly_the_alarms_due_in_time_order(times: list[float], now: float) -> None:
    alarms = Alarms()
    for at in times:
        alarms.set(at, AlarmKind.LOOK)
    assert [a.at for a in alarms.ring(now)] == sorted(t for t in times if t <= now)
    assert len(alarms) == sum(1 for t in times if t > now)


def test_the_engine_asks_once_for_the_earliest_alarm_and_again_for_an_earlier_one() -> None:
    alarms = Alarms()
    assert alarms.wake_needed() is None
    alarms.set(50.0, AlarmKind.DUE)
    assert alarms.wake_needed() == 50.0
    assert alarms.wake_needed() is None
    alarms.set(70.0, AlarmKind.DUE)
    assert alarms.wake_needed() is None
    alarms.set(20.0, AlarmKind.DUE)
    assert alarms.wake_needed() == 20.0
    assert alarms.wake_needed() is None


def test_after_a_ring_the_engine_asks_again_for_the_next_alarm() -> None:
    alarms = Alarms()
    alarms.set(20.0, AlarmKind.DUE)
    alarms.set(50.0, AlarmKind.DUE)
    assert alarms.wake_needed() == 20.0
    assert [a.at for a in alarms.ring(20.0)] == [20.0]
    assert alarms.wake_needed() == 50.0
    alarms.ring(30.0)  # woken early, for another reason: the wake-up is asked for again
    assert alarms.wake_needed() == 50.0
    alarms.ring(50.0)
    assert alarms.wake_needed() is None


# --- skip_when names -----------------------------------------------------------------------


def live_job(
    statuses: Mapping[int, SheetStatus],
    *,
    attempts: Mapping[int, int] | None = None,
    errors: Mapping[int, str] | None = None,
    completed: int = 0,
) -> LiveJob:
    """A running job `nightly` whose sheets have these statuses; sheet 3, when there is one,
    is voice 1 of movement 2."""
    plan = make_plan(sheets=len(statuses), name="nightly")
    sheets = {
        SheetNum(n): LiveSheet(
            plan=replace(plan.sheets[n - 1], movement=2, voice=1) if n == 3 else plan.sheets[n - 1],
            status=status,
            updated_at=0.0,
            unmet=0,
            attempts=(attempts or {}).get(n, 0),
            error=(errors or {}).get(n),
        )
        for n, status in statuses.items()
    }
    return LiveJob(
        seq=1,
        job_id=JobId("job"),
        plan=plan,
        score_path="/scores/nightly.yaml",
        workspace="/workspace",
        submitted_at=0.0,
        status=JobStatus.RUNNING,
        sheets=sheets,
        dependents={},
        chain_depth=1,
        cost=2.5,
        completed=completed,
    )


S = SheetStatus
MIXED = live_job(
    {1: S.COMPLETED, 2: S.FAILED, 3: S.SKIPPED},
    attempts={1: 2, 2: 3},
    errors={2: "exit code 1: boom"},
    completed=1,
)


@pytest.mark.parametrize(
    ("expression", "value"),
    [
        ("sheets[1].completed", True),
        ("sheets[2].completed", False),
        ("sheets[1].validation_passed", True),
        ("sheets[2].validation_passed", False),
        ("sheets[2].failed", True),
        ("sheets[1].failed", False),
        ("sheets[3].skipped", True),
        ("sheets[1].status", "completed"),
        ("sheets[3].status == 'skipped'", True),
        ("sheets[1].attempts", 2),
        ("sheets[3].attempts", 0),
        ("sheets[2].error", "exit code 1: boom"),
        ("sheets[1].error is None", True),
        ("sheets[2].num", 2),
        ("sheets[3].movement", 2),
        ("sheets[3].voice", 1),
        ("sheets[1].voice is None", True),
        ("sheets.get(9) is None", True),
        ("sheets.get(1).completed", True),
        ("3 in sheets", True),
        ("9 in sheets", False),
        ("len(sheets) == 3", True),
        ("job.name", "nightly"),
        ("job.total_sheets", 3),
        ("job.completed_sheets", 1),
        ("job.failed_sheets", 1),
        ("job.failed_sheets == 0", False),
        ("job.failed", True),
        ("job.cost", 2.5),
        ("job.chain_depth", 1),
        ("sheets[1].completed and not job.failed", False),
        ("sheets[2].failed and sheets[2].attempts > 1", True),
    ],
)
def test_a_skip_when_expression_sees_the_sheets_and_the_job(expression: str, value: Any) -> None:
    assert evaluate(expression, skip_names(MIXED)) == value


@pytest.mark.parametrize(
    ("expression", "value"),
    [
        ("job.failed_sheets == 0", True),
        ("not job.failed", True),
        ("job.completed_sheets", 0),
        ("len(sheets) == 2", True),
        ("sheets[2].status", "pending"),
    ],
)
def test_a_job_without_failures_says_so(expression: str, value: Any) -> None:
    fresh = live_job({1: S.RUNNING, 2: S.PENDING})
    assert evaluate(expression, skip_names(fresh)) == value


def test_a_sheet_is_read_when_the_expression_looks_it_up() -> None:
    job = live_job({1: S.COMPLETED, 2: S.RUNNING})
    names = skip_names(job)
    job.sheets[SheetNum(2)].status = S.COMPLETED
    assert evaluate("sheets[2].completed", names) is True


def test_a_sheet_the_job_does_not_have_is_an_expression_error() -> None:
    with pytest.raises(ExpressionError, match=r"'sheets\[9\].completed' failed: KeyError"):
        evaluate("sheets[9].completed", skip_names(MIXED))
