"""The check at submission that the nodes running a job's attempts see its folders
(`podium.runtime.executors.ray.reach`): on the loopback cluster, whose nodes share this
machine's filesystem, and what a node finds when they do not."""

from collections.abc import Callable
from pathlib import Path

import pytest

from podium.domain.errors import UserError
from podium.testing.conductor import ConductorProcess
from podium.testing.ray_cluster import LoopbackCluster
from tests.on_ray.test_conductor_on_ray import on_ray

pytestmark = pytest.mark.ray

BOTH = {"cli": "instrument:cli", "fake-agent": "instrument:fake"}


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".podium-reach-"))


def test_folders_every_node_sees_pass_and_leave_nothing_behind(
    ray_cluster: LoopbackCluster, tmp_path: Path
) -> None:
    from podium.runtime.executors.ray.reach import Reach

    workspace, state = tmp_path / "ws" / "deep", tmp_path / "state"
    state.mkdir()
    Reach().check({"workspace": workspace, "state folder": state}, BOTH)
    assert workspace.is_dir()  # made, as the first attempt would
    assert leftovers(workspace) == leftovers(state) == []


def test_a_node_that_saw_a_folder_is_not_asked_again_for_a_while(
    ray_cluster: LoopbackCluster, tmp_path: Path
) -> None:
    from podium.runtime.executors.ray.reach import Reach

    reach, workspace = Reach(), tmp_path / "ws"
    reach.check({"workspace": workspace}, BOTH)
    workspace.rmdir()
    reach.check({"workspace": workspace}, BOTH)
    assert not workspace.exists()  # no marker written: nothing was asked
    # A node not asked yet (only `fake` offers the fake agent, both `cli`) is asked.
    reach.check({"workspace": tmp_path / "other"}, {"fake-agent": "instrument:fake"})
    assert (tmp_path / "other").is_dir()


def test_nodes_that_do_not_answer_in_time_refuse_the_job_naming_them(
    ray_cluster: LoopbackCluster, tmp_path: Path
) -> None:
    from podium.runtime.executors.ray.reach import Reach

    with pytest.raises(UserError) as refused:
        Reach(answer_seconds=0.0).check({"workspace": tmp_path / "ws"}, BOTH)
    message = str(refused.value)
    for node in ray_cluster.node_ids.values():
        assert f"Ray node {node[:12]} (127.0.0.1) did not answer" in message
    assert "cli (instrument:cli), fake-agent (instrument:fake)" in message
    assert "docs/ray.md, 'Shared folders'" in message
    assert leftovers(tmp_path / "ws") == []


def test_nodes_that_offer_none_of_the_instruments_are_not_asked(
    ray_cluster: LoopbackCluster, tmp_path: Path
) -> None:
    from podium.runtime.executors.ray.reach import Reach

    Reach(answer_seconds=0.0).check({"workspace": tmp_path / "ws"}, {"x": "instrument:nowhere"})
    assert not (tmp_path / "ws").exists()


def test_a_folder_the_conductor_cannot_write_in_is_refused_before_any_node_is_asked(
    ray_cluster: LoopbackCluster, tmp_path: Path
) -> None:
    from podium.runtime.executors.ray.reach import Reach

    (tmp_path / "file").write_text("")
    with pytest.raises(UserError, match=r"cannot write in the workspace .*/file/ws: File exists"):
        Reach().check({"workspace": tmp_path / "file" / "ws"}, BOTH)


def test_what_a_node_finds_when_it_does_not_share_the_folder(tmp_path: Path) -> None:
    from podium.runtime.executors.ray.reach import Marker, look

    shared = Marker("workspace", str(tmp_path / "a"), "1234")
    (tmp_path / "a").mkdir()
    shared.path.write_text("1234")
    elsewhere = Marker("workspace", str(tmp_path / "b"), "5678")  # never written here
    other = Marker("state folder", str(tmp_path / "a"), "9abc")
    other.path.write_text("another folder's word")
    unwritable = Marker("workspace", str(tmp_path / "a"), "def0")
    unwritable.path.write_text("def0")
    unwritable.answer("node").mkdir()  # where its answer goes is taken

    found = look([shared, elsewhere, other, unwritable], "node")

    assert found[0] is None and shared.answer("node").read_text() == "node"
    assert found[1] is not None and found[1].startswith(f"cannot read {elsewhere.path}: No such")
    assert found[2] == f"{other.path} holds something else there: another folder at that path"
    assert found[3] is not None and found[3].startswith(f"cannot write in {tmp_path / 'a'}: ")


def test_a_conductor_on_ray_refuses_a_job_whose_workspace_it_cannot_check(
    ray_cluster: LoopbackCluster,
    conductors: Callable[..., ConductorProcess],
    write_score: Callable[..., Path],
    tmp_path: Path,
) -> None:
    conductor = conductors(on_ray(ray_cluster))
    (tmp_path / "file").write_text("")
    score = write_score("""
        name: nowhere
        workspace: ./file/ws
        instrument: cli
        sheet: {size: 1, total_items: 1}
        prompt: {template: "true"}
    """)
    refused = conductor.podium("run", str(score))
    assert refused.returncode != 0
    assert "cannot write in the workspace" in refused.stderr, refused.stderr
    assert conductor.podium("list", "--json").stdout.count('"job_id"') == 0
    # A score whose workspace the nodes see is taken.
    fine = write_score(
        """
        name: somewhere
        workspace: ./ws
        instrument: cli
        sheet: {size: 1, total_items: 1}
        prompt: {template: "true"}
    """,
        "fine.yaml",
    )
    conductor.wait_for_job(conductor.submit(fine), "completed", timeout=120)
