"""The fake agent CLI, run as a real child process in a temporary workspace."""

import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from podium.testing.fake_agent.actions import ScriptError, directives
from podium.testing.fake_agent.record import RECORD_ENV
from podium.testing.fake_agent.script import choose, expand, load

REPO = Path(__file__).resolve().parents[3]
PROFILE = REPO / "src/podium/instruments/builtin/fake-agent.yaml"
COMMAND = [sys.executable, "-m", "podium.testing.fake_agent"]

RATE_LIMITED = (
    "API Error: Rate limit reached (429) · resets in 30 seconds. Please try again in 30s."
)
AUTH_FAILED = "Invalid API key · Fix external API key (401)"
OVERLOADED = (
    "API Error: 529 Overloaded. This is a server-side issue, usually temporary"
    " — try again in a moment."
)


def _env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PODIUM_FAKE_AGENT_")}
    return {**env, **(extra or {})}


def agent(
    workspace: Path, prompt: str = "", *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*COMMAND, *args],
        check=False,
        input=prompt,
        cwd=workspace,
        capture_output=True,
        text=True,
        env=_env(env),
        timeout=20,
    )


def as_json(run: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    reply: dict[str, Any] = json.loads(run.stdout)
    return reply


def calls(folder: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (folder / "calls.jsonl").read_text().splitlines()]


def script(workspace: Path, text: str) -> None:
    (workspace / ".fake-agent.yaml").write_text(textwrap.dedent(text))


def wait_for(condition: Any, what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


# Prompt, recording, reply


def test_plain_prompt_gets_a_reply_and_changes_nothing(tmp_path: Path) -> None:
    run = agent(tmp_path, "Please summarise the design.")
    assert run.returncode == 0
    assert run.stdout == (
        "I read the prompt (28 characters). It asks for no change I can make, "
        "so I left the workspace as it was.\n"
    )
    assert run.stderr == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == [".fake-agent"]


def test_every_prompt_is_recorded_with_a_line_per_call(tmp_path: Path) -> None:
    agent(tmp_path, "first prompt\nwith the preamble", "--model", "m1")
    agent(tmp_path, "second prompt")
    record = tmp_path / ".fake-agent"
    assert (record / "prompt-0001.txt").read_text() == "first prompt\nwith the preamble"
    assert (record / "prompt-0002.txt").read_text() == "second prompt"
    first, second = calls(record)
    assert first["model"] == "m1"
    assert first["argv"][-2:] == ["--model", "m1"]
    assert first["cwd"] == str(tmp_path)
    assert first["prompt_file"] == str(record / "prompt-0001.txt")
    assert first["rule"] is None
    assert first["exit_code"] == 0
    assert isinstance(first["pid"], int)
    assert isinstance(first["time"], float)
    assert second["prompt_file"] == str(record / "prompt-0002.txt")
    assert second["model"] == "fake-model"


def test_record_folder_comes_from_the_environment(tmp_path: Path) -> None:
    agent(tmp_path, "hello", env={RECORD_ENV: str(tmp_path / "elsewhere")})
    assert (tmp_path / "elsewhere" / "prompt-0001.txt").read_text() == "hello"
    assert not (tmp_path / ".fake-agent").exists()


def test_prompt_numbers_stay_unique_when_agents_run_at_once(tmp_path: Path) -> None:
    children = [
        subprocess.Popen(
            [*COMMAND, "-p", f"prompt {n}"], cwd=tmp_path, env=_env(), stdout=subprocess.DEVNULL
        )
        for n in range(4)
    ]
    assert [child.wait(timeout=20) for child in children] == [0] * 4
    record = tmp_path / ".fake-agent"
    prompts = sorted(p.name for p in record.glob("prompt-*.txt"))
    assert prompts == [f"prompt-{n:04d}.txt" for n in range(1, 5)]
    assert {(record / p).read_text() for p in prompts} == {f"prompt {n}" for n in range(4)}
    assert len(calls(record)) == 4


@pytest.mark.parametrize(
    ("args", "stdin"),
    [
        (("-p", "from the flag"), ""),
        (("-p", "-"), "from the flag"),
        ((), "from the flag"),
        (("--prompt-file", "prompt.txt"), ""),
    ],
)
def test_prompt_comes_from_stdin_flag_or_file(
    tmp_path: Path, args: tuple[str, ...], stdin: str
) -> None:
    (tmp_path / "prompt.txt").write_text("from the flag")
    run = agent(tmp_path, stdin, *args)
    assert run.returncode == 0
    assert (tmp_path / ".fake-agent" / "prompt-0001.txt").read_text() == "from the flag"


def test_flags_of_real_agents_are_accepted(tmp_path: Path) -> None:
    run = agent(
        tmp_path,
        "hi",
        "--dangerously-skip-permissions",
        "--yes",
        "--strict-mcp-config",
        "--mcp-config",
        '{"mcpServers":{}}',
        "-p",
        "-",
    )
    assert run.returncode == 0, run.stderr


def test_version(tmp_path: Path) -> None:
    run = agent(tmp_path, "", "--version")
    assert run.returncode == 0
    assert re.fullmatch(r"podium-fake-agent \d+\.\d+\n", run.stdout)


def test_json_output_estimates_tokens_from_prompt_and_reply(tmp_path: Path) -> None:
    prompt = "x" * 401
    reply = as_json(agent(tmp_path, prompt, "--output-format", "json", "--model", "m2"))
    assert reply["type"] == "result"
    assert reply["subtype"] == "success"
    assert reply["is_error"] is False
    assert reply["api_error_status"] is None
    assert reply["total_cost_usd"] is None
    assert reply["model"] == "m2"
    assert reply["usage"] == {
        "input_tokens": 100,
        "output_tokens": len(reply["result"]) // 4,
    }


def test_tokens_directive_sets_the_usage(tmp_path: Path) -> None:
    run = agent(tmp_path, "FAKE-AGENT: tokens in=1200 out=300", "--output-format", "json")
    assert as_json(run)["usage"] == {"input_tokens": 1200, "output_tokens": 300}


# Directives


def test_write_with_words_gives_a_heading_and_that_many_words(tmp_path: Path) -> None:
    prompt = 'Do the work.\nFAKE-AGENT: write out/report.md words=120 heading="Summary"\n'
    run = agent(tmp_path, prompt)
    assert run.returncode == 0
    assert run.stdout == "Done.\nWrote out/report.md (120 words).\n"
    text = (tmp_path / "out/report.md").read_text()
    heading, body = text.split("\n", 1)
    assert heading == "# Summary"
    assert len(body.split()) == 120
    agent(tmp_path, prompt)
    assert (tmp_path / "out/report.md").read_text() == text


def test_write_text_and_append(tmp_path: Path) -> None:
    prompt = textwrap.dedent(
        r"""
        FAKE-AGENT: write hello.txt text="hello"
        FAKE-AGENT: append log.txt text="x"
        FAKE-AGENT: append log.txt text="line\n"
        """
    )
    assert agent(tmp_path, prompt).returncode == 0
    agent(tmp_path, "FAKE-AGENT: append log.txt text=y")
    assert (tmp_path / "hello.txt").read_text() == "hello"
    assert (tmp_path / "log.txt").read_text() == "xline\ny"


def test_write_to_an_absolute_path(tmp_path: Path) -> None:
    target = tmp_path / "outside" / "a.txt"
    (tmp_path / "ws").mkdir()
    assert agent(tmp_path / "ws", f"FAKE-AGENT: write {target} text=abs").returncode == 0
    assert target.read_text() == "abs"


def test_print_is_the_reply(tmp_path: Path) -> None:
    prompt = 'FAKE-AGENT: print text="hi there"\nFAKE-AGENT: write a.txt text=a'
    assert agent(tmp_path, prompt).stdout == "hi there\n"
    assert as_json(agent(tmp_path, prompt, "--output-format", "json"))["result"] == "hi there"


def test_sleep_waits_before_answering(tmp_path: Path) -> None:
    started = time.monotonic()
    run = agent(tmp_path, "FAKE-AGENT: sleep 0.3\nFAKE-AGENT: write done.txt text=ok")
    assert time.monotonic() - started >= 0.3
    assert run.returncode == 0
    assert (tmp_path / "done.txt").read_text() == "ok"


def test_exit_ends_the_run_after_the_earlier_actions(tmp_path: Path) -> None:
    prompt = "FAKE-AGENT: write a.txt text=a\nFAKE-AGENT: exit 3\nFAKE-AGENT: write b.txt text=b"
    run = agent(tmp_path, prompt, "--output-format", "json")
    assert run.returncode == 3
    assert (tmp_path / "a.txt").exists()
    assert not (tmp_path / "b.txt").exists()
    assert as_json(run)["is_error"] is True
    assert calls(tmp_path / ".fake-agent")[0]["exit_code"] == 3


@pytest.mark.parametrize(
    ("directive", "message", "status"),
    [
        ("rate-limit reset_in=30", RATE_LIMITED, 429),
        ("auth-error", AUTH_FAILED, 401),
        ("overloaded", OVERLOADED, 529),
    ],
)
def test_api_errors_read_like_a_real_agent(
    tmp_path: Path, directive: str, message: str, status: int
) -> None:
    text = agent(tmp_path, f"FAKE-AGENT: {directive}")
    assert (text.returncode, text.stdout, text.stderr) == (1, message + "\n", "")
    run = agent(tmp_path, f"FAKE-AGENT: {directive}", "--output-format", "json")
    reply = as_json(run)
    assert run.returncode == 1
    assert (reply["is_error"], reply["api_error_status"], reply["result"]) == (
        True,
        status,
        message,
    )


@pytest.mark.parametrize("name", ["SEGV", "KILL"])
def test_crash_dies_by_the_signal(tmp_path: Path, name: str) -> None:
    run = agent(tmp_path, f"FAKE-AGENT: write a.txt text=a\nFAKE-AGENT: crash signal={name}")
    signum = signal.Signals[f"SIG{name}"]
    assert run.returncode == -signum
    assert (tmp_path / "a.txt").exists()
    assert calls(tmp_path / ".fake-agent")[0]["exit_code"] == -signum
    assert not list(tmp_path.glob("core*"))


def test_hang_runs_until_terminated(tmp_path: Path) -> None:
    child = subprocess.Popen(
        [*COMMAND, "-p", "FAKE-AGENT: hang"], cwd=tmp_path, env=_env(), stdout=subprocess.DEVNULL
    )
    try:
        log = tmp_path / ".fake-agent" / "calls.jsonl"
        wait_for(lambda: log.exists() and log.read_text().endswith("\n"), "the call to be logged")
        assert calls(tmp_path / ".fake-agent")[0]["exit_code"] is None
        assert child.poll() is None
        child.terminate()
        assert child.wait(timeout=10) == -signal.SIGTERM
    finally:
        child.kill()
        child.wait()


def test_bad_directive_is_refused_before_any_action(tmp_path: Path) -> None:
    run = agent(tmp_path, "FAKE-AGENT: write a.txt text=a\nFAKE-AGENT: wirte b.txt text=b")
    assert run.returncode == 2
    assert run.stderr.startswith("podium-fake-agent: prompt line 2: unknown action 'wirte'")
    assert not (tmp_path / "a.txt").exists()
    assert calls(tmp_path / ".fake-agent")[0]["exit_code"] == 2


@pytest.mark.parametrize(
    ("prompt", "complaint"),
    [
        ("\nFAKE-AGENT: write a.txt", "prompt line 2: write: write needs text=... or words=N"),
        ("FAKE-AGENT: sleep soon", "sleep: seconds must be a number, not 'soon'"),
        ("FAKE-AGENT: crash signal=STOP", "SIGSTOP does not end a process"),
        ("FAKE-AGENT: crash signal=NOPE", "unknown signal 'NOPE'"),
        ("FAKE-AGENT: write a.txt text=a colour=red", "write takes path, text, words, heading"),
        ("FAKE-AGENT: exit 1 2", "exit takes 1 plain argument(s); extra: '2'"),
        ('FAKE-AGENT: print "unclosed', "cannot read"),
        ("FAKE-AGENT:", "names no action"),
    ],
)
def test_bad_directive_names_its_line_and_fault(prompt: str, complaint: str) -> None:
    with pytest.raises(ScriptError, match=re.escape(complaint)):
        directives(prompt)


# Script rules


def test_rule_fills_in_groups_of_its_match(tmp_path: Path) -> None:
    script(
        tmp_path,
        r"""
        - match: 'Write the report of sheet (\d+) to (?P<path>\S+\.md)'
          actions:
            - write: {path: '\g<path>', words: 60, heading: 'Sheet \1'}
            - append: {path: 'sheets.txt', text: "$1,"}
        """,
    )
    for sheet in (1, 2):
        prompt = f"Preamble.\nWrite the report of sheet {sheet} to out/sheet-{sheet}.md now.\n"
        assert agent(tmp_path, prompt).returncode == 0
    for sheet in (1, 2):
        text = (tmp_path / f"out/sheet-{sheet}.md").read_text()
        assert text.startswith(f"# Sheet {sheet}\n")
        assert len(text.split()) == 60 + 3
    assert (tmp_path / "sheets.txt").read_text() == "1,2,"
    assert [c["rule"] for c in calls(tmp_path / ".fake-agent")] == [1, 1]


def test_times_limits_a_rule_across_calls(tmp_path: Path) -> None:
    script(
        tmp_path,
        """
        - match: 'sheet 1'
          times: 1
          actions:
            - rate_limit: {reset_in: 5}
        - match: 'sheet 1'
          actions:
            - write: {path: done.txt, text: ok}
        """,
    )
    first, second, third = (agent(tmp_path, "do sheet 1") for _ in range(3))
    assert first.returncode == 1
    assert "Please try again in 5s." in first.stdout
    assert (second.returncode, third.returncode) == (0, 0)
    assert [c["rule"] for c in calls(tmp_path / ".fake-agent")] == [1, 2, 2]


def test_first_matching_rule_applies_then_the_prompt_directives(tmp_path: Path) -> None:
    script(
        tmp_path,
        """
        - match: 'never in the prompt'
          actions: [{write: {path: wrong.txt, text: wrong}}]
        - actions:
            - write: {path: order.txt, text: "rule "}
            - print: from the rule
        - actions: [{write: {path: wrong.txt, text: wrong}}]
        """,
    )
    run = agent(tmp_path, "FAKE-AGENT: append order.txt text=directive")
    assert run.stdout == "from the rule\n"
    assert (tmp_path / "order.txt").read_text() == "rule directive"
    assert not (tmp_path / "wrong.txt").exists()


def test_script_path_comes_from_the_environment(tmp_path: Path) -> None:
    (tmp_path / "rules.yaml").write_text("- actions: [{exit: 4}]\n")
    run = agent(tmp_path, "hi", env={"PODIUM_FAKE_AGENT_SCRIPT": "rules.yaml"})
    assert run.returncode == 4
    missing = agent(tmp_path, "hi", env={"PODIUM_FAKE_AGENT_SCRIPT": "nope.yaml"})
    assert missing.returncode == 2
    assert "PODIUM_FAKE_AGENT_SCRIPT names" in missing.stderr


def test_script_actions_in_every_form(tmp_path: Path) -> None:
    script(
        tmp_path,
        """
        - actions:
            - sleep: 0
            - tokens: {in: 7, out: 9}
            - print: {text: spoken}
            - exit: 0
        - actions: [hang]
        """,
    )
    reply = as_json(agent(tmp_path, "x", "--output-format", "json"))
    assert (reply["result"], reply["usage"]) == ("spoken", {"input_tokens": 7, "output_tokens": 9})


def test_bad_script_is_refused_with_its_rule(tmp_path: Path) -> None:
    script(tmp_path, "- actions: [{wirte: {path: a}}]\n")
    run = agent(tmp_path, "a")
    assert run.returncode == 2
    assert "rule 1, action 1: unknown action 'wirte'" in run.stderr


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("- match: '('\n", "rule 1: match '(' is not a regular expression"),
        ("- match: 'a'\n  action: []\n", "rule 1: unknown key(s) action"),
        ("- actions: [{write: {path: a, text: no}}]\n", "text must be text, not False"),
        ("match: a\n", "the script is a list of rules"),
        ("- times: -1\n", "times must be a whole number"),
        ("- [a\n", "not valid YAML"),
    ],
)
def test_bad_script_names_its_rule_and_fault(tmp_path: Path, text: str, complaint: str) -> None:
    (tmp_path / "rules.yaml").write_text(text)
    with pytest.raises(ScriptError, match=re.escape(complaint)):
        load(tmp_path / "rules.yaml")


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("- actions: [{write: {path: '\\2', text: x}}]\n", "the rule has no match"),
        ("- match: '(a)'\n  actions: [{print: '$2'}]\n", "does not have; write $$"),
    ],
)
def test_group_reference_without_its_group_is_refused(
    tmp_path: Path, text: str, complaint: str
) -> None:
    (tmp_path / "rules.yaml").write_text(text)
    with pytest.raises(ScriptError, match=re.escape(complaint)):
        choose(load(tmp_path / "rules.yaml"), "a", lambda key, times: True)


def test_dollar_and_backslash_can_be_written_literally() -> None:
    found = re.search(r"(\w+)", "word")
    assert expand(r"$$1 \\1 \1 $1 ${1}", found, "rule 1") == r"$1 \1 word word word"


# The instrument profile


def test_profile_patterns_recognise_what_the_agent_prints() -> None:
    profile = yaml.safe_load(PROFILE.read_text())
    errors = profile["cli"]["errors"]

    def kinds(message: str) -> list[str]:
        return [
            kind
            for kind in ("rate_limit_patterns", "auth_error_patterns", "capacity_patterns")
            if any(re.search(p, message, re.IGNORECASE) for p in errors[kind])
        ]

    assert profile["name"] == "fake-agent"
    assert profile["cli"]["command"]["executable"] == "podium-fake-agent"
    assert kinds(RATE_LIMITED) == ["rate_limit_patterns"]
    assert kinds(AUTH_FAILED) == ["auth_error_patterns"]
    assert kinds(OVERLOADED) == ["capacity_patterns"]
