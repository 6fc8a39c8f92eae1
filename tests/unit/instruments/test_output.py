"""Result text, errors and tokens from what the real CLIs printed; and what it cost."""

import pytest

from podium.instruments.output import Cost, ParsedOutput, estimate_cost, lookup, parse_output
from podium.instruments.profile import CliOutput
from podium.instruments.registry import discover, load_profile, parse_profile
from tests.unit.instruments.recorded import MARIANNE_PROFILES, recording

BUILTIN = discover(env={})


def output_of(name: str) -> CliOutput:
    cli = BUILTIN.profiles[name].cli
    assert cli is not None
    return cli.output


@pytest.mark.parametrize(
    ("run", "profile", "result", "tokens"),
    [
        ("claude-text-json", "claude-code", "Hello from the fake provider.", (19454, 7)),
        ("claude-write-json", "claude-code", "Done. I wrote the file.", (39047, 14)),
        ("codex-text-json", "codex-cli", "Hello from the fake provider.", (10319, 7)),
        ("codex-write-json", "codex-cli", "Done. I wrote the file.", (20758, 14)),
        ("codex-429-recover", "codex-cli", "Done. I wrote the file.", (20756, 14)),
        ("gemini-text-json", "gemini-cli", "Hello from the fake provider.", (12539, 14)),
        ("opencode-text-json", "opencode", "Hello from the fake provider.", (7433, 7)),
        ("opencode-write-json", "opencode", "Done. I wrote the file.", (7435 + 7527, 7 + 7)),
    ],
)
def test_a_recorded_run_gives_its_answer_and_tokens(
    run: str, profile: str, result: str, tokens: tuple[int, int]
) -> None:
    parsed = parse_output(output_of(profile), recording(run)["stdout"])
    assert parsed.parsed
    assert parsed.result == result
    assert (parsed.input_tokens, parsed.output_tokens) == tokens


@pytest.mark.parametrize(
    ("run", "profile", "error"),
    [
        (
            "claude-429-cap2",
            "claude-code",
            "API Error: Request rejected (429) · Number of request tokens has exceeded your "
            "per-minute rate limit (fake)",
        ),
        ("codex-429-json", "codex-cli", "exceeded retry limit, last status: 429 Too Many Requests"),
        (
            "codex-stall-idle3s",
            "codex-cli",
            "stream disconnected before completion: idle timeout waiting for SSE",
        ),
        (
            "opencode-429-json",
            "opencode",
            "Rate limit reached for requests (fake). Please try again in 1s.",
        ),
    ],
)
def test_a_failed_run_gives_its_error(run: str, profile: str, error: str) -> None:
    parsed = parse_output(output_of(profile), recording(run)["stdout"])
    assert parsed.parsed
    assert parsed.error == error


@pytest.mark.parametrize(
    ("run", "error"),
    [
        # The provider's JSON body, passed on as the message: the message inside it.
        ("gemini-401-json-pinned", "Request had invalid authentication credentials. (fake)"),
        (
            "gemini-429-json",
            "Resource has been exhausted (e.g. check quota). (fake)\nSuggested retry after 1s.",
        ),
        ("gemini-500-json-pinned", "An internal error has occurred. (fake)"),
    ],
)
def test_geminis_error_document_after_a_stack_trace_on_stderr_gives_its_error(
    run: str, error: str
) -> None:
    """Gemini CLI in JSON mode prints nothing on stdout when it fails: its error object ends
    its stderr, indented, after the stack trace."""
    recorded = recording(run)
    assert recorded["stdout"] == ""
    assert parse_output(output_of("gemini-cli"), recorded["stderr"]).error == error


def test_a_message_that_is_json_without_a_message_inside_is_kept_as_it_is() -> None:
    spec = CliOutput(format="json", error_path="error")
    assert parse_output(spec, '{"error": "{\\"code\\": 1}"}').error == '{"code": 1}'
    assert parse_output(spec, '{"error": "{not json"}').error == "{not json"


def test_codex_warning_items_and_retries_are_not_the_answer() -> None:
    parsed = parse_output(output_of("codex-cli"), recording("codex-429-json")["stdout"])
    assert parsed.result is None
    assert parsed.input_tokens is None


def test_text_output_is_the_result_and_aiders_usage_line_gives_its_tokens() -> None:
    stdout = recording("aider-text")["stdout"]
    assert parse_output(output_of("aider"), stdout) == ParsedOutput(
        stdout, None, 2700, 7, True, cost=0.0067
    )


def test_output_that_is_not_json_falls_back_to_stdout() -> None:
    for profile in ("claude-code", "codex-cli"):
        parsed = parse_output(output_of(profile), "Hello from the fake provider.\n")
        assert parsed == ParsedOutput("Hello from the fake provider.\n", None, None, None, False)


def test_json_after_a_banner_is_still_read() -> None:
    parsed = parse_output(output_of("claude-code"), 'warming up\n{"result": "hi"}\n')
    assert parsed.result == "hi"
    assert parsed.parsed


@pytest.mark.skipif(not MARIANNE_PROFILES.is_dir(), reason="../shared/instruments is not here")
def test_mariannes_codex_filter_finds_the_agent_message() -> None:
    """Marianne's `{type: agent_message}` names the item's type, not the event's."""
    marianne = load_profile(MARIANNE_PROFILES / "codex-cli.yaml")
    assert marianne.cli is not None
    parsed = parse_output(marianne.cli.output, recording("codex-write-json")["stdout"])
    assert parsed.result == "Done. I wrote the file."
    assert (parsed.input_tokens, parsed.output_tokens) == (20758, 14)


@pytest.mark.skipif(not MARIANNE_PROFILES.is_dir(), reason="../shared/instruments is not here")
def test_mariannes_opencode_and_gemini_profiles_read_the_recordings() -> None:
    opencode = load_profile(MARIANNE_PROFILES / "opencode.yaml").cli
    gemini = load_profile(MARIANNE_PROFILES / "gemini-cli.yaml").cli
    assert opencode is not None
    assert gemini is not None
    read = parse_output(opencode.output, recording("opencode-text-json")["stdout"])
    assert (read.result, read.input_tokens) == ("Hello from the fake provider.", 7433)
    read = parse_output(gemini.output, recording("gemini-text-json")["stdout"])
    assert (read.result, read.output_tokens) == ("Hello from the fake provider.", 14)


def test_the_last_completion_event_is_the_answer() -> None:
    spec = CliOutput(
        format="jsonl",
        completion_event_type="say",
        completion_event_filter={"say": "completion_result"},
        result_path="text",
    )
    stdout = "\n".join(
        [
            '{"type":"say","say":"text","text":"thinking"}',
            '{"type":"say","say":"completion_result","text":"first"}',
            "not json",
            '{"type":"say","say":"completion_result","text":"final"}',
        ]
    )
    assert parse_output(spec, stdout).result == "final"


def test_wildcard_tokens_sum_only_when_aggregating() -> None:
    stdout = '{"m": {"a": {"t": 3}, "b": {"t": 4}}}'
    summed = CliOutput(format="json", input_tokens_path="m.*.t", aggregate_tokens=True)
    first = CliOutput(format="json", input_tokens_path="m.*.t")
    assert parse_output(summed, stdout).input_tokens == 7
    assert parse_output(first, stdout).input_tokens == 3


@pytest.mark.parametrize(
    ("path", "found"),
    [
        ("a.b", [1]),
        ("list[1].x", ["second"]),
        ("list[*].x", ["first", "second"]),
        ("list.*.x", ["first", "second"]),
        ("map.*", [True, None]),
        ("list[5].x", []),
        ("a.b.c", []),
        ("missing", []),
    ],
)
def test_lookup(path: str, found: list[object]) -> None:
    data = {"a": {"b": 1}, "list": [{"x": "first"}, {"x": "second"}], "map": {"k": True, "n": None}}
    assert lookup(data, path) == found


PRICED = parse_profile(
    """\
name: priced
kind: cli
default_model: cheap
models:
  - {name: dear, cost_per_1k_input: 0.01, cost_per_1k_output: 0.05}
  - {name: cheap, cost_per_1k_input: 0.001, cost_per_1k_output: 0.002}
  - {name: unpriced}
cli: {command: {executable: p}}
""",
    "priced.yaml",
)


def check_cost(cost: Cost, amount: float, estimated: bool) -> None:
    assert cost.amount == pytest.approx(amount)
    assert cost.estimated is estimated


def test_cost_uses_the_models_price() -> None:
    check_cost(estimate_cost(PRICED, "dear", 2000, 1000), 0.07, estimated=False)


def test_cost_without_a_model_uses_the_default_models_price() -> None:
    check_cost(estimate_cost(PRICED, None, 1000, 1000), 0.003, estimated=False)


def test_cost_of_an_unlisted_model_is_estimated_from_the_default() -> None:
    check_cost(estimate_cost(PRICED, "other", 1000, 1000), 0.003, estimated=True)


def test_a_model_without_a_price_costs_three_and_fifteen_per_million_estimated() -> None:
    cost = estimate_cost(PRICED, "unpriced", 1_000_000, 1_000_000)
    check_cost(cost, 18.0, estimated=True)
    bare = parse_profile("name: b\nkind: cli\ncli: {command: {executable: b}}\n", "b.yaml")
    check_cost(estimate_cost(bare, None, 1_000_000, 0), 3.0, estimated=True)


def test_unknown_tokens_cost_nothing_known() -> None:
    assert estimate_cost(PRICED, "dear", None, None) == Cost(None, estimated=False)


def test_the_claude_run_costs_sonnets_price_estimated() -> None:
    """Claude Code chose its own model (no --model): the first listed model's price, flagged."""
    parsed = parse_output(output_of("claude-code"), recording("claude-text-json")["stdout"])
    cost = estimate_cost(
        BUILTIN.profiles["claude-code"],
        "claude-opus-4-8",
        parsed.input_tokens,
        parsed.output_tokens,
    )
    assert cost.estimated
    assert cost.amount == pytest.approx((19454 * 3 + 7 * 15) / 1_000_000)


def test_absurdly_nested_json_is_taken_as_plain_output() -> None:
    deep = "[" * 100_000 + "]" * 100_000
    parsed = parse_output(output_of("claude-code"), deep)
    assert (parsed.parsed, parsed.result) == (False, deep)
    events = parse_output(output_of("codex-cli"), deep + "\n")
    assert events.parsed is False


AIDER_USAGE = CliOutput(
    format="text",
    input_tokens_pattern=r"^Tokens: (\S+) sent",
    output_tokens_pattern=r"^Tokens: .*?(\S+) received",
    cost_pattern=r"Cost: \$([\d.,]+) message",
)


def test_text_output_reads_tokens_and_cost_with_the_profile_patterns() -> None:
    parsed = parse_output(AIDER_USAGE, recording("aider-write")["stdout"])
    assert (parsed.input_tokens, parsed.output_tokens, parsed.cost) == (2700, 7, 0.0068)
    assert parsed.result == recording("aider-write")["stdout"]


def test_text_usage_is_summed_over_every_reply_and_understands_suffixes() -> None:
    stdout = (
        "Tokens: 10,323 sent, 1.2k cache write, 15 received. Cost: $0.03 message, $0.03 session.\n"
        "thinking...\n"
        "Tokens: 1.5M sent, 2k received. Cost: $1,200.50 message, $1,200.53 session.\n"
    )
    parsed = parse_output(AIDER_USAGE, stdout)
    assert parsed.input_tokens == 10_323 + 1_500_000
    assert parsed.output_tokens == 15 + 2_000
    assert parsed.cost == pytest.approx(1200.53)


def test_text_without_a_usage_line_has_no_tokens() -> None:
    parsed = parse_output(AIDER_USAGE, "Tokens: lots sent, some received.\nno numbers here\n")
    assert (parsed.input_tokens, parsed.output_tokens, parsed.cost) == (None, None, None)
