"""Backpressure on a real conductor: a tiny process limit, real attempts, real measurements."""

from collections.abc import Callable
from pathlib import Path

import pytest

from podium.ipc import protocol
from podium.ipc.client import RemoteError
from podium.ipc.methods import DAEMON_HEALTH, DAEMON_READY, DAEMON_STATUS, JOB_RESUME
from podium.ipc.schema import PressureInfo
from podium.testing.conductor import ConductorProcess

TIGHT = {
    "kill_grace_seconds": 1.0,
    "monitor_interval_seconds": 0.2,
    "resource_limits": {"max_processes": 4},
}
"""Each gated attempt keeps two or three processes alive (the exit wrapper, the script's shell,
its `sleep`): one attempt stays below the high level, two are at the critical one."""


def gated(name: str) -> str:
    return f"""
        name: {name}
        workspace: ./ws-{name}
        instrument: cli
        sheet: {{size: 1, total_items: 1}}
        retry: {{max_retries: 0}}
        prompt:
          template: |
            echo run >> runs.txt
            while [ ! -e ../go ]; do sleep 0.02; done
    """


def pressure(conductor: ConductorProcess) -> PressureInfo:
    return conductor.request(DAEMON_STATUS({}))["pressure"]


def paused_at(conductor: ConductorProcess, job: str) -> list[float]:
    """When the conductor paused the job to shed load."""
    history = conductor.status(job)["history"]
    return [n["at"] for n in history if n["text"].startswith("paused by the conductor")]


def test_critical_pressure_refuses_new_jobs_and_pauses_the_newest_without_killing(
    conductors: Callable[..., ConductorProcess], write_score: Callable[..., Path], tmp_path: Path
) -> None:
    conductor = conductors(TIGHT)
    health = conductor.request(DAEMON_HEALTH({}))
    assert health["status"] == "ok" and health["shutting_down"] is False
    conductor.wait_until(lambda: conductor.request(DAEMON_READY({}))["ready"], 10, "readiness")

    older = conductor.submit(write_score(gated("older"), "older.yaml"))
    conductor.wait_until((tmp_path / "ws-older" / "runs.txt").exists, 15, "the older job's sheet")
    newer = conductor.submit(write_score(gated("newer"), "newer.yaml"))
    conductor.wait_until(
        lambda: newer_paused_by_conductor(conductor, newer), 20, "the newer job to be paused"
    )
    assert conductor.status(newer)["sheets"][0]["status"] == "running"  # not killed

    level = pressure(conductor)
    assert level["level"] in ("high", "critical")
    assert level["limits"]["max_processes"] == 4 and (level["processes"] or 0) >= 4
    ready = conductor.request(DAEMON_READY({}))
    assert ready["ready"] is False and ready["status"] == "not_ready"
    assert ready["accepting_work"] is False
    assert any("resource pressure is" in reason for reason in ready["reasons"])

    with pytest.raises(RemoteError) as refused:
        conductor.submit(write_score(gated("third"), "third.yaml"))
    assert refused.value.code == protocol.RESOURCE_EXHAUSTED
    assert "try again when the load drops (podium conductor-status shows it)" in (
        refused.value.message
    )
    with pytest.raises(RemoteError) as resume_refused:
        conductor.request(JOB_RESUME({"job_id": newer}))
    assert resume_refused.value.code == protocol.RESOURCE_EXHAUSTED

    (tmp_path / "go").touch()
    for job in (older, newer):
        done = conductor.wait_for_job(job, "completed")
        assert done["sheets"][0]["attempts"] == 1
    assert (tmp_path / "ws-newer" / "runs.txt").read_text() == "run\n"
    newer_paused, older_paused = (paused_at(conductor, job) for job in (newer, older))
    assert len(newer_paused) == 1  # paused once, never again while paused
    assert all(at >= newer_paused[0] for at in older_paused)  # the newest first
    conductor.wait_until(
        lambda: conductor.request(DAEMON_READY({}))["ready"], 15, "the load to drop"
    )
    third = conductor.submit(write_score(gated("third"), "third.yaml"))  # taken again
    conductor.wait_for_job(third, "completed")  # at once: `go` is there


def newer_paused_by_conductor(conductor: ConductorProcess, job: str) -> bool:
    found = conductor.status(job)
    return found["status"] == "paused" and any(
        n["text"].startswith("paused by the conductor: ")
        and n["text"].endswith("; resume it when the load drops")
        and "of 4 processes" in n["text"]
        for n in found["history"]
    )


def test_attempts_reattached_after_a_restart_still_count_as_load(
    conductors: Callable[..., ConductorProcess], write_score: Callable[..., Path], tmp_path: Path
) -> None:
    config = {"kill_grace_seconds": 1.0, "monitor_interval_seconds": 0.2}
    first = conductors(config)
    job = first.submit(write_score(gated("survivor"), "survivor.yaml"))
    first.wait_until((tmp_path / "ws-survivor" / "runs.txt").exists, 15, "the sheet")
    first.kill()
    second = conductors(config)  # the attempt is not its descendant: it re-attaches it
    second.wait_until(
        lambda: (pressure(second)["processes"] or 0) >= 2, 15, "the attempt's processes counted"
    )
    (tmp_path / "go").touch()
    second.wait_for_job(job, "completed")
    second.wait_until(lambda: pressure(second)["processes"] == 0, 15, "the processes to end")
