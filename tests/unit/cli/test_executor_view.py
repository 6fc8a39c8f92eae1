"""Where the attempts run, in words: the executor's line and each Ray node's."""

from podium.cli.executor_view import executor_line, node_line
from podium.ipc.schema import ExecutorInfo, NodeInfo

NODE_ID = "3f2a1b2c4d5e" + "0" * 44


def node(**changed: object) -> NodeInfo:
    found: NodeInfo = {
        "node_id": NODE_ID,
        "address": "10.0.0.2",
        "alive": True,
        "instruments": ["claude-code", "cli"],
        "resources": ["instrument:gpu"],
        "attempts": 2,
        "cpu": 1.5,
        "cpu_total": 8.0,
        "memory_mb": 3072.0,
        "memory_total_mb": 16384.0,
    }
    return {**found, **changed}  # type: ignore[typeddict-item]


def ray(**changed: object) -> ExecutorInfo:
    found: ExecutorInfo = {
        "type": "ray",
        "running": 3,
        "address": "head:6379",
        "namespace": "podium",
        "nodes": [node(), node(node_id="dead", alive=False, attempts=0)],
        "nodes_age_seconds": 2.0,
        "error": None,
    }
    return {**found, **changed}  # type: ignore[typeddict-item]


def test_the_local_executor_is_this_machine_and_its_attempts() -> None:
    local: ExecutorInfo = {
        "type": "local",
        "running": 1,
        "address": "",
        "namespace": "",
        "nodes": [],
        "nodes_age_seconds": None,
        "error": None,
    }
    assert executor_line(local) == "local (this machine): 1 attempt running"


def test_a_ray_executor_names_its_cluster_and_how_fresh_its_nodes_are() -> None:
    assert executor_line(ray()) == (
        "ray at head:6379 (namespace podium): 3 attempts running; 1 node(s) alive of 2, read 2s ago"
    )
    assert executor_line(ray(nodes=[], nodes_age_seconds=None)) == (
        "ray at head:6379 (namespace podium): 3 attempts running; nodes not read yet"
    )


def test_a_cluster_that_stopped_answering_says_so() -> None:
    line = executor_line(ray(error="the cluster has not answered for 20s (asked for its nodes)"))
    assert line.endswith("read 2s ago; the cluster has not answered for 20s (asked for its nodes)")


def test_a_node_line_says_what_it_offers_and_its_load() -> None:
    assert node_line(node()) == (
        "3f2a1b2c4d5e 10.0.0.2 alive · offers claude-code, cli, instrument:gpu · "
        "2 attempts · CPU 1.5/8 · memory 3.0/16.0 GB"
    )


def test_what_ray_does_not_say_is_a_question_mark() -> None:
    dead = node(
        alive=False,
        address="",
        instruments=[],
        resources=[],
        attempts=1,
        cpu=None,
        memory_mb=None,
        memory_total_mb=None,
    )
    assert node_line(dead) == (
        "3f2a1b2c4d5e ? dead · offers no instrument · 1 attempt · CPU ?/8 · memory ?"
    )
