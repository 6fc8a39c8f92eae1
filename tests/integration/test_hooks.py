"""`on_success` hooks run by a real conductor: commands, scripts, chained jobs, timeouts."""

import textwrap
from pathlib import Path

from podium.host import processes
from podium.testing.conductor import ConductorProcess


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def test_a_command_hook_gets_its_placeholders_as_their_values(
    conductor: ConductorProcess, tmp_path: Path
) -> None:
    score = write(
        tmp_path / "quoted.yaml",
        """
        name: quoted
        workspace: ./my ws
        instrument: cli
        sheet: {size: 1, total_items: 1}
        prompt: {template: 'true'}
        on_success:
          - type: run_command
            command: cd {workspace} && printf '%s|%s|%s\\n' {workspace} {job_id} {sheet_count} > hook.txt
            description: write what the hook was told
        """,
    )
    job = conductor.submit(score)
    done = conductor.wait_for_job(job, "completed")
    workspace = tmp_path / "my ws"
    assert (workspace / "hook.txt").read_text() == f"{workspace}|{job}|1\n"
    [hook] = done["hooks"]
    assert (hook["num"], hook["outcome"], hook["exit_code"]) == (1, "succeeded", 0)
    assert hook["description"] == "write what the hook was told"


def test_a_script_hook_runs_its_words_without_a_shell(
    conductor: ConductorProcess, tmp_path: Path
) -> None:
    score = write(
        tmp_path / "script.yaml",
        """
        name: script
        workspace: ./ws
        instrument: cli
        sheet: {size: 1, total_items: 1}
        prompt: {template: 'true'}
        on_success:
          - type: run_script
            command: touch "two words.txt" {job_id}.txt ;
        """,
    )
    job = conductor.submit(score)
    conductor.wait_for_job(job, "completed")
    made = sorted(p.name for p in (tmp_path / "ws").iterdir() if p.is_file())
    assert made == [";", f"{job}.txt", "two words.txt"]  # ';' is a word, not a shell's


def test_a_chained_score_is_found_next_to_its_parent_and_runs_one_level_deeper(
    conductor: ConductorProcess, tmp_path: Path
) -> None:
    folder = tmp_path / "concert"
    write(
        folder / "second.yaml",
        """
        name: second
        workspace: ./ws-second
        instrument: cli
        sheet: {size: 1, total_items: 1}
        prompt: {template: 'echo second >> chain.txt'}
        """,
    )
    first = write(
        folder / "first.yaml",
        """
        name: first
        workspace: ./ws-first
        instrument: cli
        sheet: {size: 1, total_items: 1}
        prompt: {template: 'echo first >> chain.txt'}
        concert: {cooldown_between_jobs_seconds: 0}
        on_success:
          - {type: run_job, job_path: second.yaml}
        """,
    )
    parent = conductor.submit(first)
    done = conductor.wait_for_job(parent, "completed")
    [hook] = done["hooks"]
    child = hook["chained_job"]
    assert hook["outcome"] == "succeeded" and child
    second = conductor.wait_for_job(child, "completed")
    assert second["score_path"] == str(folder / "second.yaml")
    assert second["chain_depth"] == 1
    # The chained job runs in its parent's workspace (concert.inherit_workspace).
    assert (folder / "ws-first" / "chain.txt").read_text() == "first\nsecond\n"
    assert any(
        f"started by on_success hook 1 of job {parent}" in n["text"] for n in second["history"]
    )


def test_a_hook_past_its_timeout_is_stopped_with_its_whole_group(
    virtual_conductor: ConductorProcess, tmp_path: Path
) -> None:
    # On virtual time: the ten minutes pass once the hook's processes wait, never before.
    conductor = virtual_conductor
    score = write(
        tmp_path / "slow.yaml",
        """
        name: slow
        workspace: ./ws
        instrument: cli
        sheet: {size: 1, total_items: 1}
        prompt: {template: 'true'}
        on_success:
          - type: run_command
            command: sleep 300 & echo $! > sleeper.pid; wait
            timeout_seconds: 600
            on_failure: abort
        """,
    )
    job = conductor.submit(score)
    done = conductor.wait_for_job(job, "failed")
    assert done["error"] == (
        "on_success hook 1 (run_command: sleep 300 & echo $! > sleeper.pid; wait) failed: "
        "timed out after 600s"
    )
    sleeper = int((tmp_path / "ws" / "sleeper.pid").read_text())
    found = processes.stat(sleeper)
    assert found is None or not found.running
