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
from podium.ipc.methods import DAEMON_STATUS, JOB_LIST

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import TypedDict

    from podium.ipc.client import ConductorClient
    from podium.ipc.schema import ConductorInfo, JobInfo

    class Overview(TypedDict):
        """What `podium status` shows (and prints with `--json`)."""

        conductor: ConductorInfo
        active: list[JobInfo]
        recent: list[JobInfo]


def overview(conductor: ConductorClient) -> Overview:
    """The conductor, its active jobs and the 5 latest ones (what `--json` prints). The
    lists come first: a conductor that is starting answers them once it knows every job,
    and its status after them agrees with them."""
    active = conductor.request(JOB_LIST({"all": False, "limit": 1000}))
    recent = conductor.request(JOB_LIST({"all": True, "limit": 5}))
    info = conductor.request(DAEMON_STATUS({}))
    return {"conductor": info, "active": active["jobs"], "recent": recent["jobs"]}


def render_overview(found: Overview, color: bool, now: float) -> str:
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
    pressure = info["pressure"]
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


def jobs_table(jobs: list[JobInfo], color: bool, now: float) -> str:
    """A row per job: its id, status, sheets done, when submitted, how long it took, score."""
    plain = [_job_row(j, False, now) for j in jobs]
    rows = [_job_row(j, color, now) for j in jobs] if color else plain
    return table(["JOB", "STATUS", "SHEETS", "SUBMITTED", "TOOK", "SCORE"], rows, plain)


def _job_row(job: JobInfo, color: bool, now: float) -> list[str]:
    start, end = job["started_at"], job["finished_at"] or now
    return [
        job["job_id"],
        status_text(job["status"], color),
        f"{job['completed_sheets']}/{job['total_sheets']}",
        when(job["submitted_at"]),
        duration(end - start) if start else "-",
        job["score_path"],
    ]
