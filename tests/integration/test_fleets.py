"""Fleets run by a real conductor: groups wait for the groups they depend on to complete, a
failure stops what depends on it, and a restart neither loses a group nor submits one twice."""

import signal
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from podium.domain.fleet import FleetMember, FleetRecord, FleetStatus
from podium.domain.ids import JobId
from podium.ipc.client import RemoteError
from podium.ipc.fleet_schema import FleetInfo
from podium.ipc.methods import (
    FLEET_CANCEL,
    FLEET_PAUSE,
    FLEET_RESUME,
    FLEET_STATUS,
    FLEET_SUBMIT,
    JOB_CLEAR,
)
from podium.ipc.protocol import INVALID_SCORE, JOB_NOT_FOUND, JOB_NOT_RESUMABLE
from podium.ipc.schema import ClearParams
from podium.store.sqlite import SqliteStore
from podium.testing.conductor import ConductorProcess


def score(folder: Path, name: str, command: str) -> None:
    """A one-sheet `cli` score running `command` in the fleet's workspace."""
    text = f"""
        name: {name}
        workspace: ./ws
        instrument: cli
        sheet: {{size: 1, total_items: 1}}
        retry: {{max_retries: 0, max_completion_attempts: 0}}
        prompt: {{template: '{command}'}}
    """
    (folder / f"{name}.yaml").write_text(textwrap.dedent(text))


def gated(name: str) -> str:
    """Records that it ran, then waits until the file `go-<name>` exists."""
    return f"echo $$ >> {name}.ran; while [ ! -e go-{name} ]; do sleep 0.02; done"


def fleet_file(folder: Path, text: str) -> Path:
    path = folder / "fleet.yaml"
    path.write_text(textwrap.dedent(text))
    return path


A_THEN_B = """
    type: fleet
    name: build
    scores:
      - {path: a1.yaml, group: first}
      - {path: a2.yaml, group: first}
      - {path: b.yaml, group: second}
    groups:
      first: {}
      second: {depends_on: [first]}
"""


def submit(conductor: ConductorProcess, path: Path) -> FleetInfo:
    return conductor.request(FLEET_SUBMIT({"path": str(path)}))


def fleet_status(conductor: ConductorProcess, fleet_id: str) -> FleetInfo:
    return conductor.request(FLEET_STATUS({"fleet_id": fleet_id}))


def wait_for_fleet(conductor: ConductorProcess, fleet_id: str) -> FleetInfo:
    found: list[FleetInfo] = []

    def ended() -> bool:
        found[:] = [fleet_status(conductor, fleet_id)]
        return found[0]["status"] in ("completed", "failed", "cancelled")

    conductor.wait_until(ended, 30, f"fleet {fleet_id} to end")
    return found[0]


def member_jobs(fleet: FleetInfo) -> dict[str, str | None]:
    return {Path(m["score_path"]).stem: m["job_id"] for m in fleet["members"]}


def test_the_second_group_starts_only_after_every_job_of_the_first_completed(
    conductor: ConductorProcess, tmp_path: Path
) -> None:
    score(tmp_path, "a1", "sleep 0.1")
    score(tmp_path, "a2", "sleep 0.3")
    score(tmp_path, "b", "true")
    fleet = submit(conductor, fleet_file(tmp_path, A_THEN_B))
    jobs = member_jobs(fleet)
    assert jobs["a1"] and jobs["a2"] and jobs["b"] is None
    [waiting] = [m for m in fleet["members"] if m["group"] == "second"]
    assert waiting["state"] == "waits for group first"

    done = wait_for_fleet(conductor, fleet["fleet_id"])
    assert done["status"] == "completed" and done["reason"] is None
    jobs = member_jobs(done)
    [(first_ended,)] = conductor.query(
        "SELECT max(finished_at) FROM jobs WHERE job_id IN (?, ?)", jobs["a1"], jobs["a2"]
    )
    [(b_started, b_submitted)] = conductor.query(
        "SELECT started_at, submitted_at FROM jobs WHERE job_id = ?", jobs["b"]
    )
    assert b_submitted >= first_ended and b_started >= first_ended
    assert [g["name"] for g in done["groups"]] == ["first", "second"]
    # A fleet's id is taken: a job of a score named like it gets another.
    score(tmp_path, "build", "true")
    assert conductor.submit(tmp_path / "build.yaml") != fleet["fleet_id"]


def test_a_failed_job_in_the_first_group_never_starts_the_second(
    conductor: ConductorProcess, tmp_path: Path
) -> None:
    score(tmp_path, "a1", "true")
    score(tmp_path, "a2", "exit 3")
    score(tmp_path, "b", "true")
    fleet = submit(conductor, fleet_file(tmp_path, A_THEN_B))
    done = wait_for_fleet(conductor, fleet["fleet_id"])
    jobs = member_jobs(done)
    assert done["status"] == "failed"
    assert f"job {jobs['a2']}" in str(done["reason"]) and "second" in str(done["reason"])
    assert jobs["b"] is None
    [second] = [g for g in done["groups"] if g["name"] == "second"]
    assert second["never_starts"]
    assert conductor.query("SELECT count(*) FROM jobs") == [(2,)]


def test_a_restart_while_the_first_group_runs_loses_nothing_and_submits_nothing_twice(
    conductors: Callable[..., ConductorProcess], tmp_path: Path
) -> None:
    score(tmp_path, "a1", gated("a1"))
    score(tmp_path, "a2", "true")
    score(tmp_path, "b", "echo $$ >> b.ran")
    first = conductors({"kill_grace_seconds": 1.0})
    fleet = submit(first, fleet_file(tmp_path, A_THEN_B))
    ran = tmp_path / "ws" / "a1.ran"
    first.wait_until(ran.exists, 15, "a1 to run")
    assert first.kill(signal.SIGKILL) == -signal.SIGKILL
    (tmp_path / "ws" / "go-a1").touch()  # a1 ends while no conductor runs

    second = conductors({"kill_grace_seconds": 1.0})
    done = wait_for_fleet(second, fleet["fleet_id"])
    assert done["status"] == "completed"
    assert len(ran.read_text().splitlines()) == 1
    assert len((tmp_path / "ws" / "b.ran").read_text().splitlines()) == 1
    jobs = member_jobs(done)
    assert second.query("SELECT count(*) FROM jobs") == [(3,)]
    assert {j for (j,) in second.query("SELECT job_id FROM jobs")} == set(jobs.values())


def test_cancelling_a_fleet_cancels_its_running_jobs_and_starts_no_group(
    conductor: ConductorProcess, tmp_path: Path
) -> None:
    score(tmp_path, "a1", gated("a1"))
    score(tmp_path, "a2", "true")
    score(tmp_path, "b", "true")
    fleet = submit(conductor, fleet_file(tmp_path, A_THEN_B))
    conductor.wait_until((tmp_path / "ws" / "a1.ran").exists, 15, "a1 to run")
    done = conductor.request(FLEET_CANCEL({"fleet_id": fleet["fleet_id"]}))
    assert done["status"] == "cancelled"
    jobs = member_jobs(done)
    assert conductor.wait_for_job(str(jobs["a1"]))["status"] == "cancelled"
    assert member_jobs(fleet_status(conductor, fleet["fleet_id"]))["b"] is None
    with pytest.raises(RemoteError) as again:
        conductor.request(FLEET_CANCEL({"fleet_id": fleet["fleet_id"]}))
    assert again.value.code == JOB_NOT_RESUMABLE
    assert "already ended (cancelled)" in again.value.message


def test_a_paused_fleet_holds_its_waiting_groups_until_resumed(
    conductor: ConductorProcess, tmp_path: Path
) -> None:
    score(tmp_path, "a1", gated("a1"))
    score(tmp_path, "a2", "true")
    score(tmp_path, "b", "true")
    fleet = submit(conductor, fleet_file(tmp_path, A_THEN_B))
    fleet_id = fleet["fleet_id"]
    conductor.wait_until((tmp_path / "ws" / "a1.ran").exists, 15, "a1 to run")
    paused = conductor.request(FLEET_PAUSE({"fleet_id": fleet_id}))
    assert paused["status"] == "paused"
    (tmp_path / "ws" / "go-a1").touch()
    jobs = member_jobs(paused)
    conductor.wait_until(
        lambda: conductor.status(str(jobs["a1"]))["status"] == "paused", 15, "a1 to pause"
    )
    assert member_jobs(fleet_status(conductor, fleet_id))["b"] is None  # held while paused
    resumed = conductor.request(FLEET_RESUME({"fleet_id": fleet_id}))
    assert resumed["status"] == "running"
    assert wait_for_fleet(conductor, fleet_id)["status"] == "completed"


def test_a_member_that_no_longer_compiles_fails_the_fleet_when_its_group_starts(
    conductor: ConductorProcess, tmp_path: Path
) -> None:
    score(tmp_path, "a1", gated("a1"))
    score(tmp_path, "a2", "true")
    score(tmp_path, "b", "true")
    fleet = submit(conductor, fleet_file(tmp_path, A_THEN_B))
    conductor.wait_until((tmp_path / "ws" / "a1.ran").exists, 15, "a1 to run")
    (tmp_path / "b.yaml").write_text("name: b\nsheet: {size: 0}\n")
    (tmp_path / "ws" / "go-a1").touch()
    done = wait_for_fleet(conductor, fleet["fleet_id"])
    assert done["status"] == "failed"
    assert "b.yaml (group 'second') could not be submitted" in str(done["reason"])
    [b] = [m for m in done["members"] if m["group"] == "second"]
    assert b["job_id"] is None and b["error"]


def test_a_fleet_whose_score_does_not_compile_is_refused_and_unknown_ids_are_named(
    conductor: ConductorProcess, tmp_path: Path
) -> None:
    score(tmp_path, "a1", "true")
    score(tmp_path, "b", "true")
    (tmp_path / "a2.yaml").write_text("name: a2\n")
    with pytest.raises(RemoteError) as refused:
        submit(conductor, fleet_file(tmp_path, A_THEN_B))
    assert refused.value.code == INVALID_SCORE
    assert "a2.yaml does not compile" in refused.value.message
    assert conductor.query("SELECT count(*) FROM fleets") == [(0,)]
    with pytest.raises(RemoteError) as unknown:
        fleet_status(conductor, "nope")
    assert unknown.value.code == JOB_NOT_FOUND
    assert "no job or fleet 'nope'" in unknown.value.message


def test_members_given_ids_before_a_crash_are_submitted_once_under_those_ids(
    conductors: Callable[..., ConductorProcess], tmp_path: Path
) -> None:
    """The conductor stopped between storing a member's job id and knowing its submission
    went through: a job the store has is not submitted again; one it lacks is, under its id."""
    score(tmp_path, "a1", "echo $$ >> a1.ran")
    score(tmp_path, "a2", "echo $$ >> a2.ran")
    score(tmp_path, "b", "true")
    first = conductors({"kill_grace_seconds": 1.0})
    assert first.submit(tmp_path / "a2.yaml") == "a2"  # its submission went through
    first.wait_for_job("a2", "completed")
    assert first.kill(signal.SIGKILL) == -signal.SIGKILL
    store = SqliteStore(first.database)
    try:
        record = FleetRecord(
            JobId("build"),
            "build",
            str(tmp_path / "fleet.yaml"),
            FleetStatus.RUNNING,
            1.0,
            {"first": (), "second": ("first",)},
        )
        store.fleets.add(
            record,
            [
                FleetMember(1, str(tmp_path / "a1.yaml"), "first", JobId("a1-early")),
                FleetMember(2, str(tmp_path / "a2.yaml"), "first", JobId("a2")),
                FleetMember(3, str(tmp_path / "b.yaml"), "second"),
            ],
        )
    finally:
        store.close()

    second = conductors({"kill_grace_seconds": 1.0})
    done = wait_for_fleet(second, "build")
    assert done["status"] == "completed"
    assert member_jobs(done) == {"a1": "a1-early", "a2": "a2", "b": "b"}
    assert len((tmp_path / "ws" / "a1.ran").read_text().splitlines()) == 1
    assert len((tmp_path / "ws" / "a2.ran").read_text().splitlines()) == 1
    assert second.query("SELECT count(*) FROM jobs") == [(3,)]


def test_clear_leaves_the_jobs_of_an_unfinished_fleet_alone_and_says_why(
    conductor: ConductorProcess, tmp_path: Path
) -> None:
    score(tmp_path, "a1", "true")
    score(tmp_path, "a2", gated("a2"))
    score(tmp_path, "b", "true")
    fleet = submit(conductor, fleet_file(tmp_path, A_THEN_B))
    fleet_id, a1 = fleet["fleet_id"], str(member_jobs(fleet)["a1"])
    conductor.wait_for_job(a1, "completed")
    kept = (
        f"job {a1} belongs to fleet {fleet_id}, which has not ended; cancel or finish the "
        "fleet first"
    )
    selections: list[ClearParams] = [{}, {"job_ids": [a1]}, {"dry_run": True}]
    for params in selections:
        cleared = conductor.request(JOB_CLEAR(params))
        assert (cleared["jobs"], cleared["problems"]) == ([], [kept])
    assert conductor.status(a1)["status"] == "completed"

    (tmp_path / "ws" / "go-a2").touch()
    done = wait_for_fleet(conductor, fleet_id)
    assert done["status"] == "completed"
    cleared = conductor.request(JOB_CLEAR({}))
    assert sorted(j["job_id"] for j in cleared["jobs"]) == sorted(
        str(j) for j in member_jobs(done).values()
    )
    assert cleared["problems"] == []


def test_resuming_a_failed_fleet_resumes_its_failed_job_and_the_next_group_starts(
    conductor: ConductorProcess, tmp_path: Path
) -> None:
    score(tmp_path, "a1", "true")
    score(tmp_path, "a2", "test -e fixed")
    score(tmp_path, "b", "echo $$ >> b.ran")
    fleet_id = submit(conductor, fleet_file(tmp_path, A_THEN_B))["fleet_id"]
    failed = wait_for_fleet(conductor, fleet_id)
    assert failed["status"] == "failed" and member_jobs(failed)["b"] is None

    (tmp_path / "ws" / "fixed").touch()
    resumed = conductor.request(FLEET_RESUME({"fleet_id": fleet_id}))
    assert (resumed["status"], resumed["reason"], resumed["ended_at"]) == ("running", None, None)
    assert resumed["message"].startswith("resumed: 1 job(s) go on;")
    done = wait_for_fleet(conductor, fleet_id)
    assert done["status"] == "completed"
    assert len((tmp_path / "ws" / "b.ran").read_text().splitlines()) == 1


def test_a_failed_fleet_whose_job_was_cleared_cannot_be_resumed(
    conductor: ConductorProcess, tmp_path: Path
) -> None:
    score(tmp_path, "a1", "true")
    score(tmp_path, "a2", "exit 3")
    score(tmp_path, "b", "true")
    fleet_id = submit(conductor, fleet_file(tmp_path, A_THEN_B))["fleet_id"]
    a2 = str(member_jobs(wait_for_fleet(conductor, fleet_id))["a2"])
    assert [j["job_id"] for j in conductor.request(JOB_CLEAR({"job_ids": [a2]}))["jobs"]] == [a2]
    with pytest.raises(RemoteError) as refused:
        conductor.request(FLEET_RESUME({"fleet_id": fleet_id}))
    assert refused.value.code == JOB_NOT_RESUMABLE
    assert f"its job(s) {a2} were removed ('podium clear')" in refused.value.message
    assert fleet_status(conductor, fleet_id)["status"] == "failed"
