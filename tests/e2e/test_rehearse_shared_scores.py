"""Every shared Marianne score whose checks all read files, rehearsed to completion.

`podium run SCORE --rehearse` on each, unchanged and in place, its workspace in a temporary
folder: one conductor runs them all at once. The fake agent reads each sheet's checks and writes
what they ask; the scores' own checks then decide. A score with a `command_succeeds` check is
left out: its sheets fail by design (`podium run --rehearse` says which before it submits).
"""

import json
from pathlib import Path
from typing import Any

import pytest

from podium.domain.validation import ValidationKind
from podium.score.compiled import load_score
from tests.conftest import SHARED
from tests.e2e.conftest import User, wait_for

MARIANNE = SHARED / "scores" / "marianne"

pytestmark = pytest.mark.skipif(not MARIANNE.is_dir(), reason="../shared/scores is not here")

CANNOT_COMPLETE: dict[str, str] = {}
"""Scores of only file checks that do not rehearse to completion, with the reason: none."""


def rehearsable() -> list[Path]:
    """The shared scores whose every check, on every sheet, reads a file."""
    found = []
    for path in sorted(MARIANNE.rglob("*.yaml")):
        score = load_score(path.absolute(), "/nonexistent/workspace", rehearsal=True)
        kinds = {r.kind for s in score.plan.sheets for r in score.validations(s.num)}
        if ValidationKind.COMMAND_SUCCEEDS not in kinds:
            found.append(path)
    return found


def job_of(podium: User, job: str) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(podium("status", job, "--json").stdout)
    return found


@pytest.mark.timeout(240)
def test_every_shared_score_of_file_checks_rehearses_to_completion(
    podium: User, tmp_path: Path
) -> None:
    podium.env["XDG_CACHE_HOME"] = str(tmp_path / "cache")  # the fake agent's, not the user's
    scores = rehearsable()
    assert len(scores) >= 8, [s.name for s in scores]
    for path in scores:
        submitted = podium(
            "run",
            str(path),
            "--rehearse",
            "--no-wait",
            "--workspace",
            str(tmp_path / "workspaces" / path.stem),
        )
        assert submitted.returncode == 0, submitted.stdout + submitted.stderr
        assert "the fake agent can satisfy every check of this score" in submitted.stderr
    jobs = [path.stem for path in scores]

    def ended() -> bool:
        listed = json.loads(podium("list", "--all", "--json").stdout)["jobs"]
        states = {j["job_id"]: j["status"] for j in listed}
        return all(states.get(job) in ("completed", "failed", "cancelled") for job in jobs)

    wait_for(ended, "every rehearsal to end", timeout=200)
    outcome = {job: job_of(podium, job) for job in jobs}
    failed = {
        job: found["error"] for job, found in outcome.items() if found["status"] != "completed"
    }
    assert failed == CANNOT_COMPLETE
    for found in outcome.values():
        assert {s["instrument"] for s in found["sheets"]} == {"rehearsal"}
        # The checks were met at the first attempt of every sheet that ran.
        ran = [s for s in found["sheets"] if s["status"] == "completed"]
        assert ran and {s["attempts"] for s in ran} == {1}, found["job_id"]
