"""The event stream's rules: what a committed batch tells, in which order, how events are kept
for a subscriber that comes back, and which of them a subscriber wants."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from podium.domain.commands import Persist
from podium.domain.feed import (
    ATTEMPT,
    CHECKS,
    FLEET,
    HOOK,
    JOB,
    KINDS,
    NOTE,
    OUTPUT,
    PRESSURE,
    RATE_LIMIT,
    SHEET,
    Change,
    FleetMoved,
    Interest,
    OutputLine,
    Ring,
    WindowCleared,
    changes,
    unknown_kinds,
)
from podium.domain.fleet import FleetStatus
from podium.domain.ids import JobId, SheetNum
from podium.domain.outcome import AttemptOutcome
from podium.domain.records import (
    AttemptRecord,
    HookRecord,
    JobNote,
    JobRecord,
    RateLimitRecord,
    SheetRecord,
)
from podium.domain.status import JobStatus, SheetStatus
from podium.domain.validation import ValidationKind, ValidationResult, ValidationRule

J = JobId("j")
JOB_ROW = JobRecord(J, "j", "/s.yaml", "/ws", JobStatus.RUNNING, 0.0, 2)
SHEET_ROW = SheetRecord(J, SheetNum(1), SheetStatus.RUNNING, 1.0)
CHECKED = (ValidationResult(ValidationRule(ValidationKind.FILE_EXISTS, path="/a"), True, ""),)


def attempt(outcome: AttemptOutcome, checked: bool = False) -> AttemptRecord:
    return AttemptRecord(
        J, SheetNum(1), 1, 2.0, outcome=outcome, validations=CHECKED if checked else ()
    )


def test_a_batch_tells_attempts_and_sheets_before_their_job_then_notes_hooks_windows() -> None:
    hook = HookRecord(J, 1, "run_command", "run_command: x", None, 3.0)
    window = RateLimitRecord("claude-code", None, 9.0, "429")
    batch = [
        Persist(
            jobs=(JOB_ROW,),
            sheets=(SHEET_ROW,),
            attempts=(attempt(AttemptOutcome.SUCCEEDED, checked=True),),
            notes=(JobNote(J, 4.0, "paused"),),
            hooks=(hook,),
            rate_limits=(window,),
            rate_limits_cleared=(("codex", "o3"),),
        ),
        Persist(jobs=(JOB_ROW,)),
    ]
    told = changes(batch)
    assert [(c.kind, c.job_id, c.sheet) for c in told] == [
        (ATTEMPT, J, 1),
        (CHECKS, J, 1),
        (SHEET, J, 1),
        (JOB, J, None),
        (NOTE, J, None),
        (HOOK, J, None),
        (RATE_LIMIT, None, None),
        (RATE_LIMIT, None, None),
        (JOB, J, None),
    ]
    assert told[-2].subject == WindowCleared("codex", "o3")
    assert told[2].subject is SHEET_ROW


@pytest.mark.parametrize(
    ("outcome", "checked", "told"),
    [
        (AttemptOutcome.RUNNING, False, [ATTEMPT]),
        (AttemptOutcome.VALIDATING, True, [ATTEMPT]),
        (AttemptOutcome.VALIDATION_FAILED, True, [ATTEMPT, CHECKS]),
        (AttemptOutcome.FAILED, False, [ATTEMPT]),
    ],
)
def test_checks_are_told_once_decided(
    outcome: AttemptOutcome, checked: bool, told: list[str]
) -> None:
    found = changes([Persist(attempts=(attempt(outcome, checked),))])
    assert [c.kind for c in found] == told


def test_an_empty_interest_wants_every_kind_of_every_job_but_output() -> None:
    everyone = Interest()
    assert everyone.wants(Change(JOB, J, JOB_ROW))
    assert everyone.wants(Change(PRESSURE, None, JOB_ROW))
    line = Change(OUTPUT, J, OutputLine(1, "stdout", "hi", 0), 1)
    assert not everyone.wants(line)


def test_an_interest_narrows_by_job_and_kind_and_keeps_the_conductors_own() -> None:
    narrow = Interest(job_ids=frozenset({"j"}), kinds=frozenset({JOB, RATE_LIMIT}))
    assert narrow.wants(Change(JOB, J, JOB_ROW))
    assert not narrow.wants(Change(JOB, JobId("other"), JOB_ROW))
    assert not narrow.wants(Change(SHEET, J, SHEET_ROW, 1))
    assert narrow.wants(Change(RATE_LIMIT, None, WindowCleared("x", None)))
    fleet = Change(FLEET, JobId("f"), FleetMoved("f", FleetStatus.RUNNING, None))
    assert not narrow.wants(fleet)


def test_output_comes_for_the_sheets_named_or_the_whole_job() -> None:
    wanted = Interest(output=frozenset({("j", 2), ("k", 0)}), kinds=frozenset({JOB}))
    line = OutputLine(1, "stdout", "hi", 0)
    assert wanted.wants(Change(OUTPUT, J, line, 2))
    assert not wanted.wants(Change(OUTPUT, J, line, 3))
    assert wanted.wants(Change(OUTPUT, JobId("k"), line, 7))


def test_unknown_kinds_are_named_in_the_order_given() -> None:
    assert unknown_kinds(["job", "jobs", "sheet", "attempts"]) == ["jobs", "attempts"]
    assert unknown_kinds(KINDS) == []


def test_a_ring_gives_what_came_after_a_number() -> None:
    ring: Ring[str] = Ring(3)
    assert ring.after(0) == []
    for item in "abcd":
        ring.add(item, 1.0)
    assert ring.seq == 4
    assert [e.item for e in ring.after(2) or ()] == ["c", "d"]
    assert ring.after(4) == []
    assert [e.seq for e in ring] == [2, 3, 4]


@pytest.mark.parametrize("seq", [0, -1, 5])
def test_a_ring_says_when_what_was_missed_is_gone_or_never_was(seq: int) -> None:
    ring: Ring[str] = Ring(3)
    for item in "abcd":
        ring.add(item, 1.0)
    assert ring.after(seq) is None


def test_a_ring_keeps_one_event_at_least() -> None:
    with pytest.raises(ValueError, match="one event"):
        Ring(0)


@given(
    capacity=st.integers(1, 20),
    added=st.integers(0, 60),
    since=st.integers(0, 60),
)
def test_a_ring_replays_exactly_what_followed_or_nothing(
    capacity: int, added: int, since: int
) -> None:
    ring: Ring[int] = Ring(capacity)
    for n in range(1, added + 1):
        ring.add(n, float(n))
    missed = ring.after(since)
    if since > added or added - since > capacity:
        assert missed is None
    else:
        assert missed is not None
        assert [e.item for e in missed] == list(range(since + 1, added + 1))
        assert all(e.seq == e.item for e in missed)
