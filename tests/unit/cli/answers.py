"""Attempts as the conductor's inspection answers hold them, for the views' tests."""

from typing import Any, cast

from podium.ipc.schema import AttemptDetailInfo, AttemptsResult, CheckInfo


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
