"""The conductor and its jobs at a glance (`podium status` without a job), and the table of
jobs that `podium list` prints too."""

from __future__ import annotations

from podium.cli.output import (
    describe_rate_limits,
    duration,
    paint,
    status_text,
    table,
    when,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from podium.ipc.client import ConductorClient


def overview(conductor: ConductorClient) -> dict[str, Any]:
    """The conductor, its active jobs and the 5 latest ones (what `--json` prints)."""
    info = conductor.call("daemon.status")
    active = conductor.call("job.list", {"all": False, "limit": 1000})
    recent = conductor.call("job.list", {"all": True, "limit": 5})
    return {"conductor": info, "active": active["jobs"], "recent": recent["jobs"]}


def render_overview(found: dict[str, Any], color: bool, now: float) -> str:
    """The conductor in a line (and its waits and pressure), its active jobs, then those
    that finished lately."""
    info, active = found["conductor"], found["active"]
    lines = [
        f"conductor: pid {info['pid']}, up {duration(info['uptime_seconds'])}, "
        f"{info['running_jobs']}/{info['max_concurrent_jobs']} job(s) and "
        f"{info['running_sheets']}/{info['max_concurrent_sheets']} sheet(s) running"
    ]
    lines += [
        f"  {paint(line, 'yellow', color)}" for line in describe_rate_limits(info["rate_limits"])
    ]
    pressure = info.get("pressure") or {"level": "none"}
    if pressure["level"] != "none":
        line = f"resource pressure {pressure['level']}: {pressure['reason']}"
        lines.append(f"  {paint(line, 'yellow', color)}")
    lines += ["", "active jobs:" if active else "no active jobs"]
    if active:
        lines.append(jobs_table(active, color, now))
    finished = [j for j in found["recent"] if j["finished_at"] is not None]
    if finished:
        lines += ["", "recently finished:", jobs_table(finished, color, now)]
    return "\n".join(lines)


def jobs_table(jobs: list[dict[str, Any]], color: bool, now: float) -> str:
    """A row per job: its id, status, sheets done, when submitted, how long it took, score."""
    plain = [_job_row(j, False, now) for j in jobs]
    rows = [_job_row(j, color, now) for j in jobs] if color else plain
    return table(["JOB", "STATUS", "SHEETS", "SUBMITTED", "TOOK", "SCORE"], rows, plain)


def _job_row(job: dict[str, Any], color: bool, now: float) -> list[str]:
    start, end = job["started_at"], job["finished_at"] or now
    return [
        job["job_id"],
        status_text(job["status"], color),
        f"{job['completed_sheets']}/{job['total_sheets']}",
        when(job["submitted_at"]),
        duration(end - start) if start else "-",
        job["score_path"],
    ]
