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

from tests.conftest import REPO, SHARED
from tests.e2e.conftest import User, wait_for

EXAMPLES = SHARED / "scores" / "marianne" / "examples"
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


def rewrite_rules(gate: str, times: int | None = None) -> dict[str, object]:
    rule: dict[str, object] = {
        "match": r"Write your findings to `(\S+/05-gate-status\.yaml)`",
        "actions": [{"write": {"path": r"\1", "text": f"status: {gate}\nreal_count: 1\n"}}],
    }
    if times is not None:
        rule["times"] = times
    return rule


def findings(name: str, *actions: dict[str, object]) -> dict[str, object]:
    return {"match": rf"Write your findings to `(\S+/{name})`", "actions": list(actions)}


@pytest.mark.timeout(180)  # three chained jobs of nine sheets; it waits up to 120 s for them
def test_the_codebase_rewrite_chains_into_itself_until_its_maximum_depth(
    podium: User, tmp_path: Path
) -> None:
    """Three iterations (chain depth 0, 1, 2, as capped in this copy), each run fresh in an
    archived workspace; the third one's gate says CONVERGED, so sheets 6-8 are skipped."""
    rules = [
        findings("01-reconnaissance\\.md", {"write": {"path": r"\1", "words": 250}}),
        findings(
            "02-candidates\\.yaml",
            {
                "write": {
                    "path": r"\1",
                    "text": "candidates:\n  - module: core\n    classification: REWRITE\n",
                }
            },
        ),
        findings(
            "03-triage\\.yaml",
            {"write": {"path": r"\1", "text": "- verdict: REAL\n  evidence: old APIs\n"}},
        ),
        findings("04-rewrite-plan\\.md", {"write": {"path": r"\1", "words": 150}}),
        rewrite_rules("PROCEED", times=2),
        rewrite_rules("CONVERGED"),
        findings(
            "06-migration-log\\.md",
            {"write": {"path": r"\1", "words": 80}},
            {"append": {"path": r"\1", "text": "\ncore: DONE\n"}},
        ),
        findings(
            "0[78]-(?:unit-test|integration)-results\\.md",
            {"write": {"path": r"\1", "text": "# Results\n**Results:** PASS\n"}},
        ),
        findings(
            "09-quality-review\\.md",
            {"write": {"path": r"\1", "words": 200}},
            {"append": {"path": r"\1", "text": "\nDecision: CONTINUE\n"}},
        ),
    ]
    score = stage_score(tmp_path, "engineering/codebase-rewrite.yaml", rules)
    data = yaml.safe_load(score.read_text())
    workspace = (score.parent / data["workspace"]).resolve()
    # The score asks for its own absolute path; the chain is capped at depth 2 in this copy.
    data["on_success"][0]["job_path"] = str(score)
    data["concert"].update(max_chain_depth=2, cooldown_between_jobs_seconds=0)
    score.write_text(yaml.safe_dump(data, sort_keys=False))
    # A fresh run archives the workspace: the fake agent's script and records live outside it.
    script = tmp_path / "fake-agent.yaml"
    shutil.move(workspace / ".fake-agent.yaml", script)
    podium.env["PODIUM_FAKE_AGENT_SCRIPT"] = str(script)
    podium.env["PODIUM_FAKE_AGENT_RECORD"] = str(tmp_path / "records")

    assert podium("run", str(score)).returncode == 0

    def chain() -> dict[str, dict[str, object]]:
        found = json.loads(podium("list", "--all", "--json").stdout)["jobs"]
        return {str(j["job_id"]): j for j in found}

    def done() -> bool:
        jobs = chain()
        return len(jobs) == 3 and all(j["status"] in ("completed", "failed") for j in jobs.values())

    wait_for(done, "three iterations of the codebase rewrite", timeout=120)
    jobs = chain()
    assert {j: (v["chain_depth"], v["status"]) for j, v in jobs.items()} == {
        "codebase-rewrite": (0, "completed"),
        "codebase-rewrite-2": (1, "completed"),
        "codebase-rewrite-3": (2, "completed"),
    }
    last = json.loads(podium("status", "codebase-rewrite-3", "--json").stdout)
    assert [s["status"] for s in last["sheets"]] == ["completed"] * 5 + ["skipped"] * 3 + [
        "completed"
    ]
    assert last["parent"] == "codebase-rewrite-2"
    assert any("past concert.max_chain_depth (2)" in n["text"] for n in last["history"])
    archives = sorted(p.name for p in (workspace / "archive").iterdir())
    assert archives == ["iteration-1", "iteration-2"]
    assert (workspace / "archive" / "iteration-1" / "09-quality-review.md").is_file()
