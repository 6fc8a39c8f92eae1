"""The virtual clock: timers wait on virtual time, which moves by `jump` or by itself once
everything is idle, while real events (a process exiting) stay real."""

import asyncio
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path

import pytest

from podium.runtime.clock import SYSTEM_CLOCK, wait_done
from podium.testing import clock as clock_module
from podium.testing.clock import EPOCH, VirtualClock


def test_an_hour_of_timers_passes_at_once_when_everything_is_idle() -> None:
    clock = VirtualClock(autojump_threshold=0)
    fired: list[float] = []

    async def main() -> None:
        clock.call_at(30.0, lambda: fired.append(clock.monotonic()))
        await clock.sleep(3600)

    real = time.monotonic()
    clock.run(main())
    assert fired == [30.0]
    assert clock.monotonic() == 3600 and clock.now() == EPOCH + 3600
    assert time.monotonic() - real < 5


def test_asyncios_own_timeouts_keep_virtual_time_too() -> None:
    clock = VirtualClock(autojump_threshold=0)

    async def main() -> None:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(asyncio.Event().wait(), timeout=600)

    clock.run(main())
    assert clock.monotonic() == 600


def test_jump_fires_the_timers_it_passes_and_no_others() -> None:
    clock = VirtualClock()
    fired: list[str] = []

    async def main() -> None:
        clock.call_at(5, lambda: fired.append("5"))
        clock.call_at(15, lambda: fired.append("15"))
        clock.jump(10)
        await asyncio.sleep(0)
        await asyncio.sleep(0)

    clock.run(main())
    assert fired == ["5"]
    with pytest.raises(ValueError, match=r"jump\(-1\)"):
        clock.jump(-1)


def test_a_process_exit_is_a_real_event_that_comes_before_a_virtual_timeout() -> None:
    clock = VirtualClock(autojump_threshold=0.5)

    async def main() -> bool:
        process = await asyncio.create_subprocess_exec(sys.executable, "-c", "pass")
        waited = asyncio.ensure_future(process.wait())
        return await wait_done(clock, waited, 3600)

    assert clock.run(main())
    assert clock.monotonic() < 3600


def test_its_timers_refuse_a_loop_that_does_not_keep_its_time() -> None:
    clock = VirtualClock()
    with pytest.raises(RuntimeError, match=r"clock.run\(main\(\)\)"):
        SYSTEM_CLOCK.run(clock.sleep(1))


@pytest.mark.parametrize("procfs", [True, False], ids=["procfs", "portable"])
def test_a_busy_child_or_thread_counts_as_work_and_an_idle_one_does_not(
    procfs: bool, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    if procfs and not clock_module.PROCFS.is_dir():
        pytest.skip("no /proc here")
    if not procfs:
        monkeypatch.setattr(clock_module, "PROCFS", tmp_path / "absent")

    spinning = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        deadline = time.monotonic() + 10
        while not clock_module._at_work():
            assert time.monotonic() < deadline, "a spinning child was never seen at work"
            time.sleep(0.01)
    finally:
        spinning.kill()
        spinning.wait()
    stop = threading.Event()
    worker = threading.Thread(target=lambda: [None for _ in iter(stop.is_set, True)])
    worker.start()
    try:
        deadline = time.monotonic() + 10
        while not clock_module._at_work():
            assert time.monotonic() < deadline, "a spinning thread was never seen at work"
    finally:
        stop.set()
        worker.join()
    deadline = time.monotonic() + 10
    while clock_module._at_work():
        assert time.monotonic() < deadline, "idle threads and no children still seen at work"
        time.sleep(0.01)


def test_time_holds_still_while_work_handed_to_a_thread_is_out_even_if_it_sleeps() -> None:
    # A thread blocked in a read or on a lock looks idle to the kernel; its answer is still
    # real work the clock waits for, or a timeout set after it would be jumped over.
    clock = VirtualClock(autojump_threshold=0)
    seen: list[float] = []

    async def main() -> None:
        clock.call_at(60, lambda: seen.append(clock.monotonic()))
        await asyncio.to_thread(time.sleep, 0.3)
        seen.append(clock.monotonic())
        await clock.sleep(120)

    clock.run(main())
    assert seen == [0.0, 60.0]
    assert clock.monotonic() == 120


def test_the_default_executors_shutdown_waits_for_its_threads_in_real_time() -> None:
    clock = VirtualClock(autojump_threshold=0)
    release = threading.Event()

    async def main() -> None:
        loop = asyncio.get_running_loop()
        loop.run_in_executor(None, release.wait)  # still out when the runner shuts down
        loop.call_later(3600, lambda: None)
        threading.Timer(0.3, release.set).start()

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "did not finish joining its threads within 300 s"
        clock.run(main())
    assert clock.monotonic() < 300
