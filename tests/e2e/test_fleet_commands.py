"""Fleets as a user drives them: run (and --dry-run), status, cancel, list."""

import json
import textwrap
from pathlib import Path

from tests.e2e.conftest import User, wait_for


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text))
    return path


def scores(folder: Path) -> Path:
    """Group `first` (a gated score: it waits for the file ws/go), then group `second`."""
    for name, command in (
        ("a", "echo ran > a.ran; while [ ! -e go ]; do sleep 0.02; done"),
        ("b", "echo ran > b.ran"),
    ):
        write(
            folder,
            f"{name}.yaml",
            f"""
            name: {name}
            workspace: ./ws
            instrument: cli
            sheet: {{size: 1, total_items: 1}}
            prompt: {{template: '{command}'}}
            """,
        )
    return write(
        folder,
        "fleet.yaml",
        """
        type: fleet
        name: release
        scores:
          - {path: a.yaml, group: first}
          - {path: b.yaml, group: second}
        groups:
          first: {}
          second: {depends_on: [first]}
        """,
    )


def fleet_status(podium: User, fleet_id: str) -> dict[str, object]:
    done = podium("status", fleet_id, "--json")
    assert done.returncode == 0, done.stderr
    found: dict[str, object] = json.loads(done.stdout)
    return found


def test_a_fleet_runs_its_groups_in_order_and_status_shows_them(
    podium: User, tmp_path: Path
) -> None:
    fleet = scores(tmp_path)
    plan = podium("run", str(fleet), "--dry-run")
    assert plan.returncode == 0, plan.stderr
    assert plan.stdout.splitlines()[1:] == [
        "1. group first: starts at once",
        "     a.yaml",
        "2. group second: starts after group first completed",
        "     b.yaml",
    ]

    submitted = podium("run", str(fleet), "--no-wait")
    assert submitted.returncode == 0, submitted.stderr
    lines = submitted.stdout.splitlines()
    assert lines[0] == "fleet release submitted: 2 score(s) in 2 group(s)"
    assert lines[2].split() == ["first", "a.yaml", "job", "a"]
    assert lines[3].split() == ["second", "b.yaml", "waits", "for", "group", "first"]

    shown = podium("status", "release").stdout
    assert "fleet release (release): running" in shown
    assert "group second (after first; waits for first)" in shown
    listed = podium("list").stdout
    assert listed.splitlines()[1].split()[:3] == ["release", "running", "0/2"]

    (tmp_path / "ws" / "go").touch()
    wait_for(lambda: fleet_status(podium, "release")["status"] == "completed", "the fleet")
    shown = podium("status", "release").stdout
    assert "group first (starts at once)" in shown
    assert "group second (after first)" in shown
    assert shown.index("group first") < shown.index("group second")
    assert [line.split()[:3] for line in shown.splitlines() if ".yaml" in line] == [
        ["file:", str(fleet)],
        ["a.yaml", "a", "completed"],
        ["b.yaml", "b", "completed"],
    ]


def test_cancelling_a_fleet_while_its_first_group_runs_never_starts_the_second(
    podium: User, tmp_path: Path
) -> None:
    fleet = scores(tmp_path)
    assert podium("run", str(fleet), "--no-wait").returncode == 0
    wait_for((tmp_path / "ws" / "a.ran").exists, "score a to run")
    cancelled = podium("cancel", "release")
    assert cancelled.returncode == 0, cancelled.stderr
    assert cancelled.stdout.startswith("fleet release: cancelled: 1 active job(s) cancelled")
    wait_for(
        lambda: json.loads(podium("status", "a", "--json").stdout)["status"] == "cancelled", "a"
    )
    found = fleet_status(podium, "release")
    assert found["status"] == "cancelled"
    members = found["members"]
    assert isinstance(members, list)
    assert [m["job_id"] for m in members] == ["a", None]
    assert not (tmp_path / "ws" / "b.ran").exists()

    again = podium("cancel", "release")
    assert again.returncode == 2
    assert "fleet 'release' has already ended (cancelled)" in again.stderr
    unknown = podium("status", "nothing-here")
    assert unknown.returncode == 2
    assert "no job or fleet 'nothing-here'" in unknown.stderr


def test_a_fleet_whose_score_does_not_compile_is_refused_up_front(
    podium: User, tmp_path: Path
) -> None:
    fleet = scores(tmp_path)
    (tmp_path / "b.yaml").write_text("name: b\n")
    refused = podium("run", str(fleet), "--no-start")
    assert refused.returncode == 2
    assert "b.yaml does not compile" in refused.stderr
    assert (
        "--workspace applies to a score, not to a fleet"
        in podium("run", str(fleet), "--workspace", str(tmp_path)).stderr
    )


def test_pause_wait_is_refused_for_a_fleet_and_a_fleet_failing_as_submitted_says_why(
    podium: User, tmp_path: Path
) -> None:
    fleet = scores(tmp_path)
    assert podium("run", str(fleet), "--no-wait").returncode == 0
    wait_for((tmp_path / "ws" / "a.ran").exists, "score a to run")
    refused = podium("pause", "release", "--wait")
    assert refused.returncode == 2
    assert "'release' is a fleet, and --wait (with --timeout) waits for one job's" in refused.stderr
    assert fleet_status(podium, "release")["status"] == "running"
    assert "no job or fleet 'nothing-here'" in podium("pause", "nothing-here", "--wait").stderr

    again = podium("run", str(fleet), "--no-wait")  # a.yaml is already running: refused
    assert again.returncode == 3, again.stderr
    assert again.stderr.startswith(
        f"podium: fleet release-2 failed: the score {tmp_path / 'a.yaml'} (group 'first') "
        "could not be submitted: "
    )
    (tmp_path / "ws" / "go").touch()
    wait_for(lambda: fleet_status(podium, "release")["status"] == "completed", "the fleet")
