"""The instruments a score names: an unknown one is an error where it is written, with the
closest known name; a fallback to an unknown one is a warning, as in Marianne."""

import pytest

from podium.instruments.registry import discover
from podium.score.checks import check, stops_a_run
from podium.score.diagnostics import Diagnostic, Severity
from tests.unit.score.helpers import BASE, compile_text

CLEAN = BASE + "validations:\n  - {type: content_contains, path: '{workspace}/o', pattern: x}\n"


def instrument_findings(text: str) -> list[Diagnostic]:
    codes = {"V210", "V211", "P011"}
    return [d for d in check(compile_text(text), discover().names()) if d.code in codes]


@pytest.mark.parametrize(
    ("text", "where"),
    [
        (CLEAN.replace("instrument: cli", "instrument: claud-code"), "2:13: instrument"),
        (CLEAN + "movements: {1: {instrument: claud-code}}\n", "7:29: movements.1.instrument"),
        (
            CLEAN.replace(
                "total_items: 3}", "total_items: 3, per_sheet_instruments: {2: claud-code}}"
            ),
            "3:61: sheet.per_sheet_instruments.2",
        ),
        (
            CLEAN.replace("total_items: 3}", "total_items: 3, instrument_map: {claud-code: [1]}}"),
            "3:51: sheet.instrument_map.claud-code",
        ),
        (CLEAN + "instruments: {fast: {profile: claud-code}}\n", "7:31: instruments.fast.profile"),
    ],
)
def test_an_unknown_instrument_is_an_error_where_it_is_written(text: str, where: str) -> None:
    [found] = instrument_findings(text)
    assert (found.code, found.severity) == ("V210", Severity.ERROR)
    assert f"{found.line}:{found.column}: {found.path}" == where
    assert found.message == "unknown instrument 'claud-code'; did you mean 'claude-code'?"
    assert stops_a_run(found)


def test_with_no_close_name_the_known_ones_are_listed() -> None:
    [found] = instrument_findings(CLEAN.replace("instrument: cli", "instrument: zzz"))
    assert "unknown instrument 'zzz'; known: aider, claude-code, cli, " in found.message
    assert "'podium instruments list' shows them" in found.message


def test_an_unknown_fallback_is_a_warning_with_a_hint() -> None:
    [found] = instrument_findings(CLEAN + "instrument_fallbacks: [codx]\n")
    assert (found.code, found.severity, found.path) == (
        "V211",
        Severity.WARNING,
        "instrument_fallbacks.0",
    )
    assert found.message == (
        "unknown instrument 'codx', so sheets will not fall back to it; did you mean 'codex-cli'?"
    )
    assert not stops_a_run(found)


def test_score_aliases_and_marianne_names_are_known() -> None:
    aliased = CLEAN.replace("instrument: cli", "instrument: fast") + (
        "instruments: {fast: {profile: cli}}\n"
    )
    assert instrument_findings(aliased) == []
    default = CLEAN.replace("instrument: cli\n", "")  # Marianne's claude_cli
    assert instrument_findings(default) == []
    # Almost every Marianne example falls back to its HTTP instrument: quietly skipped here.
    assert instrument_findings(CLEAN + "instrument_fallbacks: [anthropic_api]\n") == []


@pytest.mark.parametrize(
    ("text", "path"),
    [
        (CLEAN.replace("instrument: cli", "instrument: anthropic_api"), "instrument"),
        (CLEAN.replace("instrument: cli\n", "backend: {type: ollama}\n"), "backend.type"),
    ],
)
def test_an_http_instrument_of_marianne_validates_but_cannot_run(text: str, path: str) -> None:
    [found] = instrument_findings(text)
    assert (found.code, found.severity, found.path) == ("P011", Severity.WARNING, path)
    assert "'podium run' refuses this score" in found.message
    assert stops_a_run(found)
