"""Compiling scores from text in tests."""

import textwrap
from pathlib import Path

import pytest

from podium.score.compiled import CompiledScore, compile_score
from podium.score.diagnostics import ScoreError

SCORE_PATH = Path("/scores/demo.yaml")

BASE = """\
name: demo
instrument: cli
sheet: {size: 1, total_items: 3}
prompt: {template: "echo {{ sheet_num }}"}
"""


def compile_text(text: str, path: Path = SCORE_PATH) -> CompiledScore:
    return compile_score(textwrap.dedent(text), path)


def problems(text: str, path: Path = SCORE_PATH) -> list[str]:
    """The located messages of a score that must not compile (or render)."""
    with pytest.raises(ScoreError) as raised:
        compile_text(text, path).check()
    return [str(d) for d in raised.value.diagnostics]
