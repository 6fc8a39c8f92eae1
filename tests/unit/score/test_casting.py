"""Which instrument plays each sheet, in Marianne's order of precedence."""

import pytest

from tests.unit.score.helpers import compile_text

SCORE = """
name: cast
{top}
instruments:
  quick: {{profile: gemini-cli, config: {{model: flash}}}}
movements:
  2: {{instrument: codex-cli, instrument_config: {{model: o3}}}}
sheet:
  size: 1
  total_items: 4
  per_sheet_instruments: {{4: aider}}
  instrument_map: {{quick: [3, 4]}}
  per_sheet_instrument_config: {{3: {{timeout_seconds: 77}}}}
prompt: {{template: "x"}}
"""


@pytest.mark.parametrize(
    ("top", "expected"),
    [
        (
            "instrument: claude-code\ninstrument_config: {model: opus}",
            [
                ("claude-code", "opus"),
                ("codex-cli", "o3"),
                ("gemini-cli", "flash"),
                ("aider", "opus"),
            ],
        ),
        (
            "backend: {type: anthropic_api}",
            [
                ("anthropic_api", None),
                ("codex-cli", "o3"),
                ("gemini-cli", "flash"),
                ("aider", None),
            ],
        ),
        ("", [("claude_cli", None), ("codex-cli", "o3"), ("gemini-cli", "flash"), ("aider", None)]),
    ],
)
def test_per_sheet_beats_the_map_beats_the_movement_beats_the_score(
    top: str, expected: list[tuple[str, str | None]]
) -> None:
    score = compile_text(SCORE.format(top=top))
    assert [(s.instrument, s.model) for s in score.plan.sheets] == expected
    assert score.plan.sheets[2].timeout_seconds == 77.0


def test_fallbacks_come_from_the_sheet_then_the_movement_then_the_score() -> None:
    score = compile_text("""
        name: fall
        instrument: claude-code
        instrument_fallbacks: [codex-cli, quick]
        instruments: {quick: {profile: gemini-cli}}
        movements: {2: {instrument_fallbacks: [aider]}}
        sheet: {size: 1, total_items: 3, per_sheet_fallbacks: {3: []}}
        prompt: {template: x}
    """)
    assert [s.fallbacks for s in score.plan.sheets] == [("codex-cli", "gemini-cli"), ("aider",), ()]


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ("", [1800.0, 1800.0]),
        ("backend: {timeout_seconds: 900}", [900.0, 900.0]),
        ("instrument_config: {timeout_seconds: 600}", [600.0, 600.0]),
        ("instrument_config: {timeout_seconds: 600, timeout_overrides: {2: 60}}", [600.0, 60.0]),
        (
            "backend: {timeout_overrides: {2: 30}}\ninstrument_config: {timeout_seconds: 600}",
            [600.0, 30.0],
        ),
        (
            "backend: {sheet_overrides: {1: {timeout_seconds: 5}}, timeout_overrides: {1: 30}}",
            [5.0, 1800.0],
        ),
    ],
)
def test_the_most_specific_timeout_wins(settings: str, expected: list[float]) -> None:
    score = compile_text(
        f"name: t\ninstrument: cli\n{settings}\n"
        "sheet: {size: 1, total_items: 2}\nprompt: {template: x}\n"
    )
    assert [s.timeout_seconds for s in score.plan.sheets] == expected
