"""`job.recover`, `job.clear`, `job.list` by status, `resume --force` and a re-run of a changed
score, on a real conductor."""

from collections.abc import Callable
from pathlib import Path

import pytest

from podium.ipc import protocol
from podium.ipc.client import RemoteError
from podium.ipc.methods import JOB_CANCEL, JOB_CLEAR, JOB_LIST, JOB_RECOVER, JOB_RESUME, JOB_SUBMIT
from podium.ipc.schema import JobStatusResult, SubmitParams
from podium.testing.conductor import ConductorProcess

CHECKED = """
    name: checked
    workspace: ./ws
    instrument: cli
    pause_between_sheets_seconds: 0
    sheet: {size: 1, total_items: 3}
    retry: {max_retries: 0, max_completion_attempts: 0}
    prompt:
      template: |
        echo run >> runs-{{ sheet_num }}.txt
        {% if sheet_num != 2 %}touch out-{{ sheet_num }}.txt{% endif %}
    validations:
      - {type: file_exists, path: "{workspace}/out-{sheet_num}.txt"}
"""
"""Sheet 2 never writes its file: it fails its validations, and sheet 3 is not run."""


GATE = "while [ ! -e go ]; do sleep 0.02; done\n        echo run"
"""Put for `echo run`: every sheet waits for a file named `go` first."""


def runs(ws: Path, sheet: int) -> int:
    path = ws / f"runs-{sheet}.txt"
    return len(path.read_text().splitlines()) if path.exists() else 0


def sheet_statuses(job: JobStatusResult) -> list[str]:
    return [s["status"] for s in job["sheets"]]


def test_recover_completes_a_sheet_whose_file_now_exists_and_resume_runs_the_rest(
    conductor: ConductorProcess, write_score: Callable[..., Path], tmp_path: Path
) -> None:
    ws = tmp_path / "ws"
    job = conductor.submit(write_score(CHECKED))
    conductor.wait_for_job(job, "failed")
    still = conductor.request(JOB_RECOVER({"job_id": job}))
    assert still["sheets"] == [
        {"sheet": 2, "changed": False, "detail": still["sheets"][0]["detail"]}
    ]
    assert "file" in still["sheets"][0]["detail"] and still["status"] == "failed"
    (ws / "out-2.txt").touch()
    dry = conductor.request(JOB_RECOVER({"job_id": job, "dry_run": True}))
    assert dry["message"].startswith("would complete sheet(s) 2")
    assert sheet_statuses(conductor.status(job)) == ["completed", "failed", "skipped"]
    done = conductor.request(JOB_RECOVER({"job_id": job}))
    assert done["sheets"] == [{"sheet": 2, "changed": True, "detail": "completed"}]
    assert done["status"] == "failed"  # sheet 3 has yet to run
    assert sheet_statuses(conductor.status(job)) == ["completed", "completed", "skipped"]
    assert runs(ws, 2) == 1  # checked, not run
    conductor.request(JOB_RESUME({"job_id": job}))
    conductor.wait_for_job(job, "completed")
    assert [runs(ws, n) for n in (1, 2, 3)] == [1, 1, 1]


def test_recover_of_the_last_sheet_completes_the_job(
    conductor: ConductorProcess, write_score: Callable[..., Path], tmp_path: Path
) -> None:
    score = write_score(CHECKED.replace("sheet_num != 2", "sheet_num != 3"))
    job = conductor.submit(score)
    conductor.wait_for_job(job, "failed")
    (tmp_path / "ws" / "out-3.txt").touch()
    done = conductor.request(JOB_RECOVER({"job_id": job, "sheets": [3]}))
    assert done["status"] == "completed"
    assert done["message"].endswith(f"job {job} is completed")
    assert conductor.status(job)["error"] is None
    assert runs(tmp_path / "ws", 3) == 1


def test_from_sheet_then_resume_runs_only_the_sheets_from_there(
    conductor: ConductorProcess, write_score: Callable[..., Path], tmp_path: Path
) -> None:
    ws = tmp_path / "ws"
    job = conductor.submit(write_score(CHECKED))
    conductor.wait_for_job(job, "failed")
    (ws / "out-2.txt").touch()  # sheet 2's file now exists: its next run passes
    reset = conductor.request(JOB_RECOVER({"job_id": job, "from_sheet": 2}))
    assert [s["sheet"] for s in reset["sheets"]] == [2, 3]
    assert sheet_statuses(conductor.status(job)) == ["completed", "pending", "pending"]
    conductor.request(JOB_RESUME({"job_id": job}))
    conductor.wait_for_job(job, "completed")
    assert [runs(ws, n) for n in (1, 2, 3)] == [1, 2, 1]


def test_recover_refuses_a_running_job(
    conductor: ConductorProcess, write_score: Callable[..., Path], tmp_path: Path
) -> None:
    score = write_score(CHECKED.replace("echo run", GATE))
    job = conductor.submit(score)
    with pytest.raises(RemoteError) as refused:
        conductor.request(JOB_RECOVER({"job_id": job}))
    assert refused.value.code == protocol.JOB_NOT_RESUMABLE
    assert f"job '{job}' is running" in refused.value.message
    conductor.request(JOB_CANCEL({"job_id": job}))


def test_clear_removes_finished_jobs_and_their_state_but_never_an_active_one(
    conductor: ConductorProcess, write_score: Callable[..., Path], tmp_path: Path
) -> None:
    done = conductor.submit(write_score(CHECKED.replace("sheet_num != 2", "true"), "done.yaml"))
    conductor.wait_for_job(done, "completed")
    busy = conductor.submit(write_score(CHECKED.replace("echo run", GATE), "busy.yaml"))
    state = conductor.home / "jobs" / done
    assert state.is_dir()
    listed = conductor.request(JOB_LIST({"statuses": ["completed"]}))
    assert [j["job_id"] for j in listed["jobs"]] == [done] and listed["total"] == 1
    with pytest.raises(RemoteError) as refused:
        conductor.request(JOB_CLEAR({"job_ids": [busy]}))
    assert f"job '{busy}' is running" in refused.value.message
    preview = conductor.request(JOB_CLEAR({"dry_run": True}))
    assert [j["job_id"] for j in preview["jobs"]] == [done]
    assert state.is_dir()
    cleared = conductor.request(JOB_CLEAR({}))
    assert [j["job_id"] for j in cleared["jobs"]] == [done]
    assert not state.exists()
    assert (tmp_path / "ws" / "out-1.txt").exists()  # the workspace stays
    with pytest.raises(RemoteError) as gone:
        conductor.status(done)
    assert gone.value.code == protocol.JOB_NOT_FOUND
    assert conductor.query("SELECT count(*) FROM attempts WHERE job_id = ?", done) == [(0,)]
    assert conductor.status(busy)["status"] == "running"
    conductor.request(JOB_CANCEL({"job_id": busy}))


def test_a_changed_score_runs_fresh_and_resume_force_reruns_a_completed_job(
    conductor: ConductorProcess, write_score: Callable[..., Path], tmp_path: Path
) -> None:
    text = CHECKED.replace("sheet_num != 2", "true")
    score = write_score(text)
    first = conductor.submit(score)
    conductor.wait_for_job(first, "completed")
    same = conductor.request(JOB_SUBMIT({"score_path": str(score)}))
    assert same.get("changed_since") is None
    conductor.wait_for_job(same["job_id"], "completed")
    score.write_text(score.read_text().replace("total_items: 3", "total_items: 2"))
    changed = conductor.request(JOB_SUBMIT({"score_path": str(score)}))
    assert changed["changed_since"] == same["job_id"]
    conductor.wait_for_job(changed["job_id"], "completed")
    history = [n["text"] for n in conductor.status(changed["job_id"])["history"]]
    assert history[0] == f"started fresh: the score changed since job {same['job_id']} completed"
    conductor.request(JOB_RESUME({"job_id": first, "force": True, "no_reload": True}))
    again = conductor.wait_for_job(first, "completed")
    assert [s["attempts"] for s in again["sheets"]] == [2, 2, 2]


def test_a_job_keeps_the_workspace_it_was_given_when_its_score_is_read_again(
    conductor: ConductorProcess, write_score: Callable[..., Path], tmp_path: Path
) -> None:
    score = write_score(CHECKED.replace("sheet_num != 2", "true"))
    params: SubmitParams = {
        "score_path": str(score),
        "workspace": "elsewhere",
        "client_cwd": str(tmp_path),
    }
    job = conductor.request(JOB_SUBMIT(params))["job_id"]
    done = conductor.wait_for_job(job, "completed")
    elsewhere = tmp_path / "elsewhere"
    assert done["workspace"] == str(elsewhere)
    assert runs(elsewhere, 1) == 1 and not (tmp_path / "ws").exists()
    score.write_text(score.read_text().replace("total_items: 3", "total_items: 2"))
    conductor.request(JOB_RESUME({"job_id": job, "force": True}))  # reads the score again
    again = conductor.wait_for_job(job, "completed")
    assert (again["total_sheets"], again["workspace"]) == (2, str(elsewhere))
    assert [runs(elsewhere, n) for n in (1, 2, 3)] == [2, 2, 1]
