"""A rehearsal casts the fake agent in every sheet, whatever the score names, and keeps
everything else of the score: its prompts, checks, timeouts and where its instruments run."""

import textwrap
from pathlib import Path

from podium.domain.ids import SheetNum
from podium.domain.validation import ValidationKind
from podium.score.checks import check, stops_a_run
from podium.score.compiled import CompiledScore, compile_data, compile_score
from podium.score.diagnostics import Diagnostic, Severity
from podium.score.rehearsal import INSTRUMENT, unsatisfiable
from podium.score.snapshot import freeze, thaw
from podium.score.yamlsource import load_yaml

PATH = Path("/scores/cast.yaml")

SCORE = textwrap.dedent(
    """\
    name: cast
    instrument: claude-code
    instrument_config: {model: opus, timeout_seconds: 321}
    instrument_fallbacks: [gemini-cli]
    instruments:
      quick: {profile: gemini-cli, config: {model: flash}}
    movements:
      2: {instrument: codex-cli, instrument_config: {model: o3}, instrument_fallbacks: [aider]}
    sheet:
      size: 1
      total_items: 4
      per_sheet_instruments: {4: aider}
      instrument_map: {quick: [3]}
      per_sheet_instrument_config: {3: {working_directory: sub}}
      per_sheet_fallbacks: {4: [claude-code]}
    prompt: {template: "sheet {{ sheet_num }} on {{ instrument_name }}"}
    validations:
      - {type: file_exists, path: "{workspace}/out-{sheet_num}.md"}
      - {type: command_succeeds, command: "test -s {workspace}/out-{sheet_num}.md"}
    """
)


def test_every_sheet_is_played_by_the_fake_agent_with_no_fallback() -> None:
    real = compile_score(SCORE, PATH)
    rehearsed = compile_score_rehearsed()
    assert {s.instrument for s in real.plan.sheets} == {
        "claude-code",
        "codex-cli",
        "gemini-cli",
        "aider",
    }
    assert [(s.instrument, s.fallbacks, s.model) for s in rehearsed.plan.sheets] == [
        (INSTRUMENT, (), None)
    ] * 4
    assert rehearsed.rehearsal and not real.rehearsal


def test_a_rehearsal_keeps_the_prompts_checks_timeouts_and_working_folders() -> None:
    real = compile_score(SCORE, PATH)
    rehearsed = compile_score_rehearsed()
    for num in map(SheetNum, (1, 2, 3, 4)):
        assert rehearsed.prompt(num) == real.prompt(num)
        assert rehearsed.validations(num) == real.validations(num)
        assert rehearsed.sheet(num).timeout_seconds == real.sheet(num).timeout_seconds == 321
        assert rehearsed.working_directory(num) == real.working_directory(num)
    assert rehearsed.prompt(SheetNum(2)) == "sheet 2 on codex-cli"
    assert rehearsed.working_directory(3) == Path("/scores/sub")


def test_the_snapshot_of_a_rehearsal_thaws_into_a_rehearsal() -> None:
    rehearsed = thaw(freeze(compile_score_rehearsed()), PATH)
    assert rehearsed.rehearsal
    assert {s.instrument for s in rehearsed.plan.sheets} == {INSTRUMENT}
    real = thaw(freeze(compile_score(SCORE, PATH)), PATH)
    assert not real.rehearsal
    assert '"rehearsal"' not in freeze(real)


def test_command_checks_are_those_the_fake_agent_cannot_satisfy() -> None:
    rules = compile_score_rehearsed().validations(SheetNum(1))
    assert [r.kind for r in unsatisfiable(rules)] == [ValidationKind.COMMAND_SUCCEEDS]


def compile_score_rehearsed() -> CompiledScore:
    data, source = load_yaml(SCORE, str(PATH))
    return compile_data(data, source, SCORE, PATH, rehearsal=True)


def rehearsed_findings(instrument: str) -> list[Diagnostic]:
    text = SCORE.replace("instrument: claude-code", f"instrument: {instrument}")
    data, source = load_yaml(text, str(PATH))
    score = compile_data(data, source, text, PATH, rehearsal=True)
    return [d for d in check(score, KNOWN) if d.code in ("V210", "P011")]


KNOWN = ("claude-code", "gemini-cli", "codex-cli", "aider", INSTRUMENT)


def test_an_instrument_the_rehearsal_does_not_play_only_warns() -> None:
    (unknown,) = rehearsed_findings("claude-kode")
    assert unknown.severity is Severity.WARNING
    assert unknown.message.endswith(
        "a rehearsal plays the fake agent in its place, but a real run stops here"
    )
    assert not stops_a_run(unknown, rehearsal=True)
    (http,) = rehearsed_findings("anthropic_api")
    assert http.severity is Severity.WARNING
    assert stops_a_run(http) and not stops_a_run(http, rehearsal=True)
