"""A real conductor, started without a program on its PATH, runs jobs whose submission
carries the client's PATH and its instruments' variables (docs/environment.md)."""

import json
import os
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from podium.ipc.client import RemoteError
from podium.ipc.methods import JOB_LOGS, JOB_SUBMIT
from podium.testing.conductor import ConductorProcess

PROBE = "podium-env-probe"
KEY = "k-carried-secret-1234"


@pytest.fixture
def bin_dir(tmp_path: Path) -> Path:
    """A folder holding the probe, on no conductor's PATH: it prints its key and records
    what it saw in `seen.txt` of its working folder."""
    folder = tmp_path / "bin"
    folder.mkdir()
    probe = folder / PROBE
    probe.write_text(
        "#!/bin/sh\n"
        'echo "key is $PROBE_API_KEY"\n'
        'echo "key=$PROBE_API_KEY stray=$OTHER_TOKEN" >> seen.txt\n'
    )
    probe.chmod(0o755)
    return folder


def score(tmp_path: Path, body: str = "") -> Path:
    folder = tmp_path / "project"
    (folder / ".podium" / "instruments").mkdir(parents=True)
    (folder / ".podium" / "instruments" / "probe.yaml").write_text(
        textwrap.dedent(f"""
        name: probe
        kind: cli
        cli:
          command:
            executable: {PROBE}
            prompt_as_file: true
            prompt_via_stdin: false
            required_env: [PROBE_API_KEY]
          output: {{format: text}}
        """)
    )
    (folder / "ws").mkdir()
    path = folder / "probe.yaml"
    path.write_text(
        textwrap.dedent("""
        name: probe
        instrument: probe
        workspace: ./ws
        sheet: {size: 1, total_items: 1}
        prompt: {template: x}
        """)
        + textwrap.dedent(body)
    )
    return path


def shell(bin_dir: Path) -> dict[str, str]:
    """What `podium run` sends from a shell that has the probe (and more than it needs)."""
    return {
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "PROBE_API_KEY": KEY,
        "OTHER_TOKEN": "another-service-token",
    }


def stored_environment(conductor: ConductorProcess) -> dict[str, str] | None:
    (text,) = conductor.query("SELECT environment FROM job_specs")[0]
    return None if text is None else dict(json.loads(text))


def test_the_conductor_keeps_only_what_the_instruments_ask_for(
    conductor: ConductorProcess, tmp_path: Path, bin_dir: Path
) -> None:
    path = score(tmp_path)
    job = conductor.request(JOB_SUBMIT({"score_path": str(path), "environment": shell(bin_dir)}))[
        "job_id"
    ]
    conductor.wait_for_job(job, "completed")
    assert stored_environment(conductor) == {
        "PATH": shell(bin_dir)["PATH"],
        "PROBE_API_KEY": KEY,
    }
    assert (path.parent / "ws" / "seen.txt").read_text() == f"key={KEY} stray=\n"


def test_a_carried_secret_is_masked_in_what_podium_shows(
    conductor: ConductorProcess, tmp_path: Path, bin_dir: Path
) -> None:
    path = score(tmp_path)
    job = conductor.request(JOB_SUBMIT({"score_path": str(path), "environment": shell(bin_dir)}))[
        "job_id"
    ]
    conductor.wait_for_job(job, "completed")
    logs = conductor.request(JOB_LOGS({"job_id": job}))
    assert logs["sheets"][0]["stdout"]["text"] == "key is [REDACTED]\n"
    assert KEY not in conductor.log


def test_checks_and_hooks_run_with_the_carried_variables(
    conductor: ConductorProcess, tmp_path: Path, bin_dir: Path
) -> None:
    path = score(
        tmp_path,
        f"""
        validations:
          - {{type: command_succeeds, command: "cd {{workspace}} && {PROBE}"}}
        on_success:
          - {{type: run_command, command: "cd {{workspace}} && {PROBE}"}}
        """,
    )
    job = conductor.request(JOB_SUBMIT({"score_path": str(path), "environment": shell(bin_dir)}))[
        "job_id"
    ]
    conductor.wait_for_job(job, "completed")
    seen = (path.parent / "ws" / "seen.txt").read_text().splitlines()
    assert seen == [f"key={KEY} stray="] * 3  # the attempt, its check, the hook


def test_a_submission_without_an_environment_runs_with_the_conductors(
    conductor: ConductorProcess, tmp_path: Path, bin_dir: Path
) -> None:
    path = score(tmp_path)
    with pytest.raises(RemoteError, match="which is not on the conductor's PATH"):
        conductor.request(JOB_SUBMIT({"score_path": str(path)}))
    cli = tmp_path / "cli.yaml"
    cli.write_text(
        "name: cli\ninstrument: cli\nsheet: {size: 1, total_items: 1}\nprompt: {template: 'true'}\n"
    )
    job = conductor.request(JOB_SUBMIT({"score_path": str(cli)}))["job_id"]
    conductor.wait_for_job(job, "completed")
    assert stored_environment(conductor) is None


def test_a_conductor_told_to_take_no_client_environment_ignores_it(
    conductors: Callable[..., ConductorProcess], tmp_path: Path, bin_dir: Path
) -> None:
    conductor = conductors({"environment": {"from_client": False}})
    with pytest.raises(RemoteError, match=r"environment\.from_client: false"):
        conductor.request(
            JOB_SUBMIT({"score_path": str(score(tmp_path)), "environment": shell(bin_dir)})
        )
