"""Techniques on a real conductor, in a score shaped as Marianne's compiler writes them (one
sheet per phase; phases named, and numbered as strings): each sheet's prompt carries the
manifest and skill documents of its phase, and an MCP technique's server reaches the agent's
command line. Read from the fake agent's own record of every run."""

import json
from collections.abc import Callable
from importlib import resources
from pathlib import Path

import pytest
import yaml

from podium.ipc.client import RemoteError
from podium.testing.conductor import ConductorProcess
from tests.integration.test_agent_attempts import project_profile, recorded_prompts

COMPILED = """
    name: marianne-dev-canyon
    workspace: ./ws
    instrument: fake-agent-mcp
    pause_between_sheets_seconds: 0
    sheet:
      size: 1
      total_items: 4
      descriptions: {1: recon, 2: plan, 3: work, 4: inspect}
    prompt:
      template: |
        You are canyon, in phase {{ sheet_num }}.
        FAKE-AGENT: write out-{{ sheet_num }}.md text="done"
    techniques:
      coordination: {kind: skill, phases: [recon, plan, integration, "1", "2"]}
      mateship: {kind: skill, phases: [all], config: {description: Look after your mates}}
      github:
        kind: mcp
        phases: [recon, work, integration, "1", "3"]
        config: {command: github-mcp-server, args: [stdio], description: GitHub}
      a2a: {kind: protocol, phases: [recon, plan, work, integration, inspect, aar, "1", "2", "3", "4"]}
    validations:
      - type: file_exists
        path: "{workspace}/out-{sheet_num}.md"
"""


def test_a_compiled_score_runs_with_each_phases_techniques_injected(
    conductor: ConductorProcess, write_score: Callable[..., Path], tmp_path: Path
) -> None:
    techniques = tmp_path / ".marianne" / "techniques"
    techniques.mkdir(parents=True)
    (techniques / "coordination.md").write_text("Coordinate through the shared folder.")
    (techniques / "mateship.md").write_text("Check on your mates first.")
    score = write_score(COMPILED)
    builtin = resources.files("podium.instruments") / "builtin" / "fake-agent.yaml"
    profile = yaml.safe_load(builtin.read_text())
    profile["name"] = "fake-agent-mcp"
    profile["cli"]["command"]["mcp_config_flag"] = "--mcp-config"
    project_profile(score, profile)

    job = conductor.submit(score)
    conductor.wait_for_job(job, "completed")

    prompts = recorded_prompts(tmp_path / "ws")
    assert len(prompts) == 4
    for n, prompt in enumerate(prompts, start=1):
        assert f"You are canyon, in phase {n}." in prompt
        assert f"### Techniques available in this phase (movement {n})" in prompt
        assert "- **mateship**: Look after your mates" in prompt
        assert "### mateship\n\nCheck on your mates first." in prompt
        assert "- **a2a**: a communication protocol" in prompt
        assert ("Coordinate through the shared folder." in prompt) is (n in (1, 2))
        assert ("- **github**: GitHub" in prompt) is (n in (1, 3))
    calls = (tmp_path / "ws" / ".fake-agent" / "calls.jsonl").read_text().splitlines()
    servers = {}
    for call in map(json.loads, calls):
        argv = call["argv"]
        given = [argv[i + 1] for i, a in enumerate(argv) if a == "--mcp-config"]
        servers[call["prompt_file"]] = given
    with_github = [given for given in servers.values() if given]
    assert len(with_github) == 2
    for given in with_github:
        assert json.loads(given[-1]) == {
            "mcpServers": {"github": {"command": "github-mcp-server", "args": ["stdio"]}}
        }


def test_a_score_whose_mcp_technique_lands_on_an_instrument_without_mcp_is_refused(
    conductor: ConductorProcess, write_score: Callable[..., Path]
) -> None:
    score = write_score(COMPILED.replace("instrument: fake-agent-mcp", "instrument: fake-agent"))
    with pytest.raises(RemoteError) as refused:
        conductor.submit(score)
    said = str(refused.value)
    assert "technique 'github' (kind: mcp) is active in sheets 1, 3" in said
    assert "played by fake-agent, which cannot take MCP servers" in said
