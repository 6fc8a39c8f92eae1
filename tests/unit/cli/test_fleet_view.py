"""How `podium status FLEET` and `podium run FLEET --wait` show a fleet."""

import io
from contextlib import redirect_stdout

from podium.cli import exits
from podium.cli.fleet_view import follow_fleet, render_fleet
from podium.ipc.fleet_schema import FleetInfo, FleetMemberInfo, FleetParams
from podium.ipc.methods import FLEET_STATUS, Call


def member(num: int, group: str | None, job: str | None, state: str) -> FleetMemberInfo:
    return {
        "num": num,
        "score_path": f"/w/{group or 'solo'}.yaml",
        "group": group,
        "job_id": job,
        "job_status": state if job else None,
        "error": None,
        "state": state,
    }


def fleet(status: str, reason: str | None, *members: FleetMemberInfo) -> FleetInfo:
    return {
        "fleet_id": "rel-2",
        "name": "rel",
        "path": "/w/fleet.yaml",
        "status": status,
        "reason": reason,
        "created_at": 0.0,
        "ended_at": 1.0 if status in ("completed", "failed", "cancelled") else None,
        "groups": [
            {"name": None, "depends_on": [], "waits_for": [], "never_starts": False},
            {"name": "build", "depends_on": [], "waits_for": [], "never_starts": False},
            {"name": "test", "depends_on": ["build"], "waits_for": [], "never_starts": True},
        ],
        "members": list(members),
    }


FAILED = fleet(
    "failed",
    "job build (/w/build.yaml, group 'build') failed; so group(s) test never started",
    member(1, None, "solo", "completed"),
    member(2, "build", "build", "failed"),
    member(3, "test", None, "never starts (a group it depends on did not complete)"),
)


def test_a_failed_fleet_shows_why_and_the_groups_that_never_start() -> None:
    lines = render_fleet(FAILED, color=False).splitlines()
    assert lines[0].startswith("fleet rel-2 (rel): failed, submitted ")
    assert lines[2] == f"reason: {FAILED['reason']}"
    titles = [line for line in lines if line and not line.startswith(" ")][3:]
    assert titles == [
        "no group (starts at once)",
        "group build (starts at once)",
        "group test (after build; never starts: a group it depends on did not complete)",
    ]
    assert lines[-1].split()[:4] == ["test.yaml", "-", "never", "starts"]


def test_following_a_fleet_prints_each_change_and_exits_3_when_it_did_not_complete() -> None:
    running = fleet("running", None, member(2, "build", "build", "running"))
    answers = iter([running, running, FAILED])

    class Conductor:
        def request(self, call: Call[FleetParams, FleetInfo]) -> FleetInfo:
            assert (call.method, call.params) == (FLEET_STATUS, {"fleet_id": "rel-2"})
            return next(answers)

    out = io.StringIO()
    with redirect_stdout(out):
        code = follow_fleet(Conductor(), "rel-2", wait=lambda _: True)  # type: ignore[arg-type]
    assert code == exits.JOB_FAILED
    shown = [line.split("  ", 1)[1] for line in out.getvalue().splitlines()[:-1]]
    assert shown == [
        "build: build.yaml (job build) running",
        "no group: solo.yaml (job solo) completed",
        "build: build.yaml (job build) failed",
        "test: test.yaml (no job yet) never starts (a group it depends on did not complete)",
    ]
    assert out.getvalue().splitlines()[-1] == f"fleet rel-2 failed: {FAILED['reason']}"
