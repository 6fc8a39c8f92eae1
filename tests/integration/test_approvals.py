"""Approval gates on a real conductor: each answer, a second answer, a new prompt, a gate
after the checks, a restart while a sheet waits, a deadline that passed while it was down."""

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from podium.ipc.approval_schema import Approval
from podium.ipc.client import RemoteError
from podium.ipc.methods import APPROVALS_ANSWER, APPROVALS_LIST, JOB_RESUME
from podium.ipc.stream import Subscription
from podium.testing.conductor import ConductorProcess
from tests.integration.test_event_stream import job_ended, read_until

CHECKPOINTS = """
    name: gated
    workspace: ./ws
    instrument: cli
    pause_between_sheets_seconds: 0
    sheet: {size: 1, total_items: 3}
    retry: {max_retries: 0}
    prompt:
      template: |
        echo run >> runs-{{ sheet_num }}.txt
    checkpoints:
      enabled: true
      triggers:
        - name: deploy
          sheet_nums: [2]
          message: sheet 2 deploys; look at sheet 1's output first
"""

AFTER_CHECKS = """
    name: reviewed
    workspace: ./ws
    instrument: cli
    pause_between_sheets_seconds: 0
    sheet: {size: 1, total_items: 2}
    retry: {max_retries: 0}
    prompt:
      template: |
        echo run >> runs-{{ sheet_num }}.txt
    validations:
      - type: file_exists
        path: "{workspace}/runs-{sheet_num}.txt"
    approvals:
      enabled: true
      triggers:
        - name: review
          sheet_nums: [1]
          when: after_checks
"""


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def sheets(conductor: ConductorProcess, job: str) -> list[str]:
    return [s["status"] for s in conductor.status(job)["sheets"]]


def open_questions(conductor: ConductorProcess) -> list[Approval]:
    return conductor.request(APPROVALS_LIST({}))["approvals"]


def answer(conductor: ConductorProcess, job: str, sheet: int, word: str, **more: object) -> str:
    params = {"job_id": job, "sheet": sheet, "answer": word, **more}
    return conductor.request(APPROVALS_ANSWER(params))["message"]  # type: ignore[arg-type]


def waiting(conductor: ConductorProcess, job: str, sheet: int) -> None:
    conductor.wait_until(
        lambda: any(q["job_id"] == job and q["sheet"] == sheet for q in open_questions(conductor)),
        15,
        f"sheet {sheet} to ask",
    )


def test_a_checkpoint_stops_the_sheet_until_approved_and_a_second_answer_is_refused(
    conductor: ConductorProcess, write_score: Callable[..., Path], tmp_path: Path
) -> None:
    ws = tmp_path / "ws"
    job = conductor.submit(write_score(CHECKPOINTS))
    waiting(conductor, job, 2)
    status = conductor.status(job)
    assert status["status"] == "running"
    assert [s["status"] for s in status["sheets"]] == ["completed", "awaiting_approval", "pending"]
    assert status["detail"] is not None and f"podium approve {job} 2" in status["detail"]
    assert not lines(ws / "runs-2.txt")
    [question] = open_questions(conductor)
    assert (question["name"], question["message"]) == (
        "deploy",
        "sheet 2 deploys; look at sheet 1's output first",
    )
    assert question["command"] == f"podium approve {job} 2"

    said = answer(conductor, job, 2, "approve", note="looked fine")
    assert said == f"sheet 2 of job '{job}': approved by a person (note: looked fine)"
    conductor.wait_for_job(job, "completed")
    assert lines(ws / "runs-2.txt") == ["run"]
    with pytest.raises(RemoteError, match="was answered: approve by a person"):
        answer(conductor, job, 2, "reject")
    assert open_questions(conductor) == []


def test_reject_fails_the_sheet_and_the_job_without_running_it(
    conductor: ConductorProcess, write_score: Callable[..., Path], tmp_path: Path
) -> None:
    job = conductor.submit(write_score(CHECKPOINTS))
    waiting(conductor, job, 2)
    answer(conductor, job, 2, "reject", note="not today")
    conductor.wait_for_job(job, "failed")
    status = conductor.status(job)
    assert [s["status"] for s in status["sheets"]] == ["completed", "failed", "skipped"]
    assert status["sheets"][1]["error"] == "rejected by a person: not today"
    assert not lines(tmp_path / "ws" / "runs-2.txt")


def test_skip_skips_the_sheet_and_the_next_ones_run(
    conductor: ConductorProcess, write_score: Callable[..., Path], tmp_path: Path
) -> None:
    ws = tmp_path / "ws"
    job = conductor.submit(write_score(CHECKPOINTS))
    waiting(conductor, job, 2)
    answer(conductor, job, 2, "skip")
    conductor.wait_for_job(job, "completed")
    assert sheets(conductor, job) == ["completed", "skipped", "completed"]
    assert (lines(ws / "runs-2.txt"), lines(ws / "runs-3.txt")) == ([], ["run"])


def test_an_approval_with_a_prompt_adds_to_or_replaces_the_sheets_prompt(
    conductor: ConductorProcess, write_score: Callable[..., Path], tmp_path: Path
) -> None:
    ws = tmp_path / "ws"
    added = conductor.submit(write_score(CHECKPOINTS))
    waiting(conductor, added, 2)
    answer(conductor, added, 2, "approve", prompt="echo added >> runs-2.txt")
    conductor.wait_for_job(added, "completed")
    assert lines(ws / "runs-2.txt") == ["run", "added"]

    replaced = conductor.submit(write_score(CHECKPOINTS.replace("gated", "other"), "other.yaml"))
    waiting(conductor, replaced, 2)
    answer(
        conductor, replaced, 2, "approve", prompt="echo instead >> runs-2.txt", replace_prompt=True
    )
    conductor.wait_for_job(replaced, "completed")
    assert lines(ws / "runs-2.txt") == ["run", "added", "instead"]


def test_a_gate_after_the_checks_holds_the_sheet_back_from_completing(
    conductor: ConductorProcess, write_score: Callable[..., Path], tmp_path: Path
) -> None:
    ws = tmp_path / "ws"
    job = conductor.submit(write_score(AFTER_CHECKS))
    waiting(conductor, job, 1)
    assert sheets(conductor, job) == ["awaiting_approval", "pending"]
    assert lines(ws / "runs-1.txt") == ["run"]
    [question] = open_questions(conductor)
    assert question["point"] == "after_checks"
    # What to look at: the sheet's prompt, and what its attempt wrote in the workspace.
    assert question.get("prompt_shown") == "echo run >> runs-1.txt\n"
    assert question.get("changes", "").startswith(
        "1 file(s) of the workspace changed since attempt 1 started ("
    )
    assert question.get("changes", "").endswith("(4 B): runs-1.txt")
    answer(conductor, job, 1, "approve")
    conductor.wait_for_job(job, "completed")
    assert lines(ws / "runs-2.txt") == ["run"]


def test_a_question_survives_a_restart_and_is_answered_after_it(
    conductors: Callable[..., ConductorProcess], write_score: Callable[..., Path], tmp_path: Path
) -> None:
    first = conductors({"kill_grace_seconds": 0.5})
    job = first.submit(write_score(CHECKPOINTS))
    waiting(first, job, 2)
    [before] = open_questions(first)
    first.stop()

    second = conductors({"kill_grace_seconds": 0.5})
    assert open_questions(second) == [before]
    assert sheets(second, job) == ["completed", "awaiting_approval", "pending"]
    answer(second, job, 2, "approve")
    second.wait_for_job(job, "completed")
    assert lines(tmp_path / "ws" / "runs-2.txt") == ["run"]


def test_a_deadline_that_passed_while_the_conductor_was_down_is_answered_at_start(
    conductors: Callable[..., ConductorProcess], write_score: Callable[..., Path], tmp_path: Path
) -> None:
    score = CHECKPOINTS.replace(
        "          sheet_nums: [2]",
        "          sheet_nums: [2]\n          timeout: 3600\n          on_timeout: skip",
    )
    first = conductors({"kill_grace_seconds": 0.5})
    job = first.submit(write_score(score))
    waiting(first, job, 2)
    [question] = open_questions(first)
    first.stop()
    assert first.query("SELECT answer FROM approvals") == [(None,)]  # open when it stopped
    assert question["deadline"] is not None
    # The hour passes while no conductor runs.
    first.query("UPDATE approvals SET deadline = ?", time.time() - 1)

    second = conductors({"kill_grace_seconds": 0.5})
    second.wait_for_job(job, "completed")
    assert sheets(second, job) == ["completed", "skipped", "completed"]
    notes = [n["text"] for n in second.status(job)["history"]]
    assert "sheet 2: skipped by its deadline" in notes


def test_the_question_and_its_answer_come_on_the_event_stream_whole(
    conductor: ConductorProcess, write_score: Callable[..., Path]
) -> None:
    with Subscription(str(conductor.socket), {"kinds": ["approval", "job"]}, idle=0.5) as stream:
        job = conductor.submit(write_score(CHECKPOINTS))
        [asked] = [
            e["data"]
            for e in read_until(stream, lambda e: e["kind"] == "approval")
            if e["kind"] == "approval"
        ]
        assert (asked["sheet"], asked["answer"], asked["command"]) == (
            2,
            None,
            f"podium approve {job} 2",
        )
        answer(conductor, job, 2, "approve", note="fine")
        events = read_until(stream, job_ended(job))
    [answered] = [e["data"] for e in events if e["kind"] == "approval"]
    assert (answered["answer"], answered["note"], answered["answered_by"]) == (
        "approve",
        "fine",
        "a person",
    )


def test_a_question_left_unanswered_pauses_the_job_and_is_still_answered_after(
    conductor: ConductorProcess, write_score: Callable[..., Path], tmp_path: Path
) -> None:
    score = CHECKPOINTS.replace(
        "          sheet_nums: [2]", "          sheet_nums: [2]\n          timeout: 0.5"
    )
    job = conductor.submit(write_score(score))
    conductor.wait_until(lambda: conductor.status(job)["status"] == "paused", 15, "the pause")
    [question] = open_questions(conductor)
    assert question["expired"] and question["answer"] is None
    assert f"podium approve {job} 2" in str(conductor.status(job)["detail"])
    answer(conductor, job, 2, "approve")
    conductor.request(JOB_RESUME({"job_id": job, "no_reload": True}))
    conductor.wait_for_job(job, "completed")
    assert lines(tmp_path / "ws" / "runs-2.txt") == ["run"]


ASKS_INPUT = """
    name: ticketed
    workspace: ./ws
    instrument: cli
    sheet: {size: 1, total_items: 1}
    prompt:
      template: echo run >> runs.txt
    approvals:
      enabled: true
      triggers:
        - name: ticket
          sheet_nums: [1]
          message: which ticket covers this change?
          input:
            type: object
            required: [ticket]
            properties: {ticket: {type: string, pattern: "^[A-Z]+-[0-9]+$"}}
"""


def test_what_a_person_supplies_is_checked_against_the_schema_and_reaches_the_attempt(
    conductor: ConductorProcess, write_score: Callable[..., Path], tmp_path: Path
) -> None:
    job = conductor.submit(write_score(ASKS_INPUT))
    waiting(conductor, job, 1)
    refusals = []
    for more in ({}, {"input": "{not json"}, {"input": '{"ticket": "later"}'}):
        with pytest.raises(RemoteError) as refused:
            answer(conductor, job, 1, "approve", **more)
        refusals.append(refused.value.message)
    assert refusals[0].startswith("this question asks for input matching {")
    assert "approve with --input JSON" in refusals[0]
    assert refusals[1].startswith("--input is not JSON: ")
    assert refusals[2] == (
        "--input does not match the question's schema: ['ticket']: 'later' does not match "
        "'^[A-Z]+-[0-9]+$'"
    )
    assert [q["sheet"] for q in open_questions(conductor)] == [1]  # still asked
    answer(conductor, job, 1, "approve", input='{"ticket": "OPS-12"}', note="ok")
    conductor.wait_for_job(job, "completed")
    [prompt] = (conductor.home / "jobs" / job / "sheets" / "1").glob("attempt-1.prompt")
    assert prompt.read_text() == (
        "echo run >> runs.txt\n\n"
        '# The person who approved this sheet supplied (JSON):\n# {"ticket":"OPS-12"}'
    )
    assert lines(tmp_path / "ws" / "runs.txt") == ["run"]
