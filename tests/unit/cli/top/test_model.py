"""The model `podium top` keeps: a snapshot, then the stream's events applied to it."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from podium.cli.top.model import CONDUCTOR, TopModel
from podium.cli.top.panes import header
from podium.cli.top.view import Processes
from podium.ipc.schema import StreamEvent
from tests.unit.cli.top.recorded import NOW, event, job, job_event, sheet_event, snapshot


def started() -> TopModel:
    model = TopModel()
    model.load_snapshot(snapshot(job("a"), job("b", "paused")))
    return model


def test_a_snapshot_gives_every_job_and_where_the_stream_stands() -> None:
    model = started()
    assert (model.stream, model.seq) == ("s1", 10)
    assert list(model.jobs) == ["a", "b"]
    assert model.jobs["b"].status == "paused"
    assert model.take_changed() == ({"a", "b"}, True)
    assert model.take_changed() == (set(), False)


def test_a_job_event_replaces_what_was_known_of_the_job() -> None:
    model = started()
    model.take_changed()
    applied = model.apply(job_event(11, {**job("a", "completed", done=3), "cost": 1.5}))
    assert applied
    assert (model.jobs["a"].status, model.jobs["a"].completed_sheets, model.jobs["a"].cost) == (
        "completed",
        3,
        1.5,
    )
    assert model.take_changed() == ({"a"}, False)


def test_an_event_already_applied_changes_nothing() -> None:
    model = started()
    assert model.apply(sheet_event(11, "a", 1, "running"))
    assert not model.apply(sheet_event(11, "a", 1, "completed"))
    assert not model.apply(sheet_event(9, "a", 1, "completed"))
    assert model.sheets["a"][1].status == "running"


def test_a_new_job_or_sheet_reshapes_the_rows() -> None:
    model = started()
    model.take_changed()
    model.apply(sheet_event(11, "a", 1, "running"))
    assert model.take_changed() == ({"a"}, True)
    model.apply(sheet_event(12, "a", 1, "completed"))
    assert model.take_changed() == ({"a"}, False)
    model.apply(job_event(13, job("c")))
    assert model.take_changed() == ({"c"}, True)


def test_attempts_and_their_checks_in_either_shape() -> None:
    model = started()
    model.apply(event(11, "attempt", "a", sheet=1, attempt=1, outcome="running", checks=[]))
    model.apply(
        event(
            12,
            "checks",
            "a",
            sheet=1,
            attempt=1,
            results=[
                {
                    "check": "file_exists: out.txt",
                    "passed": False,
                    "checked": True,
                    "expected": "out.txt exists",
                    "actual": "no such file",
                    "fix": "",
                },
                {
                    "kind": "content_contains",
                    "description": "says done",
                    "passed": True,
                    "expected": "done",
                    "found": "done",
                },
            ],
        )
    )
    model.apply(event(13, "attempt", "a", sheet=1, attempt=2, outcome="running", exit_code=None))
    tries = model.attempts_of("a", 1)
    assert [t.attempt for t in tries] == [1, 2]
    first = tries[0].checks
    assert (first[0].description, first[0].passed, first[0].found) == (
        "file_exists: out.txt",
        False,
        "no such file",
    )
    assert (first[1].kind, first[1].description, first[1].found) == (
        "content_contains",
        "says done",
        "done",
    )


def test_rate_limit_windows_open_and_clear() -> None:
    model = started()
    model.apply(
        event(
            11,
            "rate_limit",
            None,
            instrument="claude-code",
            model=None,
            until=NOW + 60,
            reason="429",
        )
    )
    assert [w.until for w in model.rate_limits.values()] == [NOW + 60]
    assert CONDUCTOR in model.take_changed()[0]
    model.apply(
        event(
            12,
            "rate_limit",
            None,
            instrument="claude-code",
            model=None,
            until=None,
            reason="cleared",
        )
    )
    assert model.rate_limits == {}


def test_pressure_is_the_latest_told() -> None:
    model = started()
    model.apply(
        event(
            11,
            "pressure",
            None,
            level="high",
            reason="memory 7 GB of 8 GB",
            memory_mb=7000.0,
            processes=30,
        )
    )
    assert (model.pressure.level, model.pressure.processes) == ("high", 30)


def test_output_lines_follow_the_tail_read_and_never_repeat() -> None:
    model = started()
    model.set_output("a", 1, ["one", "two"])
    line = event(50, "output", "a", sheet=1, attempt=1, stream="stdout", text="three", offset=8)
    assert model.apply(line)
    assert not model.apply(line)
    assert model.output_of("a", 1) == ["one", "two", "three"]


def test_output_comes_on_a_numbering_of_its_own() -> None:
    """Output arrives by another subscription: its numbers may be behind the main stream's."""
    model = started()
    model.apply(sheet_event(90, "a", 1, "running"))
    assert model.apply(event(20, "output", "a", sheet=1, attempt=1, stream="stdout", text="x"))
    assert model.output_of("a", 1) == ["x"]


def test_the_timeline_tells_each_event_once_in_a_few_words() -> None:
    model = started()
    model.apply(sheet_event(11, "a", 2, "failed"))
    model.apply(event(12, "note", "a", text="paused by the user"))
    model.apply(event(13, "hook", "a", num=1, label="run_command: make", outcome="failed"))
    model.apply_state(event(13, "hook", "a", num=1, label="run_command: make", outcome="failed"))
    assert [m.text for m in model.timeline] == [
        "sheet 2 failed",
        "paused by the user",
        "hook 1 failed",
    ]


def test_sheets_not_read_yet_count_by_their_job() -> None:
    model = TopModel()
    model.load_snapshot(snapshot(job("a", total=5, done=2), job("b", total=2, done=2)))
    model.apply(sheet_event(11, "a", 3, "running"))
    assert model.sheet_counts() == {"completed": 4, "pending": 2, "running": 1}
    assert model.job_counts() == {"running": 2}


def test_a_snapshot_of_another_stream_drops_the_jobs_gone() -> None:
    model = started()
    model.apply(sheet_event(11, "b", 1, "running"))
    model.load_snapshot(snapshot(job("a"), seq=3, stream="s2"))
    assert (list(model.jobs), list(model.sheets), model.seq) == (["a"], [], 3)


STATUSES = st.sampled_from(["pending", "ready", "running", "completed", "failed", "waiting"])
EVENTS = st.one_of(
    st.builds(lambda n, s: sheet_event(0, "a", n, s), st.integers(1, 4), STATUSES),
    st.builds(
        lambda s, d: job_event(0, job("a", s, done=d)),
        st.sampled_from(["running", "paused", "completed"]),
        st.integers(0, 3),
    ),
    st.builds(
        lambda n, k, o: event(0, "attempt", "a", sheet=n, attempt=k, outcome=o, checks=[]),
        st.integers(1, 4),
        st.integers(1, 3),
        st.sampled_from(["running", "succeeded", "failed"]),
    ),
    st.builds(
        lambda until: event(
            0, "rate_limit", None, instrument="cli", model=None, until=until, reason="429"
        ),
        st.none() | st.floats(NOW, NOW + 999),
    ),
    st.builds(
        lambda n, text: event(0, "output", "a", sheet=n, attempt=1, stream="stdout", text=text),
        st.integers(1, 4),
        st.text("abc", min_size=1, max_size=3),
    ),
    st.builds(lambda text: event(0, "note", "a", text=text), st.text("xyz", max_size=4)),
)


def numbered(events: list[StreamEvent]) -> list[StreamEvent]:
    return [{**e, "seq": 11 + i} for i, e in enumerate(events)]


def state(model: TopModel) -> tuple[object, ...]:
    return (
        model.seq,
        model.jobs,
        model.sheets,
        model.attempts,
        {k: list(v) for k, v in model.output.items()},
        model.rate_limits,
        model.pressure,
        list(model.timeline),
    )


@given(st.lists(EVENTS, max_size=25))
def test_applying_every_event_twice_is_applying_it_once(events: list[StreamEvent]) -> None:
    once, twice = started(), started()
    for e in numbered(events):
        once.apply(e)
        twice.apply(e)
        twice.apply(copy.deepcopy(e))
    assert state(once) == state(twice)


@given(st.lists(EVENTS.filter(lambda e: e["kind"] != "output"), max_size=25))
def test_each_event_carries_its_whole_state(events: list[StreamEvent]) -> None:
    """Even told again under a new number (a replay after a snapshot that held it), a change
    leaves the jobs, sheets and windows as once."""
    once, twice = started(), started()
    for e in numbered(events):
        once.apply(e)
        twice.apply(e)
        twice.apply_state(e)
    assert state(once)[1:6] == state(twice)[1:6]


def test_a_sheets_attempts_as_its_history_gives_them() -> None:
    model = started()
    base = {
        "sheet": 2,
        "outcome": "failed",
        "error_code": "E009",
        "exit_code": 1,
        "instrument": "cli",
        "model": None,
        "input_tokens": None,
        "output_tokens": None,
        "cost": None,
        "cost_estimated": False,
        "started_at": NOW - 60,
        "ended_at": NOW - 50,
        "exited_at": NOW - 51,
        "signal": None,
        "error": "exit 1",
        "error_type": "transient",
        "mode": "normal",
        "stdout_tail": "",
        "stderr_tail": "",
        "logs": "/state/jobs/a/sheets/2",
    }
    checks = [
        {
            "check": "file_exists: out",
            "passed": False,
            "checked": True,
            "expected": "out exists",
            "actual": "missing",
            "fix": "",
        }
    ]
    model.load_attempts(
        "a",
        2,
        [
            {**base, "attempt": 2, "checks": checks},  # type: ignore[typeddict-item]
            {**base, "attempt": 1, "checks": []},  # type: ignore[typeddict-item]
        ],
    )
    tries = model.attempts_of("a", 2)
    assert [(t.attempt, t.outcome, t.error_code, len(t.checks)) for t in tries] == [
        (1, "failed", "E009", 0),
        (2, "failed", "E009", 1),
    ]
    assert "a" in model.take_changed()[0]


def question(seq: int, job_id: str, sheet: int, answer: str | None = None) -> StreamEvent:
    data: dict[str, Any] = {
        "job_id": job_id,
        "sheet": sheet,
        "name": "go-ahead",
        "message": "say go",
        "point": "before",
        "asked_at": NOW - 30,
        "deadline": None,
        "on_timeout": "pause",
        "context": "sheet 1 of 2",
        "input_schema": None,
        "answer": answer,
        "answered_at": None if answer is None else NOW,
        "answered_by": None,
        "note": None,
        "prompt": None,
        "replace_prompt": False,
        "expired": False,
        "command": f"podium approve {job_id} {sheet}",
    }
    return {"seq": seq, "at": NOW - 5, "kind": "approval", "job_id": job_id, "data": data}


def test_a_question_stays_open_until_answered_and_is_shown_in_the_header() -> None:
    model = TopModel()
    model.load_snapshot(snapshot(job("alpha"), job("beta")))
    model.apply(question(11, "alpha", 1))
    model.apply(question(12, "beta", 2))
    assert [(a["job_id"], a["sheet"]) for a in model.open_approvals()] == [
        ("alpha", 1),
        ("beta", 2),
    ]
    assert (
        "2 approval(s) waiting (A: the oldest; a approve, d reject, S skip)"
        in header(model, None, Processes(), NOW)[2]
    )
    model.apply(question(13, "alpha", 1, answer="approve"))
    assert list(model.approvals) == [("beta", 2)]
    model.load_approvals([])  # the conductor's list is the truth when it comes
    assert model.approvals == {}
    assert "approval" not in header(model, None, Processes(), NOW)[2]
