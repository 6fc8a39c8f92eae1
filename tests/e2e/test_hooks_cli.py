"""A job's on_success hooks as `podium status` and `podium history` show them."""

import json
import textwrap
from pathlib import Path

from tests.e2e.conftest import User, wait_for

HOOKED = """
name: hooked
workspace: ./ws
instrument: cli
sheet: {size: 1, total_items: 1}
prompt: {template: 'true'}
on_success:
  - {type: run_command, command: echo deployed, description: deploy}
  - {type: run_command, command: 'echo no luck; exit 4'}
"""


def test_status_and_history_show_each_hook_and_how_it_ended(podium: User, tmp_path: Path) -> None:
    score = tmp_path / "hooked.yaml"
    score.write_text(textwrap.dedent(HOOKED))
    assert podium("run", str(score), "--wait").returncode == 0
    shown = podium("status", "hooked").stdout.splitlines()
    assert shown[0].split()[:2] == ["hooked", "completed"]
    start = shown.index("hooks:")
    first, second, error = shown[start + 1 : start + 4]
    assert first.startswith("  ✓ 1  run_command: echo deployed (deploy)  succeeded · exit 0 · took")
    assert second.startswith("  ✗ 2  run_command: echo no luck; exit 4  failed · exit 4 · took")
    assert error == "      error  exit 4: no luck"
    assert any("the job stays completed (on_failure: continue)" in line for line in shown)

    history = podium("history", "hooked").stdout.splitlines()
    assert "hooks:" in history
    found = json.loads(podium("status", "hooked", "--json").stdout)
    assert [h["outcome"] for h in found["hooks"]] == ["succeeded", "failed"]
    assert found["hooks"][0]["output"] == "deployed\n"


def chain_score(tmp_path: Path, body: str) -> Path:
    score = tmp_path / "loop.yaml"
    score.write_text(textwrap.dedent(body))
    return score


def jobs(podium: User) -> dict[str, dict[str, object]]:
    found = json.loads(podium("list", "--all", "--json").stdout)
    return {j["job_id"]: j for j in found["jobs"]}


def settled(podium: User, count: int) -> bool:
    found = jobs(podium)
    return len(found) == count and all(j["status"] == "completed" for j in found.values())


SELF_CHAIN = """
name: loop
workspace: ./ws
instrument: cli
sheet: {size: 1, total_items: 1}
prompt: {template: 'echo pass >> passes.txt'}
concert:
  enabled: true
  max_chain_depth: 2
  cooldown_between_jobs_seconds: 0
  concert_log_path: concert.jsonl
on_success:
  - {type: run_job, job_path: loop.yaml, description: next pass}
"""


def test_a_self_chaining_score_stops_at_its_maximum_chain_depth(
    podium: User, tmp_path: Path
) -> None:
    score = chain_score(tmp_path, SELF_CHAIN)
    assert podium("run", str(score)).returncode == 0
    wait_for(lambda: settled(podium, 3), "the chain of three jobs")
    found = jobs(podium)
    assert sorted((j["chain_depth"], j["job_id"]) for j in found.values()) == [
        (0, "loop"),
        (1, "loop-2"),
        (2, "loop-3"),
    ]
    workspace = tmp_path / "ws"
    assert (workspace / "passes.txt").read_text() == "pass\n" * 3

    last = podium("status", "loop-3").stdout
    assert "chain      depth 2 (started by loop-2)" in last
    # It completed without its run_job hook, so no fourth job can ever come.
    assert "past concert.max_chain_depth (2): its run_job hooks do not run" in last
    middle = json.loads(podium("status", "loop-2", "--json").stdout)
    assert (middle["parent"], middle["children"]) == ("loop", ["loop-3"])

    concert = workspace / "concert.jsonl"
    # Each line is written a moment after its change is committed, by a task of its own.
    wait_for(
        lambda: concert.exists() and concert.read_text().count("\n") == 8, "the concert's lines"
    )
    told = [json.loads(line) for line in concert.read_text().splitlines()]
    story: dict[str, list[str]] = {}
    for line in told:  # each job's own lines in order; a child may start before its parent ends
        story.setdefault(str(line["job_id"]), []).append(str(line["event"]))
    assert story == {
        "loop": ["started", "chained", "completed"],
        "loop-2": ["started", "chained", "completed"],
        "loop-3": ["started", "completed"],
    }
    assert [t["next_job"] for t in told if t["event"] == "chained"] == ["loop-2", "loop-3"]


ZERO_WORK = """
name: loop
workspace: ./ws
instrument: cli
sheet:
  size: 1
  total_items: 1
  skip_when_command:
    1: {command: 'test -e {workspace}/done', description: the work is done}
prompt: {template: 'touch done'}
concert: {enabled: true, max_chain_depth: 10, cooldown_between_jobs_seconds: 0}
on_success:
  - {type: run_job, job_path: loop.yaml}
"""


def test_the_zero_work_guard_ends_a_loop_once_a_run_finds_nothing_to_do(
    podium: User, tmp_path: Path
) -> None:
    score = chain_score(tmp_path, ZERO_WORK)
    assert podium("run", str(score)).returncode == 0
    wait_for(lambda: settled(podium, 2), "the job and the one it chained to")
    assert len(jobs(podium)) == 2
    second = podium("status", "loop-2").stdout
    # It completed without its hooks, so no third job can ever come.
    assert "no sheet completed in this run, so the on_success hooks do not run" in second


HELD = """
name: first
workspace: ./ws
instrument: cli
sheet: {size: 1, total_items: 1}
prompt: {template: 'echo first > first.txt'}
concert: {enabled: true, cooldown_between_jobs_seconds: 0}
on_success:
  - {type: run_job, job_path: second.yaml, pause_before_chain: true}
"""

SECOND = """
name: second
workspace: ./ws
instrument: cli
sheet: {size: 1, total_items: 1}
prompt: {template: 'echo second > second.txt'}
"""


def test_a_held_chain_survives_a_restart_and_resume_starts_the_next_job(
    podium: User, tmp_path: Path
) -> None:
    (tmp_path / "second.yaml").write_text(textwrap.dedent(SECOND))
    score = tmp_path / "first.yaml"
    score.write_text(textwrap.dedent(HELD))
    assert podium("run", str(score), "--wait").returncode == 0
    assert jobs(podium)["first"]["status"] == "paused_at_chain"

    assert podium("restart").returncode == 0
    held = podium("status", "first")
    assert held.stdout.split()[:2] == ["first", "paused_at_chain"]
    assert "second" not in jobs(podium)

    resumed = podium("resume", "first")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    wait_for(lambda: settled(podium, 2), "the held job and the next one to complete")
    assert (tmp_path / "ws" / "second.txt").read_text() == "second\n"
    second = json.loads(podium("status", "second", "--json").stdout)
    assert (second["chain_depth"], second["parent"]) == (1, "first")
