"""A real agent CLI drives the conductor through `podium mcp`: Claude Code, with `podium mcp`
as its MCP server and the scripted provider as its model, reads a job's status and pauses it.

The provider's `call` scenario answers the first turn with a call of `job_status`, the next
with `pause_job` (each by the name the CLI gives MCP tools), then "Done."; each request after a
call carries what the tool answered, which the provider records. What the conductor did is
read back with `podium status`, as a user would."""

import json
import subprocess
import textwrap
from pathlib import Path
from typing import Any

import pytest

from podium.testing.provider import ScriptedProvider
from tests.realcli.conftest import PODIUM, SealedConductor
from tests.realcli.hermetic import CLIS, environment

pytestmark = pytest.mark.timeout(180)

GATED = """
    name: gated
    workspace: ./ws
    instrument: cli
    pause_between_sheets_seconds: 0
    sheet: {size: 1, total_items: 2}
    prompt:
      template: |
        echo run >> runs-{{ sheet_num }}.txt
        {% if sheet_num == 1 %}while [ ! -e go ]; do sleep 0.05; done{% endif %}
"""

TOOLS = ("job_status", "pause_job")


def claude_mcp_config(path: Path, env: dict[str, str]) -> Path:
    """Claude Code's `--mcp-config` file: `podium mcp` over stdio, talking to `env`'s
    conductor."""
    servers = {
        "podium": {
            "command": PODIUM,
            "args": ["mcp"],
            "env": {name: env[name] for name in ("PODIUM_HOME", "PODIUM_SOCKET")},
        }
    }
    path.write_text(json.dumps({"mcpServers": servers}, indent=2))
    return path


def run_claude(
    env: dict[str, str], config: Path, cwd: Path, base_url: str
) -> subprocess.CompletedProcess[str]:
    allowed = ",".join(f"mcp__podium__{tool}" for tool in TOOLS)
    return subprocess.run(
        [
            "claude",
            "-p",
            "Look at the Podium job 'gated', then pause it.",
            "--mcp-config",
            str(config),
            "--strict-mcp-config",
            "--allowedTools",
            allowed,
            "--output-format",
            "json",
        ],
        env={**env, "ANTHROPIC_BASE_URL": base_url},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=150,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def test_claude_code_reads_a_jobs_status_and_pauses_it_through_podium_mcp(
    realcli_bin: Path, provider: ScriptedProvider, tmp_path: Path
) -> None:
    sealed = environment(
        CLIS["claude"], tmp_path / "sealed", root=realcli_bin.parent, trap_url=provider.trap_url
    )
    conductor = SealedConductor(tmp_path / "podium", sealed)
    score = tmp_path / "gated.yaml"
    score.write_text(textwrap.dedent(GATED))
    conductor.start(timeout=60)
    try:
        job = conductor.submit(score)
        conductor.wait_until((tmp_path / "ws" / "runs-1.txt").exists, 30, "sheet 1 to start")
        tag = "claude-mcp"
        base_url = provider.base_url(
            "call", tools="+".join(TOOLS), arguments=json.dumps({"job_id": job}), tag=tag
        )
        config = claude_mcp_config(tmp_path / "mcp.json", conductor.env)
        done = run_claude(conductor.env, config, tmp_path, base_url)
        assert done.returncode == 0, (
            f"claude exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
        )
        reply: dict[str, Any] = json.loads(done.stdout)
        assert reply["result"] == "Done.", reply

        status = conductor.podium_json("status", job)
        assert status["status"] == "paused", status
        assert "paused by the user" in conductor.podium("status", job).stdout

        seen = [r for r in provider.requests(tag=tag) if r.tool_results]
        answers = seen[-1].tool_results
        assert len(answers) == 2, seen
        shown, paused = answers
        assert f"{job}  running  0/2 sheets completed" in shown, shown
        assert f"job {job}: paused" in paused, paused
        offered = set(provider.requests(tag=tag)[0].tools)
        assert {f"mcp__podium__{tool}" for tool in TOOLS} <= offered, offered
    finally:
        (tmp_path / "ws" / "go").touch()
        conductor.stop()
