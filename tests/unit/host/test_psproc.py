"""The portable process table (psutil) answers as /proc does, start stamps included, so a
stamp recorded one way is compared with one read the other way."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from podium.host import procfs, psproc
from podium.host.psproc import start_stamp

ON_PROCFS = pytest.mark.skipif(
    not Path("/proc/self/stat").is_file(), reason="compares with /proc, which is Linux's"
)


def test_a_stamp_is_ticks_since_boot_on_linux_and_microseconds_since_the_epoch_elsewhere() -> None:
    assert start_stamp(1_000_012.34, 1_000_000.0, linux=True, ticks=100) == 1234
    assert start_stamp(1_800_000_000.000001, 0.0, linux=False) == 1_800_000_000_000_001
    # A process started a tick later has another stamp: a reused pid is another process.
    assert start_stamp(1_000_012.35, 1_000_000.0, linux=True, ticks=100) == 1235


@ON_PROCFS
def test_both_tables_give_every_process_the_same_stamp_group_and_state() -> None:
    compared = 0
    for pid in procfs.pids():
        by_proc, by_psutil = procfs.stat(pid), psproc.stat(pid)
        again = procfs.stat(pid)
        if by_proc is None or by_psutil is None or again is None:
            continue  # it ended in between
        if (again.state, again.pgid) != (by_proc.state, by_proc.pgid):
            continue  # it ended or changed its group while it was read (others run meanwhile)
        assert (by_psutil.start_ticks, by_psutil.pgid) == (by_proc.start_ticks, by_proc.pgid)
        assert by_psutil.running == by_proc.running
        compared += 1
    assert compared > 1


def test_a_child_is_running_in_its_own_group_then_a_zombie_then_gone() -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdin.read()"],
        stdin=subprocess.PIPE,
        start_new_session=True,
    )
    found = psproc.stat(child.pid)
    assert found is not None
    assert (found.running, found.pgid) == (True, child.pid)
    assert psproc.running(child.pid)
    assert child.stdin is not None
    child.stdin.close()
    deadline = time.monotonic() + 10
    while psproc.running(child.pid):  # exited, not reaped yet: a zombie
        assert time.monotonic() < deadline, "the child never ended"
        time.sleep(0.01)
    zombie = psproc.stat(child.pid)
    assert zombie is None or not zombie.running
    child.wait()
    assert psproc.stat(child.pid) is None


def test_a_variable_of_a_processs_environment_is_found_and_a_missing_one_is_not() -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", "import sys; print('up', flush=True); sys.stdin.read()"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env={**os.environ, "PODIUM_ATTEMPT_ID": "/jobs:a:1:2"},
    )
    try:
        # Read once it runs: right after its exec, the kernel may show an empty environment.
        assert child.stdout is not None
        assert child.stdout.readline() == b"up\n"
        assert psproc.environ_value(child.pid, b"PODIUM_ATTEMPT_ID") == b"/jobs:a:1:2"
        assert psproc.environ_value(child.pid, b"PODIUM_NOT_THERE") is None
        assert child.pid in psproc.pids()
    finally:
        child.kill()
        child.communicate()
    assert psproc.environ_value(child.pid, b"PODIUM_ATTEMPT_ID") is None


@ON_PROCFS
def test_this_processs_memory_is_what_proc_says() -> None:
    by_proc, by_psutil = procfs.rss_bytes(), psproc.rss_bytes()
    assert by_proc > 0
    assert by_proc / 2 < by_psutil < by_proc * 2


@ON_PROCFS
def test_both_tables_find_the_same_live_members_of_a_group() -> None:
    leader = subprocess.Popen(["sh", "-c", "sleep 30 & sleep 30 & wait"], start_new_session=True)
    try:
        deadline = time.monotonic() + 10
        while len(procfs.members({leader.pid})) < 3:
            assert time.monotonic() < deadline, "the group never had its three processes"
            time.sleep(0.01)
        assert psproc.members({leader.pid}) == procfs.members({leader.pid})
        assert psproc.members({leader.pid, 2**22 + 1}) == procfs.members({leader.pid})
    finally:
        os.killpg(leader.pid, 9)
        leader.wait()
    deadline = time.monotonic() + 10
    while procfs.members({leader.pid}):  # killed, but their ends take a moment
        assert time.monotonic() < deadline, "the group's processes never ended"
        time.sleep(0.01)
    assert psproc.members({leader.pid}) == set()
