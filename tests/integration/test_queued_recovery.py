"""Queued jobs come back from a restart uncompiled; their scores are compiled in the background
once the conductor is ready, or when first needed."""

import signal
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from podium.ipc.methods import JOB_CANCEL, JOB_MODIFY, JOB_PAUSE, JOB_RESUME
from podium.testing.conductor import ConductorProcess
from tests.integration.test_notifications import Receiver

ONE_JOB = {"max_concurrent_jobs": 1, "kill_grace_seconds": 0.5}


def queued_score(tmp_path: Path, name: str, extra: str = "", total: int = 1) -> Path:
    """A score whose sheets wait for the file `go`, then write `<name>-<sheet>` to runs.txt."""
    path = tmp_path / f"{name}.yaml"
    path.write_text(
        f"""
name: {name}
workspace: ./ws-{name}
instrument: cli
pause_between_sheets_seconds: 0
sheet: {{size: 1, total_items: {total}}}
prompt:
  template: 'while [ ! -e {tmp_path}/go ]; do sleep 0.02; done; echo {name}-{{{{ sheet_num }}}} >> {tmp_path}/runs.txt'
{extra}"""
    )
    return path


def restarted_with_queue(
    conductors: Callable[..., ConductorProcess], tmp_path: Path, scores: list[Path]
) -> tuple[ConductorProcess, list[str]]:
    """Submit the scores with one job at a time, kill the conductor while the first runs (the
    rest queued), and start another; it has checked the queued jobs' scores."""
    first = conductors(ONE_JOB)
    jobs = [first.submit(score) for score in scores]
    first.wait_until(lambda: first.status(jobs[0])["status"] == "running", 15, "the first job")
    assert [first.status(j)["status"] for j in jobs[1:]] == ["queued"] * (len(jobs) - 1)
    assert first.kill(signal.SIGKILL) == -signal.SIGKILL
    return first, jobs


def checked(conductor: ConductorProcess, count: int) -> None:
    conductor.wait_until(
        lambda: f"checked the scores of {count} queued job(s)" in conductor.log,
        15,
        "the queued jobs' scores to be checked",
    )


def runs(tmp_path: Path) -> list[str]:
    path = tmp_path / "runs.txt"
    return path.read_text().split() if path.exists() else []


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.close()


def test_a_queued_job_runs_after_a_restart_and_tells_its_events(
    conductors: Callable[..., ConductorProcess],
    tmp_path: Path,
    receiver: Receiver,
) -> None:
    heard = receiver
    told = f"""notifications:
  - type: webhook
    on_events: [job_start, sheet_complete, job_complete]
    config: {{url: '{heard.url}'}}
"""
    scores = [queued_score(tmp_path, "a"), queued_score(tmp_path, "b", told, total=2)]
    _, (a, b) = restarted_with_queue(conductors, tmp_path, scores)

    second = conductors(ONE_JOB)
    assert second.status(b)["status"] == "queued"
    checked(second, 1)
    (tmp_path / "go").touch()
    second.wait_for_job(a, "completed")
    second.wait_for_job(b, "completed")
    assert runs(tmp_path) == ["a-1", "b-1", "b-2"]
    second.wait_until(lambda: len(heard.bodies()) == 4, 15, "the job's events to be told")
    assert [(body["event"], body.get("sheet")) for body in heard.bodies()] == [
        ("job_start", None),
        ("sheet_complete", 1),
        ("sheet_complete", 2),
        ("job_complete", None),
    ]


def test_a_queued_job_whose_stored_score_no_longer_compiles_fails_and_the_others_go_on(
    conductors: Callable[..., ConductorProcess], tmp_path: Path
) -> None:
    scores = [queued_score(tmp_path, name, total=2) for name in ("a", "broken", "c")]
    first, (a, broken, c) = restarted_with_queue(conductors, tmp_path, scores)
    first.query("UPDATE job_specs SET snapshot = 'name: [' WHERE job_id = ?", broken)

    second = conductors(ONE_JOB)
    checked(second, 2)
    failed = second.wait_for_job(broken, "failed")  # found before its turn came
    assert str(failed["error"]).startswith("cannot go on after a restart: ")
    assert "stored score cannot be read" in str(failed["error"])
    assert {s["status"] for s in failed["sheets"]} == {"cancelled"}
    assert second.status(c)["status"] == "queued"
    (tmp_path / "go").touch()
    second.wait_for_job(a, "completed")
    second.wait_for_job(c, "completed")
    assert runs(tmp_path) == ["a-1", "a-2", "c-1", "c-2"]


def test_a_queued_job_recovered_uncompiled_can_be_paused_cancelled_and_modified(
    conductors: Callable[..., ConductorProcess], tmp_path: Path
) -> None:
    scores = [queued_score(tmp_path, name) for name in ("a", "paused", "cancelled", "modified")]
    _, (a, paused, cancelled, modified) = restarted_with_queue(conductors, tmp_path, scores)

    second = conductors(ONE_JOB)
    checked(second, 3)
    second.request(JOB_PAUSE({"job_id": paused}))
    assert second.status(paused)["status"] == "paused"
    second.request(JOB_CANCEL({"job_id": cancelled}))
    assert second.status(cancelled)["status"] == "cancelled"
    bigger = queued_score(tmp_path, "bigger", total=2)
    second.request(JOB_MODIFY({"job_id": modified, "score_path": str(bigger)}))
    (tmp_path / "go").touch()
    second.wait_for_job(a, "completed")
    done = second.wait_for_job(modified, "completed")
    assert done["total_sheets"] == 2
    second.request(JOB_RESUME({"job_id": paused}))
    second.wait_for_job(paused, "completed")
    assert runs(tmp_path) == ["a-1", "bigger-1", "bigger-2", "paused-1"]
