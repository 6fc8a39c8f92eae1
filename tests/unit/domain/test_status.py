"""The transition tables: every listed move works, every other move is refused by name."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from podium.domain.errors import InvalidTransition
from podium.domain.status import (
    JOB_TRANSITIONS,
    SHEET_TRANSITIONS,
    JobEvent,
    JobStatus,
    SheetEvent,
    SheetStatus,
    next_job_status,
    next_sheet_status,
)


def test_every_status_has_a_row() -> None:
    assert set(JOB_TRANSITIONS) == set(JobStatus)
    assert set(SHEET_TRANSITIONS) == set(SheetStatus)


def test_terminal_sheets_only_leave_by_an_explicit_reset_or_recover() -> None:
    for state in SheetStatus:
        if state.is_terminal:
            assert set(SHEET_TRANSITIONS[state]) <= {SheetEvent.RESET, SheetEvent.RECOVER}
    assert SHEET_TRANSITIONS[SheetStatus.COMPLETED] == {SheetEvent.RESET: SheetStatus.PENDING}


def test_every_non_terminal_sheet_can_be_cancelled() -> None:
    for state in SheetStatus:
        if not state.is_terminal:
            assert SHEET_TRANSITIONS[state][SheetEvent.CANCEL] is SheetStatus.CANCELLED


def test_a_completed_job_only_moves_when_resumed() -> None:
    for event in JobEvent:
        if event is JobEvent.RESUME:
            assert next_job_status("job a", JobStatus.COMPLETED, event) is JobStatus.QUEUED
            continue
        with pytest.raises(InvalidTransition):
            next_job_status("job a", JobStatus.COMPLETED, event)


@given(st.sampled_from(list(SheetStatus)), st.sampled_from(list(SheetEvent)))
def test_sheet_moves_follow_the_table_or_name_what_was_refused(
    state: SheetStatus, event: SheetEvent
) -> None:
    expected = SHEET_TRANSITIONS[state].get(event)
    if expected is not None:
        assert next_sheet_status("job a sheet 3", state, event) is expected
        return
    with pytest.raises(InvalidTransition) as info:
        next_sheet_status("job a sheet 3", state, event)
    assert str(info.value) == f"job a sheet 3: cannot apply '{event}' in state '{state}'"


@given(st.lists(st.sampled_from(list(JobEvent)), max_size=12))
def test_any_sequence_of_job_events_stays_inside_the_table(events: list[JobEvent]) -> None:
    state = JobStatus.QUEUED
    for event in events:
        try:
            state = next_job_status("job a", state, event)
        except InvalidTransition as exc:
            assert event not in JOB_TRANSITIONS[state]
            assert (exc.state, exc.event) == (state, event)
        assert state in JOB_TRANSITIONS
