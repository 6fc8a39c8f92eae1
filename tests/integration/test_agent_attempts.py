"""Agent attempts on a real conductor: the fake agent and custom profiles as real processes.

Profiles, prompt delivery, the filtered environment, redaction, usage, classification and the
process tree, each seen from outside, the way a user would notice them.
"""

import signal
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from podium.host import processes
from podium.ipc.client import RemoteError
from podium.ipc.methods import DAEMON_STATUS, JOB_CANCEL
from podium.runtime.process import group_exists, read_exit_file
from podium.testing.conductor import ConductorProcess
from tests.files import written

Conductors = Callable[..., ConductorProcess]
WriteScore = Callable[..., Path]

AGENT_SCORE = """
    name: agent
    workspace: ./ws
    instrument: {instrument}
    pause_between_sheets_seconds: 0
    sheet: {{size: 1, total_items: 1}}
    retry: {{max_retries: 0, base_delay_seconds: 0.05, max_completion_attempts: 0}}
    {extra}
    prompt:
      template: |
        {prompt}
    validations:
      - type: file_exists
        path: "{{workspace}}/out.txt"
"""


def agent_score(
    write_score: WriteScore, prompt: str, extra: str = "", instrument: str = "fake-agent"
) -> Path:
    return write_score(AGENT_SCORE.format(prompt=prompt, extra=extra, instrument=instrument))


def project_profile(score: Path, profile: dict[str, object]) -> None:
    folder = score.parent / ".podium" / "instruments"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{profile['name']}.yaml").write_text(yaml.safe_dump(profile))


def recorded_prompts(workspace: Path) -> list[str]:
    return [p.read_text() for p in sorted((workspace / ".fake-agent").glob("prompt-*.txt"))]


def test_an_agent_sheet_gets_the_assembled_prompt_on_stdin_and_its_usage_is_recorded(
    conductor: ConductorProcess, write_score: WriteScore, tmp_path: Path
) -> None:
    score = agent_score(write_score, 'FAKE-AGENT: write out.txt text="done"')
    job = conductor.submit(score)
    done = conductor.wait_for_job(job, "completed")
    [prompt] = recorded_prompts(tmp_path / "ws")
    assert prompt.startswith("<podium-preamble>\nYou are running sheet 1 of 1 of 'agent'")
    assert f"- [ ] the file {tmp_path}/ws/out.txt exists" in prompt
    [(tokens_in, tokens_out, cost, code)] = conductor.query(
        "SELECT input_tokens, output_tokens, cost, error_code FROM attempts"
    )
    assert tokens_in == len(prompt) // 4 and tokens_out > 0
    assert cost == pytest.approx(tokens_in / 1000 * 0.001 + tokens_out / 1000 * 0.002)
    assert code is None
    assert done["usage"]["input_tokens"] == tokens_in
    attempt = conductor.home / "jobs" / job / "sheets" / "1" / "attempt-1"
    assert read_exit_file(attempt.with_suffix(".exit")) == 0  # written by the exit wrapper


def test_a_rate_limited_agent_waits_for_the_reset_it_printed_without_spending_retries(
    virtual_conductor: ConductorProcess, write_score: WriteScore, tmp_path: Path
) -> None:
    conductor = virtual_conductor
    score = agent_score(write_score, "Write the file.")
    (tmp_path / "ws").mkdir()
    (tmp_path / "ws" / ".fake-agent.yaml").write_text(
        yaml.safe_dump(
            [
                {"times": 1, "actions": [{"rate_limit": {"reset_in": 1800}}]},
                {"actions": [{"write": {"path": "out.txt", "text": "ok"}}]},
            ]
        )
    )
    job = conductor.submit(score)
    done = conductor.wait_for_job(job, "completed")
    assert done["sheets"][0]["attempts"] == 2  # max_retries 0: the wait spent no retry
    rows = conductor.query("SELECT outcome, error_code FROM attempts ORDER BY attempt")
    assert rows == [("rate_limited", "E102"), ("succeeded", None)]
    assert any("rate limit" in n["text"] for n in done["history"])
    [(_, limited_end), (retry_start, _)] = conductor.query(
        "SELECT started_at, COALESCE(exited_at, ended_at) FROM attempts ORDER BY attempt"
    )
    assert 1800 <= retry_start - limited_end < 1900  # the half hour it printed, on virtual time


def test_an_auth_failure_is_not_retried_and_moves_to_the_fallback(
    conductor: ConductorProcess, write_score: WriteScore, tmp_path: Path
) -> None:
    score = write_score("""
        name: keys
        workspace: ./ws
        instrument: fake-agent
        instrument_fallbacks: [cli]
        pause_between_sheets_seconds: 0
        sheet: {size: 1, total_items: 1}
        retry: {max_retries: 3, base_delay_seconds: 0.05, max_completion_attempts: 0}
        prompt:
          template: |
            {% if instrument_name == "fake-agent" %}FAKE-AGENT: auth-error{% endif %}
            echo fallback > out.txt
        validations:
          - type: file_exists
            path: "{workspace}/out.txt"
    """)
    job = conductor.submit(score)
    done = conductor.wait_for_job(job, "completed")
    rows = conductor.query("SELECT instrument, outcome, error_code FROM attempts ORDER BY attempt")
    assert rows == [("fake-agent", "auth_failed", "E502"), ("cli", "succeeded", None)]
    assert any("fake-agent" in n["text"] and "cli" in n["text"] for n in done["history"])


def test_a_hung_agent_is_stopped_at_its_timeout_with_nothing_left(
    virtual_conductor: ConductorProcess, write_score: WriteScore
) -> None:
    conductor = virtual_conductor
    score = agent_score(
        write_score, "FAKE-AGENT: hang", extra="instrument_config: {timeout_seconds: 600}"
    )
    job = conductor.submit(score)
    done = conductor.wait_for_job(job, "failed")
    assert str(done["sheets"][0]["error"]).startswith("timed out after 600s")
    [(pgid, code)] = conductor.query("SELECT pgid, error_code FROM attempts")
    assert code == "E001"
    assert not group_exists(pgid)


def test_cancel_leaves_no_child_or_grandchild_even_ignoring_sigterm(
    conductor: ConductorProcess, write_score: WriteScore, tmp_path: Path
) -> None:
    score = write_score("""
        name: stubborn
        workspace: ./ws
        instrument: cli
        sheet: {size: 1, total_items: 1}
        prompt:
          template: |
            bash -c 'trap "" TERM; bash -c "trap \\"\\" TERM; echo \\$\\$ > g2.pid; sleep 300" &
                     echo $$ > g1.pid; sleep 300' &
            trap "" TERM
            echo $$ > leader.pid
            sleep 300
    """)
    job = conductor.submit(score)
    ws = tmp_path / "ws"
    conductor.wait_until(
        lambda: all(written(ws / f) for f in ("leader.pid", "g1.pid", "g2.pid")),
        15,
        "the attempt and its descendants to start",
    )
    pids = [int((ws / f).read_text()) for f in ("leader.pid", "g1.pid", "g2.pid")]
    _, pgid = conductor.wait_for_recorded_attempt(1)  # the script's shell is not its leader
    conductor.request(JOB_CANCEL({"job_id": job}))
    conductor.wait_for_job(job, "cancelled")
    conductor.wait_until(
        lambda: not any(processes.running(p) for p in pids), 10, "every process to be gone"
    )
    assert not group_exists(pgid)


def test_a_profile_with_required_env_passes_only_those_variables_and_its_own(
    conductors: Conductors,
    write_score: WriteScore,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PROBE_ALLOWED", "yes")
    monkeypatch.setenv("PROBE_SECRET_TOKEN", "do-not-pass-1234")
    conductor = conductors({"kill_grace_seconds": 1.0})
    score = write_score("""
        name: probe
        workspace: ./ws
        instrument: env-probe
        sheet: {size: 1, total_items: 1}
        prompt:
          template: env > env.txt
        validations:
          - type: file_exists
            path: "{workspace}/env.txt"
    """)
    project_profile(
        score,
        {
            "name": "env-probe",
            "kind": "cli",
            "raw_prompt": True,
            "cli": {
                "command": {
                    "executable": "bash",
                    "prompt_as_file": True,
                    "prompt_via_stdin": False,
                    "required_env": ["PROBE_ALLOWED"],
                    "env": {"PROBE_FROM_PROFILE": "was ${PROBE_ALLOWED}"},
                },
                "output": {"format": "text"},
            },
        },
    )
    conductor.wait_for_job(conductor.submit(score), "completed")
    seen = dict(
        line.split("=", 1)
        for line in (tmp_path / "ws" / "env.txt").read_text().splitlines()
        if "=" in line
    )
    assert seen["PROBE_ALLOWED"] == "yes"
    assert seen["PROBE_FROM_PROFILE"] == "was yes"
    assert "PROBE_SECRET_TOKEN" not in seen
    assert "PATH" in seen and "HOME" in seen


def test_a_large_prompt_goes_through_stdin_even_for_an_argument_profile(
    conductor: ConductorProcess, write_score: WriteScore, tmp_path: Path
) -> None:
    filler = "lorem ipsum " * 15_000  # ~180 KiB: one argv element over 128 KiB fails on Linux
    score = agent_score(
        write_score,
        f'FAKE-AGENT: write out.txt text="ok"\n        {filler}',
        instrument="argv-agent",
    )
    profile = yaml.safe_load(
        (Path(__file__).parents[2] / "src/podium/instruments/builtin/fake-agent.yaml").read_text()
    )
    profile["name"] = "argv-agent"
    profile["cli"]["command"].update(prompt_via_stdin=False, stdin_sentinel=None)
    project_profile(score, profile)
    job = conductor.submit(score)
    conductor.wait_for_job(job, "completed")
    [prompt] = recorded_prompts(tmp_path / "ws")
    assert filler.strip() in prompt


def test_credentials_in_a_prompt_reach_the_agent_but_not_the_stored_prompt(
    conductor: ConductorProcess, write_score: WriteScore, tmp_path: Path
) -> None:
    key = "sk-ant-api03-abcdefghijklmnopqrstuvwxyz"
    score = agent_score(write_score, f'FAKE-AGENT: write out.txt text="ok"\n        key: {key}')
    job = conductor.submit(score)
    conductor.wait_for_job(job, "completed")
    [prompt] = recorded_prompts(tmp_path / "ws")
    assert key in prompt
    stored = (conductor.home / "jobs" / job / "sheets" / "1" / "attempt-1.prompt").read_text()
    assert key not in stored
    assert "[REDACTED]" in stored


def test_a_crashing_agent_is_a_crash_with_its_signal(
    conductor: ConductorProcess, write_score: WriteScore
) -> None:
    score = agent_score(write_score, "FAKE-AGENT: crash signal=SEGV")
    job = conductor.submit(score)
    done = conductor.wait_for_job(job, "failed")
    assert str(done["sheets"][0]["error"]).startswith("killed by SIGSEGV")
    [(sig, code)] = conductor.query("SELECT signal, error_code FROM attempts")
    assert (sig, code) == (signal.SIGSEGV, "E003")


def test_a_later_sheet_sees_earlier_answers_and_which_sheets_were_skipped(
    conductor: ConductorProcess, write_score: WriteScore, tmp_path: Path
) -> None:
    score = write_score("""
        name: relay
        workspace: ./ws
        instrument: fake-agent
        pause_between_sheets_seconds: 0
        sheet:
          size: 1
          total_items: 3
          skip_when: {2: "sheets[1].completed"}
        cross_sheet: {auto_capture_stdout: true, lookback_sheets: 2}
        prompt:
          template: |
            FAKE-AGENT: print text="answer of sheet {{ sheet_num }}"
    """)
    job = conductor.submit(score)
    conductor.wait_for_job(job, "completed")
    first, third = recorded_prompts(tmp_path / "ws")
    assert "## Previous sheets" not in first
    assert "### Sheet 1\n\nanswer of sheet 1" in third
    assert "### Sheet 2\n\n[SKIPPED]" in third


def test_a_score_whose_profile_is_broken_is_refused_naming_the_file_and_the_problem(
    conductor: ConductorProcess, write_score: WriteScore
) -> None:
    score = agent_score(write_score, "Go.", instrument="mine")
    folder = score.parent / ".podium" / "instruments"
    folder.mkdir(parents=True)
    (folder / "mine.yaml").write_text("name: mine\nkind: cli\ncli: {command: {executable: [x]}}\n")
    with pytest.raises(RemoteError) as refused:
        conductor.submit(score)
    message = refused.value.message
    assert f"{score}:4:13: instrument: unknown instrument 'mine'" in message
    assert f"could not load: {folder / 'mine.yaml'}:3" in message


@pytest.mark.parametrize(
    ("instrument", "said"),
    [
        (
            "fake-agnet",
            "instrument: unknown instrument 'fake-agnet'; did you mean 'fake-agent'?",
        ),
        ("anthropic_api", "instrument: 'anthropic_api' is one of Marianne's HTTP instruments"),
    ],
)
def test_a_score_on_an_instrument_the_conductor_cannot_play_is_refused_where_it_names_it(
    conductor: ConductorProcess, write_score: WriteScore, instrument: str, said: str
) -> None:
    score = agent_score(write_score, "Go.", instrument=instrument)
    with pytest.raises(RemoteError) as refused:
        conductor.submit(score)
    assert refused.value.message.startswith(f"{score}:4:13: {said}")


def test_an_agent_reading_its_prompt_file_late_gets_the_prompt_not_the_redacted_copy(
    conductor: ConductorProcess, write_score: WriteScore, tmp_path: Path
) -> None:
    agent = tmp_path / "late-reader"
    agent.write_text('#!/bin/sh\nsleep 0.3\ncat "$1" > got.txt\necho done\n')
    agent.chmod(0o755)
    key = "sk-ant-api03-abcdefghijklmnopqrstuvwxyz"
    score = write_score(f"""
        name: late
        workspace: ./ws
        instrument: late-reader
        sheet: {{size: 1, total_items: 1}}
        prompt:
          template: "Use {key} to log in."
        validations:
          - type: file_exists
            path: "{{workspace}}/got.txt"
    """)
    project_profile(
        score,
        {
            "name": "late-reader",
            "kind": "cli",
            "cli": {
                "command": {
                    "executable": str(agent),
                    "prompt_as_file": True,
                    "prompt_via_stdin": False,
                },
                "output": {"format": "text"},
            },
        },
    )
    job = conductor.submit(score)
    conductor.wait_for_job(job, "completed")
    assert f"Use {key} to log in." in (tmp_path / "ws" / "got.txt").read_text()
    sheet = conductor.home / "jobs" / job / "sheets" / "1"
    assert key not in (sheet / "attempt-1.prompt").read_text()
    assert not (sheet / "attempt-1.input").exists()  # the handed-over copy is gone


def test_the_score_chooses_the_model_with_cli_model_too(
    conductor: ConductorProcess, write_score: WriteScore, tmp_path: Path
) -> None:
    score = agent_score(
        write_score,
        'FAKE-AGENT: write out.txt text="ok"',
        extra="instrument_config: {cli_model: big-model}",
    )
    conductor.wait_for_job(conductor.submit(score), "completed")
    [call] = (tmp_path / "ws" / ".fake-agent" / "calls.jsonl").read_text().splitlines()
    assert yaml.safe_load(call)["model"] == "big-model"


def test_a_setting_that_cannot_be_passed_on_fails_the_sheet_not_the_conductor(
    conductor: ConductorProcess, write_score: WriteScore
) -> None:
    score = agent_score(
        write_score, "Go.", extra='instrument_config: {cli_extra_args: "--x \'unbalanced"}'
    )
    done = conductor.wait_for_job(conductor.submit(score), "failed")
    assert "cli_extra_args" in str(done["sheets"][0]["error"])
    assert conductor.request(DAEMON_STATUS({}))["state"] == "ready"


def test_an_exit_code_that_is_also_a_stop_signals_number_is_just_an_exit_code(
    conductor: ConductorProcess, write_score: WriteScore
) -> None:
    """Gemini exits with the HTTP status modulo 256: a 403 is 147, which a shell would also
    give a process stopped by SIGSTOP. The attempt ends at once with that code."""
    score = write_score("""
        name: stop-code
        workspace: ./ws
        instrument: cli
        instrument_config: {timeout_seconds: 30}
        sheet: {size: 1, total_items: 1}
        retry: {max_retries: 0, max_completion_attempts: 0}
        prompt: {template: "exit 147"}
    """)
    done = conductor.wait_for_job(conductor.submit(score), "failed", timeout=15)
    assert done["sheets"][0]["error"] == "exit code 147"


GATEWAY_PROBE = {
    "name": "gateway-probe",
    "kind": "cli",
    "raw_prompt": True,
    "cli": {
        "command": {
            "executable": "bash",
            "prompt_as_file": True,
            "prompt_via_stdin": False,
            "required_env": [],
            "base_url": {"env": {"PROBE_BASE_URL": "{value}"}},
            "config_file": {"args": ["{value}"], "env": {"PROBE_CONFIG_FOLDER": "{folder}"}},
        },
        "output": {"format": "text"},
    },
}


def test_the_conductor_config_and_the_score_point_an_instrument_at_a_gateway(
    conductors: Conductors, write_score: WriteScore, tmp_path: Path
) -> None:
    """The conductor's `instruments.<name>.base_url` applies unless the score sets its own;
    a relative config file is found next to the score."""
    conductor = conductors(
        {
            "instruments": {
                "gateway-probe": {
                    "base_url": "http://127.0.0.1:9/conductor",
                    "config_file": "/etc/probe/conductor.toml",
                }
            }
        }
    )
    template = """
        name: {name}
        workspace: ./{name}
        instrument: gateway-probe
        {config}
        pause_between_sheets_seconds: 0
        sheet: {{size: 1, total_items: 1}}
        prompt:
          template: 'echo "$PROBE_BASE_URL $PROBE_CONFIG_FOLDER $1" > seen.txt'
        validations:
          - type: file_exists
            path: "{{workspace}}/seen.txt"
    """
    defaults = write_score(template.format(name="defaults", config=""), "defaults.yaml")
    own = write_score(
        template.format(
            name="own",
            config="instrument_config: {base_url: 'https://gw.example/v1', "
            "config_file: conf/probe.toml}",
        ),
        "own.yaml",
    )
    project_profile(defaults, GATEWAY_PROBE)
    for score in (defaults, own):
        conductor.wait_for_job(conductor.submit(score), "completed")
    assert (tmp_path / "defaults" / "seen.txt").read_text().split() == [
        "http://127.0.0.1:9/conductor",
        "/etc/probe",
        "/etc/probe/conductor.toml",
    ]
    assert (tmp_path / "own" / "seen.txt").read_text().split() == [
        "https://gw.example/v1",
        str(tmp_path / "conf"),
        str(tmp_path / "conf" / "probe.toml"),
    ]


def test_a_base_url_for_an_instrument_that_cannot_take_one_is_refused_at_submission(
    conductor: ConductorProcess, write_score: WriteScore
) -> None:
    score = agent_score(
        write_score,
        'FAKE-AGENT: write out.txt text="done"',
        extra="instrument_config: {base_url: 'http://127.0.0.1:9'}",
    )
    with pytest.raises(RemoteError, match=r"no way to take instrument_config\.base_url"):
        conductor.submit(score)


def test_a_conductor_gateway_for_an_instrument_that_cannot_take_it_is_left_out_with_a_warning(
    conductors: Conductors, write_score: WriteScore
) -> None:
    conductor = conductors({"instruments": {"fake-agent": {"base_url": "http://127.0.0.1:9"}}})
    score = agent_score(write_score, 'FAKE-AGENT: write out.txt text="done"')
    conductor.wait_for_job(conductor.submit(score), "completed")
    assert "instruments.fake-agent.base_url is not used" in conductor.log
