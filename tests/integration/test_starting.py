"""A conductor answers before it has loaded and recovered: it says so honestly, makes every
other request wait, dispatches nothing before the attempts that outlived the last conductor
are reconciled, and loses nothing when it is killed while starting."""

import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from podium.ipc.client import ConductorClient, ConductorUnavailable
from podium.ipc.methods import DAEMON_STATUS, JOB_LIST
from podium.ipc.schema import ConductorInfo
from podium.testing.conductor import ConductorProcess

BLOCKED = """
name: {name}
workspace: ./ws
instrument: cli
sheet: {{size: 1, total_items: 1}}
prompt:
  template: 'echo {name} $$ >> {folder}/runs.txt; while [ ! -e {folder}/go-{name} ]; do sleep 0.02; done'
"""


def score(folder: Path, name: str) -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(BLOCKED.format(name=name, folder=folder))
    return path


def runs(folder: Path) -> list[str]:
    path = folder / "runs.txt"
    return [line.split()[0] for line in path.read_text().splitlines()] if path.exists() else []


def first_answer(conductor: ConductorProcess) -> ConductorInfo:
    """Launch the conductor and return its very first `daemon.status`."""
    conductor.launch()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with ConductorClient(str(conductor.socket), timeout=30) as client:
                return client.request(DAEMON_STATUS({}))
        except ConductorUnavailable:
            time.sleep(0.002)
    raise AssertionError(f"the conductor did not answer:\n{conductor.log}")


def test_the_first_answer_is_honest_and_a_list_asked_meanwhile_has_every_job(
    conductors: Callable[..., ConductorProcess], tmp_path: Path
) -> None:
    first = conductors({"max_concurrent_jobs": 1})
    jobs = [first.submit(score(tmp_path, name)) for name in ("a", "b", "c")]
    first.wait_until(lambda: runs(tmp_path) == ["a"], 15, "job a to run")
    assert first.kill(signal.SIGKILL) == -signal.SIGKILL

    again = ConductorProcess(first.home)
    try:
        info = first_answer(again)
        assert info["state"] in ("loading", "starting", "ready")
        if info["state"] == "loading":  # nothing is claimed that is not known yet
            assert (info["active_jobs"], info["max_concurrent_jobs"], info["log_file"]) == (
                0,
                0,
                "",
            )
        with ConductorClient(str(again.socket), timeout=30) as client:
            listed = client.request(JOB_LIST({}))  # waits until every job is back
            after = client.request(DAEMON_STATUS({}))
        assert sorted(j["job_id"] for j in listed["jobs"]) == sorted(jobs)
        assert listed["total"] == 3
        assert (after["state"], after["active_jobs"], after["running_sheets"]) == ("ready", 3, 1)
    finally:
        again.stop()


def test_a_queued_job_does_not_take_the_slot_of_an_attempt_that_outlived_the_conductor(
    conductors: Callable[..., ConductorProcess], tmp_path: Path
) -> None:
    first = conductors({"max_concurrent_jobs": 1, "max_concurrent_sheets": 1})
    running = first.submit(score(tmp_path, "a"))
    waiting = first.submit(score(tmp_path, "b"))
    first.wait_until(lambda: runs(tmp_path) == ["a"], 15, "job a to run")
    assert first.kill(signal.SIGKILL) == -signal.SIGKILL
    # More job slots now: only the sheet slot, held by a's surviving attempt, keeps b waiting.
    again = conductors({"max_concurrent_jobs": 2, "max_concurrent_sheets": 1}, first.home)
    assert again.status(waiting)["status"] in ("queued", "running")
    assert again.query("SELECT count(*) FROM attempts WHERE job_id = ?", waiting) == [(0,)]
    assert again.status(running)["sheets"][0]["status"] == "running"
    (tmp_path / "go-a").touch()
    again.wait_for_job(running, "completed")
    again.wait_until(lambda: runs(tmp_path) == ["a", "b"], 15, "job b to run")
    (tmp_path / "go-b").touch()
    again.wait_for_job(waiting, "completed")
    assert runs(tmp_path) == ["a", "b"]  # a ran once, re-attached


def test_a_conductor_killed_while_starting_loses_nothing_and_runs_nothing_twice(
    conductors: Callable[..., ConductorProcess], tmp_path: Path
) -> None:
    first = conductors({"max_concurrent_jobs": 1})
    jobs = [first.submit(score(tmp_path, name)) for name in ("a", "b")]
    first.wait_until(lambda: runs(tmp_path) == ["a"], 15, "job a to run")
    assert first.kill(signal.SIGKILL) == -signal.SIGKILL

    starting = ConductorProcess(first.home)
    first_answer(starting)  # it listens; it may not have loaded or recovered anything yet
    assert starting.kill(signal.SIGKILL) == -signal.SIGKILL

    again = conductors({"max_concurrent_jobs": 1}, first.home)
    assert [again.status(j)["status"] for j in jobs] == ["running", "queued"]
    for name, job in zip(("a", "b"), jobs, strict=True):
        (tmp_path / f"go-{name}").touch()
        again.wait_for_job(job, "completed")
    assert runs(tmp_path) == ["a", "b"]


@pytest.mark.timeout(180)  # 1,050 durable submissions, about 10 s on a quiet machine
def test_many_queued_jobs_come_back_in_slices_and_start_in_submission_order(
    conductors: Callable[..., ConductorProcess], tmp_path: Path
) -> None:
    first = conductors({"max_concurrent_jobs": 1})
    blocker = first.submit(score(tmp_path, "a"))
    jobs = [first.submit(score(tmp_path, f"q{n}")) for n in range(1_050)]  # three slices
    first.wait_until(lambda: runs(tmp_path) == ["a"], 15, "job a to run")
    assert first.kill(signal.SIGKILL) == -signal.SIGKILL

    again = conductors({"max_concurrent_jobs": 1}, first.home)
    listed = again.request(JOB_LIST({"limit": 2000}))
    assert listed["total"] == 1_051
    assert [j["job_id"] for j in listed["jobs"]] == [*reversed(jobs), blocker]
    assert "recovered 1051 unfinished job(s), 1050 of them queued" in again.log
    (tmp_path / "go-a").touch()
    again.wait_for_job(blocker, "completed")
    again.wait_until(lambda: runs(tmp_path) == ["a", "q0"], 15, "the oldest queued job to run")
    [(started,)] = again.query("SELECT DISTINCT job_id FROM attempts WHERE job_id != ?", blocker)
    assert started == jobs[0]
