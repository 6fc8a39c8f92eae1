"""Every recorded run of a real agent CLI is classified right by its built-in profile.

Each recording's stdout and stderr are written to files and read back exactly as the runtime
reads an attempt's streams (`read_ending`), with the profile's output parsing and error
patterns, then classified. What each run should be is read from what was done to the CLI (the
scripted provider's scenario), not from what the CLI printed.
"""

import json
from pathlib import Path
from typing import Any

import pytest

from podium.conductor.compiler import output_reader
from podium.domain.classify import classify
from podium.domain.outcome import AttemptOutcome, ExitStatus
from podium.domain.work import SheetWork
from podium.instruments.registry import discover
from podium.runtime.executors.output import read_ending
from tests.unit.instruments.recorded import CLI_OF_PROFILE, RECORDINGS, recording

NOW = 1_800_000_000.0
PROFILE_OF_CLI = {cli: profile for profile, cli in CLI_OF_PROFILE.items()}
REGISTRY = discover(env={})

SPECIAL = {
    "claude-stall": AttemptOutcome.SUCCEEDED,  # the stall ended and the answer came (exit 0)
    "claude-slow-timeout5s": AttemptOutcome.TIMED_OUT,  # "Request timed out"
    "codex-stall-idle3s": AttemptOutcome.TIMED_OUT,  # "idle timeout waiting for SSE"
    "claude-streamjson-noverbose": AttemptOutcome.FAILED,  # a usage error, retried as such
}


def expected(label: str, rc: int) -> tuple[AttemptOutcome, bool]:
    """(outcome, quota) of the scenario a run was recorded under."""
    if label in SPECIAL:
        return SPECIAL[label], False
    scenario = label.split("-", 1)[1]
    if "recover" in scenario:
        return AttemptOutcome.SUCCEEDED, False
    if "quota" in scenario:
        return AttemptOutcome.RATE_LIMITED, True
    if "429" in scenario:
        return AttemptOutcome.RATE_LIMITED, False
    if "401" in scenario or "403" in scenario:
        return AttemptOutcome.AUTH_FAILED, False
    if any(code in scenario for code in ("500", "503", "529")):
        return AttemptOutcome.CAPACITY, False
    assert rc == 0, f"{label}: a scenario this test does not know failed"
    return AttemptOutcome.SUCCEEDED, False


def recordings() -> list[Any]:
    if not RECORDINGS.is_dir():
        return [pytest.param(None, marks=pytest.mark.skip(reason="../shared is not here"))]
    return sorted(RECORDINGS.glob("*.json"))


@pytest.mark.parametrize("path", recordings(), ids=lambda p: p.stem if p else "none")
def test_a_recorded_run_is_classified_as_its_scenario(path: Path, tmp_path: Path) -> None:
    run = json.loads(path.read_text())
    profile = REGISTRY.require(PROFILE_OF_CLI[run["cli"]])
    assert profile.cli is not None
    stdout, stderr = tmp_path / "stdout.log", tmp_path / "stderr.log"
    stdout.write_text(run["stdout"])
    stderr.write_text(run["stderr"])
    work = SheetWork(
        argv=(),
        cwd=str(tmp_path),
        prompt="",
        patterns=profile.error_patterns(),
        success_codes=frozenset(profile.cli.errors.success_exit_codes),
        read_output=output_reader(profile, profile.default_model),
    )
    ending = read_ending(work, stdout, stderr, tmp_path / "result.txt", str)
    result = classify(
        ExitStatus(run["rc"]),
        ending.output,
        work.patterns,
        NOW,
        lambda _name: None,
        success_codes=work.success_codes,
        said=ending.said,
    )
    outcome, quota = expected(path.stem, run["rc"])
    assert (result.outcome, result.quota) == (outcome, quota), result.detail
    if outcome is AttemptOutcome.SUCCEEDED:
        assert ending.reading.result, "a successful run has an answer"
    elif path.stem in JSON_ERRORS:
        # Not the raw JSON the agent printed: its own message, where the profile says it is.
        assert ending.said is not None
        assert result.detail == f"exit code {run['rc']}: {' '.join(ending.said.split())}"
        assert '{"' not in result.detail


JSON_ERRORS = {
    "claude-401-json": "Invalid API key · Fix external API key",
    "claude-401-r0-json": "Invalid API key · Fix external API key",
    "claude-403-r0-json": "Failed to authenticate. API Error: 403 Your API key does not",
    "claude-429-cap2": "API Error: Request rejected (429) · Number of request tokens",
    "claude-500-r0-json": "API Error: 500 Internal server error (fake).",
    "claude-503-r0-json": "API Error: 503 Service Unavailable (fake).",
    "claude-529-json": "API Error: 529 Overloaded.",
    "claude-slow-timeout5s": "Request timed out",
    "codex-401-json-cap0": "unexpected status 401 Unauthorized: Incorrect API key provided",
    "codex-429-json": "exceeded retry limit, last status: 429 Too Many Requests",
    "codex-stall-idle3s": "stream disconnected before completion: idle timeout waiting for SSE",
    "gemini-401-json-pinned": "Request had invalid authentication credentials. (fake)",
    "gemini-429-json": "Resource has been exhausted (e.g. check quota). (fake) Suggested retry",
    "gemini-500-json-pinned": "An internal error has occurred. (fake)",
    "gemini-503-maxattempts1-json": "The model is overloaded. Please try again later. (fake)",
    "gemini-quota-json-pinned": "You exceeded your current quota, please check your plan",
    "opencode-401-json": "Incorrect API key provided: sk-fake. (fake)",
    "opencode-429-json": "Rate limit reached for requests (fake). Please try again in 1s.",
}
"""The recorded failed runs in the CLIs' JSON modes, and how the sheet's error begins after
its exit code: the agent's own message (Gemini CLI's is in its stderr)."""


@pytest.mark.parametrize("label", sorted(JSON_ERRORS))
def test_a_failed_json_run_is_told_in_the_agents_own_words(label: str, tmp_path: Path) -> None:
    run = recording(label)
    profile = REGISTRY.require(PROFILE_OF_CLI[run["cli"]])
    assert profile.cli is not None
    assert profile.cli.output.error_path is not None
    (tmp_path / "out").write_text(run["stdout"])
    (tmp_path / "err").write_text(run["stderr"])
    work = SheetWork(
        argv=(),
        cwd=str(tmp_path),
        prompt="",
        patterns=profile.error_patterns(),
        read_output=output_reader(profile, None),
    )
    ending = read_ending(work, tmp_path / "out", tmp_path / "err", None, str)
    result = classify(
        ExitStatus(run["rc"]), ending.output, work.patterns, NOW, lambda _: None, said=ending.said
    )
    assert result.detail.startswith(f"exit code {run['rc']}: {JSON_ERRORS[label]}"), result.detail


def test_claude_code_reports_its_own_cost_and_it_is_taken_as_exact() -> None:
    run = recording("claude-text-json")
    profile = REGISTRY.require("claude-code")
    reading = output_reader(profile, None)(run["stdout"])
    assert reading.usage is not None
    assert reading.usage.cost == pytest.approx(json.loads(run["stdout"])["total_cost_usd"])
    assert reading.usage.cost_estimated is False


def test_an_agents_tool_output_is_not_read_as_the_instruments_own_error(tmp_path: Path) -> None:
    """Codex failed for another reason after a command it ran printed an HTTP 429: the
    instrument is not rate limited."""
    tool = {
        "type": "item.completed",
        "item": {
            "type": "command_execution",
            "command": "curl -i https://api.example.com",
            "aggregated_output": "HTTP/1.1 429 Too Many Requests\nRetry-After: 3600\n",
            "exit_code": 0,
        },
    }
    failed = {"type": "turn.failed", "error": {"message": "context window exceeded"}}
    stdout = "\n".join(json.dumps(e) for e in (tool, failed)) + "\n"
    profile = REGISTRY.require("codex-cli")
    assert profile.cli is not None
    (tmp_path / "out").write_text(stdout)
    (tmp_path / "err").write_text("")
    work = SheetWork(
        argv=(),
        cwd=str(tmp_path),
        prompt="",
        patterns=profile.error_patterns(),
        read_output=output_reader(profile, None),
    )
    ending = read_ending(work, tmp_path / "out", tmp_path / "err", tmp_path / "result", str)
    result = classify(ExitStatus(1), ending.output, work.patterns, NOW, lambda _name: None)
    assert result.outcome is AttemptOutcome.FAILED
    assert "context window exceeded" in result.detail
