"""The resource monitor on real processes: what it counts, what it tells the engine."""

import asyncio
import errno
import os
import signal
import subprocess
import sys
from collections.abc import Collection, Iterator
from pathlib import Path

import pytest

from podium.config import ConductorConfig, ResourceLimits
from podium.domain.events import Event, PressureMeasured
from podium.domain.pressure import PressureLevel, Sample
from podium.runtime.disk import RESERVE_FILE, StateDisk
from podium.runtime.monitor import ResourceMonitor, measure
from podium.testing.clock import VirtualClock

# Says so once it runs (a process caught between fork and exec has next to no memory of its own).
SLEEPER = [sys.executable, "-c", "import time; print('up', flush=True); time.sleep(60)"]


def started(command: list[str]) -> "subprocess.Popen[str]":
    """`command` started, once it has said it is up."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None and process.stdout.readline() == "up\n"
    return process


@pytest.fixture
def orphan() -> Iterator[int]:
    """A process in a session of its own that is not this process's descendant (as an attempt
    re-attached after a restart is not the conductor's): its pid, which is also its group."""
    spawner = (
        "import subprocess, sys; "
        f"p = subprocess.Popen({SLEEPER!r}, start_new_session=True, "
        "stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True); "
        "assert p.stdout.readline() == 'up\\n'; print(p.pid)"
    )
    pid = int(
        subprocess.run(
            [sys.executable, "-c", spawner], capture_output=True, text=True, check=True
        ).stdout
    )
    yield pid
    os.killpg(pid, signal.SIGKILL)


def test_children_and_the_groups_of_reattached_attempts_are_counted(orphan: int) -> None:
    for _ in range(10):
        alone = measure(frozenset())
        with started(SLEEPER) as child:
            try:
                with_child = measure(frozenset())
                with_both = measure(frozenset({orphan}))
            finally:
                child.kill()
        # This process may have other children (an earlier test's, ending): counted only when
        # none came or went meanwhile.
        if measure(frozenset()).processes == alone.processes:
            break
    assert with_child.processes == alone.processes + 1
    assert with_both.processes == alone.processes + 2
    assert with_both.memory_mb > with_child.memory_mb > alone.memory_mb > 0


class Probe:
    def __init__(self, *samples: Sample | OSError) -> None:
        self.samples = list(samples)

    def __call__(self, groups: Collection[int]) -> Sample:
        found = self.samples.pop(0)
        if isinstance(found, OSError):
            raise found
        return found


def monitor(
    probe: Probe, posted: list[Event], state: Path, min_free_disk_mb: int = 0
) -> ResourceMonitor:
    limits = ResourceLimits(
        max_memory_mb=1000, max_processes=10, min_free_disk_mb=min_free_disk_mb, disk_reserve_mb=1
    )
    config = ConductorConfig(resource_limits=limits)
    return ResourceMonitor(
        config=lambda: config,
        groups=frozenset,
        post=posted.append,
        clock=VirtualClock(start=100.0),
        probe=probe,
        disk=StateDisk(state),
    )


def test_the_engine_hears_of_changes_and_of_every_critical_measurement(tmp_path: Path) -> None:
    posted: list[Event] = []
    probe = Probe(Sample(100, 1), Sample(100, 1), Sample(100, 9), Sample(100, 10), Sample(100, 10))
    watcher = monitor(probe, posted, tmp_path)
    for _ in range(5):
        asyncio.run(watcher.check())
    assert posted == [
        PressureMeasured(PressureLevel.HIGH, "9 of 10 processes (90%)"),
        PressureMeasured(PressureLevel.CRITICAL, "10 of 10 processes (100%)"),
        PressureMeasured(PressureLevel.CRITICAL, "10 of 10 processes (100%)"),
    ]
    assert watcher.pressure.sampled_at == 100.0


def test_a_failed_measurement_keeps_the_level_and_the_monitor_going(tmp_path: Path) -> None:
    posted: list[Event] = []
    watcher = monitor(
        Probe(Sample(100, 9), PermissionError("no access to /proc/1")), posted, tmp_path
    )
    asyncio.run(watcher.check())
    failed = asyncio.run(watcher.check())
    assert failed.level is PressureLevel.HIGH
    assert failed.sample is None
    assert "no access to /proc/1" in failed.reason
    assert len(posted) == 1


def test_a_state_folder_short_of_room_stops_dispatch_and_says_how_much_it_needs(
    tmp_path: Path,
) -> None:
    posted: list[Event] = []
    watcher = monitor(Probe(Sample(100, 1)), posted, tmp_path, min_free_disk_mb=10**9)
    found = asyncio.run(watcher.check())
    assert found.level is PressureLevel.DISK
    assert found.reason.startswith(f"the state folder {tmp_path} has ")
    assert found.reason.endswith(" free; dispatch resumes when 976563 GB are free")
    assert posted == [PressureMeasured(PressureLevel.DISK, found.reason)]
    assert (tmp_path / RESERVE_FILE).stat().st_size == 0  # no room was taken for the reserve


def test_a_failed_write_gives_up_the_reserve_until_it_can_be_made_again(tmp_path: Path) -> None:
    posted: list[Event] = []
    watcher = monitor(Probe(Sample(100, 1), Sample(100, 1)), posted, tmp_path)
    asyncio.run(watcher.check())
    reserve = tmp_path / RESERVE_FILE
    assert reserve.stat().st_size == 1024 * 1024
    watcher.write_failed("No space left on device")
    assert not reserve.exists()
    reason = f"the state folder {tmp_path} could not be written (No space left on device)"
    assert watcher.pressure.level is PressureLevel.DISK
    assert posted == [PressureMeasured(PressureLevel.DISK, reason)]
    calm = asyncio.run(watcher.check())  # there is room: the reserve is made again
    assert calm.level is PressureLevel.NONE
    assert reserve.stat().st_size == 1024 * 1024
    assert posted[-1] == PressureMeasured(PressureLevel.NONE, calm.reason)


def test_a_reserve_the_folder_cannot_hold_for_another_reason_than_room_stops_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unsupported(fd: int, offset: int, length: int) -> None:
        raise OSError(errno.EOPNOTSUPP, os.strerror(errno.EOPNOTSUPP))

    monkeypatch.setattr(os, "posix_fallocate", unsupported)  # a file system without it
    posted: list[Event] = []
    watcher = monitor(Probe(Sample(100, 1), Sample(100, 1)), posted, tmp_path)
    found = asyncio.run(watcher.check())
    assert found.level is PressureLevel.NONE, found.reason
    assert not (tmp_path / RESERVE_FILE).exists()  # no reserve, and no halt
    watcher.write_failed("No space left on device")
    assert watcher.pressure.level is PressureLevel.DISK
    calm = asyncio.run(watcher.check())  # room again: nothing waits for a reserve
    assert calm.level is PressureLevel.NONE, calm.reason
