"""What `podium diagnose` prints, from the conductor's answer."""

from typing import TYPE_CHECKING, Any, cast

from podium.cli.commands.diagnose import next_steps, render, timeline
from podium.ipc.schema import AttemptDetailInfo
from tests.unit.cli.answers import attempt

if TYPE_CHECKING:
    from podium.cli.commands.diagnose import Report


def diagnosis(status: str, errors: list[AttemptDetailInfo], **job: Any) -> "Report":
    found = {
        "job": {
            "job_id": "demo",
            "status": status,
            "score_path": "/s/demo.yaml",
            "workspace": "/w",
            "submitted_at": 1000.0,
            "started_at": 1001.0,
            "finished_at": 1100.0 if status in ("failed", "completed") else None,
            "completed_sheets": 0,
            "total_sheets": 1,
            "detail": None,
            "error": "sheet 1 failed" if status == "failed" else None,
            "sheets": [{"num": 1, "status": status, "logs": "/state/1", "instrument": "cli"}],
            **job,
        },
        "notes": [{"at": 1015.0, "text": "sheet 1 moves from cli to other: boom"}],
        "attempts": errors,
        "total_attempts": len(errors),
        "errors": errors,
        "total_errors": len(errors),
        "files": {"state": "/state", "workspace_logs": "/w/logs", "conductor_log": "/c.log"},
        "instruments": [{"name": "cli", "runnable": True, "binary": "/bin/sh", "missing": []}],
    }
    return cast("Report", found)


def test_the_timeline_puts_attempts_and_notes_in_order_and_the_job_end_last() -> None:
    found = diagnosis("failed", [attempt(1, 2), attempt(1, 1)])
    found["job"]["finished_at"] = 1023.0  # the moment the last attempt ended
    assert [text for _, text in timeline(found)] == [
        "job submitted",
        "job started",
        "sheet 1 attempt 1 started on cli",
        "sheet 1 attempt 1 failed [E009]: exit code 1: boom",
        "sheet 1 moves from cli to other: boom",
        "sheet 1 attempt 2 started on cli",
        "sheet 1 attempt 2 failed [E009]: exit code 1: boom",
        "job failed",
    ]


def test_next_steps_follow_from_the_errors_and_the_instruments() -> None:
    failed = diagnosis("failed", [attempt(1, 1, error_code="E502"), attempt(1, 2)])
    failed["instruments"][0]["missing"] = ["'sh' is not installed"]
    steps = next_steps(failed)
    assert steps[0] == "install or set up cli: 'sh' is not installed"
    assert steps[1].startswith("authentication failed")
    assert steps[2].startswith("commands failed")
    assert steps[-1].startswith("once fixed, 'podium resume demo' runs the unfinished sheets")
    paused = diagnosis("paused", [], detail="paused by the user")
    assert next_steps(paused) == ["it is paused (paused by the user): 'podium resume demo' goes on"]
    assert next_steps(diagnosis("completed", [])) == ["nothing to do: the job completed"]


def test_the_report_has_every_section_and_logs_only_when_asked() -> None:
    found = diagnosis("failed", [attempt(1, 1, stdout_tail="\n".join(map(str, range(9))))])
    found["next_steps"] = next_steps(found)
    text = render(found, False)
    heads = [block.splitlines()[0] for block in text.split("\n\n")]
    assert heads[0] == "demo  failed  0/1 sheets completed"
    assert heads[1:] == [
        "errors (1, the latest 1 shown):",
        "timeline (latest last):",
        "files:",
        "instruments:",
        "next steps:",
    ]
    assert "      stdout  │ 4" in text and "│ 3" not in text  # the last 5 lines
    logs = render(found, False, include_logs=True).split("\n\n")[-1].splitlines()
    assert logs[:3] == [
        "logs (the last 50 lines of each failed attempt):",
        "  ==> sheet 1 attempt 1 <==",
        "    stdout  │ 0",
    ]
