"""Podium's built-in profiles against the five real agent CLIs, each pointed at the scripted
provider: a file written through the CLI's own tool call, a rate limit, a refused key, an
overloaded server. What Podium recorded is read back through `podium status` and
`podium history`, as a user would.
"""

from typing import Any

import pytest

from podium.testing.provider import ScriptedProvider
from tests.realcli.conftest import CliRun
from tests.realcli.hermetic import CLIS
from tests.realcli.scores import RATE_LIMIT_MODEL, RETRY_BASE_DELAY

pytestmark = [pytest.mark.timeout(420), pytest.mark.parametrize("cli", list(CLIS))]

JOB_TIMEOUT = 360.0

RESET_IN_MESSAGE = {"claude": True, "codex": False, "gemini": True, "opencode": True, "aider": True}
"""Whether the CLI's rate-limit message carries the reset time (the provider's "Please try again
in Ns."), which Podium waits for (at least 5 s). codex replaces the server's message with
"exceeded retry limit, last status: 429 Too Many Requests", so for codex the window lasts the
score's `rate_limit.wait_minutes` (1 minute)."""


AUTH_REQUESTS = {"claude": 1, "codex": 1, "gemini": 1, "opencode": 2, "aider": 1}
"""Requests the CLI itself makes on a 401, with its own retries capped (opencode asks for a
session title besides the answer). Podium adds none."""


def finished(run: CliRun, scenario: str, expected: str) -> dict[str, Any]:
    """Wait for the scenario's job to end as `expected`; its `podium status --json`."""
    job = run.jobs[scenario]
    run.conductor.wait_for_job(job, expected, timeout=JOB_TIMEOUT, poll=0.5)
    status: dict[str, Any] = run.conductor.podium_json("status", job)
    return status


def attempts(run: CliRun, scenario: str) -> list[dict[str, Any]]:
    """The job's attempts, oldest first, from `podium history --json`."""
    found = run.conductor.podium_json("history", run.jobs[scenario])
    listed: list[dict[str, Any]] = found["attempts"]
    return sorted(listed, key=lambda a: a["attempt"])


def summary(listed: list[dict[str, Any]]) -> list[tuple[str | None, str, str | None]]:
    return [(a["instrument"], a["outcome"], a["error_code"]) for a in listed]


def history_text(status: dict[str, Any]) -> str:
    return "\n".join(note["text"] for note in status["history"])


def written(run: CliRun, scenario: str) -> str:
    return (run.scores[scenario].workspace / "hello.txt").read_text()


def test_the_agent_writes_the_file_through_its_tool_and_its_usage_is_recorded(
    cli: str, runs: dict[str, CliRun], provider: ScriptedProvider
) -> None:
    run = runs[cli]
    status = finished(run, "write", "completed")
    listed = attempts(run, "write")
    assert summary(listed) == [(run.cli.profile, "succeeded", None)], listed
    assert run.scores["write"].content in written(run, "write")
    [attempt] = listed
    # Read from the CLI's JSON, or for aider from its text ("Tokens: 2.7k sent, 20 received.").
    assert attempt["input_tokens"] > 0, attempt
    assert attempt["output_tokens"] > 0, attempt
    assert attempt["cost"] is not None and attempt["cost"] > 0, attempt
    assert status["usage"]["input_tokens"] == attempt["input_tokens"]
    # The provider played the tool call, then the CLI sent the tool's result back for "Done."
    # (aider has no tools: the reply holds the edit, and aider applies it itself).
    assert len(provider.requests(tag=run.scores["write"].tag)) >= (1 if cli == "aider" else 2)


def test_a_rate_limit_holds_the_instrument_until_its_reset_without_spending_a_retry(
    cli: str, runs: dict[str, CliRun]
) -> None:
    run = runs[cli]
    status = finished(run, "rate_limit", "completed")  # with retry.max_retries: 0
    listed = attempts(run, "rate_limit")
    profile = run.cli.profile
    assert summary(listed) == [
        (profile, "rate_limited", "E102"),
        (profile, "succeeded", None),
    ], listed
    first, second = listed
    assert first["error_type"] == "rate_limit"
    window = run.windows.seen.get((profile, RATE_LIMIT_MODEL[cli]))
    assert window is not None, f"no rate-limit window listed; saw {run.windows.seen}"
    assert second["started_at"] >= window["until"]
    held = history_text(status)
    assert "is rate limited until" in held
    assert ("no reset time given" not in held) == RESET_IN_MESSAGE[cli], held
    assert run.scores["rate_limit"].content in written(run, "rate_limit")


def test_a_refused_key_is_not_retried_and_falls_back_or_fails_saying_so(
    cli: str, runs: dict[str, CliRun], provider: ScriptedProvider
) -> None:
    run = runs[cli]
    staged = run.scores["auth"]
    auth_failed = (run.cli.profile, "auth_failed", "E502")
    if staged.falls_back:
        status = finished(run, "auth", "completed")
        listed = attempts(run, "auth")
        assert summary(listed) == [auth_failed, ("cli", "succeeded", None)], listed
        assert staged.content in written(run, "auth")
        assert "cli" in history_text(status)
    else:
        finished(run, "auth", "failed")
        listed = attempts(run, "auth")
        assert summary(listed) == [auth_failed], listed
        shown = run.conductor.podium("status", run.jobs["auth"]).stdout
        assert "E502" in shown and "authentication" in shown.lower(), shown
    assert len(provider.requests(tag=staged.tag)) == AUTH_REQUESTS[cli]


def test_an_overloaded_provider_is_retried_after_a_backoff_until_it_answers(
    cli: str, runs: dict[str, CliRun]
) -> None:
    run = runs[cli]
    finished(run, "overloaded", "completed")
    listed = attempts(run, "overloaded")
    profile = run.cli.profile
    assert summary(listed)[0] == (profile, "capacity", "E103"), listed
    assert summary(listed)[-1] == (profile, "succeeded", None), listed
    # Not at once: after the backoff, at least half of retry.base_delay_seconds (the jitter).
    assert listed[1]["started_at"] - listed[0]["ended_at"] >= RETRY_BASE_DELAY / 2
    assert run.scores["overloaded"].content in written(run, "overloaded")
