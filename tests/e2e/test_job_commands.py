"""clear, recover, list --status, pause --wait, resume --config, modify --config and the
re-run of a changed score, as a user types them."""

import json
from pathlib import Path

from tests.e2e.conftest import User, wait_for
from tests.e2e.test_control_commands import GATED, job_status, write

FAILING = """
    name: failing
    workspace: ./ws
    instrument: cli
    pause_between_sheets_seconds: 0
    sheet: {size: 1, total_items: 2}
    retry: {max_retries: 0, max_completion_attempts: 0}
    prompt:
      template: |
        {% if sheet_num == 1 %}touch out-1.txt{% endif %}
    validations:
      - {type: file_exists, path: "{workspace}/out-{sheet_num}.txt"}
"""
"""Sheet 2 never writes its file, so it fails its validations."""


def test_list_by_status_recover_and_clear(podium: User, tmp_path: Path) -> None:
    score = write(tmp_path, FAILING, "failing.yaml")
    assert podium("run", str(score), "--wait").returncode == 3
    listed = podium("list", "--status", "failed,cancelled")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines()[1].startswith("failing  failed")
    assert podium("list", "--status", "completed").stdout == "no completed jobs\n"
    wrong = podium("list", "--status", "broken")
    assert wrong.returncode == 2
    assert "there is no such job status; the statuses are queued, running" in wrong.stderr
    (tmp_path / "ws" / "out-2.txt").touch()
    dry = podium("recover", "failing", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.startswith("(dry run) job failing: would complete sheet(s) 2")
    assert "✓ sheet 2: completed" in dry.stdout
    assert job_status(podium, "failing")["status"] == "failed"
    done = podium("recover", "failing", "--json")
    assert json.loads(done.stdout)["status"] == "completed"
    refused = podium("clear")
    assert refused.returncode == 2
    assert "add --yes to clear without asking" in refused.stderr
    cleared = podium("clear", "--older-than", "0", "--yes")
    assert cleared.stdout == "cleared 1 job(s): failing\n"
    assert podium("status", "failing").returncode == 2
    assert podium("clear", "--older-than", "7d", "--yes").stdout == "no finished job to clear\n"


def test_pause_wait_then_resume_with_another_score(podium: User, tmp_path: Path) -> None:
    score = write(tmp_path, GATED)
    podium("run", str(score), "--no-wait")
    ws = tmp_path / "ws"
    wait_for((ws / "runs-1.txt").exists, "sheet 1 to start")
    timed_out = podium("pause", "gated", "--wait", "--timeout", "0.3")
    assert timed_out.returncode == 5
    assert "still run after 0.3s" in timed_out.stderr
    (ws / "go").touch()
    paused = podium("pause", "gated", "--wait")
    assert paused.returncode == 0, paused.stderr
    assert paused.stdout.endswith("job gated is paused: no attempt in flight\n")
    bigger = write(tmp_path, GATED.replace("total_items: 2", "total_items: 3"), "bigger.yaml")
    resumed = podium("resume", "gated", "--config", "bigger.yaml", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    wait_for(lambda: job_status(podium, "gated")["status"] == "completed", "the job to end")
    final = job_status(podium, "gated")
    assert (final["total_sheets"], final["score_path"]) == (3, str(bigger))


def test_modify_config_leaves_a_paused_job_paused_unless_resume(
    podium: User, tmp_path: Path
) -> None:
    score = write(tmp_path, GATED.replace("while [ ! -e go ]", "while [ -e stop ]"))
    (tmp_path / "ws").mkdir()
    (tmp_path / "ws" / "stop").touch()
    podium("run", str(score), "--no-wait")
    wait_for((tmp_path / "ws" / "runs-1.txt").exists, "sheet 1 to start")
    assert podium("pause", "gated").returncode == 0
    bigger = write(tmp_path, GATED.replace("total_items: 2", "total_items: 3"), "bigger.yaml")
    kept = podium("modify", "gated", "--config", str(bigger))
    assert "it stays paused" in kept.stdout
    (tmp_path / "ws" / "stop").unlink()
    followed = podium("modify", "gated", "-c", str(bigger), "--resume", "--wait")
    assert followed.returncode == 0, followed.stdout + followed.stderr
    assert "job gated completed: 3/3 sheets" in followed.stdout
    both = podium("modify", "gated", str(bigger), "--config", str(bigger))
    assert both.returncode == 2 and "give the new score once" in both.stderr


def test_a_rerun_of_a_changed_completed_score_says_it_runs_fresh(
    podium: User, tmp_path: Path
) -> None:
    text = GATED.replace("{% if sheet_num == 1 %}", "{% if false %}")
    score = write(tmp_path, text)
    assert podium("run", str(score), "--wait").returncode == 0
    again = podium("run", str(score), "--wait")
    assert "running it fresh" not in again.stderr
    score.write_text(score.read_text().replace("total_items: 2", "total_items: 1"))
    changed = podium("run", str(score), "--wait")
    assert changed.returncode == 0, changed.stderr
    assert "the score changed since job gated-2 completed: running it fresh" in changed.stderr


GREETING = """
    name: Greeting
    workspace: ./ws
    instrument: cli
    pause_between_sheets_seconds: 0
    sheet: {size: 1, total_items: 1}
    prompt: {template: "echo hi"}
"""


def test_run_says_the_job_id_is_the_file_s_name_and_every_verb_knows_a_near_miss(
    podium: User, tmp_path: Path
) -> None:
    score = write(tmp_path, GREETING, "hello.yaml")
    run = podium("run", str(score), "--wait")
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.splitlines()[1] == (
        "job id: hello (the file's name; the score's name: is 'Greeting')"
    )
    verbs = [
        ("status", "no job or fleet"),
        ("pause", "no job or fleet"),
        ("resume", "no job or fleet"),
        ("cancel", "no job or fleet"),
        ("history", "no job"),
        ("errors", "no job"),
        ("diagnose", "no job"),
        ("logs", "no job"),
        ("recover", "no job"),
        ("modify", "no job"),
        ("clear", "no job"),
    ]
    for verb, no_such in verbs:
        args = {"modify": ["--config", str(score)], "clear": ["--yes"]}.get(verb, [])
        typed = ["clear", "--score", "helo", *args] if verb == "clear" else [verb, "helo", *args]
        done = podium(*typed)
        assert (done.returncode, done.stderr) == (
            2,
            f"podium: {no_such} 'helo'; did you mean 'hello'?\n",
        ), verb
    far = podium("status", "zzz")
    assert (
        far.stderr
        == "podium: no job or fleet 'zzz'; 'podium list --all' shows every job and fleet\n"
    )


def test_a_score_named_as_its_file_is_not_explained(podium: User, tmp_path: Path) -> None:
    score = write(tmp_path, GREETING, "Greeting.yaml")
    run = podium("run", str(score), "--no-wait")
    assert run.returncode == 0, run.stderr
    assert "job id:" not in run.stdout
