"""Real agent CLIs drive the conductor through `podium mcp`: Claude Code and Gemini CLI, each
with `podium mcp` as its MCP server and the scripted provider as its model, read a job's
status and pause it.

The provider's `call` scenario answers the first turn with a call of `job_status`, the next
with `pause_job` (each by the name the CLI gives MCP tools), then "Done."; each request after a
call carries what the tools answered, which the provider records. What the conductor did is
read back with `podium status`, as a user would."""

import json
import subprocess
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from podium.testing.provider import ScriptedProvider
from podium.testing.provider.script import offered
from podium.testing.provider.turn import Tool
from tests.realcli.conftest import PODIUM, SealedConductor
from tests.realcli.hermetic import CLIS, GEMINI_MODEL, environment

pytestmark = pytest.mark.timeout(240)

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
ASK = "Look at the Podium job 'gated', then pause it."


def podium_server(env: dict[str, str]) -> dict[str, object]:
    """`podium mcp` over stdio, talking to `env`'s conductor: the entry both CLIs take."""
    variables = {name: env[name] for name in ("PODIUM_HOME", "PODIUM_SOCKET")}
    return {"command": PODIUM, "args": ["mcp"], "env": variables}


def claude(env: dict[str, str], folder: Path, base_url: str) -> tuple[list[str], dict[str, str]]:
    """Claude Code in print mode, the server from an `--mcp-config` file, its two tools
    allowed without asking."""
    config = folder / "claude-mcp.json"
    config.write_text(json.dumps({"mcpServers": {"podium": podium_server(env)}}))
    allowed = ",".join(f"mcp__podium__{tool}" for tool in TOOLS)
    argv = ["claude", "-p", ASK, "--mcp-config", str(config), "--strict-mcp-config"]
    argv += ["--allowedTools", allowed, "--output-format", "json"]
    # Claude Code connects MCP servers in the background, and its first turn may go without
    # their tools; this makes it wait for them first.
    return argv, {**env, "ANTHROPIC_BASE_URL": base_url, "MCP_CONNECTION_NONBLOCKING": "false"}


def gemini(env: dict[str, str], folder: Path, base_url: str) -> tuple[list[str], dict[str, str]]:
    """Gemini CLI headless, the server in its home's settings.json (trusted: no question)."""
    settings_file = Path(env["HOME"]) / ".gemini" / "settings.json"
    settings = json.loads(settings_file.read_text())
    settings["mcpServers"] = {"podium": {**podium_server(env), "trust": True}}
    settings_file.write_text(json.dumps(settings, indent=2))
    argv = ["gemini", "-p", ASK, "-m", GEMINI_MODEL, "--output-format", "json"]
    argv += ["--allowed-mcp-server-names", "podium"]
    extra = {"GOOGLE_GEMINI_BASE_URL": base_url, "GEMINI_CLI_TRUST_WORKSPACE": "true"}
    return argv, {**env, **extra}


@dataclass(frozen=True)
class Agent:
    """An agent CLI: how to run it with `podium mcp`, and where its JSON says it ended."""

    prepare: Callable[[dict[str, str], Path, str], tuple[list[str], dict[str, str]]]
    answer_key: str


AGENTS = {"claude": Agent(claude, "result"), "gemini": Agent(gemini, "response")}


@pytest.mark.parametrize("agent", list(AGENTS))
def test_an_agent_reads_a_jobs_status_and_pauses_it_through_podium_mcp(
    agent: str, realcli_bin: Path, provider: ScriptedProvider, tmp_path: Path
) -> None:
    sealed = environment(
        CLIS[agent], tmp_path / "sealed", root=realcli_bin.parent, trap_url=provider.trap_url
    )
    conductor = SealedConductor(tmp_path / "podium", sealed)
    score = tmp_path / "gated.yaml"
    score.write_text(textwrap.dedent(GATED))
    conductor.start(timeout=60)
    try:
        job = conductor.submit(score)
        conductor.wait_until((tmp_path / "ws" / "runs-1.txt").exists, 30, "sheet 1 to start")
        tag = f"{agent}-mcp"
        base_url = provider.base_url(
            "call", tools="+".join(TOOLS), arguments=json.dumps({"job_id": job}), tag=tag
        )
        argv, env = AGENTS[agent].prepare(conductor.env, tmp_path, base_url)
        done = subprocess.run(
            argv,
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=200,
            stdin=subprocess.DEVNULL,
            check=False,
        )
        assert done.returncode == 0, (
            f"{agent} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
        )
        assert json.loads(done.stdout)[AGENTS[agent].answer_key] == "Done.", done.stdout

        # The conductor really paused the job.
        assert conductor.podium_json("status", job)["status"] == "paused"
        assert "paused by the user" in conductor.podium("status", job).stdout

        # The model was given what the tools answered: the job's status, then the pause.
        requests = provider.requests(tag=tag)
        answers = max((r.tool_results for r in requests), key=len)
        assert len(answers) == 2, requests
        shown, paused = answers
        assert f"{job}  running  0/2 sheets completed" in shown, shown
        assert f"job {job}: paused" in paused, paused
        tools = tuple(Tool(name) for r in requests for name in r.tools)
        assert all(offered(tools, tool) is not None for tool in TOOLS), tools
    finally:
        (tmp_path / "ws" / "go").touch()
        conductor.stop()
