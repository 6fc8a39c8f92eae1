"""An attempt on a Ray node runs with the node's own environment, filtered by its instrument's
profile, under what the conductor decided, and with the node's program: the test cluster's
nodes have a folder of programs and variables of their own (`NODE_BIN`, `NODE_ONLY_ENV`)."""

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from podium.ipc.methods import JOB_SUBMIT
from podium.ipc.schema import SubmitParams
from podium.testing.conductor import ConductorProcess
from podium.testing.ray_cluster import LoopbackCluster
from tests.conftest import NODE_BIN
from tests.on_ray.test_conductor_on_ray import on_ray

pytestmark = pytest.mark.ray

PROBE = "podium-node-probe"


def project(tmp_path: Path, executable: str) -> Path:
    """A score played by an instrument whose program is `executable`, which asks for
    PROBE_API_KEY alone and sets PROBE_MODE itself."""
    folder = tmp_path / "project"
    (folder / ".podium" / "instruments").mkdir(parents=True, exist_ok=True)
    (folder / ".podium" / "instruments" / "probe.yaml").write_text(
        textwrap.dedent(f"""
        name: probe
        kind: cli
        cli:
          command:
            executable: {executable}
            prompt_as_file: true
            prompt_via_stdin: false
            required_env: [PROBE_API_KEY]
            env: {{PROBE_MODE: set-by-the-profile}}
          output: {{format: text}}
        """)
    )
    path = folder / "probe.yaml"
    path.write_text(
        textwrap.dedent("""
        name: probe
        instrument: probe
        workspace: ./ws
        retry: {max_retries: 0, max_completion_attempts: 0}
        sheet: {size: 1, total_items: 1}
        prompt: {template: x}
        """)
    )
    return path


def test_an_attempt_runs_with_the_nodes_environment_and_program(
    ray_cluster: LoopbackCluster,
    conductors: Callable[..., ConductorProcess],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    probe = ray_cluster.folder / NODE_BIN / PROBE  # on the nodes' PATH, not the conductor's
    probe.write_text(
        "#!/bin/sh\n"
        'echo "key=$PROBE_API_KEY token=${NODE_ONLY_TOKEN:-unset} mode=$PROBE_MODE '
        'node=$PODIUM_RAY_NODE" >> seen.txt\n'
    )
    probe.chmod(0o755)
    monkeypatch.setenv("PROBE_API_KEY", "the-conductors-key")
    conductor = conductors(on_ray(ray_cluster, probe="instrument:cli"))
    path = project(tmp_path, PROBE)

    conductor.wait_for_job(conductor.submit(path), "completed", timeout=120)
    # What the shell that submits carries is the conductor's decision: it goes over the node's.
    carried: SubmitParams = {
        "score_path": str(path),
        "environment": {"PROBE_API_KEY": "carried-key"},
    }
    conductor.wait_for_job(conductor.request(JOB_SUBMIT(carried))["job_id"], "completed", 120)

    node = ray_cluster.node_ids["cli"]
    assert (path.parent / "ws" / "seen.txt").read_text().splitlines() == [
        f"key=node-own-key token=unset mode=set-by-the-profile node={node}",
        f"key=carried-key token=unset mode=set-by-the-profile node={node}",
    ]


def test_an_instrument_a_node_does_not_have_fails_its_attempt_naming_the_node(
    ray_cluster: LoopbackCluster,
    conductors: Callable[..., ConductorProcess],
    tmp_path: Path,
) -> None:
    conductor = conductors(on_ray(ray_cluster, probe="instrument:fake"))
    job = conductor.submit(project(tmp_path, "podium-installed-nowhere"))
    done = conductor.wait_for_job(job, "failed", timeout=120)
    error = done["sheets"][0]["error"] or ""
    node = ray_cluster.node_ids["fake"]
    assert f"on Ray node {node[:12]}: 'podium-installed-nowhere' is not installed on this node" in (
        error
    )
    assert f"{NODE_BIN}:" in error  # where it looked: the node's PATH


def test_check_commands_run_on_a_node_that_offers_the_instrument_with_its_environment(
    ray_cluster: LoopbackCluster,
    conductors: Callable[..., ConductorProcess],
    write_score: Callable[..., Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CONDUCTOR_ONLY", "the-conductors")
    conductor = conductors(on_ray(ray_cluster))
    # What a command sees (a node's variables, not the conductor's; its own placeholders)
    # is written down; `seen` passes only on a node.
    seen = 'echo "token=$NODE_ONLY_TOKEN conductor=${CONDUCTOR_ONLY:-unset}" >> {workspace}/seen'
    score = write_score(f"""
        name: checked
        workspace: ./ws
        instrument: cli
        retry: {{max_retries: 0, max_completion_attempts: 0}}
        sheet:
          size: 1
          total_items: 2
          skip_when_command:
            2: {{command: '{seen} && test "$NODE_ONLY_TOKEN" = node-own-token'}}
        prompt: {{template: "true"}}
        validations:
          - type: command_succeeds
            command: '{seen} && test "$NODE_ONLY_TOKEN" = node-own-token'
    """)
    done = conductor.wait_for_job(conductor.submit(score), "completed", timeout=120)
    assert [s["status"] for s in done["sheets"]] == ["completed", "skipped"]
    assert (tmp_path / "ws" / "seen").read_text().splitlines() == [
        "token=node-own-token conductor=unset"
    ] * 2


def test_the_checks_of_an_attempt_on_a_fallback_run_where_the_fallback_is_offered(
    ray_cluster: LoopbackCluster,
    conductors: Callable[..., ConductorProcess],
    write_score: Callable[..., Path],
    tmp_path: Path,
) -> None:
    # No node offers the fake agent here: the sheet falls back to cli, whose checks must be
    # placed where cli is offered, not where the fake agent would have been.
    conductor = conductors(on_ray(ray_cluster, **{"fake-agent": "instrument:nowhere"}))
    score = write_score("""
        name: fallen-back
        workspace: ./ws
        instrument: fake-agent
        instrument_fallbacks: [cli]
        retry: {max_retries: 0, max_completion_attempts: 0}
        sheet: {size: 1, total_items: 1}
        prompt: {template: "echo done > out"}
        validations:
          - type: command_succeeds
            command: 'test "$(cat {workspace}/out)" = done'
            timeout_seconds: 30
    """)
    conductor.wait_for_job(conductor.submit(score), "completed", timeout=120)
    assert conductor.query("SELECT instrument, outcome FROM attempts ORDER BY attempt") == [
        ("fake-agent", "launch_failed"),
        ("cli", "succeeded"),
    ]
    assert (tmp_path / "ws" / "out").read_text() == "done\n"


def test_the_nodes_are_read_when_what_is_free_on_them_cannot_be(
    ray_cluster: LoopbackCluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ray._private import state

    from podium.runtime.executors.ray import cluster

    def broken() -> dict[str, object]:
        raise AttributeError("no such function in this Ray")

    monkeypatch.setattr(state, "available_resources_per_node", broken)
    read = {node.node_id: node for node in cluster.node_states()}
    assert set(ray_cluster.node_ids.values()) <= set(read)
    assert all(read[n].alive and read[n].available is None for n in ray_cluster.node_ids.values())
