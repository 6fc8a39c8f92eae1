"""Real Marianne scores, unchanged, run to completion on Podium's fake agent.

Each score plays `claude-code`; a project profile next to the score points that name at
`podium-fake-agent`, and a script in the workspace tells the fake agent what to write for each
prompt. The scores' own validations then decide, genuinely, whether the sheets succeeded.
"""

import json
import shutil
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO
from tests.e2e.conftest import User

EXAMPLES = REPO.parent / "shared" / "scores" / "marianne" / "examples"
FAKE_PROFILE = REPO / "src" / "podium" / "instruments" / "builtin" / "fake-agent.yaml"

pytestmark = pytest.mark.skipif(not EXAMPLES.is_dir(), reason="../shared/scores is not here")


def stage_score(tmp_path: Path, relative: str, rules: list[dict[str, object]]) -> Path:
    """Copy a shared score into `tmp_path` (keeping its folder depth, so its workspace lands
    in `tmp_path`), with a claude-code profile that plays the fake agent, and the agent's script
    in the workspace."""
    score = tmp_path / "examples" / relative
    score.parent.mkdir(parents=True)
    shutil.copy(EXAMPLES / relative, score)
    profile = yaml.safe_load(FAKE_PROFILE.read_text())
    profile["name"] = "claude-code"
    instruments = score.parent / ".podium" / "instruments"
    instruments.mkdir(parents=True)
    (instruments / "claude-code.yaml").write_text(yaml.safe_dump(profile))
    workspace = (score.parent / yaml.safe_load(score.read_text())["workspace"]).resolve()
    workspace.mkdir(parents=True)
    (workspace / ".fake-agent.yaml").write_text(yaml.safe_dump(rules))
    return score


def run_to_completion(podium: User, score: Path) -> dict[str, object]:
    done = podium("run", str(score), "--wait")
    assert done.returncode == 0, done.stdout + done.stderr
    status: dict[str, object] = json.loads(podium("status", score.stem, "--json").stdout)
    assert status["status"] == "completed"
    return status


def prompts(workspace: Path) -> list[str]:
    return [p.read_text() for p in sorted((workspace / ".fake-agent").glob("prompt-*.txt"))]


def test_hello_completes_with_its_validations_and_earlier_sheets_in_the_finale(
    podium: User, tmp_path: Path
) -> None:
    html = "<!DOCTYPE html>\n<html lang='en'><body><p>Marianne AI Compose</p></body></html>\n"
    score = stage_score(
        tmp_path,
        "getting-started/hello.yaml",
        [
            {
                "match": r"Save to: (\S+/01-world\.md)",
                "actions": [{"write": {"path": r"\1", "words": 850, "heading": "The World"}}],
            },
            {
                "match": r"Save to: (\S+/02-character-(\d)\.md)",
                "actions": [
                    {"write": {"path": r"\1", "words": 650, "heading": r"Vignette \2"}},
                    {"print": r"Vignette \2 is written."},
                ],
            },
            {
                "match": r"Save ONLY the HTML file to: (\S+\.html)",
                "actions": [{"write": {"path": r"\1", "text": html}}],
            },
        ],
    )
    status = run_to_completion(podium, score)
    sheets = status["sheets"]
    assert isinstance(sheets, list)
    assert [s["attempts"] for s in sheets] == [1, 1, 1, 1, 1]
    assert isinstance(status["cost"], float) and status["cost"] > 0
    workspace = tmp_path / "workspaces" / "hello"
    assert (workspace / "the-sky-library.html").read_text() == html
    assert (workspace / "logs" / "sheet-01.stdout.log").read_text()
    sent = prompts(workspace)
    assert len(sent) == 5
    first = sent[0]
    assert "You are running sheet 1 of 5 of 'hello'" in first
    assert "## Success requirements (validated automatically)" in first
    assert f"the file {workspace}/01-world.md exists" in first
    finale = next(p for p in sent if "the-sky-library.html" in p)
    assert "## Previous sheets" in finale
    assert "Vignette 3 is written." in finale  # sheet 4's answer, captured for the finale


def test_simple_sheet_retries_a_rate_limit_without_spending_its_budget(
    podium: User, tmp_path: Path
) -> None:
    score = stage_score(
        tmp_path,
        "getting-started/simple-sheet.yaml",
        [
            {
                "match": r"Create a file at (\S+/sheet2\.md)",
                "times": 1,
                "actions": [{"rate_limit": {"reset_in": 1}}],
            },
            {
                "match": r"Create a file at (\S+/sheet\d\.md)",
                "actions": [{"write": {"path": r"\1", "words": 60, "heading": "Summary"}}],
            },
        ],
    )
    status = run_to_completion(podium, score)
    sheets = status["sheets"]
    assert isinstance(sheets, list)
    assert [s["attempts"] for s in sheets] == [1, 2]
    history = " ".join(str(n["text"]) for n in status["history"])  # type: ignore[attr-defined]
    assert "rate limit" in history


def test_the_parallel_research_fanout_completes_every_voice(podium: User, tmp_path: Path) -> None:
    score = stage_score(
        tmp_path,
        "research/parallel-research-fanout.yaml",
        [
            {
                "match": r"OUTPUT: Write to (\S+/01-research-setup\.md)",
                "actions": [
                    {"write": {"path": r"\1", "text": "# Setup\nRESEARCH_SETUP_COMPLETE\n"}}
                ],
            },
            {
                "match": r"OUTPUT: Write to (\S+/02-search-(\d+)\.md)",
                "actions": [{"write": {"path": r"\1", "text": "# Search\nSEARCH_\\2_COMPLETE\n"}}],
            },
            {
                "match": r"OUTPUT: Write to (\S+/03-synthesis\.md)",
                "actions": [
                    {"write": {"path": r"\1", "text": "# Synthesis\nSYNTHESIS_COMPLETE\n"}}
                ],
            },
        ],
    )
    status = run_to_completion(podium, score)
    sheets = status["sheets"]
    assert isinstance(sheets, list)
    assert all(s["status"] == "completed" for s in sheets)
    workspace = tmp_path / "workspaces" / "fanout-workspace"
    searches = sorted(p.name for p in workspace.glob("02-search-*.md"))
    assert len(searches) == len(sheets) - 2
