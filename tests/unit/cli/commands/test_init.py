"""`podium init`'s starter score, read back as the conductor reads it."""

import argparse
from pathlib import Path

from podium.cli.commands import init
from podium.score.compiled import load_score


def test_the_starter_score_plays_scripts_without_pausing_between_sheets(tmp_path: Path) -> None:
    assert init.run(argparse.Namespace(name="starter", path=str(tmp_path), force=False)) == 0
    score = load_score(tmp_path / "starter.yaml")
    assert [s.instrument for s in score.plan.sheets] == ["cli", "cli", "cli"]
    # Marianne's 2 s pacing spares an agent's provider; three echos would take 4 s for nothing.
    assert score.plan.policy.pause_between_sheets_seconds == 0
