"""What history, errors, diagnose and logs print, from the conductor's answers."""

import io
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from podium.cli.cmd_diagnose import next_steps, render, timeline
from podium.cli.cmd_history import group_by_sheet, render_errors, render_history
from podium.cli.cmd_logs import LogPrinter, last_log_lines, readable
from podium.cli.output import when
from podium.ipc.schema import AttemptDetailInfo, AttemptsResult, CheckInfo, LogsResult, SheetLogInfo

if TYPE_CHECKING:
    from podium.cli.cmd_diagnose import Report


def attempt(sheet: int, number: int, outcome: str = "failed", **fields: Any) -> AttemptDetailInfo:
    found = {
        "sheet": sheet,
        "attempt": number,
        "outcome": outcome,
        "started_at": 1000.0 + 10 * number,
        "exited_at": 1002.0 + 10 * number,
        "ended_at": 1003.0 + 10 * number,
        "exit_code": 1 if outcome == "failed" else 0,
        "signal": None,
        "error": "exit code 1: boom" if outcome == "failed" else None,
        "error_code": "E009" if outcome == "failed" else None,
        "error_type": "transient" if outcome == "failed" else None,
        "instrument": "cli",
        "model": None,
        "mode": "normal",
        "input_tokens": None,
        "output_tokens": None,
        "cost": None,
        "cost_estimated": False,
        "checks": [],
        "stdout_tail": "",
        "stderr_tail": "",
        "logs": f"/state/jobs/demo/sheets/{sheet}",
    }
    return cast("AttemptDetailInfo", {**found, **fields})


def found_of(attempts: list[AttemptDetailInfo], **fields: Any) -> AttemptsResult:
    found = {"job_id": "demo", "status": "failed", "attempts": attempts, "total": len(attempts)}
    return cast("AttemptsResult", {**found, "hooks": [], **fields})


CHECK: CheckInfo = {
    "check": "out.txt exists",
    "passed": False,
    "checked": True,
    "expected": "the file exists",
    "actual": "file not found",
    "fix": "write out.txt",
}


def test_history_lists_attempts_latest_last_with_what_ran_them_and_their_output() -> None:
    newest_first = [
        attempt(
            1,
            2,
            "succeeded",
            model="opus",
            input_tokens=1200,
            output_tokens=30,
            cost=0.01,
            cost_estimated=True,
            checks=[{**CHECK, "passed": True}],
        ),
        attempt(1, 1, signal=9, exit_code=None, stderr_tail="a\nb\n"),
    ]
    text = render_history(found_of(newest_first, status="completed", total=7), False)
    blocks = text.split("\n\n")
    assert blocks[0] == "demo  completed"
    first = blocks[1].splitlines()
    assert first[0].endswith("sheet 1  attempt 1  failed  E009 transient")
    assert first[1] == "  cli (default model) · killed by SIGKILL · took 3.0s"
    assert first[2:] == ["  error  exit code 1: boom", "  stderr  │ a", "          │ b"]
    second = blocks[2].splitlines()
    assert second[1] == (
        "  cli (opus) · exit code 0 · took 3.0s · 1,200 in / 30 out tokens · $0.0100 (estimated)"
    )
    assert second[2] == "  checks  ✓ out.txt exists"
    assert blocks[3] == "(the latest 2 of 7 attempts; --limit shows more)"
    running = attempt(1, 3, "running", exit_code=None, exited_at=None, ended_at=None)
    text = render_history(found_of([running], status="running"), False)
    assert " · running for " in text.splitlines()[3]
    empty = found_of([], status="queued")
    assert render_history(empty, False) == "job demo (queued) has no attempts yet"


def test_errors_are_grouped_by_sheet_oldest_first() -> None:
    found = [attempt(2, 1), attempt(1, 2), attempt(1, 1)]
    assert [(s, [a["attempt"] for a in g]) for s, g in group_by_sheet(found)] == [
        (1, [1, 2]),
        (2, [1]),
    ]
    checked = attempt(
        1,
        1,
        "validation_failed",
        error_code="E201",
        error_type="permanent",
        checks=[CHECK],
        stdout_tail="x\n",
    )
    answer = found_of([checked])
    text = render_errors(answer, False, verbose=True)
    assert text.splitlines()[2:] == [
        "sheet 1",
        f"  attempt 1   {when(1010.0)}  E201 permanent  validation_failed, exit code 0",
        "    ✗ out.txt exists",
        "        expected  the file exists",
        "        found     file not found",
        "        fix       write out.txt",
        "    stdout  │ x",
    ]
    assert render_errors(answer, False, verbose=False).endswith(
        "--verbose shows the failed checks and the end of each attempt's output"
    )


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


def test_log_chunks_print_with_a_header_whenever_the_stream_changes() -> None:
    def sheet(num: int, out: str, err: str = "", attempt: int = 1) -> SheetLogInfo:
        return {
            "sheet": num,
            "attempt": attempt,
            "status": "running",
            "stdout": {"text": out, "start": 0, "end": len(out), "path": "/o"},
            "stderr": {"text": err, "start": 0, "end": len(err), "path": "/e"},
        }

    def answer(*sheets: SheetLogInfo) -> LogsResult:
        return {
            "job_id": "demo",
            "status": "running",
            "resume_when_idle": False,
            "sheets": [*sheets],
        }

    out = io.StringIO()
    printer = LogPrinter(out, as_json=False)
    assert printer.show(answer(sheet(1, "a\n"), sheet(2, "")), listing=True)
    assert not printer.show(answer())
    assert printer.show(answer(sheet(1, "b", "oops\n")))
    assert out.getvalue() == (
        "==> sheet 1 · attempt 1 · stdout (running) <==\na\n\n"
        "==> sheet 2 · attempt 1 · stdout (running, no output yet) <==\n\n"
        "==> sheet 1 · attempt 1 · stdout (running) <==\nb\n\n"
        "==> sheet 1 · attempt 1 · stderr (running) <==\noops\n"
    )
    assert printer.cursors() == [
        {"sheet": 1, "attempt": 1, "stdout": 1, "stderr": 5},
        {"sheet": 2, "attempt": 1, "stdout": 0, "stderr": 0},
    ]
    as_json = io.StringIO()
    LogPrinter(as_json, as_json=True).show(answer(sheet(3, "x\n")))
    assert json.loads(as_json.getvalue()) == {
        "sheet": 3,
        "attempt": 1,
        "stream": "stdout",
        "status": "running",
        "text": "x\n",
    }


def test_conductor_log_lines_are_readable_and_reach_into_rotated_files(tmp_path: Path) -> None:
    record = {
        "ts": "2026-11-28T02:00:00.000+00:00",
        "level": "warning",
        "logger": "podium.conductor",
        "message": "sheet failed",
        "job_id": "demo",
        "sheet": 2,
        "exception": "Traceback …",
    }
    shown = readable(json.dumps(record))
    assert shown.split(" ", 2)[2] == "WARNING sheet failed [job demo sheet 2]\nTraceback …"
    assert readable("plain text from before") == "plain text from before"
    assert readable('{"no": "message"}') == '{"no": "message"}'
    assert readable("{not json") == "{not json"
    log = tmp_path / "conductor.log"
    log.write_text("c\nd\n")
    (tmp_path / "conductor.log.1").write_text("a\nb\n")
    assert last_log_lines(log, 3) == ["b", "c", "d"]
    assert last_log_lines(log, 10) == ["a", "b", "c", "d"]
    assert last_log_lines(log, 0) == []
