"""A worker node lost while the conductor runs: the attempt it ran is stopped with its actor,
recorded interrupted, and runs again on a node that still offers its instrument, its budget
untouched.

A cluster of its own (the session's would lose a node the other tests use): a head that
offers no instrument, and nodes `x` and `y` that both offer `instrument:both`.
"""

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from podium.host import processes
from podium.ipc.methods import DAEMON_STATUS
from podium.runtime.process import group_exists
from podium.testing.conductor import ConductorProcess
from podium.testing.ray_cluster import LoopbackCluster
from tests.conftest import need_ray, ray_folder
from tests.files import written
from tests.on_ray.test_conductor_on_ray import lines, on_ray

pytestmark = pytest.mark.ray


@pytest.fixture
def lossy_cluster() -> Iterator[LoopbackCluster]:
    need_ray()
    folder = ray_folder()
    nodes = {"head": {}, "x": {"instrument:both": 100.0}, "y": {"instrument:both": 100.0}}
    with LoopbackCluster(folder, nodes) as cluster:
        yield cluster
    shutil.rmtree(folder, ignore_errors=True)


LOST = """\
    name: lost-node
    workspace: ./ws
    instrument: cli
    retry: {max_retries: 0, max_completion_attempts: 0}
    sheet: {size: 1, total_items: 1}
    prompt:
      template: |
        echo "$PODIUM_RAY_NODE" >> nodes
        sleep 3600 &
        echo $! > child-$PODIUM_RAY_NODE.pid
        echo $$ > leader-$PODIUM_RAY_NODE.pid
        # The first run waits until it is stopped; the second one succeeds.
        if [ "$(wc -l < nodes)" -gt 1 ]; then exit 0; fi
        while :; do sleep 0.05; done
"""


def test_an_attempt_on_a_lost_node_stops_and_runs_again_on_another_without_spending_budget(
    lossy_cluster: LoopbackCluster,
    conductors: Callable[..., ConductorProcess],
    write_score: Callable[..., Path],
    tmp_path: Path,
) -> None:
    conductor = conductors(on_ray(lossy_cluster, cli="instrument:both"))
    job = conductor.submit(write_score(LOST))
    ws = tmp_path / "ws"
    conductor.wait_until(
        lambda: any(map(written, ws.glob("leader-*.pid"))), 120, "the sheet to start"
    )
    [first] = lines(ws / "nodes")
    [lost] = [name for name, node in lossy_cluster.node_ids.items() if node == first]
    leader = int((ws / f"leader-{first}.pid").read_text())
    child = int((ws / f"child-{first}.pid").read_text())
    _, pgid = conductor.wait_for_recorded_attempt(1, timeout=60)
    assert group_exists(pgid) and processes.running(child)

    lossy_cluster.remove(lost)

    done = conductor.wait_for_job(job, "completed", timeout=120)
    [(outcome, error), succeeded] = conductor.query(
        "SELECT outcome, error FROM attempts ORDER BY attempt"
    )
    assert outcome == "interrupted"
    assert "lost with the node that ran it" in error and "it runs again" in error
    assert succeeded == ("succeeded", None)
    # It ran again on the node that still offers its instrument: retries 0, budget unspent.
    again = lossy_cluster.node_ids["y" if lost == "x" else "x"]
    assert lines(ws / "nodes") == [first, again]
    assert done["sheets"][0]["attempts"] == 2
    # The first attempt did not run on unwatched: its group went with its node's actor.
    conductor.wait_until(
        lambda: not group_exists(pgid) and not processes.running(child),
        30,
        "the lost attempt's processes to end",
    )
    assert not processes.running(leader)

    # Now no node offers the instrument, which one did a moment ago: a new sheet waits for
    # one to come back (as after a lost head), rather than fail.
    lossy_cluster.remove("y" if lost == "x" else "x")

    def alive() -> int:
        shown = conductor.request(DAEMON_STATUS({})).get("executor")
        return sum(node["alive"] for node in shown["nodes"]) if shown else -1

    conductor.wait_until(lambda: alive() == 1, 60, "only the head to be seen alive")
    waiting = conductor.submit(write_score(LOST.replace("lost-node", "waits"), "waits.yaml"))
    conductor.wait_until(
        lambda: conductor.status(waiting)["sheets"][0]["status"] == "waiting", 60, "a wait"
    )
    sheet = conductor.status(waiting)["sheets"][0]
    assert sheet["last_attempt"] is not None
    assert sheet["last_attempt"]["outcome"] == "interrupted"
    assert "no live node of the Ray cluster offers instrument 'cli'" in (sheet["error"] or "")
    assert "it tries again in 15s, its retries untouched" in (sheet["error"] or "")
