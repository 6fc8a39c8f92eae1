"""A conductor killed at the worst moments: while submissions arrive, while a limit changes,
while an on_success hook runs. (Killed mid-attempt and mid-validation: test_recovery.py.)"""

import signal
import threading
from collections.abc import Callable
from pathlib import Path

from podium.host import processes
from podium.ipc.client import ConductorClient, ConductorUnavailable, RemoteError
from podium.ipc.methods import JOB_SUBMIT
from podium.runtime.process import group_exists
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
                    done = client.request(JOB_SUBMIT({"score_path": str(score)}))
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


HOOKED = """
    name: hooked
    workspace: ./ws
    instrument: cli
    sheet: {{size: 1, total_items: 1}}
    prompt: {{template: 'true'}}
    on_success:
      - type: run_command
        command: 'echo start >> {runs}; while [ ! -e {gate} ]; do sleep 0.02; done; echo end >> {runs}'
"""


def test_a_hook_running_at_a_crash_outlives_its_conductor_and_runs_once(
    conductors: Callable[..., ConductorProcess], tmp_path: Path
) -> None:
    runs, gate = tmp_path / "runs.txt", tmp_path / "gate"
    score = tmp_path / "hooked.yaml"
    score.write_text(HOOKED.format(runs=runs, gate=gate))
    first = conductors()
    job = first.submit(score)

    def recorded() -> list[tuple[int, int]]:
        rows = first.query("SELECT pid, pgid FROM hook_results WHERE pid IS NOT NULL")
        return [(int(pid), int(pgid)) for pid, pgid in rows]

    first.wait_until(lambda: runs.exists() and bool(recorded()), 15, "the hook to start")
    [(pid, pgid)] = recorded()
    assert first.status(job)["status"] == "running"  # not completed before its hook ran
    assert first.kill(signal.SIGKILL) == -signal.SIGKILL
    assert processes.running(pid)  # the hook outlived its conductor…

    second = conductors()
    assert group_exists(pgid)  # …and the next one watches it, as an attempt
    gate.touch()
    done = second.wait_for_job(job, "completed")
    assert runs.read_text().split() == ["start", "end"]  # one run, no twin
    assert [h["outcome"] for h in done["hooks"]] == ["succeeded"]
    assert any(
        "hook 1 was interrupted by a restart; it is finished from what it left" in n["text"]
        for n in done["history"]
    )


def test_a_graceful_stop_stops_a_running_hook_and_the_next_conductor_runs_it_again(
    conductors: Callable[..., ConductorProcess], tmp_path: Path
) -> None:
    runs, gate = tmp_path / "runs.txt", tmp_path / "gate"
    score = tmp_path / "hooked.yaml"
    score.write_text(HOOKED.format(runs=runs, gate=gate))
    first = conductors()
    job = first.submit(score)
    rows = "SELECT pgid FROM hook_results WHERE pgid IS NOT NULL"
    first.wait_until(lambda: runs.exists() and bool(first.query(rows)), 15, "the hook to start")
    [(pgid,)] = first.query(rows)
    assert first.kill(signal.SIGTERM) == 0
    assert not group_exists(int(pgid))  # a hook, unlike an attempt, does not outlive a stop

    second = conductors()
    second.wait_until(lambda: runs.read_text().count("start") == 2, 15, "the hook to run again")
    gate.touch()
    done = second.wait_for_job(job, "completed")
    assert runs.read_text().split() == ["start", "start", "end"]
    assert [h["outcome"] for h in done["hooks"]] == ["succeeded"]


CHAINED = """
    name: {name}
    workspace: ./ws-{name}
    instrument: cli
    sheet: {{size: 1, total_items: 1}}
    prompt: {{template: 'echo {name} >> {runs}'}}
    concert: {{cooldown_between_jobs_seconds: 0}}
"""


def test_a_chained_job_submitted_just_before_a_crash_is_not_submitted_again(
    conductors: Callable[..., ConductorProcess], tmp_path: Path
) -> None:
    runs = tmp_path / "runs.txt"
    (tmp_path / "next.yaml").write_text(CHAINED.format(name="next", runs=runs))
    score = tmp_path / "first.yaml"
    score.write_text(
        CHAINED.format(name="first", runs=runs)
        + "    on_success: [{type: run_job, job_path: next.yaml}]\n"
    )
    first = conductors()
    parent = first.submit(score)
    [hook] = first.wait_for_job(parent, "completed")["hooks"]
    child = hook["chained_job"]
    assert child is not None
    first.wait_for_job(child, "completed")
    assert first.kill(signal.SIGKILL) == -signal.SIGKILL
    # Put the store back to the moment right after the child's submission: the parent still
    # runs its hook, whose end was never recorded.
    first.query(
        "UPDATE jobs SET status = 'running', hook = 1, finished_at = NULL WHERE job_id = ?",
        parent,
    )
    first.query(
        "UPDATE hook_results SET outcome = 'running', ended_at = NULL WHERE job_id = ?", parent
    )

    second = conductors()
    done = second.wait_for_job(parent, "completed")
    chained = second.query(
        "SELECT job_id FROM jobs WHERE score_path = ?", str(tmp_path / "next.yaml")
    )
    assert chained == [(child,)]
    second.wait_for_job(child, "completed")
    assert runs.read_text().split() == ["first", "next"]  # the chained job ran once
    assert [h["chained_job"] for h in done["hooks"]] == [child]
    assert any("interrupted by a restart" in n["text"] for n in done["history"])


MANY_SHEETS = """
    name: many
    workspace: ./ws
    instrument: cli
    retry: {{max_retries: 3, base_delay_seconds: 0.05, max_completion_attempts: 0}}
    pause_between_sheets_seconds: 0
    sheet: {{size: 1, total_items: {sheets}, dependencies: {{}}}}
    parallel: {{enabled: true, max_concurrent: 8}}
    prompt:
      template: echo {{{{ sheet_num }}}} >> runs.txt
"""


def test_a_conductor_killed_while_many_sheets_dispatch_runs_each_sheet_once(
    conductors: Callable[..., ConductorProcess], tmp_path: Path
) -> None:
    # Eight at once, the conductor killed at some moment between a batch's commit, its
    # launches (spawned off the loop) and their records: restart finishes what ran from its
    # exit file or its live process, and starts again only what never ran.
    sheets = 80
    score = tmp_path / "many.yaml"
    score.write_text(MANY_SHEETS.format(sheets=sheets))
    runs = tmp_path / "ws" / "runs.txt"

    def ran() -> list[str]:
        return runs.read_text().split() if runs.exists() else []

    first = conductors({"max_concurrent_sheets": 8})
    job = first.submit(score)
    first.wait_until(lambda: len(ran()) >= 20, 30, "some sheets to run")
    assert first.kill(signal.SIGKILL) == -signal.SIGKILL
    assert len(ran()) < sheets, "every sheet ran before the kill; nothing was tested"

    second = conductors({"max_concurrent_sheets": 8})
    second.wait_for_job(job, "completed", timeout=120)
    assert sorted(map(int, ran())) == list(range(1, sheets + 1))
