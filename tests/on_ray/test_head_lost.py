"""A Ray cluster that loses its head while the conductor runs: the conductor stops, saying
why, and nothing is lost; started again once the cluster is back, it runs again the attempt
lost with the cluster, without spending its retries, and nothing runs twice."""

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from podium.testing.conductor import ConductorProcess, kill_leftovers
from podium.testing.ray_cluster import LoopbackCluster, free_port
from tests.conftest import need_ray, ray_folder
from tests.on_ray.test_conductor_on_ray import lines, on_ray

pytestmark = pytest.mark.ray

NODES = {"head": {"instrument:cli": 8.0}}


@pytest.fixture
def folder() -> Iterator[Path]:
    need_ray()
    found = ray_folder()
    yield found
    shutil.rmtree(found, ignore_errors=True)


def test_a_lost_head_stops_the_conductor_and_its_attempt_runs_again_once_it_is_back(
    conductors: Callable[..., ConductorProcess],
    write_score: Callable[..., Path],
    tmp_path: Path,
    folder: Path,
) -> None:
    runs = tmp_path / "ws" / "runs"
    # The first run waits (for good); the second ends at once.
    score = write_score(f"""
        name: headless
        workspace: ./ws
        instrument: cli
        retry: {{max_retries: 0, max_completion_attempts: 0}}
        sheet: {{size: 1, total_items: 1}}
        prompt:
          template: |
            echo "$PODIUM_RAY_NODE" >> {runs}
            [ "$(wc -l < {runs})" -ge 2 ] || exec sleep 600
    """)
    port = free_port()
    with LoopbackCluster(folder / "first", NODES, port=port) as first:
        config = on_ray(first)
        conductor = conductors(config)
        job = conductor.submit(score)
        conductor.wait_until(lambda: len(lines(runs)) == 1, 60, "the first run")
    # The head is gone: within Ray's minute, the conductor stops itself, saying why.
    assert conductor.process is not None
    assert conductor.process.wait(timeout=90) == 4  # a service starts it again
    assert "has not answered for" in conductor.log
    assert conductor.log.count("the conductor stops (nothing is lost)") == 1  # said once
    # The attempt went with its node: nothing of it is left to run alongside its retry.
    assert kill_leftovers(conductor.home / "jobs") == 0

    with LoopbackCluster(folder / "second", NODES, port=port) as second:
        again = conductors(config, home=conductor.home)
        again.wait_for_job(job, "completed", timeout=120)
        assert len(lines(runs)) == 2  # run once per cluster, never twice at once
        assert lines(runs)[1] == second.node_ids["head"]
    # Lost with the head, then (maybe) waiting for a node, then run on the new cluster: with
    # max_retries 0, a spent retry would have failed the sheet.
    *interrupted, last = again.query("SELECT outcome, error FROM attempts ORDER BY attempt")
    assert last[0] == "succeeded"
    assert interrupted and {outcome for outcome, _ in interrupted} == {"interrupted"}
    # Told by the first conductor when it saw the actor die before the head went silent,
    # else by the next one, which finds no actor where the attempt ran.
    lost = ("lost with the node that ran it", "stopped with the conductor, its machine or the node")
    assert any(reason in interrupted[0][1] for reason in lost), interrupted[0][1]
