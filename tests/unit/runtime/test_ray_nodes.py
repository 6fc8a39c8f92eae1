"""The Ray cluster's nodes as the conductor shows them: what each offers, its load, and how
old the reading is, or why it may be out of date (read from fake node states, no cluster)."""

import threading
from collections.abc import Iterator

from podium.config import ExecutorConfig
from podium.runtime.executors.base import NodeDescription
from podium.runtime.executors.ray.cluster import NodeState
from podium.runtime.executors.ray.nodes import (
    SILENT_SECONDS,
    NodeWatch,
    Reading,
    describe,
    offered,
)

GB = 1024.0**3
SETTINGS = ExecutorConfig(
    type="ray", address="head:6379", resources={"claude-code": "gpu-box", "unused": "nowhere"}
)


def state(
    node_id: str,
    total: dict[str, float],
    available: dict[str, float] | None = None,
    *,
    alive: bool = True,
    address: str = "10.0.0.1",
) -> NodeState:
    return NodeState(node_id, address, alive, total, available)


def test_a_node_offers_the_known_instruments_whose_resource_it_declares() -> None:
    resources = {
        "CPU": 8.0,
        "instrument:cli": 8.0,
        "gpu-box": 1.0,  # claude-code's resource, by conductor.yaml
        "instrument:claude-code": 8.0,  # the default one, which claude-code no longer uses
        "instrument:mystery": 4.0,  # no instrument known by that name
        "instrument:gone": 0.0,  # declared as none
    }
    known = ["cli", "claude-code", "fake-agent", "unused"]
    assert offered(resources, known, SETTINGS.resource) == (
        ("claude-code", "cli"),
        ("instrument:claude-code", "instrument:mystery"),
    )


def test_a_node_offering_nothing_known() -> None:
    assert offered({"CPU": 2.0, "memory": GB}, ["cli"], SETTINGS.resource) == ((), ())


def test_the_description_has_each_node_its_attempts_and_what_its_tasks_hold() -> None:
    reading = Reading(
        nodes=(
            state("dead", {"CPU": 4.0}, None, alive=False, address="10.0.0.9"),
            state(
                "b" * 56,
                {"CPU": 8.0, "memory": 16 * GB, "instrument:cli": 8.0},
                # Ray leaves out a resource wholly held: here every CPU.
                {"memory": 12 * GB, "instrument:cli": 7.9},
                address="10.0.0.2",
            ),
            state("a" * 56, {"CPU": 2.0, "instrument:fake-agent": 1.0}, {"CPU": 2.0}),
        ),
        instruments=("cli", "fake-agent"),
        read_at=100.0,
    )
    found = describe(
        reading,
        103.5,
        settings=SETTINGS,
        namespace="podium",
        running=3,
        on={"b" * 56: 2, "a" * 56: 1},
    )
    assert (found.type, found.address, found.namespace, found.running) == (
        "ray",
        "head:6379",
        "podium",
        3,
    )
    assert (found.nodes_age_seconds, found.error) == (3.5, None)
    assert found.nodes == (
        NodeDescription("a" * 56, "10.0.0.1", True, ("fake-agent",), (), 1, 0.0, 2.0),
        NodeDescription("b" * 56, "10.0.0.2", True, ("cli",), (), 2, 8.0, 8.0, 4096.0, 16384.0),
        NodeDescription("dead", "10.0.0.9", False, (), (), 0, None, 4.0),
    )


def test_nodes_never_read_have_no_age() -> None:
    found = describe(Reading(), 5.0, settings=SETTINGS, namespace="n", running=0, on={})
    assert (found.nodes, found.nodes_age_seconds, found.error) == ((), None, None)


def test_a_reading_that_failed_keeps_the_last_nodes_and_says_why() -> None:
    now = [10.0]
    answers: Iterator[list[NodeState]] = iter([[state("a", {"CPU": 1.0})]])

    def read() -> list[NodeState]:
        for answer in answers:
            return answer
        raise ConnectionError("GCS at head:6379 is gone")

    watch = NodeWatch(read, lambda: ["cli"], lambda: now[0])
    watch.refresh()
    now[0] = 15.0
    watch.refresh()
    found = describe(watch.reading, 16.0, settings=SETTINGS, namespace="n", running=0, on={})
    assert [n.node_id for n in found.nodes] == ["a"]
    assert found.nodes_age_seconds == 6.0
    assert found.error == "ConnectionError: GCS at head:6379 is gone"
    # The next reading that works clears it.
    answers = iter([[state("b", {"CPU": 1.0})]])
    watch.refresh()
    found = describe(watch.reading, 16.0, settings=SETTINGS, namespace="n", running=0, on={})
    assert ([n.node_id for n in found.nodes], found.error) == (["b"], None)


def test_a_reading_that_does_not_end_is_said_once_it_has_waited_too_long() -> None:
    reading = Reading(nodes=(state("a", {}),), read_at=50.0, asking_since=55.0)
    waited = describe(
        reading, 55.0 + SILENT_SECONDS - 1, settings=SETTINGS, namespace="n", running=0, on={}
    )
    assert waited.error is None
    silent = describe(
        reading, 55.0 + SILENT_SECONDS, settings=SETTINGS, namespace="n", running=0, on={}
    )
    assert (
        silent.error
        == f"the cluster has not answered for {SILENT_SECONDS:.0f}s (asked for its nodes)"
    )
    assert [n.node_id for n in silent.nodes] == ["a"]


def test_the_watch_reads_in_its_own_thread_until_stopped() -> None:
    asked = threading.Event()
    threads: list[str] = []

    def read() -> list[NodeState]:
        threads.append(threading.current_thread().name)
        asked.set()
        return [state("a", {"CPU": 1.0})]

    watch = NodeWatch(read, list, lambda: 1.0, every=3600)
    watch.start()
    assert asked.wait(10)
    watch.stop()
    assert threads == ["ray nodes"]
    assert [n.node_id for n in watch.reading.nodes] == ["a"]
