"""The tether of a Ray attempt, without Ray: the attempt's process group is stopped once the
process that started the tether dies, and the tether ends by itself once the group is gone."""

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from podium.host import processes
from podium.runtime.executors.ray.tether import start_tether
from podium.runtime.exits import until_gone
from podium.runtime.process import group_exists, read_exit_file, spawn, stop_group, wait_group_gone

HOLDER = """
import sys, time
from pathlib import Path
from podium.runtime.executors.ray.tether import start_tether
from podium.runtime.process import spawn

folder = Path(sys.argv[1])
held = start_tether(grace=0.5)
if sys.argv[2] == "attempt":
    # The attempt and a grandchild in its group, both ignoring SIGTERM.
    script = "trap '' TERM; sleep 300 & echo $! > grandchild; wait"
    child = spawn(
        ["/bin/sh", "-c", script],
        cwd=folder,
        stdout=folder / "out",
        stderr=folder / "err",
        exit_file=folder / "exit",
    )
    held.hold(child)
    while not (folder / "grandchild").exists() or not (folder / "grandchild").read_text():
        time.sleep(0.01)
    print(child.info.pgid, held.pid(), flush=True)
else:
    print(0, held.pid(), flush=True)
time.sleep(600)
"""
"""Stands for the actor's worker process: starts a tether, then (with `attempt`) an attempt
that it holds, says their process group and pid, and waits."""


def held_by_a_holder(folder: Path, mode: str) -> tuple[int, int]:
    """Start a holder, then kill it once it says (attempt's group, tether's pid). With an
    attempt, its grandchild is in its group (looked at before the kill: a moment after it,
    the tether stops the group)."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(folder), mode], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None
        pgid, tether = (int(word) for word in holder.stdout.readline().split())
        assert processes.running(tether)
        if mode == "attempt":
            assert os.getpgid(int((folder / "grandchild").read_text())) == pgid
    finally:
        holder.kill()
        holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()
    return pgid, tether


def gone(pgid: int) -> bool:
    return asyncio.run(wait_group_gone(pgid, 60.0))


def ended(pid: int) -> bool:
    async def wait() -> bool:
        await asyncio.wait_for(until_gone(pid), 60.0)
        return True

    return asyncio.run(wait())


def test_the_attempt_is_stopped_once_the_process_that_started_its_tether_dies(
    tmp_path: Path,
) -> None:
    pgid, tether = held_by_a_holder(tmp_path, "attempt")
    assert gone(pgid), "the attempt's group outlived the death of its tether's holder"
    assert read_exit_file(tmp_path / "exit") is None  # killed: no ending recorded
    assert ended(tether)


def test_a_tether_whose_holder_dies_before_any_attempt_ends(tmp_path: Path) -> None:
    _, tether = held_by_a_holder(tmp_path, "none")
    assert ended(tether)


def test_the_tether_ends_once_the_attempt_has_ended(tmp_path: Path) -> None:
    async def main() -> None:
        held = start_tether()
        child = spawn(["sleep", "300"], cwd=tmp_path, stdout=tmp_path / "o", stderr=tmp_path / "e")
        held.hold(child)
        try:
            await stop_group(child.info.pgid, 5.0, leader=child)
            # This process lives on, holding the pipe: the tether ends because the group did.
            await asyncio.wait_for(until_gone(held.pid()), 60.0)
        finally:
            held.release()

    asyncio.run(main())


def test_an_attempt_whose_tether_is_gone_does_not_run(tmp_path: Path) -> None:
    held = start_tether()
    os.kill(held.pid(), signal.SIGKILL)
    assert ended(held.pid())
    child = spawn(["sleep", "300"], cwd=tmp_path, stdout=tmp_path / "o", stderr=tmp_path / "e")
    with pytest.raises(OSError, match="the attempt's tether is gone"):
        held.hold(child)
    held.release()
    assert child.popen.wait(60.0) == -signal.SIGKILL
    assert not group_exists(child.info.pgid)
