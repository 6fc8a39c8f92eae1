"""The event stream of a real conductor running real scores: every committed change in order,
a snapshot that the stream continues without a gap or a duplicate, replay after a reconnection
(and a fresh snapshot after a restart), output lines, and a subscriber too slow to keep up
dropped without slowing the job."""

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from podium.ipc.client import RemoteError
from podium.ipc.methods import DAEMON_PROCESSES, JOB_CANCEL
from podium.ipc.protocol import INVALID_PARAMS
from podium.ipc.schema import StreamEvent, StreamPosition, SubscribeParams
from podium.ipc.stream import StreamDropped, Subscription
from podium.testing.conductor import ConductorProcess

TWO_SHEETS = """
    name: two
    workspace: ./ws
    instrument: cli
    sheet: {size: 1, total_items: 2}
    prompt:
      template: |
        echo start {{ sheet_num }}
        while [ ! -e go ]; do sleep 0.02; done
        sleep {{ pause }}
        echo end {{ sheet_num }}
      variables: {pause: 0.6}
"""
"""Each sheet waits for the test to let the job go on (`let_go`): however slow the machine, a
subscriber that comes after the first attempt started comes before the job ends."""


def let_go(tmp_path: Path) -> None:
    (tmp_path / "ws" / "go").touch()


def subscribe(conductor: ConductorProcess, params: SubscribeParams) -> Subscription:
    return Subscription(str(conductor.socket), params, idle=0.5)


def read_until(
    stream: Subscription, done: Callable[[StreamEvent], bool], timeout: float = 30
) -> list[StreamEvent]:
    """The events up to and with the first for which `done` holds."""
    got: list[StreamEvent] = []
    deadline = time.monotonic() + timeout
    for event in stream:
        if event is not None:
            got.append(event)
            if done(event):
                return got
        if time.monotonic() > deadline:
            kinds = [(e["kind"], e["data"].get("status")) for e in got]
            raise AssertionError(f"not seen within {timeout}s; got {kinds}")
    raise AssertionError("the stream ended")


def job_ended(job_id: str) -> Callable[[StreamEvent], bool]:
    def ended(event: StreamEvent) -> bool:
        return (
            event["kind"] == "job"
            and event["job_id"] == job_id
            and event["data"]["status"] in ("completed", "failed", "cancelled")
        )

    return ended


@pytest.fixture
def watching(conductor: ConductorProcess) -> Iterator[Subscription]:
    """A subscriber to everything, from before anything happened."""
    with subscribe(conductor, {}) as stream:
        yield stream


def test_every_committed_change_comes_in_order_and_ends_as_the_store_says(
    conductor: ConductorProcess,
    write_score: Callable[..., Path],
    watching: Subscription,
    tmp_path: Path,
) -> None:
    job = conductor.submit(write_score(TWO_SHEETS))
    let_go(tmp_path)
    events = read_until(watching, job_ended(job))
    seqs = [e["seq"] for e in events]
    assert seqs == sorted(set(seqs))
    told = [(e["kind"], e["data"].get("status") or e["data"].get("outcome")) for e in events]
    assert next(t for t in told if t[0] == "job") == ("job", "running")
    assert ("attempt", "running") in told
    assert told.count(("attempt", "succeeded")) == 2
    assert told[-1] == ("job", "completed")
    sheets = {e["data"]["num"]: e["data"] for e in events if e["kind"] == "sheet"}
    stored = conductor.status(job)
    assert {s["num"]: s["status"] for s in stored["sheets"]} == {
        n: s["status"] for n, s in sheets.items()
    }
    assert events[-1]["data"]["completed_sheets"] == 2


def test_a_snapshot_and_the_stream_after_it_have_no_gap_and_no_duplicate(
    conductor: ConductorProcess,
    write_score: Callable[..., Path],
    watching: Subscription,
    tmp_path: Path,
) -> None:
    job = conductor.submit(write_score(TWO_SHEETS))
    seen = read_until(watching, lambda e: e["kind"] == "attempt")  # the first is under way
    with subscribe(conductor, {"snapshot": True}) as late:
        at = late.answer["seq"]
        [snapped] = [j for j in late.answer.get("jobs", []) if j["job_id"] == job]
        let_go(tmp_path)
        after = read_until(late, job_ended(job))
    everything = seen + read_until(watching, job_ended(job))
    assert [e["seq"] for e in after] == [e["seq"] for e in everything if e["seq"] > at]
    assert after == [e for e in everything if e["seq"] > at]
    last_told = [e["data"] for e in everything if e["kind"] == "job" and e["seq"] <= at][-1]
    assert snapped == last_told


def test_a_subscriber_that_comes_back_gets_what_it_missed_then_the_rest(
    conductor: ConductorProcess,
    write_score: Callable[..., Path],
    watching: Subscription,
    tmp_path: Path,
) -> None:
    job = conductor.submit(write_score(TWO_SHEETS))
    with subscribe(conductor, {"job_ids": [job]}) as first:
        let_go(tmp_path)
        read_until(first, lambda e: e["kind"] == "attempt")  # an attempt of the first sheet
        stream, left_at = first.answer["stream"], first.last
    # While it is away, the second sheet starts.
    seen = read_until(watching, lambda e: e["kind"] == "sheet" and e["data"]["num"] == 2)
    missed = [e for e in seen if e["seq"] > left_at]
    with subscribe(
        conductor, {"job_ids": [job], "since": {"stream": stream, "seq": left_at}}
    ) as back:
        assert back.answer["gap"] is False
        assert back.answer["seq"] == left_at
        assert back.answer["replayed"] >= len(missed) > 0
        rest = read_until(back, job_ended(job))
    everything = seen + read_until(watching, job_ended(job))
    assert rest == [e for e in everything if e["seq"] > left_at]


def test_after_a_restart_a_subscriber_is_told_to_take_a_fresh_snapshot(
    conductor: ConductorProcess, write_score: Callable[..., Path], tmp_path: Path
) -> None:
    job = conductor.submit(write_score(TWO_SHEETS))
    with subscribe(conductor, {}) as before:
        position = StreamPosition(stream=before.answer["stream"], seq=before.last)
        conductor.stop()
        with pytest.raises(StreamDropped, match="stopping"):
            read_until(before, lambda e: False, timeout=20)
    conductor.start()
    with subscribe(conductor, {"since": position, "snapshot": True}) as after:
        assert after.answer["gap"] is True
        assert after.answer["stream"] != position["stream"]
        assert after.answer["replayed"] == 0
        assert job in [j["job_id"] for j in after.answer.get("jobs", [])]
        let_go(tmp_path)
        read_until(after, job_ended(job))
    assert conductor.status(job)["status"] == "completed"


def test_output_lines_of_a_sheet_come_as_they_are_written(
    conductor: ConductorProcess, write_score: Callable[..., Path], tmp_path: Path
) -> None:
    job = conductor.submit(write_score(TWO_SHEETS))
    wanted: SubscribeParams = {"output": [{"job_id": job, "sheet": 2}], "kinds": ["job"]}
    with subscribe(conductor, wanted) as stream:
        let_go(tmp_path)
        events = read_until(stream, lambda e: e["kind"] == "output" and "end" in e["data"]["text"])
    lines = [e["data"] for e in events if e["kind"] == "output"]
    assert [(line["sheet"], line["stream"], line["text"]) for line in lines] == [
        (2, "stdout", "start 2"),
        (2, "stdout", "end 2"),
    ]
    assert [line["offset"] for line in lines] == [0, len("start 2\n")]


def test_the_processes_of_a_running_attempt_are_measured(
    conductor: ConductorProcess, write_score: Callable[..., Path], tmp_path: Path
) -> None:
    job = conductor.submit(write_score(TWO_SHEETS.replace("{pause: 0.6}", "{pause: 30}")))
    let_go(tmp_path)
    conductor.wait_for_recorded_attempt(1)
    first = conductor.request(DAEMON_PROCESSES({}))
    # A process seen for the first time has no CPU share yet; one seen before has. (The
    # attempt's shell may start its `sleep` between two looks: look until both were seen.)
    deadline = time.monotonic() + 15
    while True:
        again = conductor.request(DAEMON_PROCESSES({}))
        mine = [p for p in again["processes"] if p["job_id"] == job]
        slept = any("sleep 30" in p["command"] for p in mine)
        if slept and all(p["cpu_percent"] is not None for p in mine):
            break
        assert time.monotonic() < deadline, again
        time.sleep(0.2)
    assert first["conductor"]["pid"] == again["conductor"]["pid"]
    assert {(p["sheet"], p["attempt"], p["instrument"]) for p in mine} == {(1, 1, "cli")}
    assert any("sleep 30" in p["command"] for p in mine)
    assert mine[0]["ppid"] not in {p["pid"] for p in mine}  # the attempt's leader comes first
    conductor.request(JOB_CANCEL({"job_id": job}))


def test_a_subscriber_that_reads_too_slowly_is_dropped_and_the_job_goes_on(
    conductors: Callable[..., ConductorProcess], write_score: Callable[..., Path]
) -> None:
    conductor = conductors({"events": {"subscriber_queue": 10}})
    flood = """
        name: flood
        workspace: ./ws
        instrument: cli
        sheet: {size: 1, total_items: 1}
        prompt:
          template: "for i in $(seq 1 20000); do echo line $i of a flood of output; done"
    """
    job = conductor.submit(write_score(flood))
    with subscribe(conductor, {"output": [{"job_id": job}]}) as slow:
        conductor.wait_for_job(job, "completed")  # not reading meanwhile
        with pytest.raises(StreamDropped, match="behind") as dropped:
            read_until(slow, lambda e: False)
    assert "subscribe again" in dropped.value.reason


def test_an_unknown_kind_is_refused_with_the_kinds_there_are(
    conductor: ConductorProcess,
) -> None:
    with pytest.raises(RemoteError) as refused:
        subscribe(conductor, {"kinds": ["jobs"]})
    assert refused.value.code == INVALID_PARAMS
    assert "unknown event kind 'jobs'" in refused.value.message
    assert "job, sheet, attempt" in refused.value.message
