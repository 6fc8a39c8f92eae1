"""Waiting for a process to exit, each way: a pidfd, or polling (kqueue is macOS's and the
BSDs'); and the identity of a recorded process, by pid and start stamp, through psutil."""

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from podium.domain.records import ProcessInfo
from podium.host import platform, processes, psproc
from podium.runtime import exits
from podium.runtime.exits import Poller, gone, until_gone
from podium.runtime.process import group_left_by, still_runs

WAYS = [platform.POLLING] + ([platform.PIDFD] if hasattr(os, "pidfd_open") else [])


@pytest.fixture
def portable_table(monkeypatch: pytest.MonkeyPatch) -> None:
    """Processes are looked at through psutil, as under PODIUM_PORTABLE=1."""
    monkeypatch.setattr(processes, "_TABLE", psproc)


@pytest.fixture
def sleeper() -> Iterator[subprocess.Popen[bytes]]:
    """A child that runs until its stdin closes."""
    child = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdin.read()"],
        stdin=subprocess.PIPE,
        start_new_session=True,
    )
    yield child
    child.kill()
    child.communicate()


async def _ends_after(child: subprocess.Popen[bytes], way: str, stamp: int | None) -> bool:
    """Whether waiting is still under way while the child runs, and over once it ended."""
    waiting = asyncio.ensure_future(until_gone(child.pid, stamp, way))
    await asyncio.sleep(0.2)
    before = waiting.done()
    assert child.stdin is not None
    child.stdin.close()
    await asyncio.wait_for(waiting, 10)
    return not before


@pytest.mark.parametrize("way", WAYS)
@pytest.mark.usefixtures("portable_table")
def test_waiting_returns_once_the_process_exits_and_not_before(
    way: str, sleeper: subprocess.Popen[bytes]
) -> None:
    assert asyncio.run(_ends_after(sleeper, way, None))
    assert exits.POLLER.watching() == 0


@pytest.mark.parametrize("way", WAYS)
@pytest.mark.usefixtures("portable_table")
def test_waiting_for_a_recorded_process_checks_its_stamp(
    way: str, sleeper: subprocess.Popen[bytes]
) -> None:
    found = processes.stat(sleeper.pid)
    assert found is not None
    # Its own stamp: waited for until it ends.
    assert asyncio.run(_ends_after(sleeper, way, found.start_ticks))


@pytest.mark.parametrize("way", WAYS)
@pytest.mark.usefixtures("portable_table")
def test_a_pid_that_names_another_process_now_is_not_waited_for(
    way: str, sleeper: subprocess.Popen[bytes]
) -> None:
    found = processes.stat(sleeper.pid)
    assert found is not None
    asyncio.run(asyncio.wait_for(until_gone(sleeper.pid, found.start_ticks - 1, way), 10))
    assert sleeper.poll() is None  # it runs on: it is just not the process recorded


@pytest.mark.usefixtures("portable_table")
def test_a_recorded_process_is_known_by_pid_and_stamp_never_by_pid_alone(
    sleeper: subprocess.Popen[bytes],
) -> None:
    found = processes.stat(sleeper.pid)
    assert found is not None
    recorded = ProcessInfo(sleeper.pid, sleeper.pid, found.start_ticks)
    reused = ProcessInfo(sleeper.pid, sleeper.pid, found.start_ticks + 1)
    assert still_runs(recorded)
    assert group_left_by(recorded)
    assert not still_runs(reused)
    assert not group_left_by(reused)  # so its group is never stopped in the attempt's name
    assert not gone(sleeper.pid, found.start_ticks)
    assert gone(sleeper.pid, found.start_ticks + 1)


def test_the_poller_tells_a_waiter_once_and_never_after_it_stopped_watching() -> None:
    poller = Poller(period=0.01)
    heard, told = os.pipe()
    try:
        ended = [False]
        poller.watch(told, lambda: ended[0])
        poller.watch(-1, lambda: False)  # never ends, never written to
        os.set_blocking(heard, False)
        with pytest.raises(BlockingIOError):
            os.read(heard, 1)
        ended[0] = True
        os.set_blocking(heard, True)
        assert os.read(heard, 1) == b"x"
        assert poller.watching() == 1
        poller.unwatch(-1)
        assert poller.watching() == 0
    finally:
        os.close(heard)
        os.close(told)


def test_a_look_that_fails_tells_its_waiter_who_looks_again_and_sees_the_failure(
    caplog: pytest.LogCaptureFixture,
) -> None:
    poller = Poller(period=0.01)
    heard, told = os.pipe()

    def broken() -> bool:
        raise RuntimeError("a bug")

    try:
        poller.watch(told, broken)
        assert os.read(heard, 1) == b"x"
    finally:
        os.close(heard)
        os.close(told)
    assert "looking whether a watched process ended failed" in caplog.text
