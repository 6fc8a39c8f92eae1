"""A real conductor whose attempts run on a Ray cluster of two loopback nodes (the session's
`ray_cluster`): placement by instrument, the conductor's caps across nodes, cancel, a crash.

Node `cli` offers `instrument:cli`, node `fake` offers `instrument:fake`, both offer
`instrument:both`. Each attempt's environment names its node (`PODIUM_RAY_NODE`), which the
scripts write down.
"""

import json
import signal
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from podium.host import processes
from podium.ipc.methods import JOB_CANCEL
from podium.runtime.process import group_exists
from podium.testing.conductor import ConductorProcess
from podium.testing.ray_cluster import LoopbackCluster, free_port

pytestmark = pytest.mark.ray

Conductors = Callable[..., ConductorProcess]


def on_ray(cluster: LoopbackCluster, **resources: str) -> dict[str, Any]:
    """conductor.yaml for the cluster, in a namespace of the test's own."""
    return {
        "kill_grace_seconds": 1.0,
        "executor": {
            "type": "ray",
            "address": cluster.address,
            "namespace": f"test-{uuid.uuid4().hex[:12]}",
            "resources": resources,
        },
    }


def actors(namespace: str) -> int:
    """The named actors of a namespace (attempts a conductor placed and has not let go)."""
    import ray  # the suite skips, saying why, where Ray is not installed

    listed = ray.util.list_named_actors(all_namespaces=True)
    return len([a for a in listed if a["namespace"] == namespace])


def lines(path: Path) -> list[str]:
    return path.read_text().split() if path.exists() else []


def test_sheets_run_only_on_nodes_that_offer_their_instrument(
    ray_cluster: LoopbackCluster,
    conductors: Conductors,
    write_score: Callable[..., Path],
    tmp_path: Path,
) -> None:
    # `cli` is placed by `instrument:cli` (the default), the fake agent by `instrument:fake`.
    conductor = conductors(on_ray(ray_cluster, **{"fake-agent": "instrument:fake"}))
    score = write_score("""
        name: placed
        workspace: ./ws
        instrument: cli
        pause_between_sheets_seconds: 0
        parallel: {enabled: true, max_concurrent: 4}
        sheet:
          size: 1
          total_items: 4
          dependencies: {1: []}  # all at once
          instrument_map: {fake-agent: [2, 4]}
        prompt:
          template: |
            {% if instrument_name == "cli" %}echo "$PODIUM_RAY_NODE" > node-{{ sheet_num }}
            {% else %}FAKE-AGENT: write out-{{ sheet_num }}.md words=5{% endif %}
    """)
    job = conductor.submit(score)
    conductor.wait_for_job(job, "completed", timeout=120)
    ws = tmp_path / "ws"
    cli_node, fake_node = ray_cluster.node_ids["cli"], ray_cluster.node_ids["fake"]
    assert [lines(ws / f"node-{n}") for n in (1, 3)] == [[cli_node], [cli_node]]
    for sheet in (2, 4):
        assert (ws / f"out-{sheet}.md").exists()
        assert f"job {job} sheet {sheet} attempt 1 started on fake-agent" in conductor.log
    started = [line for line in conductor.log.splitlines() if "started on fake-agent" in line]
    assert len(started) == 2
    assert all(f"on Ray node {fake_node[:12]}" in line for line in started)


def test_conductor_status_shows_the_nodes_what_they_offer_and_the_attempts_on_each(
    ray_cluster: LoopbackCluster,
    conductors: Conductors,
    write_score: Callable[..., Path],
    tmp_path: Path,
) -> None:
    config = on_ray(ray_cluster, **{"fake-agent": "instrument:fake"})
    conductor = conductors(config)
    job = conductor.submit(
        write_score("""
        name: shown
        workspace: ./ws
        instrument: cli
        sheet: {size: 1, total_items: 1}
        prompt: {template: "while [ ! -e go ]; do sleep 0.05; done"}
    """)
    )
    cli_node, fake_node = ray_cluster.node_ids["cli"], ray_cluster.node_ids["fake"]

    def executor() -> dict[str, Any]:
        shown = conductor.podium("conductor-status", "--json")
        assert shown.returncode == 0, shown.stderr
        found: dict[str, Any] = json.loads(shown.stdout)["executor"]
        return found

    def attempts_on(node: str) -> int | None:
        return {n["node_id"]: n["attempts"] for n in executor()["nodes"]}.get(node)

    conductor.wait_until(lambda: attempts_on(cli_node) == 1, 120, "the sheet to run on cli")
    found = executor()
    assert (found["type"], found["address"], found["running"], found["error"]) == (
        "ray",
        ray_cluster.address,
        1,
        None,
    )
    assert found["namespace"] == config["executor"]["namespace"]
    nodes = {n["node_id"]: n for n in found["nodes"]}
    assert set(nodes) == {cli_node, fake_node}
    offers = {i: (n["instruments"], n["resources"], n["attempts"]) for i, n in nodes.items()}
    # `instrument:both` is the resource of no instrument this conductor knows: shown as it is.
    assert offers == {
        cli_node: (["cli"], ["instrument:both"], 1),
        fake_node: (["fake-agent"], ["instrument:both"], 0),
    }
    assert all(n["alive"] and n["cpu_total"] and n["memory_total_mb"] for n in nodes.values())
    text = conductor.podium("conductor-status").stdout
    assert f"executor        ray at {ray_cluster.address}" in text
    assert f"node {cli_node[:12]} " in text and "offers cli, instrument:both · 1 attempt" in text
    (tmp_path / "ws" / "go").touch()
    conductor.wait_for_job(job, "completed", timeout=120)
    conductor.wait_until(lambda: attempts_on(cli_node) == 0, 30, "the node's attempt to end")


def test_a_sheet_whose_instrument_no_node_offers_fails_saying_what_to_start(
    ray_cluster: LoopbackCluster, conductors: Conductors, write_score: Callable[..., Path]
) -> None:
    conductor = conductors(on_ray(ray_cluster, cli="instrument:nowhere"))
    score = write_score("""
        name: unplaced
        workspace: ./ws
        instrument: cli
        retry: {max_retries: 3, base_delay_seconds: 600, max_completion_attempts: 0}
        sheet: {size: 1, total_items: 1}
        prompt: {template: "true"}
    """)
    job = conductor.submit(score)
    done = conductor.wait_for_job(job, "failed", timeout=60)
    error = done["sheets"][0]["error"] or ""
    assert "no live node of the Ray cluster offers instrument 'cli'" in error
    assert "ray start --address HEAD:6379 --resources '{\"instrument:nowhere\": 8}'" in error
    # Retrying would not help: the three retries (ten minutes apart) are not waited for.
    assert done["sheets"][0]["attempts"] == 1


COUNTING = """\
    name: wide
    workspace: ./ws
    instrument: cli
    pause_between_sheets_seconds: 0
    parallel: {enabled: true, max_concurrent: 8}
    sheet: {size: 1, total_items: 8, dependencies: {1: []}}  # all at once
    prompt:
      template: |
        echo "$PODIUM_RAY_NODE" >> nodes
        touch alive-{{ sheet_num }}
        ls alive-* | wc -l >> peers
        while [ ! -e go ]; do sleep 0.05; done
        rm alive-{{ sheet_num }}
"""


def test_the_conductors_cap_holds_across_the_nodes(
    ray_cluster: LoopbackCluster,
    conductors: Conductors,
    write_score: Callable[..., Path],
    tmp_path: Path,
) -> None:
    config = {**on_ray(ray_cluster, cli="instrument:both"), "max_concurrent_sheets": 3}
    namespace = config["executor"]["namespace"]
    conductor = conductors(config)
    job = conductor.submit(write_score(COUNTING))
    ws = tmp_path / "ws"

    def alive() -> int:
        return len(list(ws.glob("alive-*")))

    conductor.wait_until(lambda: alive() == 3, 120, "three sheets to run")
    # Eight sheets are ready; the conductor placed three on the cluster and holds the rest.
    assert actors(namespace) == 3
    statuses = [s["status"] for s in conductor.status(job)["sheets"]]
    assert statuses.count("running") == 3
    (ws / "go").touch()
    conductor.wait_for_job(job, "completed", timeout=180)
    peers = [int(n) for n in lines(ws / "peers")]
    assert len(peers) == 8
    assert max(peers) == 3  # three at once, never more
    assert set(lines(ws / "nodes")) == set(ray_cluster.node_ids.values())
    conductor.wait_until(
        lambda: actors(namespace) == 0, 30, "every actor to go once its attempt ended"
    )


STUBBORN = """\
    name: stubborn
    workspace: ./ws
    instrument: cli
    pause_between_sheets_seconds: 0
    parallel: {enabled: true, max_concurrent: 4}
    sheet: {size: 1, total_items: 4, dependencies: {1: []}}  # all at once
    prompt:
      template: |
        bash -c 'trap "" TERM; echo $$ > child-{{ sheet_num }}.pid; sleep 3600' &
        trap "" TERM
        echo $$ > leader-{{ sheet_num }}.pid
        echo "$PODIUM_RAY_NODE" >> nodes
        sleep 3600
"""


def test_a_cancel_leaves_no_process_on_any_node(
    ray_cluster: LoopbackCluster,
    conductors: Conductors,
    write_score: Callable[..., Path],
    tmp_path: Path,
) -> None:
    conductor = conductors(on_ray(ray_cluster, cli="instrument:both"))
    job = conductor.submit(write_score(STUBBORN))
    ws = tmp_path / "ws"

    def pids() -> list[int]:
        return [int(p.read_text()) for p in ws.glob("*.pid") if p.read_text().strip()]

    conductor.wait_until(lambda: len(pids()) == 8, 120, "every sheet and its child to start")
    assert set(lines(ws / "nodes")) == set(ray_cluster.node_ids.values())
    # A process runs a moment before the actor's answer records its group.
    groups = [conductor.wait_for_recorded_attempt(n, timeout=60)[1] for n in (1, 2, 3, 4)]
    conductor.request(JOB_CANCEL({"job_id": job}))
    conductor.wait_for_job(job, "cancelled", timeout=60)

    def left() -> list[int]:
        return [g for g in groups if group_exists(g)] + [p for p in pids() if processes.running(p)]

    # SIGTERM is ignored: SIGKILL follows the kill grace (1 s).
    conductor.wait_until(lambda: not left(), 30, "every process of the cancelled sheets to end")
    rows = conductor.query("SELECT outcome FROM attempts")
    assert rows == [("stopped",)] * 4, rows


REATTACHED = """\
    name: outlived
    workspace: ./ws
    instrument: cli
    pause_between_sheets_seconds: 0
    parallel: {enabled: true, max_concurrent: 4}
    sheet: {size: 1, total_items: 4, dependencies: {1: []}}  # all at once
    prompt:
      template: |
        echo run >> runs-{{ sheet_num }}
        while [ ! -e go ]; do sleep 0.05; done
"""


def test_attempts_outlive_a_killed_conductor_and_are_reattached_not_rerun(
    ray_cluster: LoopbackCluster,
    conductors: Conductors,
    write_score: Callable[..., Path],
    tmp_path: Path,
) -> None:
    config = on_ray(ray_cluster, cli="instrument:both")
    first = conductors(config)
    job = first.submit(write_score(REATTACHED))
    ws = tmp_path / "ws"
    first.wait_until(lambda: len(list(ws.glob("runs-*"))) == 4, 120, "every sheet to start")
    # A process runs a moment before the actor's answer records its group.
    groups = [first.wait_for_recorded_attempt(n, timeout=60)[1] for n in (1, 2, 3, 4)]
    assert first.kill(signal.SIGKILL) == -signal.SIGKILL
    assert all(group_exists(g) for g in groups)  # they run on

    second = conductors(config)
    second.wait_until(lambda: "re-attached 4 attempt(s)" in second.log, 60, "the re-attach")
    (ws / "go").touch()
    done = second.wait_for_job(job, "completed", timeout=120)
    assert [lines(ws / f"runs-{n}") for n in (1, 2, 3, 4)] == [["run"]] * 4
    assert [s["attempts"] for s in done["sheets"]] == [1, 1, 1, 1]
    assert second.query("SELECT outcome FROM attempts") == [("succeeded",)] * 4
    namespace = config["executor"]["namespace"]
    second.wait_until(lambda: actors(namespace) == 0, 30, "every actor to go")


def test_a_ray_address_where_nothing_answers_stops_the_start_with_a_way_out(
    ray_cluster: LoopbackCluster, tmp_path: Path
) -> None:
    address = f"127.0.0.1:{free_port()}"
    config = {"executor": {"type": "ray", "address": address}}
    conductor = ConductorProcess(tmp_path / "home", config)
    # Exit 4: a service starts it again, until a head answers there.
    with pytest.raises(RuntimeError, match="the conductor exited with 4"):
        conductor.start(timeout=60)
    assert f"no Ray cluster answers at executor.address {address}" in conductor.log
    assert "ray start --head" in conductor.log


def test_an_attempt_whose_actor_was_lost_meanwhile_runs_again_without_spending_its_budget(
    ray_cluster: LoopbackCluster,
    conductors: Conductors,
    write_score: Callable[..., Path],
    tmp_path: Path,
) -> None:
    config = on_ray(ray_cluster, cli="instrument:both")
    namespace = config["executor"]["namespace"]
    first = conductors(config)
    score = write_score("""
        name: lost
        workspace: ./ws
        instrument: cli
        retry: {max_retries: 0, max_completion_attempts: 0}
        sheet: {size: 1, total_items: 1}
        prompt:
          template: |
            echo run >> runs
            while [ ! -e go ]; do sleep 0.05; done
    """)
    job = first.submit(score)
    ws = tmp_path / "ws"
    first.wait_until((ws / "runs").exists, 120, "the sheet to start")
    assert first.kill(signal.SIGKILL) == -signal.SIGKILL
    # Its actor is lost while no conductor runs (as with its node): nothing records an end.
    import ray

    ray.kill(ray.get_actor(f"{job}/1/1", namespace=namespace), no_restart=True)

    second = conductors(config)
    # Whatever was left of the attempt is stopped, and it runs again.
    second.wait_until(lambda: len(lines(ws / "runs")) == 2, 120, "the sheet to run again")
    (ws / "go").touch()
    done = second.wait_for_job(job, "completed", timeout=120)
    rows = second.query("SELECT attempt, outcome FROM attempts ORDER BY attempt")
    assert rows == [(1, "interrupted"), (2, "succeeded")]
    assert lines(ws / "runs") == ["run", "run"]
    assert done["sheets"][0]["status"] == "completed"


def test_a_conductor_on_ray_still_stops_cleanly_on_sigterm(
    ray_cluster: LoopbackCluster, conductors: Conductors
) -> None:
    # Ray sets a SIGTERM handler of its own in a driver; the conductor's must stay in force.
    conductor = conductors(on_ray(ray_cluster))
    assert conductor.kill(signal.SIGTERM) == 0
    assert "stopped" in conductor.log.splitlines()[-1]
