"""Rehearsals on a real conductor: each attempt's checks in the file its environment names, and
a rehearsal that stays one across a conductor crash."""

import json
import signal
from collections.abc import Callable
from pathlib import Path

from podium.domain.checklist import checklist
from podium.domain.validation import ValidationKind, ValidationRule
from podium.ipc.methods import JOB_SUBMIT
from podium.testing.conductor import ConductorProcess
from tests.integration.test_queued_recovery import ONE_JOB, checked, queued_score

WriteScore = Callable[..., Path]


def test_an_attempt_reads_its_checks_in_the_private_file_its_environment_names(
    conductor: ConductorProcess, write_score: WriteScore, tmp_path: Path
) -> None:
    score = write_score(
        """
        name: checks
        workspace: ./ws
        instrument: cli
        sheet: {size: 1, total_items: 1}
        prompt:
          template: |
            cp "$PODIUM_CHECKS_FILE" given.json
            echo "# Notes" > notes.md
        validations:
          - {type: file_exists, path: "{workspace}/notes.md"}
          - {type: content_regex, path: "{workspace}/notes.md", pattern: "^# ",
             description: "a heading"}
          - {type: command_succeeds, command: "test -s {workspace}/notes.md"}
        """
    )
    job = conductor.submit(score)
    conductor.wait_for_job(job, "completed")
    notes = str(tmp_path / "ws" / "notes.md")
    expected = [
        ValidationRule(ValidationKind.FILE_EXISTS, path=notes),
        ValidationRule(
            ValidationKind.CONTENT_REGEX, path=notes, pattern="^# ", description="a heading"
        ),
        ValidationRule(ValidationKind.COMMAND_SUCCEEDS, command=f"test -s {notes}"),
    ]
    given = json.loads((tmp_path / "ws" / "given.json").read_text())
    assert given == checklist(expected)
    kept = conductor.home / "jobs" / job / "sheets" / "1" / "attempt-1.checks.json"
    assert json.loads(kept.read_text()) == given
    assert kept.stat().st_mode & 0o777 == 0o600


def test_a_queued_rehearsal_is_still_one_after_a_conductor_crash(
    conductors: Callable[..., ConductorProcess], tmp_path: Path
) -> None:
    first_score = queued_score(tmp_path, "a")
    rehearsed = tmp_path / "rehearsed.yaml"
    rehearsed.write_text(
        f"""
name: rehearsed
workspace: ./ws-rehearsed
instrument: cli
pause_between_sheets_seconds: 0
sheet: {{size: 1, total_items: 2}}
prompt: {{template: 'touch {tmp_path}/played-by-cli'}}
validations:
  - {{type: content_contains, path: "{{workspace}}/out-{{sheet_num}}.md", pattern: DONE}}
"""
    )
    first = conductors(ONE_JOB)
    running = first.submit(first_score)
    first.wait_until(lambda: first.status(running)["status"] == "running", 15, "the first job")
    job = first.request(JOB_SUBMIT({"score_path": str(rehearsed), "rehearse": True}))["job_id"]
    assert first.status(job)["status"] == "queued"
    assert first.kill(signal.SIGKILL) == -signal.SIGKILL

    second = conductors(ONE_JOB)
    checked(second, 1)
    (tmp_path / "go").touch()
    done = second.wait_for_job(job, "completed")
    assert {s["instrument"] for s in done["sheets"]} == {"rehearsal"}
    assert done["history"][0]["text"].startswith("rehearsal: ")
    assert not (tmp_path / "played-by-cli").exists()
    assert (tmp_path / "ws-rehearsed" / "out-2.md").read_text() == "DONE\n"


def test_the_job_a_rehearsal_chains_into_is_rehearsed_too(
    conductor: ConductorProcess, tmp_path: Path
) -> None:
    for name, then in (
        ("first", "on_success: [{type: run_job, job_path: second.yaml}]"),
        ("second", ""),
    ):
        (tmp_path / f"{name}.yaml").write_text(
            f"""
name: {name}
workspace: ./ws
instrument: cli
pause_between_sheets_seconds: 0
concert: {{cooldown_between_jobs_seconds: 0}}
sheet: {{size: 1, total_items: 1}}
prompt: {{template: 'touch {tmp_path}/played-by-cli'}}
validations:
  - {{type: content_contains, path: "{{workspace}}/{name}.md", pattern: "{name} done"}}
{then}
"""
        )
    request = JOB_SUBMIT({"score_path": str(tmp_path / "first.yaml"), "rehearse": True})
    parent = conductor.request(request)["job_id"]
    [hook] = conductor.wait_for_job(parent, "completed")["hooks"]
    child = conductor.wait_for_job(str(hook["chained_job"]), "completed")
    assert {s["instrument"] for s in child["sheets"]} == {"rehearsal"}
    assert child["history"][0]["text"].startswith("rehearsal: ")
    assert (tmp_path / "ws" / "second.md").read_text() == "second done\n"
    assert not (tmp_path / "played-by-cli").exists()
