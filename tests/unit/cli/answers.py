"""Attempts as the conductor's inspection answers hold them, for the views' tests."""

from typing import Any


def attempt(sheet: int, number: int, outcome: str = "failed", **fields: Any) -> dict[str, Any]:
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
    return {**found, **fields}


def found_of(attempts: list[dict[str, Any]]) -> dict[str, Any]:
    return {"job_id": "demo", "status": "failed", "attempts": attempts, "total": len(attempts)}


CHECK = {
    "check": "out.txt exists",
    "passed": False,
    "checked": True,
    "expected": "the file exists",
    "actual": "file not found",
    "fix": "write out.txt",
}
