"""Which local attempts outlived their conductor: found by their recorded process (the same
pid *and* start time, never a bare pid), by the marker in their environment when the pid was
never recorded, or by the exit file their wrapper wrote."""

from collections.abc import Sequence
from pathlib import Path

from podium.domain.outcome import AttemptOutcome
from podium.domain.records import InFlightAttempt
from podium.runtime.layout import Layout
from podium.runtime.ports import Store
from podium.runtime.process import leaders_marked, read_exit_file, still_runs


def survivors(
    in_flight: Sequence[InFlightAttempt], layout: Layout, store: Store
) -> list[InFlightAttempt]:
    """The running attempts that outlived their conductor, each with its process as it is
    known now: still running (the same pid and start time; or, never recorded, found by its
    marker, and recorded now), or ended with its exit recorded by its wrapper (then the
    process is None when it was never recorded)."""
    running = [a for a in in_flight if a.record.outcome is AttemptOutcome.RUNNING]
    unrecorded = {_marker(a, layout) for a in running if a.process is None}
    # The marker first, the exit file then: a wrapper writes its file before it exits, so an
    # attempt is found one way or the other, whenever it ends.
    leaders = leaders_marked(unrecorded) if unrecorded else {}
    outlived = []
    for attempt in running:
        process = attempt.process
        if process is None:
            process = leaders.get(_marker(attempt, layout))
            if process is not None:
                record = attempt.record
                store.record_process(record.job_id, record.sheet, record.attempt, process)
                outlived.append(InFlightAttempt(record, process))
                continue
        elif still_runs(process):
            outlived.append(attempt)
            continue
        if read_exit_file(_exit_file(attempt, layout)) is not None:
            outlived.append(attempt)
    return outlived


def _marker(attempt: InFlightAttempt, layout: Layout) -> str:
    return layout.marker(attempt.record.job_id, attempt.record.sheet, attempt.record.attempt)


def _exit_file(attempt: InFlightAttempt, layout: Layout) -> Path:
    r = attempt.record
    return layout.attempt_file(r.job_id, r.sheet, r.attempt, "exit")
