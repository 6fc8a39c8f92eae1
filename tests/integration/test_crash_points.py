"""A conductor killed at the worst moments: while submissions arrive, while a limit changes.
(Killed mid-attempt and mid-validation: test_recovery.py.)"""

import signal
import threading
from collections.abc import Callable
from pathlib import Path

from podium.ipc.client import ConductorClient, ConductorUnavailable, RemoteError
from podium.testing.conductor import ConductorProcess

SUBMITTERS = 4
SCORES = 40

ONE_SHEET = """
    name: s{n}
    workspace: ./ws-{n}
    instrument: cli
    sheet: {{size: 1, total_items: 1}}
    prompt:
      template: echo run >> runs.txt
"""


def test_a_conductor_killed_while_submissions_arrive_loses_no_accepted_job(
    conductors: Callable[..., ConductorProcess], tmp_path: Path
) -> None:
    scores = []
    for n in range(SCORES):
        path = tmp_path / f"s{n}.yaml"
        path.write_text(ONE_SHEET.format(n=n))
        scores.append(path)
    first = conductors({"max_concurrent_jobs": 2})
    accepted: dict[Path, str] = {}
    lock = threading.Lock()

    def submit_all(mine: list[Path]) -> None:
        with ConductorClient(str(first.socket), timeout=10) as client:
            for score in mine:
                try:
                    done = client.call("job.submit", {"score_path": str(score)})
                except (ConductorUnavailable, RemoteError, OSError):
                    return  # the conductor died under this submission
                with lock:
                    accepted[score] = done["job_id"]

    submitters = [
        threading.Thread(target=submit_all, args=(scores[i::SUBMITTERS],))
        for i in range(SUBMITTERS)
    ]
    for t in submitters:
        t.start()
    first.wait_until(lambda: len(accepted) >= 5, 15, "some submissions to be accepted")
    assert first.kill(signal.SIGKILL) == -signal.SIGKILL
    for t in submitters:
        t.join(timeout=15)
    assert len(accepted) < SCORES, "every submission got in before the kill; nothing was tested"

    second = conductors({"max_concurrent_jobs": 2})
    stored = dict(second.query("SELECT score_path, job_id FROM jobs"))
    # Every answered submission is there, under the id it was given; any other job that got
    # in before the kill is whole (its sheets and spec are there) and runs like the others.
    assert {str(p): j for p, j in accepted.items()}.items() <= stored.items()
    assert len(stored) == len(set(stored.values()))
    for job in stored.values():
        second.wait_for_job(job, "completed", timeout=60)
    ran = {p: (p.parent / f"ws-{p.stem[1:]}" / "runs.txt") for p in scores}
    assert {str(p) for p, runs in ran.items() if runs.exists()} == set(stored)
    assert all(runs.read_text() == "run\n" for runs in ran.values() if runs.exists())


def test_queued_jobs_start_again_in_their_order_after_a_crash(
    conductors: Callable[..., ConductorProcess], tmp_path: Path
) -> None:
    gate = tmp_path / "go"
    order = tmp_path / "order.txt"
    first = conductors({"max_concurrent_jobs": 1})
    jobs = []
    for name in ("a", "b", "c", "d"):
        score = tmp_path / f"{name}.yaml"
        score.write_text(
            f"""
            name: {name}
            workspace: ./ws-{name}
            instrument: cli
            sheet: {{size: 1, total_items: 1}}
            prompt:
              template: 'echo {name} >> {order}; while [ ! -e {gate} ]; do sleep 0.02; done'
            """
        )
        jobs.append(first.submit(score))
    first.wait_until(order.exists, 15, "the first job to start")
    assert [first.status(j)["status"] for j in jobs] == ["running", "queued", "queued", "queued"]
    assert first.kill(signal.SIGKILL) == -signal.SIGKILL

    second = conductors({"max_concurrent_jobs": 1})
    gate.touch()
    for job in jobs:
        second.wait_for_job(job, "completed")
    assert order.read_text().split() == ["a", "b", "c", "d"]  # a re-attached, the rest in order
