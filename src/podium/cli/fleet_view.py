"""Fleets from the command line: following a fleet (`podium run FLEET.yaml --wait`), and the
fleet's side of `podium status|pause|resume|cancel ID` and `podium list` (`fleet_run` submits).

A fleet id shares the job id namespace, so those commands ask for a job first and, when there
is no such job, for a fleet of that id.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from podium.cli import exits
from podium.cli.output import paint, status_text, table, when
from podium.ipc.client import RemoteError
from podium.ipc.methods import FLEET_STATUS
from podium.ipc.protocol import JOB_NOT_FOUND

TYPE_CHECKING = False
if TYPE_CHECKING:
    from podium.ipc.client import ConductorClient
    from podium.ipc.fleet_schema import FleetGroupInfo, FleetInfo, FleetMemberInfo

ENDED = frozenset({"completed", "failed", "cancelled"})
FLEET_RECHECK_SECONDS = 5.0
"""A fleet is also read anew after this long without news: a member the conductor refused
to submit changes no job, and its fleet's status may not change with it."""


# ---- following -----------------------------------------------------------------------


def follow_fleet(
    conductor: ConductorClient,
    fleet_id: str,
    *,
    quiet: bool = False,
    wait: Callable[[float], bool] | None = None,
) -> int:
    """Follow the fleet until it ends, printing each member's change of state; exit code 0
    when it completed, JOB_FAILED otherwise. The fleet is read anew when the conductor tells
    of a change of a fleet or a job (`wait`; by default its event stream)."""
    if wait is not None:
        return _follow_fleet(conductor, fleet_id, quiet, wait)
    from podium.cli.changes import Changes  # noqa: PLC0415 - only when following

    with Changes(conductor.socket_path, {"kinds": ["fleet", "job"]}) as changes:
        return _follow_fleet(conductor, fleet_id, quiet, changes.wait)


def _follow_fleet(
    conductor: ConductorClient, fleet_id: str, quiet: bool, wait: Callable[[float], bool]
) -> int:
    seen: dict[int, str] = {}
    while True:
        fleet = conductor.request(FLEET_STATUS({"fleet_id": fleet_id}))
        for member in fleet["members"]:
            if seen.get(member["num"]) != member["state"] and not quiet:
                print(f"{when(time.time())}  {_member_line(member, fleet['path'])}", flush=True)
            seen[member["num"]] = member["state"]
        if fleet["status"] in ENDED:
            break
        wait(FLEET_RECHECK_SECONDS)
    if not quiet:
        reason = f": {fleet['reason']}" if fleet["reason"] else ""
        print(f"fleet {fleet_id} {fleet['status']}{reason}")
    return exits.OK if fleet["status"] == "completed" else exits.JOB_FAILED


def _member_line(member: FleetMemberInfo, fleet_path: str) -> str:
    group = member["group"] or "no group"
    job = f"job {member['job_id']}" if member["job_id"] else "no job yet"
    return f"{group}: {shown(member['score_path'], fleet_path)} ({job}) {member['state']}"


# ---- status, control, list ------------------------------------------------------------


def fleet_instead(conductor: ConductorClient, error: RemoteError, fleet_id: str) -> FleetInfo:
    """The fleet `fleet_id`, asked for after the conductor found no job of that id; the
    conductor's 'no job or fleet' error when there is none either. Other errors are raised
    as they came."""
    if error.code != JOB_NOT_FOUND:
        raise error
    return conductor.request(FLEET_STATUS({"fleet_id": fleet_id}))


def render_fleet(fleet: FleetInfo, color: bool) -> str:
    """`podium status FLEET`: its groups in order, each member's job and state."""
    lines = [
        f"fleet {fleet['fleet_id']} ({fleet['name']}): "
        f"{status_text(fleet['status'], color)}, submitted {when(fleet['created_at'])}"
        + (f", ended {when(fleet['ended_at'])}" if fleet["ended_at"] else ""),
        f"file: {fleet['path']}",
    ]
    if fleet["reason"]:
        lines.append(paint(f"reason: {fleet['reason']}", "yellow", color))
    for group in fleet["groups"]:
        lines += ["", _group_title(group)]
        members = [m for m in fleet["members"] if m["group"] == group["name"]]
        lines += [f"  {line}" for line in _members_rows(members, fleet["path"], color)]
    return "\n".join(lines)


def _group_title(group: FleetGroupInfo) -> str:
    title = "no group" if group["name"] is None else f"group {group['name']}"
    deps = group["depends_on"]
    if not deps:
        return f"{title} (starts at once)"
    text = f"{title} (after {', '.join(deps)}"
    if group["never_starts"]:
        return text + "; never starts: a group it depends on did not complete)"
    if group["waits_for"]:
        return text + f"; waits for {', '.join(group['waits_for'])})"
    return text + ")"


def _members_rows(members: list[FleetMemberInfo], fleet_path: str, color: bool) -> list[str]:
    def row(m: FleetMemberInfo, paint_it: bool) -> list[str]:
        state = status_text(m["state"], paint_it) if m["job_status"] else m["state"]
        return [shown(m["score_path"], fleet_path), m["job_id"] or "-", state]

    plain = [row(m, False) for m in members]
    rows = [row(m, True) for m in members] if color else plain
    return table(["SCORE", "JOB", "STATE"], rows, plain).splitlines()


def members_table(fleet: FleetInfo) -> str:
    def row(m: FleetMemberInfo) -> list[str]:
        return [
            m["group"] or "-",
            shown(m["score_path"], fleet["path"]),
            f"job {m['job_id']}" if m["job_id"] else m["state"],
        ]

    plain = [row(m) for m in fleet["members"]]
    return table(["GROUP", "SCORE", "JOB"], plain, plain)


def fleets_table(fleets: list[FleetInfo], color: bool) -> str:
    """`podium list`'s fleets."""

    def row(f: FleetInfo, paint_it: bool) -> list[str]:
        done = sum(1 for m in f["members"] if m["job_status"] == "completed")
        return [
            f["fleet_id"],
            status_text(f["status"], paint_it),
            f"{done}/{len(f['members'])}",
            when(f["created_at"]),
            f["path"],
        ]

    plain = [row(f, False) for f in fleets]
    rows = [row(f, True) for f in fleets] if color else plain
    return table(["FLEET", "STATUS", "JOBS DONE", "SUBMITTED", "FILE"], rows, plain)


def shown(score_path: str, fleet_path: str) -> str:
    """A member's score, relative to the fleet file's folder when it is under it."""
    folder = os.path.dirname(fleet_path)
    if score_path.startswith(folder + os.sep):
        return score_path[len(folder) + 1 :]
    return score_path
