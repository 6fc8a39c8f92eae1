"""Recorded shapes of what the conductor sends `podium top`: jobs, events and samples, built
with fixed times so that what the screen shows of them never depends on the clock."""

from __future__ import annotations

from typing import Any

from podium.ipc.schema import (
    ConductorInfo,
    JobInfo,
    ProcessesResult,
    ProcessRow,
    StreamEvent,
    SubscribeResult,
)

NOW = 1_800_000_000.0


def job(job_id: str, status: str = "running", *, total: int = 3, done: int = 0) -> JobInfo:
    return {
        "job_id": job_id,
        "name": job_id,
        "status": status,
        "score_path": f"/scores/{job_id}.yaml",
        "workspace": f"/work/{job_id}",
        "submitted_at": NOW - 120,
        "started_at": NOW - 100,
        "finished_at": None,
        "error": None,
        "detail": None,
        "resume_when_idle": False,
        "total_sheets": total,
        "completed_sheets": done,
        "chain_depth": 0,
        "cost": 0.0,
    }


def snapshot(*jobs: JobInfo, seq: int = 10, stream: str = "s1") -> SubscribeResult:
    return {"stream": stream, "seq": seq, "replayed": 0, "gap": False, "jobs": list(jobs)}


def event(seq: int, kind: str, job_id: str | None, **data: Any) -> StreamEvent:
    return {"seq": seq, "at": NOW - 5, "kind": kind, "job_id": job_id, "data": data}


def job_event(seq: int, info: JobInfo) -> StreamEvent:
    return {"seq": seq, "at": NOW - 5, "kind": "job", "job_id": info["job_id"], "data": dict(info)}


def sheet_event(seq: int, job_id: str, num: int, status: str, attempts: int = 1) -> StreamEvent:
    return event(
        seq,
        "sheet",
        job_id,
        num=num,
        status=status,
        attempts=attempts,
        error=None,
        blocked_by=None,
        due=None,
        wait=None,
        cost=0.0,
        updated_at=NOW - 30,
    )


def process(
    job_id: str, sheet: int, pid: int, command: str = "sleep 5", ppid: int = 1
) -> ProcessRow:
    return {
        "job_id": job_id,
        "sheet": sheet,
        "attempt": 1,
        "pid": pid,
        "ppid": ppid,
        "command": command,
        "cpu_percent": 12.0,
        "memory_mb": 20.0,
        "started_at": NOW - 20,
        "instrument": "cli",
        "model": None,
    }


def processes(*rows: ProcessRow) -> ProcessesResult:
    return {
        "conductor": process("", 0, 99, "podium conductor"),
        "processes": list(rows),
        "sampled_at": NOW,
    }


def conductor() -> ConductorInfo:
    return {
        "pid": 99,
        "version": "0.1.0",
        "uptime_seconds": 3600.0,
        "socket": "/run/podium.sock",
        "state_dir": "/state",
        "log_file": "/state/conductor.log",
        "active_jobs": 1,
        "running_jobs": 1,
        "max_concurrent_jobs": 4,
        "running_sheets": 1,
        "max_concurrent_sheets": 4,
        "rate_limits": [
            {"instrument": "claude-code", "model": None, "until": NOW + 300, "reason": "429"}
        ],
        "memory_mb": 50.0,
        "state": "ready",
        "pressure": {
            "level": "low",
            "reason": "memory 1 GB of 8 GB",
            "memory_mb": 1024.0,
            "processes": 3,
            "limits": {"max_memory_mb": 8192.0, "max_processes": 256},
            "sampled_at": NOW,
        },
        "notifications": {"sent": 0, "failed": 0, "last_failure": None},
    }
