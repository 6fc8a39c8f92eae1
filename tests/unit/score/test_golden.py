"""Every real Marianne score plans as Marianne's own parser planned it."""

import json
from pathlib import Path

import pytest

from podium.instruments.registry import discover
from podium.score.checks import check
from podium.score.compiled import load_score
from podium.score.diagnostics import Severity
from tests.conftest import SHARED

SCORES = SHARED / "scores"
CASES = sorted((SCORES / "expected").rglob("*.plan.json")) if SCORES.is_dir() else []


def _score_for(expected: Path) -> Path:
    relative = expected.relative_to(SCORES / "expected")
    return SCORES / "marianne" / str(relative).replace(".plan.json", ".yaml")


@pytest.mark.skipif(not CASES, reason="../shared/scores is not here")
def test_there_are_31_shared_scores() -> None:
    assert len(CASES) == 31


@pytest.mark.parametrize("expected", CASES, ids=lambda p: p.stem.removesuffix(".plan"))
def test_a_shared_score_plans_as_marianne_planned_it(expected: Path) -> None:
    want = json.loads(expected.read_text())
    score = load_score(_score_for(expected))
    assert score.plan.total_sheets == len(want["sheets"])
    fields = ("num", "movement", "voice", "voice_count", "instrument", "depends_on")
    planned = [
        {
            "num": s.num,
            "movement": s.movement,
            "voice": s.voice,
            "voice_count": s.voice_count,
            "instrument": s.instrument,
            "depends_on": list(s.depends_on),
        }
        for s in score.plan.sheets
    ]
    assert planned == [{k: sheet[k] for k in fields} for sheet in want["sheets"]]
    assert [s.model for s in score.plan.sheets] == [sheet["model"] for sheet in want["sheets"]]
    assert [s.description for s in score.plan.sheets] == [
        sheet["description"] for sheet in want["sheets"]
    ]


@pytest.mark.parametrize("expected", CASES, ids=lambda p: p.stem.removesuffix(".plan"))
def test_a_shared_score_validates_without_errors(expected: Path) -> None:
    errors = [
        d
        for d in check(load_score(_score_for(expected)), discover().names())
        if d.severity is Severity.ERROR
    ]
    assert errors == []
