"""A job's past through a real conductor: `job.history`, `job.errors`, `job.diagnose` and
`job.logs` over the socket, read from the real store and the attempts' real files."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from podium.ipc import protocol
from podium.ipc.client import RemoteError
from podium.ipc.methods import JOB_DIAGNOSE, JOB_ERRORS, JOB_HISTORY, JOB_LOGS, Call
from podium.ipc.schema import ErrorsParams, LogCursorInfo
from podium.testing.conductor import ConductorProcess

FAILS_TWICE = """
    name: flaky
    workspace: ./ws
    instrument: cli
    pause_between_sheets_seconds: 0
    sheet: {size: 1, total_items: 1}
    retry: {max_retries: 3, base_delay_seconds: 0.05, max_completion_attempts: 0}
    prompt:
      template: |
        echo try >> tries.txt
        n=$(wc -l < tries.txt)
        echo "try $n"
        echo "token sk-ant-abcdefghijklmnop on try $n" >&2
        [ "$n" -ge 3 ] && echo done > out.txt
        [ "$n" -ge 2 ] || exit 7
    validations:
      - {type: file_exists, path: "{workspace}/out.txt"}
"""


@pytest.fixture
def flaky(conductor: ConductorProcess, write_score: Callable[..., Path]) -> str:
    job = conductor.submit(write_score(FAILS_TWICE))
    conductor.wait_for_job(job, "completed")
    return job


def test_history_shows_every_attempt_with_its_exit_checks_and_output(
    conductor: ConductorProcess, flaky: str
) -> None:
    found = conductor.request(JOB_HISTORY({"job_id": flaky, "tail_lines": 5}))
    assert (found["job_id"], found["status"], found["total"]) == (flaky, "completed", 3)
    attempts = found["attempts"][::-1]  # newest first on the wire
    assert [(a["attempt"], a["outcome"], a["exit_code"], a["error_code"]) for a in attempts] == [
        (1, "failed", 7, "E009"),
        (2, "validation_failed", 0, "E201"),
        (3, "succeeded", 0, None),
    ]
    assert [[c["passed"] for c in a["checks"]] for a in attempts] == [[], [False], [True]]
    # Failed checks are tried again, as a timeout is: both transient.
    assert [a["error_type"] for a in attempts] == ["transient", "transient", None]
    assert all(a["instrument"] == "cli" for a in attempts)
    assert attempts[1]["stdout_tail"] == "try 2\n"
    # Output comes back through the redactor: the raw files keep what the process wrote.
    assert attempts[1]["stderr_tail"] == "token [REDACTED] on try 2\n"
    assert "sk-ant-" in (Path(attempts[1]["logs"]) / "attempt-2.stderr.log").read_text()
    latest = conductor.request(JOB_HISTORY({"job_id": flaky, "limit": 1}))
    assert [a["attempt"] for a in latest["attempts"]] == [3]
    assert (latest["total"], latest["attempts"][0]["stdout_tail"]) == (3, "try 3\n")


def test_errors_filter_by_code_and_type(conductor: ConductorProcess, flaky: str) -> None:
    def attempts(type: str | None = None, code: str | None = None) -> list[int]:
        params: ErrorsParams = {"job_id": flaky}
        if type is not None:
            params["type"] = type
        if code is not None:
            params["code"] = code
        found = conductor.request(JOB_ERRORS(params))
        return [a["attempt"] for a in found["attempts"]]

    assert attempts() == [2, 1]
    assert attempts(code="e201") == [2]
    assert attempts(type="transient") == [2, 1]
    assert attempts(type="rate_limit") == attempts(type="permanent") == []
    assert attempts(type="permanent", code="E201") == []
    with pytest.raises(RemoteError) as wrong:
        conductor.request(JOB_ERRORS({"job_id": flaky, "type": "fatal"}))
    assert "unknown error type 'fatal'; use one of transient, rate_limit, permanent" in str(
        wrong.value
    )


def test_diagnose_gathers_the_job_its_errors_timeline_and_files(
    conductor: ConductorProcess, flaky: str
) -> None:
    found = conductor.request(JOB_DIAGNOSE({"job_id": flaky}))
    assert found["job"]["status"] == "completed"
    assert (found["total_attempts"], found["total_errors"]) == (3, 2)
    assert [e["error_code"] for e in found["errors"]] == ["E201", "E009"]
    assert found["errors"][1]["stdout_tail"] == "try 1\n"
    assert found["files"]["state"] == str(conductor.home / "jobs" / flaky)
    assert found["files"]["workspace_logs"].endswith("/ws/logs")


def test_logs_give_the_last_lines_then_only_what_is_new(
    conductor: ConductorProcess, flaky: str
) -> None:
    first = conductor.request(JOB_LOGS({"job_id": flaky, "lines": 1}))
    [sheet] = first["sheets"]
    assert (sheet["sheet"], sheet["attempt"], sheet["status"]) == (1, 3, "completed")
    assert sheet["stdout"]["text"] == "try 3\n"
    assert sheet["stderr"]["text"] == "token [REDACTED] on try 3\n"
    cursor: LogCursorInfo = {
        "sheet": 1,
        "attempt": 3,
        "stdout": sheet["stdout"]["end"],
        "stderr": 0,
    }
    again = conductor.request(JOB_LOGS({"job_id": flaky, "cursors": [cursor]}))
    assert [s["stderr"]["text"] for s in again["sheets"]] == ["token [REDACTED] on try 3\n"]
    assert again["sheets"][0]["stdout"]["text"] == ""
    caught_up: LogCursorInfo = {**cursor, "stderr": again["sheets"][0]["stderr"]["end"]}
    assert conductor.request(JOB_LOGS({"job_id": flaky, "cursors": [caught_up]}))["sheets"] == []
    older: LogCursorInfo = {
        **caught_up,
        "attempt": 2,
    }  # the sheet moved on: its new attempt, from the start
    moved = conductor.request(JOB_LOGS({"job_id": flaky, "cursors": [older]}))["sheets"]
    assert (moved[0]["attempt"], moved[0]["stdout"]["start"]) == (3, 0)


def test_an_unknown_job_is_not_found(conductor: ConductorProcess) -> None:
    calls: list[Call[Any, Any]] = [
        JOB_HISTORY({"job_id": "nope"}),
        JOB_ERRORS({"job_id": "nope"}),
        JOB_DIAGNOSE({"job_id": "nope"}),
        JOB_LOGS({"job_id": "nope"}),
    ]
    for call in calls:
        with pytest.raises(RemoteError) as missing:
            conductor.request(call)
        assert missing.value.code == protocol.JOB_NOT_FOUND
