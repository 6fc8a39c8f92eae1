"""`failure_patterns`: output that makes an exit-0 run a failure, and only that output."""

import re

import pytest

from podium.instruments.registry import discover
from tests.unit.instruments.recorded import recording

BUILTIN = discover(env={})


def fails(profile: str, output: str) -> bool:
    patterns = BUILTIN.profiles[profile].error_patterns().failure
    return any(re.search(p, output, re.IGNORECASE) for p in patterns)


@pytest.mark.parametrize("run", ["aider-401", "aider-500", "aider-503", "aider-quota"])
def test_aider_giving_up_on_an_api_error_is_a_failure(run: str) -> None:
    done = recording(run)
    assert done["rc"] == 0
    assert fails("aider", done["stdout"])


@pytest.mark.parametrize("run", ["aider-text", "aider-write", "aider-write-stream", "aider-slow"])
def test_aider_answering_is_not_a_failure(run: str) -> None:
    assert not fails("aider", recording(run)["stdout"])


def test_aider_recovering_after_a_retry_is_not_a_failure() -> None:
    stdout = (
        "litellm.RateLimitError: RateLimitError: OpenAIException - Rate limit reached\n"
        "The API provider has rate limited you. Try again later or check your quotas.\n"
        "Retrying in 0.2 seconds...\n"
        "Hello.\n\n"
        "Tokens: 2.7k sent, 7 received. Cost: $0.0067 message, $0.0067 session.\n"
    )
    assert not fails("aider", stdout)


def test_a_reply_that_talks_about_rate_limits_is_not_a_failure() -> None:
    stdout = (
        "I added handling for litellm.RateLimitError and the 429 rate limit case.\n"
        "Tokens: 2.7k sent, 70 received.\n"
    )
    assert not fails("aider", stdout)
    assert not fails("claude-code", '{"is_error":false,"result":"\\"is_error\\":true, 429"}')


def test_claude_reporting_an_error_with_exit_0_is_a_failure() -> None:
    stdout = recording("claude-429-cap2")["stdout"]
    assert fails("claude-code", stdout)
    assert not fails("claude-code", recording("claude-text-json")["stdout"])


def test_codex_retries_are_not_failures_but_a_failed_turn_is() -> None:
    assert not fails("codex-cli", recording("codex-429-recover")["stdout"])
    assert fails("codex-cli", recording("codex-429-json")["stdout"])


def test_an_opencode_error_event_is_a_failure() -> None:
    assert fails("opencode", recording("opencode-401-json")["stdout"])
    assert not fails("opencode", recording("opencode-write-json")["stdout"])
